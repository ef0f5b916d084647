#include "policy/policy_feed.h"

#include <algorithm>
#include <charconv>
#include <unordered_map>

#include <arpa/inet.h>

#include "policy/policy_limits.h"
#include "protocol/presentation.h"
#include "protocol/rdata.h"
#include "util/hash.h"

namespace vigil::policy {

using dns::Name;
using dns::RRType;

std::string_view policy_action_name(PolicyAction a) {
  switch (a) {
    case PolicyAction::kNxDomain: return "nxdomain";
    case PolicyAction::kNoData: return "nodata";
    case PolicyAction::kPassthru: return "passthru";
    case PolicyAction::kDrop: return "drop";
    case PolicyAction::kTcpOnly: return "tcp-only";
    case PolicyAction::kLocalData: return "local-data";
  }
  return "unknown";
}

std::optional<PolicyAction> policy_action_from_name(std::string_view name) {
  for (std::size_t i = 0; i < kPolicyActionCount; ++i) {
    const auto a = static_cast<PolicyAction>(i);
    if (policy_action_name(a) == name) return a;
  }
  return std::nullopt;
}

std::string_view feed_format_name(FeedFormat f) {
  switch (f) {
    case FeedFormat::kRpz: return "rpz";
    case FeedFormat::kHosts: return "hosts";
    case FeedFormat::kDomains: return "domains";
  }
  return "unknown";
}

std::optional<FeedFormat> feed_format_from_name(std::string_view name) {
  for (FeedFormat f : {FeedFormat::kRpz, FeedFormat::kHosts, FeedFormat::kDomains}) {
    if (feed_format_name(f) == name) return f;
  }
  return std::nullopt;
}

std::string FeedMatch::trigger_text(const Name& qname) const {
  if (address_length == 0) {
    const std::size_t n = qname.label_count();
    std::string out = wildcard ? "*." : "";
    const Name base = qname.suffix(std::min<std::size_t>(labels, n)).lowercased();
    out += base.to_text();
    if (out == "*..") out = "*.";
    return out;
  }
  char text[INET6_ADDRSTRLEN] = {};
  const bool v4 = address_length == 4;
  ::inet_ntop(v4 ? AF_INET : AF_INET6, v4 ? address.data() + 12 : address.data(), text, sizeof text);
  return std::string(text) + "/" + std::to_string(v4 ? prefix - 96 : prefix);
}

namespace {

std::string_view label_text(std::span<const std::uint8_t> l) {
  return {reinterpret_cast<const char*>(l.data()), l.size()};
}

bool label_is(std::span<const std::uint8_t> l, std::string_view text) {
  if (l.size() != text.size()) return false;
  for (std::size_t i = 0; i < l.size(); ++i) {
    if (dns::ascii_lower(l[i]) != static_cast<std::uint8_t>(text[i])) return false;
  }
  return true;
}

std::optional<unsigned> parse_number(std::string_view s, int base, unsigned max) {
  if (s.empty() || s.size() > 4) return std::nullopt;
  unsigned v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v, base);
  if (ec != std::errc() || p != s.data() + s.size() || v > max) return std::nullopt;
  return v;
}

// "24.0.2.0.192" / "48.zz.db8.2001" (labels left to right) → 128-bit form.
std::optional<std::pair<std::array<std::uint8_t, 16>, std::uint8_t>> parse_rpz_ip(
    const std::vector<std::string_view>& labels, std::string& why) {
  std::array<std::uint8_t, 16> a{};
  if (labels.size() < 2) {
    why = "a response-IP trigger needs a prefix length and an address";
    return std::nullopt;
  }
  const bool v4 = labels.size() == 5 && std::none_of(labels.begin(), labels.end(), [](std::string_view l) {
                    return l == "zz" || l.find_first_not_of("0123456789") != std::string_view::npos;
                  });
  unsigned prefix = 0;
  if (v4) {
    auto p = parse_number(labels[0], 10, 32);
    if (!p || *p == 0) {
      why = "IPv4 prefix length \"" + std::string(labels[0]) + "\" is not 1-32";
      return std::nullopt;
    }
    a[10] = a[11] = 0xFF;
    for (std::size_t i = 0; i < 4; ++i) {
      auto o = parse_number(labels[4 - i], 10, 255);
      if (!o) {
        why = "\"" + std::string(labels[4 - i]) + "\" is not an IPv4 octet";
        return std::nullopt;
      }
      a[12 + i] = static_cast<std::uint8_t>(*o);
    }
    prefix = *p + 96;
  } else {
    auto p = parse_number(labels[0], 10, 128);
    if (!p || *p == 0) {
      why = "IPv6 prefix length \"" + std::string(labels[0]) + "\" is not 1-128";
      return std::nullopt;
    }
    prefix = *p;
    // Groups, most significant last; "zz" stands for the run of zero groups.
    std::vector<std::string_view> groups(labels.rbegin(), labels.rend() - 1);
    const auto zz = std::count(groups.begin(), groups.end(), std::string_view("zz"));
    if (zz > 1 || (zz == 0 && groups.size() != 8) || groups.size() > 8) {
      why = "not an IPv6 address in RPZ form (8 groups, or one \"zz\" for zeros)";
      return std::nullopt;
    }
    std::vector<std::uint16_t> words;
    for (auto g : groups) {
      if (g == "zz") {
        words.insert(words.end(), 8 - (groups.size() - 1), 0);
        continue;
      }
      auto w = parse_number(g, 16, 0xFFFF);
      if (!w) {
        why = "\"" + std::string(g) + "\" is not an IPv6 group";
        return std::nullopt;
      }
      words.push_back(static_cast<std::uint16_t>(*w));
    }
    for (std::size_t i = 0; i < 8; ++i) {
      a[2 * i] = static_cast<std::uint8_t>(words[i] >> 8);
      a[2 * i + 1] = static_cast<std::uint8_t>(words[i] & 0xFF);
    }
  }
  for (unsigned bit = prefix; bit < 128; ++bit) {
    if ((a[bit / 8] & (0x80U >> (bit % 8))) != 0) {
      why = "the address has bits set past its prefix length";
      return std::nullopt;
    }
  }
  return std::make_pair(a, static_cast<std::uint8_t>(prefix));
}

void mask(std::array<std::uint8_t, 16>& a, unsigned prefix) {
  for (unsigned i = 0; i < 16; ++i) {
    const unsigned lo = i * 8;
    if (prefix >= lo + 8) continue;
    a[i] = static_cast<std::uint8_t>(prefix <= lo ? 0U : (a[i] & (0xFF00U >> (prefix - lo))));
  }
}

// The names every hosts file starts with (its own machine's), not policy.
bool is_hosts_boilerplate(std::string_view name) {
  for (std::string_view b :
       {"localhost", "localhost.localdomain", "local", "broadcasthost", "ip6-localhost", "ip6-loopback",
        "ip6-localnet", "ip6-mcastprefix", "ip6-allnodes", "ip6-allrouters", "ip6-allhosts", "0.0.0.0"}) {
    if (name == b) return true;
  }
  return false;
}

std::string trim(std::string_view s) {
  const auto b = s.find_first_not_of(" \t\r");
  if (b == std::string_view::npos) return {};
  const auto e = s.find_last_not_of(" \t\r");
  return std::string(s.substr(b, e - b + 1));
}

}  // namespace

