#include "server/local_zones.h"

#include <algorithm>
#include <map>
#include <optional>
#include <string_view>

#include "protocol/presentation.h"
#include "protocol/rdata.h"

namespace vigil::server {

using config::LocalZoneType;
using dns::Name;
using dns::RRType;

namespace {

struct BuiltinZone {
  const char* apex;
  // Records at or below the apex besides the synthesised SOA and NS.
  std::vector<const char*> data;
};

// RFC 6761 §6.3 (localhost), RFC 6303 §4 (locally served reverse zones),
// RFC 6598 (shared address space), RFC 7686 (onion), RFC 8375 (home.arpa),
// RFC 9462 (resolver.arpa), RFC 6761 §6.4 (invalid): the zones Unbound also
// serves locally by default.
std::vector<BuiltinZone> builtin_zones() {
  std::vector<BuiltinZone> zones = {
      {"localhost.", {"localhost. 10800 IN A 127.0.0.1", "localhost. 10800 IN AAAA ::1"}},
      {"127.in-addr.arpa.", {"1.0.0.127.in-addr.arpa. 10800 IN PTR localhost."}},
      {"1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.ip6.arpa.",
       {"1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.ip6.arpa. 10800 IN PTR localhost."}},
      {"invalid.", {}},
      {"onion.", {}},
      {"home.arpa.", {}},
      {"resolver.arpa.", {}},
      {"10.in-addr.arpa.", {}},
      {"168.192.in-addr.arpa.", {}},
      {"0.in-addr.arpa.", {}},
      {"254.169.in-addr.arpa.", {}},
      {"2.0.192.in-addr.arpa.", {}},
      {"100.51.198.in-addr.arpa.", {}},
      {"113.0.203.in-addr.arpa.", {}},
      {"255.255.255.255.in-addr.arpa.", {}},
      {"0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.ip6.arpa.", {}},
      {"d.f.ip6.arpa.", {}},
      {"8.e.f.ip6.arpa.", {}},
      {"9.e.f.ip6.arpa.", {}},
      {"a.e.f.ip6.arpa.", {}},
      {"b.e.f.ip6.arpa.", {}},
      {"8.b.d.0.1.0.0.2.ip6.arpa.", {}},
  };
  static const std::vector<std::string> generated = [] {
    std::vector<std::string> names;
    for (int i = 16; i <= 31; ++i) names.push_back(std::to_string(i) + ".172.in-addr.arpa.");
    for (int i = 64; i <= 127; ++i) names.push_back(std::to_string(i) + ".100.in-addr.arpa.");
    return names;
  }();
  for (const auto& n : generated) zones.push_back({n.c_str(), {}});
  return zones;
}

dns::ResourceRecord parse_builtin(const std::string& text) {
  auto rr = dns::parse_record(text);
  if (!rr.ok()) throw std::logic_error("built-in local data does not parse: " + text);
  return *rr;
}

// The SOA a locally served zone answers negatives with when none is
// configured (the same shape Unbound synthesises).
dns::ResourceRecord synthesised_soa(const Name& apex) {
  return parse_builtin(apex.to_text() + " 10800 IN SOA localhost. nobody.invalid. 1 3600 1200 604800 10800");
}

// RFC 2308 §3: the SOA in a negative answer carries min(TTL, MINIMUM).
dns::ResourceRecord negative_soa(dns::ResourceRecord soa) {
  if (auto r = dns::SoaRdata::decode(soa.rdata)) soa.ttl = std::min(soa.ttl, r->minimum);
  return soa;
}

std::optional<Name> reverse_name(const dns::ResourceRecord& rr) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string text;
  if (rr.type == RRType::A && rr.rdata.size() == 4) {
    for (int i = 3; i >= 0; --i) text += std::to_string(rr.rdata[static_cast<std::size_t>(i)]) + ".";
    text += "in-addr.arpa.";
  } else if (rr.type == RRType::AAAA && rr.rdata.size() == 16) {
    for (int i = 15; i >= 0; --i) {
      const std::uint8_t b = rr.rdata[static_cast<std::size_t>(i)];
      text += kHex[b & 0xF];
      text += '.';
      text += kHex[b >> 4];
      text += '.';
    }
    text += "ip6.arpa.";
  } else {
    return std::nullopt;
  }
  auto n = Name::from_text(text);
  if (!n.ok()) return std::nullopt;
  return *n;
}

Name top_label(const Name& n) {
  return n.is_root() ? n : n.suffix(1);
}

}  // namespace

