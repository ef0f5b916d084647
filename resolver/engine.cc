#include "resolver/engine.h"

#include <algorithm>
#include <random>

#include "protocol/rdata.h"
#include "protocol/rrset.h"

namespace vigil::resolver {

using boost::asio::awaitable;
using dns::Message;
using dns::Name;
using dns::Rcode;
using dns::RRClass;
using dns::RRType;

namespace {

std::mt19937_64& rng() {
  thread_local std::mt19937_64 g{std::random_device{}()};
  return g;
}

// 0x20 (draft-vixie-dnsext-dns0x20): random letter case in the query name,
// which a reply must echo.
void randomise_case(std::vector<std::uint8_t>& wire) {
  std::uint64_t bits = rng()();
  for (std::size_t i = dns::kHeaderSize; i < wire.size() && wire[i] != 0;) {
    const std::size_t len = wire[i];
    for (std::size_t j = i + 1; j <= i + len && j < wire.size(); ++j) {
      const std::uint8_t c = dns::ascii_lower(wire[j]);
      if (c >= 'a' && c <= 'z') {
        wire[j] = (bits & 1) != 0 ? static_cast<std::uint8_t>(c - 32) : c;
        bits = (bits >> 1) | (bits << 63);
      }
    }
    i += len + 1;
  }
}

const dns::ResourceRecord* soa_of(const Message& m) {
  for (const auto& rr : m.authority) {
    if (rr.type == RRType::SOA) return &rr;
  }
  return nullptr;
}

}  // namespace

ReplyKind classify(const Message& m, const Name& zone, const Name& qname, RRType qtype, Name* referral_zone) {
  const Rcode rcode = m.rcode();
  if (rcode == Rcode::kNXDomain) return ReplyKind::kNxDomain;
  if (rcode != Rcode::kNoError) return ReplyKind::kLame;
  bool cname = false;
  for (const auto& rr : m.answer) {
    if (rr.name != qname || !rr.name.is_subdomain_of(zone)) continue;  // out of bailiwick: ignored
    if (rr.type == qtype) return ReplyKind::kAnswer;
    if (rr.type == RRType::CNAME) cname = true;
  }
  if (cname) return ReplyKind::kCname;
  // A referral: NS for a zone strictly below the one asked, at or above the name.
  if (!m.header.aa && m.answer.empty()) {
    for (const auto& rr : m.authority) {
      if (rr.type == RRType::NS && rr.name != zone && rr.name.is_subdomain_of(zone) &&
          qname.is_subdomain_of(rr.name)) {
        if (referral_zone != nullptr) *referral_zone = rr.name;
        return ReplyKind::kReferral;
      }
    }
  }
  if (m.answer.empty() && (m.header.aa || soa_of(m) != nullptr)) return ReplyKind::kNoData;
  return ReplyKind::kLame;  // e.g. a referral upwards, or not authoritative for the zone
}

Engine::Engine(cache::RRsetCache& cache, cache::InfraCache& infra, UpstreamTransport& transport,
               const Clock& clock, RootHints hints, ResolverLimits limits)
    : cache_(cache),
      infra_(infra),
      transport_(transport),
      clock_(clock),
      hints_(std::move(hints)),
      limits_(limits) {}

bool Engine::cached(const Name& name, RRType type) const {
  auto& c = cache_;
  if (c.lookup(name, type, RRClass::IN, clock_.wall()).hit()) return true;
  return type != RRType::CNAME &&
         c.lookup(name, RRType::CNAME, RRClass::IN, clock_.wall()).positive.has_value();
}

cache::ZoneCut Engine::start_cut(const Name& name) const {
  if (auto cut = cache_.find_zone_cut(name, RRClass::IN, clock_.wall())) return *cut;
  cache::ZoneCut cut;
  for (const auto& s : hints_.servers) {
    cache::ZoneCut::Server server{s.name, {}, {}};
    for (const auto& a : s.ipv4) server.ipv4.emplace_back(a.begin(), a.end());
    for (const auto& a : s.ipv6) server.ipv6.emplace_back(a.begin(), a.end());
    cut.servers.push_back(std::move(server));
  }
  return cut;
}

std::optional<ResolveOutcome> Engine::recent_failure(const Name& qname, RRType qtype) {
  std::lock_guard lock(failures_mu_);
  auto it = failures_.find({qname.lowercased().to_text(), static_cast<std::uint16_t>(qtype)});
  if (it == failures_.end() || clock_.monotonic() >= it->second.until) return std::nullopt;
  ResolveOutcome r = it->second.outcome;
  r.upstream_queries = 0;
  r.why = "cached failure: " + r.why;
  return r;
}

void Engine::remember_failure(const Name& qname, RRType qtype, const ResolveOutcome& r) {
  if (limits_.servfail_ttl.count() == 0 || limits_.servfail_cache_entries == 0) return;
  std::lock_guard lock(failures_mu_);
  auto key = std::make_pair(qname.lowercased().to_text(), static_cast<std::uint16_t>(qtype));
  if (failures_.count(key) == 0) failure_order_.push_back(key);
  failures_[key] = Failure{r, clock_.monotonic() + limits_.servfail_ttl};
  while (failures_.size() > limits_.servfail_cache_entries && !failure_order_.empty()) {
    failures_.erase(failure_order_.front());
    failure_order_.pop_front();
  }
  if (failure_order_.size() > 2 * limits_.servfail_cache_entries) {  // drop keys already erased
    std::deque<std::pair<std::string, std::uint16_t>> live;
    for (const auto& k : failure_order_) {
      if (failures_.count(k) != 0) live.push_back(k);
    }
    failure_order_.swap(live);
  }
}

awaitable<ResolveOutcome> Engine::resolve(Name qname, RRType qtype) {
  if (auto failed = recent_failure(qname, qtype)) co_return *failed;
  ResolveOutcome r = co_await resolve_chain(qname, qtype);
  if (!r.ok) remember_failure(qname, qtype, r);
  co_return r;
}

awaitable<ResolveOutcome> Engine::resolve_chain(Name qname, RRType qtype) {
  Budget b;
  b.deadline = clock_.monotonic() + limits_.resolution_budget;
  b.queries_left = limits_.max_upstream_queries;
  b.ns_resolutions_left = limits_.max_ns_name_resolutions;
  std::set<Name> seen;
  Name current = qname;
  for (unsigned links = 0;; ++links) {
    ResolveOutcome r = co_await resolve_name(current, qtype, b, 0);
    r.upstream_queries = b.used;
    if (!r.ok || qtype == RRType::CNAME) co_return r;
    const auto now = clock_.wall();
    if (cache_.lookup(current, qtype, RRClass::IN, now).hit()) co_return r;
    auto cname = cache_.lookup(current, RRType::CNAME, RRClass::IN, now);
    if (!cname.positive || cname.positive->rrset.rdatas.empty()) co_return r;
    auto target = dns::rdata_target_name(RRType::CNAME, cname.positive->rrset.rdatas[0]);
    if (!target)
      co_return ResolveOutcome{false, dns::EdeCode::kInvalidData, "CNAME without a target", b.used};
    seen.insert(current);
    if (seen.count(*target) != 0) {
      co_return ResolveOutcome{false, dns::EdeCode::kOther, "CNAME loop at " + target->to_text(), b.used};
    }
    if (links + 1 >= limits_.max_cname_chain) {
      co_return ResolveOutcome{false, dns::EdeCode::kOther,
                               "too many CNAMEs (over " + std::to_string(limits_.max_cname_chain) + ")",
                               b.used};
    }
    current = *target;
  }
}

awaitable<ResolveOutcome> Engine::resolve_name(Name name, RRType type, Budget& b, unsigned depth) {
  if (cached(name, type)) co_return ResolveOutcome{true, {}, {}, 0};
  cache::ZoneCut cut = start_cut(name);
  for (unsigned referrals = 0; referrals <= limits_.max_referrals; ++referrals) {
    Asked asked = co_await ask(cut, name, type, b, depth);
    if (!asked.reply) co_return ResolveOutcome{false, dns::EdeCode::kNoReachableAuthority, asked.why, 0};
    const Message& m = *asked.reply;
    Name child;
    const ReplyKind kind = classify(m, cut.zone, name, type, &child);
    if (kind == ReplyKind::kLame) {
      infra_.mark_lame(asked.server, cut.zone, clock_.wall());
      continue;  // ask() skips lame servers now
    }
    store(m, kind, cut.zone, name, type);
    if (kind != ReplyKind::kReferral) co_return ResolveOutcome{true, {}, {}, 0};
    // Down one level: the servers the referral named, with the glue it carried.
    cache::ZoneCut next;
    next.zone = child;
    for (const auto& rr : m.authority) {
      if (rr.type != RRType::NS || rr.name != child) continue;
      auto target = dns::rdata_target_name(RRType::NS, rr.rdata);
      if (!target) continue;
      cache::ZoneCut::Server s{*target, {}, {}};
      if (target->is_subdomain_of(child)) {  // glue is taken in bailiwick only
        for (const auto& g : m.additional) {
          if (g.name != *target) continue;
          if (g.type == RRType::A) s.ipv4.push_back(g.rdata);
          if (g.type == RRType::AAAA) s.ipv6.push_back(g.rdata);
        }
      }  // out-of-bailiwick server names are resolved by ask() when no glue is usable
      next.servers.push_back(std::move(s));
    }
    cut = std::move(next);
  }
  co_return ResolveOutcome{false, dns::EdeCode::kNoReachableAuthority, "too many referrals", 0};
}

void Engine::store(const Message& m, ReplyKind kind, const Name& zone, const Name& name, RRType type) {
  const auto now = clock_.wall();
  switch (kind) {
    case ReplyKind::kAnswer:
    case ReplyKind::kCname: {
      const cache::Rank rank = m.header.aa ? cache::Rank::kAuthAnswer : cache::Rank::kNonAuthAnswer;
      for (const auto& set : dns::group_rrsets(m.answer)) {
        if (set.name.is_subdomain_of(zone)) cache_.insert(set, rank, now);  // in bailiwick only
      }
      break;
    }
    case ReplyKind::kNxDomain:
    case ReplyKind::kNoData:
      if (const auto* soa = soa_of(m);
          soa != nullptr && name.is_subdomain_of(soa->name) && soa->name.is_subdomain_of(zone)) {
        cache_.insert_negative(
            name, type, RRClass::IN,
            kind == ReplyKind::kNxDomain ? cache::NegativeKind::kNxDomain : cache::NegativeKind::kNoData,
            *soa, cache::Rank::kAuthAuthority, now);
      }
      break;
    case ReplyKind::kReferral: {
      for (const auto& set : dns::group_rrsets(m.authority)) {
        if (set.type == RRType::NS && set.name.is_subdomain_of(zone) && set.name != zone) {
          cache_.insert(set, cache::Rank::kNonAuthAuthority, now);
        }
      }
      for (const auto& set : dns::group_rrsets(m.additional)) {
        // Glue only for names inside the delegated zone (in bailiwick).
        bool glue = false;
        for (const auto& ns : m.authority) {
          if (ns.type == RRType::NS && set.name.is_subdomain_of(ns.name) && ns.name.is_subdomain_of(zone))
            glue = true;
        }
        if (glue && (set.type == RRType::A || set.type == RRType::AAAA)) {
          cache_.insert(set, cache::Rank::kAdditional, now);
        }
      }
      break;
    }
    case ReplyKind::kLame: break;
  }
}

awaitable<Engine::Asked> Engine::ask(const cache::ZoneCut& cut, const Name& name, RRType type, Budget& b,
                                     unsigned depth) {
  const auto now = clock_.wall();
  auto addresses = [&](const cache::ZoneCut::Server& s) {
    std::vector<ServerAddress> out;
    for (const auto& a : s.ipv4) {
      if (a.size() != 4) continue;
      ServerAddress sa;
      std::copy(a.begin(), a.end(), sa.bytes.begin());
      sa.length = 4;
      out.push_back(sa);
    }
    for (const auto& a : s.ipv6) {
      if (a.size() != 16) continue;
      ServerAddress sa;
      std::copy(a.begin(), a.end(), sa.bytes.begin());
      sa.length = 16;
      out.push_back(sa);
    }
    return out;
  };
  std::vector<ServerAddress> candidates;
  for (const auto& s : cut.servers) {
    for (const auto& a : addresses(s)) candidates.push_back(a);
  }
  // No glue: resolve name-server names (NXNSAttack bound, cycle guard).
  if (candidates.empty()) {
    for (const auto& s : cut.servers) {
      if (b.ns_resolutions_left == 0 || depth + 1 > limits_.max_nesting) break;
      const std::string key = s.name.lowercased().to_text();
      if (b.resolving.count(key) != 0) continue;  // a dependency cycle
      --b.ns_resolutions_left;
      b.resolving.insert(key);
      ResolveOutcome r = co_await resolve_name(s.name, RRType::A, b, depth + 1);
      b.resolving.erase(key);
      if (!r.ok) continue;
      auto a = cache_.lookup(s.name, RRType::A, RRClass::IN, clock_.wall());
      if (a.positive) {
        cache::ZoneCut::Server resolved{s.name, a.positive->rrset.rdatas, {}};
        for (const auto& addr : addresses(resolved)) candidates.push_back(addr);
      }
      if (!candidates.empty()) break;
    }
  }
  // Fastest first: unknown servers get the initial RTO and come in between.
  std::vector<std::pair<std::uint32_t, ServerAddress>> ranked;
  for (const auto& c : candidates) {
    if (infra_.is_lame(c, cut.zone, now)) continue;
    const auto info = infra_.get(c, now);
    ranked.emplace_back(info.known ? info.srtt_ms : 376U, c);
  }
  std::stable_sort(ranked.begin(), ranked.end(),
                   [](const auto& x, const auto& y) { return x.first < y.first; });
  if (ranked.empty()) {
    co_return Asked{std::nullopt,
                    {},
                    "no usable server for " + cut.zone.to_text() +
                        (candidates.empty() ? " (no addresses for its name servers)" : " (all lame)")};
  }
  std::string why = "no server for " + cut.zone.to_text() + " answered";
  for (const auto& [rtt, server] : ranked) {
    if (b.queries_left == 0) co_return Asked{std::nullopt, server, "upstream query budget spent"};
    if (clock_.monotonic() >= b.deadline)
      co_return Asked{std::nullopt, server, "resolution time budget spent"};
    auto reply = co_await exchange(server, name, type, b);
    if (!reply) continue;
    auto m = Message::parse(reply->message);
    if (!m.ok()) continue;
    co_return Asked{std::move(*m), server, {}};
  }
  co_return Asked{std::nullopt, {}, why};
}

awaitable<std::optional<UpstreamReply>> Engine::exchange(const ServerAddress& server, const Name& name,
                                                         RRType type, Budget& b) {
  const auto now = clock_.wall();
  const auto info = infra_.get(server, now);
  bool edns = info.edns != cache::EdnsSupport::kUnsupported;
  bool tcp = false;
  const auto timeout = std::clamp(std::chrono::milliseconds(info.known ? info.rto_ms : 376U),
                                  limits_.min_attempt_timeout, limits_.max_attempt_timeout);
  // The fallback ladder for one server: TC → TCP; FORMERR/NOTIMP to EDNS →
  // without EDNS. Each step is one more query within the budget.
  for (int step = 0; step < 3 && b.queries_left > 0; ++step) {
    auto wire = dns::make_query(static_cast<std::uint16_t>(rng()()), name, type, false,
                                edns ? limits_.edns_payload : std::uint16_t{0})
                    .to_wire();
    randomise_case(wire);
    --b.queries_left;
    ++b.used;
    UpstreamReply r = co_await transport_.exchange(UpstreamRequest{server, wire, tcp, timeout});
    if (r.status == UpstreamStatus::kTimeout) {
      infra_.record_timeout(server, clock_.wall());
      co_return std::nullopt;
    }
    if (r.status != UpstreamStatus::kOk) co_return std::nullopt;
    infra_.record_rtt(server, static_cast<std::uint32_t>(std::max<std::int64_t>(1, r.rtt.count() / 1000)),
                      clock_.wall());
    if (r.message.size() >= dns::kHeaderSize && (r.message[2] & 0x02) != 0 && !tcp) {  // TC=1
      tcp = true;
      continue;
    }
    const auto rcode = static_cast<unsigned>(r.message.size() >= 4 ? r.message[3] & 0x0F : 0);
    if (edns && (rcode == 1 || rcode == 4)) {  // FORMERR / NOTIMP: try without EDNS
      infra_.set_edns(server, cache::EdnsSupport::kUnsupported, clock_.wall());
      edns = false;
      continue;
    }
    co_return r;
  }
  co_return std::nullopt;
}

}  // namespace vigil::resolver