// Builds a PolicyFeed; its methods return "" or what is wrong.
class FeedBuilder {
 public:
  explicit FeedBuilder(const FeedOptions& o) : options_(o), feed_(std::make_shared<PolicyFeed>()) {
    max_rules_ = o.max_rules == 0 ? kMaxPolicyRules : o.max_rules;
    // Rules 0..4: the actions without data, shared by every trigger.
    for (PolicyAction a : {PolicyAction::kNxDomain, PolicyAction::kNoData, PolicyAction::kPassthru,
                           PolicyAction::kDrop, PolicyAction::kTcpOnly}) {
      feed_->rules_.push_back(PolicyRule{a, {}});
    }
    feed_->zone_semantics_ = o.format == FeedFormat::kRpz;
    if (feed_->zone_semantics_) node(Name());  // the apex: always exists
  }

  static std::uint32_t action_rule(PolicyAction a) { return static_cast<std::uint32_t>(a); }

  std::uint32_t node(const Name& n) {
    std::uint32_t& slot = feed_->names_.insert(n.wire(), PolicyFeed::kNone);
    if (slot == PolicyFeed::kNone) {
      slot = static_cast<std::uint32_t>(feed_->nodes_.size());
      feed_->nodes_.push_back({});
      // In a zone every ancestor exists (an empty non-terminal at least).
      if (feed_->zone_semantics_ && !n.is_root()) {
        const std::uint32_t index = slot;
        node(n.parent());
        return index;
      }
    }
    return slot;
  }