dns::Expected<LocalZones, config::ConfigError> LocalZones::build(const config::Config& cfg,
                                                                 const std::string& file) {
  LocalZones lz;
  auto error = [&](int line, const std::string& message) {
    return config::ConfigError{file, line, 0, message};
  };

  // Zones: built-ins first, then the configuration replaces or removes them.
  struct Pending {
    LocalZoneType type;
    std::vector<std::string> data;
    bool builtin;
  };
  std::map<Name, Pending> zones;
  for (const auto& b : builtin_zones()) {
    zones[*Name::from_text(b.apex)] = {LocalZoneType::kStatic, {b.data.begin(), b.data.end()}, true};
  }
  for (const auto& z : cfg.local_zones) {
    auto name = Name::from_text(z.name);
    if (!name.ok()) return error(z.line, "local_zones: \"" + z.name + "\" is not a domain name");
    if (z.type == LocalZoneType::kNoDefault) {
      auto it = zones.find(*name);
      if (it == zones.end() || !it->second.builtin) {
        return error(
            z.line, "local_zones: " + z.name + " is not a built-in zone, so nodefault has nothing to remove");
      }
      zones.erase(it);
      continue;
    }
    auto it = zones.find(*name);
    if (it != zones.end() && !it->second.builtin) {
      return error(z.line, "local_zones: " + z.name + " is configured twice");
    }
    // A configured zone replaces a built-in one (and its built-in data).
    zones[*name] = {z.type, {}, false};
  }
  for (const auto& [apex, p] : zones) {
    Zone zone{apex, p.type, {}};
    lz.zones_.emplace(apex, std::move(zone));
    lz.tops_.insert(top_label(apex));
    if (apex.is_root()) lz.root_is_local_ = true;
  }

  // Data: built-in records, then configured ones.
  struct Record {
    dns::ResourceRecord rr;
    int line;
  };
  std::vector<Record> records;
  for (const auto& [apex, p] : zones) {
    for (const auto& text : p.data) records.push_back({parse_builtin(text), 0});
    if (p.builtin) records.push_back({parse_builtin(apex.to_text() + " 10800 IN NS localhost."), 0});
  }
  for (const auto& d : cfg.local_data) {
    auto rr = dns::parse_record(d.text);
    if (!rr.ok()) return error(d.line, "local_data: " + rr.error().message);
    if (rr->rclass != dns::RRClass::IN) return error(d.line, "local_data: only class IN records are served");
    records.push_back({*rr, d.line});
  }
  if (cfg.local_data_ptr) {
    std::unordered_set<Name> explicit_ptr;
    for (const auto& r : records) {
      if (r.rr.type == RRType::PTR) explicit_ptr.insert(r.rr.name);
    }
    const std::size_t n = records.size();
    for (std::size_t i = 0; i < n; ++i) {
      if (records[i].line == 0) continue;  // built-ins carry their PTRs already
      auto rev = reverse_name(records[i].rr);
      if (!rev || explicit_ptr.count(*rev) != 0) continue;
      dns::ResourceRecord ptr{*rev, RRType::PTR, dns::RRClass::IN, records[i].rr.ttl,
                              dns::make_name_rdata(records[i].rr.name)};
      records.push_back({std::move(ptr), records[i].line});
    }
  }

  for (auto& r : records) {
    const Zone* zone = lz.closest_zone(r.rr.name);
    if (zone != nullptr && zone->type == LocalZoneType::kRedirect && r.rr.name != zone->apex) {
      return error(r.line, "local_data: " + r.rr.name.to_text() + " is below the redirect zone " +
                               zone->apex.to_text() + ", whose data must be at its apex");
    }
    if (r.rr.type == RRType::SOA) {
      if (zone == nullptr || r.rr.name != zone->apex) {
        return error(r.line, "local_data: an SOA record belongs at the apex of a local zone");
      }
      lz.zones_.find(zone->apex)->second.soa = {negative_soa(r.rr)};
    }
    Node& node = lz.nodes_[r.rr.name];
    lz.tops_.insert(top_label(r.rr.name));
    if (r.rr.name.is_root()) lz.root_is_local_ = true;
    auto same_type = [&](const dns::RRset& s) { return s.type == r.rr.type; };
    auto it = std::find_if(node.rrsets.begin(), node.rrsets.end(), same_type);
    const bool has_cname = std::any_of(node.rrsets.begin(), node.rrsets.end(),
                                       [](const dns::RRset& s) { return s.type == RRType::CNAME; });
    if ((r.rr.type == RRType::CNAME && !node.rrsets.empty() && it == node.rrsets.end()) ||
        (r.rr.type != RRType::CNAME && has_cname) ||
        (r.rr.type == RRType::CNAME && it != node.rrsets.end())) {
      return error(r.line, "local_data: " + r.rr.name.to_text() +
                               " has a CNAME, which must be the only record of its name (RFC 1034 §3.6.2)");
    }
    if (it == node.rrsets.end()) {
      node.rrsets.push_back({r.rr.name, r.rr.type, r.rr.rclass, r.rr.ttl, {}});
      it = node.rrsets.end() - 1;
    }
    it->ttl = std::min(it->ttl, r.rr.ttl);  // one TTL per RRset (RFC 2181 §5.2)
    if (std::find(it->rdatas.begin(), it->rdatas.end(), r.rr.rdata) == it->rdatas.end()) {
      it->rdatas.push_back(r.rr.rdata);
    }
    // Empty non-terminals between the owner and its zone's apex exist.
    if (zone != nullptr) {
      for (Name n = r.rr.name.parent(); n.is_subdomain_of(zone->apex) && n != zone->apex; n = n.parent()) {
        lz.nodes_.try_emplace(n);
      }
    }
  }
  // Zones that answer negatives themselves get an SOA to answer them with.
  for (auto& [apex, zone] : lz.zones_) {
    if (!zone.soa.empty()) continue;
    if (zone.type == LocalZoneType::kStatic || zone.type == LocalZoneType::kRedirect) {
      zone.soa = {negative_soa(synthesised_soa(apex))};
      Node& node = lz.nodes_[apex];
      node.rrsets.push_back({apex, RRType::SOA, dns::RRClass::IN, 10800, {synthesised_soa(apex).rdata}});
    }
  }
  return lz;
}