  // Attaches `rule` (or a record of local data) to a trigger.
  std::string set_rule(std::uint32_t& slot, const std::string& what, std::uint32_t rule) {
    if (slot != PolicyFeed::kNone) {
      return "a second action for " + what + " (one trigger, one action)";
    }
    if (++triggers_ > max_rules_) return "more than " + std::to_string(max_rules_) + " triggers";
    slot = rule;
    return "";
  }

  std::string add_data(std::uint32_t& slot, const std::string& what, const dns::ResourceRecord& rr) {
    if (slot == PolicyFeed::kNone) {
      if (++triggers_ > max_rules_) return "more than " + std::to_string(max_rules_) + " triggers";
      slot = static_cast<std::uint32_t>(feed_->rules_.size());
      feed_->rules_.push_back(PolicyRule{PolicyAction::kLocalData, {}});
    } else if (feed_->rules_[slot].action != PolicyAction::kLocalData) {
      return "a second action for " + what + " (one trigger, one action)";
    }
    PolicyRule& rule = feed_->rules_[slot];
    // Duplicates are found by a hash of (rule, type, RDATA): linear in the
    // records, where a search of the set made one owner's N records cost N².
    const std::uint64_t owner = (std::uint64_t{slot} << 16) | static_cast<std::uint16_t>(rr.type);
    const std::uint64_t h = util::fnv1a(std::span<const std::uint8_t>(rr.rdata.data(), rr.rdata.size()),
                                        util::kFnvOffset ^ owner);
    for (auto& set : rule.data) {
      if ((set.type == RRType::CNAME) != (rr.type == RRType::CNAME)) {
        return "CNAME and other data for " + what;
      }
      if (set.type != rr.type) continue;
      if (rr.type == RRType::CNAME) return "a second CNAME for " + what;
      auto& same_hash = seen_data_[h];
      bool duplicate = false;
      for (const auto& [o, i] : same_hash) duplicate = duplicate || (o == owner && set.rdatas[i] == rr.rdata);
      if (!duplicate) {
        if (records_of(slot) >= kMaxPolicyRecordsPerTrigger) {
          return "more than " + std::to_string(kMaxPolicyRecordsPerTrigger) + " records for " + what;
        }
        same_hash.emplace_back(owner, set.rdatas.size());
        set.rdatas.push_back(rr.rdata);
        set.ttl = std::min(set.ttl, rr.ttl);
      }
      return "";
    }
    if (records_of(slot) >= kMaxPolicyRecordsPerTrigger) {
      return "more than " + std::to_string(kMaxPolicyRecordsPerTrigger) + " records for " + what;
    }
    seen_data_[h].emplace_back(owner, 0);
    dns::RRset set;
    set.type = rr.type;
    set.rclass = rr.rclass;
    set.ttl = rr.ttl;
    set.rdatas.push_back(rr.rdata);
    rule.data.push_back(std::move(set));
    return "";
  }

  // One RPZ record whose owner is `trigger` (already relative to the apex).
  std::string add_name_record(const Name& trigger, const dns::ResourceRecord& rr) {
    const bool wild = trigger.is_wildcard();
    const Name base = wild ? trigger.parent() : trigger;
    const std::uint32_t n = node(base);
    auto slot = [&]() -> std::uint32_t& { return wild ? feed_->nodes_[n].wildcard : feed_->nodes_[n].exact; };
    const std::string what = trigger.to_text();
    if (rr.type == RRType::CNAME) {
      auto target = dns::rdata_target_name(RRType::CNAME, rr.rdata);
      if (!target) return "CNAME without a valid target";
      if (auto action = special_action(*target)) return set_rule(slot(), what, action_rule(*action));
    }
    return add_data(slot(), what, rr);
  }

  // CNAME targets that name an action rather than a redirect.
  static std::optional<PolicyAction> special_action(const Name& target) {
    if (target.is_root()) return PolicyAction::kNxDomain;
    if (target.label_count() != 1) return std::nullopt;
    const auto l = target.label(0);
    if (label_is(l, "*")) return PolicyAction::kNoData;
    if (label_is(l, "rpz-passthru")) return PolicyAction::kPassthru;
    if (label_is(l, "rpz-drop")) return PolicyAction::kDrop;
    if (label_is(l, "rpz-tcp-only")) return PolicyAction::kTcpOnly;
    return std::nullopt;
  }

  std::string add_ip_record(const std::vector<std::string_view>& labels, const dns::ResourceRecord& rr) {
    std::string why;
    auto parsed = parse_rpz_ip(labels, why);
    if (!parsed) return why;
    auto key = std::make_pair(parsed->first, parsed->second);
    auto [it, fresh] = ip_rules_.try_emplace(key, PolicyFeed::kNone);
    FeedMatch m;
    m.prefix = parsed->second;
    m.address = parsed->first;
    m.address_length = labels.size() == 5 && parsed->second > 96 && parsed->first[10] == 0xFF ? 4 : 16;
    const std::string what = m.trigger_text(Name());
    if (rr.type == RRType::CNAME) {
      auto target = dns::rdata_target_name(RRType::CNAME, rr.rdata);
      if (!target) return "CNAME without a valid target";
      if (auto action = special_action(*target)) return set_rule(it->second, what, action_rule(*action));
    }
    return add_data(it->second, what, rr);
  }

  std::string add_rpz(const dns::ResourceRecord& rr) {
    if (!soa_seen_) {
      if (rr.type != RRType::SOA) return "a policy zone starts with its SOA record";
      apex_ = options_.zone.is_root() ? rr.name : options_.zone;
      if (!(rr.name == apex_))
        return "the SOA's owner " + rr.name.to_text() + " is not the zone " + apex_.to_text();
      dns::ResourceRecord soa = rr;
      if (const auto fields = dns::SoaRdata::decode(soa.rdata)) {
        feed_->soa_serial_ = fields->serial;
        soa.ttl = std::min(soa.ttl, fields->minimum);
      }
      feed_->soa_ = soa;
      soa_seen_ = true;
      return "";
    }
    if (rr.name == apex_) return "";  // SOA, NS: the zone's own
    if (!rr.name.is_strict_subdomain_of(apex_)) {
      return rr.name.to_text() + " is outside the policy zone " + apex_.to_text();
    }
    switch (rr.type) {
      case RRType::RRSIG:
      case RRType::NSEC:
      case RRType::NSEC3:
      case RRType::DNSKEY: return "";  // a signed policy zone's own records
      default: break;
    }
    if (rr.rclass != dns::RRClass::IN) return "only class IN records are policy";
    const std::size_t rel = rr.name.label_count() - apex_.label_count();
    const auto top = rr.name.label(rel - 1);
    if (label_is(top, "rpz-ip")) {
      std::vector<std::string_view> labels;
      for (std::size_t i = 0; i + 1 < rel; ++i) labels.push_back(label_text(rr.name.label(i)));
      return add_ip_record(labels, rr);
    }
    if (label_is(top, "rpz-nsip") || label_is(top, "rpz-nsdname") || label_is(top, "rpz-client-ip")) {
      ++feed_->skipped_;
      return "";
    }
    dns::NameBuilder b;
    for (std::size_t i = 0; i < rel; ++i) (void)b.append_label(rr.name.label(i));
    return add_name_record(b.finish(), rr);
  }

  std::string add_list_name(std::string_view text, std::uint32_t rule, bool hosts) {
    const bool wild_only = text.starts_with("*.");
    auto name = Name::from_text(wild_only ? text.substr(2) : text);
    if (!name.ok()) return "\"" + std::string(text) + "\" is not a domain name";
    const std::uint32_t n = node(*name);
    const std::string what = name->to_text();
    auto& nd = feed_->nodes_[n];
    if (hosts) {
      if (nd.exact != PolicyFeed::kNone) return "";  // listed twice: the first stays
      return set_rule(nd.exact, what, rule);
    }
    if (!wild_only && nd.exact == PolicyFeed::kNone) {
      if (std::string why = set_rule(nd.exact, what, rule); !why.empty()) return why;
    }
    if (nd.wildcard == PolicyFeed::kNone) {
      if (std::string why = set_rule(nd.wildcard, "*." + what, rule); !why.empty()) return why;
    }
    return "";
  }