std::size_t LocalZones::rrset_count() const {
  std::size_t n = 0;
  for (const auto& [name, node] : nodes_) n += node.rrsets.size();
  return n;
}

const LocalZones::Zone* LocalZones::closest_zone(const Name& qname) const {
  for (Name n = qname;; n = n.parent()) {
    auto it = zones_.find(n);
    if (it != zones_.end()) return &it->second;
    if (n.is_root()) return nullptr;
  }
}

LocalAnswer LocalZones::from_node(const Node& node, RRType qtype, const Zone* zone) const {
  LocalAnswer a;
  for (const auto& set : node.rrsets) {
    if (set.type == qtype || set.type == RRType::CNAME || (qtype == RRType::ANY && a.rrset == nullptr)) {
      a.kind = LocalKind::kAnswer;
      a.rrset = &set;
      if (set.type == qtype) break;
    }
  }
  if (a.rrset != nullptr) return a;
  a.kind = LocalKind::kNoData;
  if (zone != nullptr && !zone->soa.empty()) a.soa = &zone->soa.front();
  return a;
}

LocalAnswer LocalZones::lookup(const Name& qname, RRType qtype) const {
  if (!root_is_local_ && tops_.count(top_label(qname)) == 0) return {};
  const Zone* zone = closest_zone(qname);
  if (zone != nullptr && zone->type == LocalZoneType::kRedirect) {
    auto apex = nodes_.find(zone->apex);
    if (apex == nodes_.end())
      return {LocalKind::kNxDomain, nullptr, zone->soa.empty() ? nullptr : &zone->soa.front()};
    return from_node(apex->second, qtype, zone);
  }
  auto node = nodes_.find(qname);
  if (node != nodes_.end()) return from_node(node->second, qtype, zone);
  if (zone == nullptr) return {};
  switch (zone->type) {
    case LocalZoneType::kStatic:
      return {LocalKind::kNxDomain, nullptr, zone->soa.empty() ? nullptr : &zone->soa.front()};
    case LocalZoneType::kRefuse: return {LocalKind::kRefuse, nullptr, nullptr};
    case LocalZoneType::kDeny: return {LocalKind::kDeny, nullptr, nullptr};
    case LocalZoneType::kTransparent:
    case LocalZoneType::kRedirect:
    case LocalZoneType::kNoDefault: break;
  }
  return {};
}

}  // namespace vigil::server