  std::string add_host(const Name& name, const std::array<std::uint8_t, 16>& a, bool v4) {
    static const std::array<std::uint8_t, 16> kZero{};
    std::array<std::uint8_t, 16> loop6{};
    loop6[15] = 1;
    const bool block = v4 ? (a[0] == 0 && a[1] == 0 && a[2] == 0 && a[3] == 0) ||
                                (a[0] == 127 && a[1] == 0 && a[2] == 0 && a[3] == 1)
                          : (a == kZero || a == loop6);
    const std::uint32_t n = node(name);
    std::uint32_t& slot = feed_->nodes_[n].exact;
    if (block) {
      if (slot == PolicyFeed::kNone) return set_rule(slot, name.to_text(), action_rule(options_.list_action));
      if (feed_->rules_[slot].action == PolicyAction::kLocalData) slot = action_rule(options_.list_action);
      return "";
    }
    if (slot != PolicyFeed::kNone && feed_->rules_[slot].action != PolicyAction::kLocalData) return "";
    dns::ResourceRecord rr;
    rr.name = name;
    rr.type = v4 ? RRType::A : RRType::AAAA;
    rr.ttl = kHostsTtl;
    rr.rdata.assign(a.begin(), a.begin() + (v4 ? 4 : 16));
    return add_data(slot, name.to_text(), rr);
  }

  std::shared_ptr<PolicyFeed> finish() {
    auto& f = *feed_;
    for (const auto& [key, rule] : ip_rules_) {
      f.by_prefix_[key.second].push_back({key.first, rule});
    }
    for (unsigned len = 128; len > 0; --len) {
      auto& v = f.by_prefix_[len];
      if (v.empty()) continue;
      std::sort(v.begin(), v.end());
      f.prefixes_.push_back(static_cast<std::uint8_t>(len));
    }
    f.address_triggers_ = ip_rules_.size();
    f.name_triggers_ = triggers_ - ip_rules_.size();
    f.names_.shrink_to_fit();
    f.nodes_.shrink_to_fit();
    return feed_;
  }

  bool soa_seen() const { return soa_seen_; }

 private:
  std::size_t records_of(std::uint32_t slot) const {
    std::size_t n = 0;
    for (const auto& set : feed_->rules_[slot].data) n += set.rdatas.size();
    return n;
  }
  struct KeyHash {
    std::size_t operator()(const std::pair<std::array<std::uint8_t, 16>, std::uint8_t>& k) const {
      return util::fnv1a(std::span<const std::uint8_t>(k.first.data(), k.first.size()), k.second);
    }
  };
  const FeedOptions& options_;
  std::shared_ptr<PolicyFeed> feed_;
  std::unordered_map<std::pair<std::array<std::uint8_t, 16>, std::uint8_t>, std::uint32_t, KeyHash> ip_rules_;
  std::size_t triggers_ = 0;
  std::size_t max_rules_ = 0;
  // (rule, type, RDATA) hash -> the RDATAs' indexes in their set, while parsing.
  std::unordered_map<std::uint64_t, std::vector<std::pair<std::uint64_t, std::size_t>>> seen_data_;
  bool soa_seen_ = false;
  Name apex_;
};

dns::Expected<std::shared_ptr<const PolicyFeed>, FeedError> PolicyFeed::parse(std::string_view text,
                                                                              const FeedOptions& options) {
  FeedBuilder b(options);
  if (options.format == FeedFormat::kRpz) {
    auto error =
        dns::for_each_zone_record(text, options.zone, kDefaultFeedTtl,
                                  [&](dns::ResourceRecord& rr, std::size_t) { return b.add_rpz(rr); });
    if (error) return FeedError{error->line, error->message};
    if (!b.soa_seen()) return FeedError{0, "the policy zone has no SOA record"};
    return std::shared_ptr<const PolicyFeed>(b.finish());
  }
  const bool hosts = options.format == FeedFormat::kHosts;
  const std::uint32_t rule = FeedBuilder::action_rule(options.list_action);
  std::size_t line_no = 0;
  std::size_t pos = 0;
  while (pos < text.size()) {
    ++line_no;
    std::size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    if (const auto hash = line.find('#'); hash != std::string_view::npos) line = line.substr(0, hash);
    std::vector<std::string> tokens;
    std::size_t i = 0;
    while (i < line.size()) {
      while (i < line.size() && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r')) ++i;
      std::size_t j = i;
      while (j < line.size() && line[j] != ' ' && line[j] != '\t' && line[j] != '\r') ++j;
      if (j > i) tokens.emplace_back(line.substr(i, j - i));
      i = j;
    }
    if (tokens.empty()) continue;
    std::string why;
    if (!hosts) {
      if (tokens.size() != 1) return FeedError{line_no, "one domain per line, found \"" + trim(line) + "\""};
      why = b.add_list_name(tokens[0], rule, false);
    } else {
      std::array<std::uint8_t, 16> a{};
      const bool v4 = ::inet_pton(AF_INET, tokens[0].c_str(), a.data()) == 1;
      if (!v4 && ::inet_pton(AF_INET6, tokens[0].c_str(), a.data()) != 1) {
        return FeedError{line_no, "\"" + tokens[0] + "\" is not an IPv4 or IPv6 address"};
      }
      if (tokens.size() < 2) return FeedError{line_no, "an address without a name"};
      for (std::size_t t = 1; t < tokens.size() && why.empty(); ++t) {
        if (is_hosts_boilerplate(tokens[t])) continue;
        auto name = Name::from_text(tokens[t]);
        if (!name.ok()) {
          why = "\"" + tokens[t] + "\" is not a domain name";
          break;
        }
        why = b.add_host(*name, a, v4);
      }
    }
    if (!why.empty()) return FeedError{line_no, why};
  }
  return std::shared_ptr<const PolicyFeed>(b.finish());
}

NameSuffixes::NameSuffixes(const Name& name) {
  const auto wire = name.wire();
  for (std::size_t pos = 0;; pos += 1U + wire[pos]) {
    offsets[count] = static_cast<std::uint8_t>(pos);
    hashes[count] = NameTable::hash(wire.subspan(pos));
    ++count;
    if (wire[pos] == 0) break;
  }
}

std::optional<FeedMatch> PolicyFeed::match_name(const Name& qname, const NameSuffixes& suffixes) const {
  const auto wire = qname.wire();
  const std::size_t labels = suffixes.count - 1;
  for (std::size_t i = 0; i < suffixes.count; ++i) {
    const std::uint32_t* n = names_.find(wire.subspan(suffixes.offsets[i]), suffixes.hashes[i]);
    if (n == nullptr) continue;
    const Node& node = nodes_[*n];
    const auto here = static_cast<std::uint8_t>(labels - i);
    if (i == 0) {
      if (node.exact != kNone) return FeedMatch{.rule = &rules_[node.exact], .labels = here};
      if (zone_semantics_) return std::nullopt;  // the name exists in the policy zone, without data
      continue;
    }
    if (node.wildcard != kNone)
      return FeedMatch{.rule = &rules_[node.wildcard], .wildcard = true, .labels = here};
    if (zone_semantics_) return std::nullopt;  // the closest encloser has no wildcard
  }
  return std::nullopt;
}

std::optional<FeedMatch> PolicyFeed::match_address(std::span<const std::uint8_t> address) const {
  if (prefixes_.empty() || (address.size() != 4 && address.size() != 16)) return std::nullopt;
  std::array<std::uint8_t, 16> a{};
  if (address.size() == 4) {
    a[10] = a[11] = 0xFF;
    std::copy(address.begin(), address.end(), a.begin() + 12);
  } else {
    std::copy(address.begin(), address.end(), a.begin());
  }
  for (std::uint8_t len : prefixes_) {
    std::array<std::uint8_t, 16> masked = a;
    mask(masked, len);
    const auto& v = by_prefix_[len];
    auto it = std::lower_bound(v.begin(), v.end(), IpEntry{masked, 0});
    if (it != v.end() && it->address == masked) {
      FeedMatch m;
      m.rule = &rules_[it->rule];
      m.prefix = len;
      m.address = masked;
      m.address_length = static_cast<std::uint8_t>(address.size());
      return m;
    }
  }
  return std::nullopt;
}

std::size_t PolicyFeed::memory_bytes() const {
  std::size_t b =
      names_.memory_bytes() + nodes_.capacity() * sizeof(Node) + rules_.capacity() * sizeof(PolicyRule);
  for (const auto& v : by_prefix_) b += v.capacity() * sizeof(IpEntry);
  return b;
}

}  // namespace vigil::policy
