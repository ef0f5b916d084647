#include "resolver/engine.h"

#include <algorithm>
#include <random>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "protocol/rdata.h"
#include "protocol/rrset.h"
#include "protocol/secure_random.h"

namespace vigil::resolver {

using boost::asio::awaitable;
using dns::Message;
using dns::Name;
using dns::Rcode;
using dns::RRClass;
using dns::RRType;

namespace {

// Server selection's exploration only spreads load: a fast PRNG, seeded
// from the CSPRNG. Query IDs and 0x20 bits never come from it.
std::mt19937_64& exploration_rng() {
  thread_local std::mt19937_64 g{dns::secure_random_u64()};
  return g;
}

// 0x20 (draft-vixie-dnsext-dns0x20): random letter case in the query name,
// which a reply must echo; a fresh CSPRNG bit for every letter.
void randomise_case(std::vector<std::uint8_t>& wire) {
  std::uint64_t bits = 0;
  unsigned left = 0;
  for (std::size_t i = dns::kHeaderSize; i < wire.size() && wire[i] != 0;) {
    const std::size_t len = wire[i];
    for (std::size_t j = i + 1; j <= i + len && j < wire.size(); ++j) {
      const std::uint8_t c = dns::ascii_lower(wire[j]);
      if (c >= 'a' && c <= 'z') {
        if (left == 0) {
          bits = dns::secure_random_u64();
          left = 64;
        }
        wire[j] = (bits & 1) != 0 ? static_cast<std::uint8_t>(c - 32) : c;
        bits >>= 1;
        --left;
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

// A DNAME in the answer that covers `qname` (owner strictly above it, in
// bailiwick of `zone`).
const dns::ResourceRecord* dname_for(const Message& m, const Name& zone, const Name& qname) {
  for (const auto& rr : m.answer) {
    if (rr.type == RRType::DNAME && qname.is_strict_subdomain_of(rr.name) && rr.name.is_subdomain_of(zone))
      return &rr;
  }
  return nullptr;
}

// Whether a referral from `zone`'s server may carry the address of the
// name server `target`: the server is authoritative for everything within
// its zone, delegated siblings' names included (issue 21 §1).
bool is_glue_name(const Name& target, const Name& zone) {
  return target.is_subdomain_of(zone);
}

std::string ms_text(std::chrono::microseconds us) {
  return std::to_string(us.count() / 1000) + "." + std::to_string((us.count() % 1000) / 100) + " ms";
}

// RFC 9156 §2.3: the first MINIMISE_ONE_LAB steps add one label each, the
// rest of the labels are spread over at most MAX_MINIMISE_COUNT steps.
constexpr unsigned kMaxMinimiseCount = 10;
constexpr unsigned kMinimiseOneLab = 4;

std::string type_text(RRType t) {
  return dns::type_to_string(t);
}

}  // namespace

std::string_view limit_hit_name(LimitHit l) {
  switch (l) {
    case LimitHit::kUpstreamQueries: return "upstream_queries";
    case LimitHit::kTimeBudget: return "time_budget";
    case LimitHit::kReferrals: return "referrals";
    case LimitHit::kCnameChain: return "cname_chain";
    case LimitHit::kNsResolutions: return "ns_resolutions";
    case LimitHit::kNsNxDomains: return "ns_nxdomains";
  }
  return "?";
}

std::string_view reply_kind_name(ReplyKind k) {
  switch (k) {
    case ReplyKind::kAnswer: return "answer";
    case ReplyKind::kCname: return "alias (CNAME/DNAME)";
    case ReplyKind::kReferral: return "referral";
    case ReplyKind::kNxDomain: return "NXDOMAIN";
    case ReplyKind::kNoData: return "NODATA";
    case ReplyKind::kLame: return "lame (not an answer for this zone)";
    case ReplyKind::kServerFailure: return "server failure (ask another server)";
  }
  return "?";
}

namespace {

// QTYPEs that ask for more than one type at the name (RFC 6895 §3.1: the
// meta and query types 128-255, ANY among them): any RRset at the QNAME
// answers them, RFC 8482's HINFO included.
bool asks_for_any_type(RRType qtype) {
  const auto t = static_cast<std::uint16_t>(qtype);
  return t >= 128 && t <= 255;
}

}  // namespace

ReplyKind classify(const Message& m, const Name& zone, const Name& qname, RRType qtype, Name* referral_zone) {
  const Rcode rcode = m.rcode();
  if (rcode == Rcode::kNXDomain) return ReplyKind::kNxDomain;
  // REFUSED: the server will not serve the zone (a lame delegation, as
  // BIND logs it). Any other error is this server failing this question:
  // ask the next one, mark nothing (Unbound's RESPONSE_TYPE_THROWAWAY).
  const bool any_type = asks_for_any_type(qtype);
  // REFUSED to a meta QTYPE (some servers and middleboxes refuse ANY) says
  // nothing about the zone.
  if (rcode == Rcode::kRefused) return any_type ? ReplyKind::kServerFailure : ReplyKind::kLame;
  if (rcode != Rcode::kNoError) return ReplyKind::kServerFailure;
  bool alias = false;
  bool other_type = false;  // records at the name, of a type not asked for
  for (const auto& rr : m.answer) {
    if (rr.type == RRType::DNAME && qname.is_strict_subdomain_of(rr.name) && rr.name.is_subdomain_of(zone)) {
      alias = true;  // RFC 6672: the name is below a DNAME
      continue;
    }
    if (rr.name != qname || !rr.name.is_subdomain_of(zone)) continue;  // out of bailiwick: ignored
    if (any_type) {
      // Any RRset at the name answers ANY — from the zone's authority (or a
      // forwarder, whose bailiwick is the root). A non-authoritative one is
      // some cache's partial view: another server is asked, none marked.
      return m.header.aa || zone.is_root() ? ReplyKind::kAnswer : ReplyKind::kServerFailure;
    }
    if (rr.type == qtype) return ReplyKind::kAnswer;
    if (rr.type == RRType::CNAME) {
      alias = true;
    } else if (rr.type != RRType::RRSIG) {
      other_type = true;
    }
  }
  if (alias) return ReplyKind::kCname;
  // A referral: nothing at the name, no SOA, and NS for a zone strictly
  // below the one asked, at or above the name — whatever AA says (some
  // servers and load balancers set it on referrals; Unbound's
  // response_type_from_server and Knot's iterate.c ignore it the same way).
  if (!other_type && soa_of(m) == nullptr) {
    for (const auto& rr : m.authority) {
      if (rr.type == RRType::NS && rr.name != zone && rr.name.is_subdomain_of(zone) &&
          qname.is_subdomain_of(rr.name)) {
        if (referral_zone != nullptr) *referral_zone = rr.name;
        return ReplyKind::kReferral;
      }
    }
  }
  // NODATA: authoritative, or with the zone's SOA (RFC 2308 §2.2 type 1/2);
  // a "referral" to the zone itself with AA set is NODATA too (§2.2 type 3).
  if (m.answer.empty() && (m.header.aa || soa_of(m) != nullptr)) return ReplyKind::kNoData;
  // Records at the name, none of the type asked for and no alias: the name
  // has no such RRset. What was not asked for is ignored, never taken as a
  // sign the server is lame (one odd question must not cost a zone).
  // (From a server offering recursion, without AA, it is a cache's partial
  // view instead: Unbound's REC_LAME; another server is asked.)
  if (other_type) return !m.header.aa && m.header.ra ? ReplyKind::kServerFailure : ReplyKind::kNoData;
  return ReplyKind::kLame;  // e.g. a referral upwards, or not authoritative for the zone
}

struct Engine::Inflight {
  struct Waiter {
    std::shared_ptr<boost::asio::steady_timer> timer;
    std::optional<ResolveOutcome> result;
  };
  std::vector<std::shared_ptr<Waiter>> waiters;
};

Engine::Engine(cache::RRsetCache& cache, cache::InfraCache& infra, UpstreamTransport& transport,
               const Clock& clock, RootHints hints, ResolverLimits limits, EngineOptions options)
    : cache_(cache),
      infra_(infra),
      transport_(transport),
      clock_(clock),
      hints_(std::move(hints)),
      limits_(limits),
      options_(std::move(options)) {}

Engine::~Engine() = default;

std::uint64_t Engine::coalesced_total() const {
  std::lock_guard lock(inflight_mu_);
  return coalesced_;
}

std::uint64_t Engine::coalesced_asks() const {
  std::lock_guard lock(inflight_mu_);
  return coalesced_asks_;
}

std::size_t Engine::inflight() const {
  std::lock_guard lock(inflight_mu_);
  return inflight_.size();
}

std::size_t Engine::inflight_waiters() const {
  std::lock_guard lock(inflight_mu_);
  std::size_t n = 0;
  for (const auto& [key, f] : inflight_) n += f->waiters.size();
  return n;
}

void Engine::note(Budget& b, unsigned depth, std::string text) const {
  if (b.trace != nullptr) b.trace->push_back(std::string(2 * depth, ' ') + std::move(text));
}

Engine::Budget Engine::new_budget() const {
  Budget b;
  b.deadline = clock_.monotonic() + limits_.resolution_budget;
  b.queries_left = limits_.max_upstream_queries;
  b.ns_resolutions_left = limits_.max_ns_name_resolutions;
  return b;
}

namespace {

std::vector<ServerAddress> addresses_of(const cache::ZoneCut::Server& s) {
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
}

}  // namespace

std::vector<ServerAddress> Engine::cached_addresses(const Name& server) const {
  const auto now = clock_.wall();
  const cache::LookupOptions lo{.for_resolution = true, .allow_stale = false};
  cache::ZoneCut::Server s{server, {}, {}};
  for (RRType t : {RRType::A, RRType::AAAA}) {
    cache_.visit(server, t, RRClass::IN, now, lo, [&](const cache::RRsetView& v) {
      v.for_each_rdata([&](std::span<const std::uint8_t> rd) {
        (t == RRType::A ? s.ipv4 : s.ipv6).emplace_back(rd.begin(), rd.end());
      });
    });
  }
  return addresses_of(s);
}

bool Engine::cached(const Name& name, RRType type) const {
  const auto now = clock_.wall();
  if (cache_.lookup(name, type, RRClass::IN, now).hit()) return true;
  return type != RRType::CNAME && cache_.lookup(name, RRType::CNAME, RRClass::IN, now).positive.has_value();
}

Engine::Cut Engine::hints_cut() const {
  Cut cut;
  cut.source = "root hints";
  for (const auto& s : hints_.servers) {
    cache::ZoneCut::Server server{s.name, {}, {}};
    for (const auto& a : s.ipv4) server.ipv4.emplace_back(a.begin(), a.end());
    for (const auto& a : s.ipv6) server.ipv6.emplace_back(a.begin(), a.end());
    cut.ns.servers.push_back(std::move(server));
  }
  return cut;
}

namespace {

const ConfiguredZone* deepest(const std::vector<ConfiguredZone>& zones, const Name& name) {
  const ConfiguredZone* best = nullptr;
  for (const auto& z : zones) {
    if (name.is_subdomain_of(z.zone) && (best == nullptr || z.zone.label_count() > best->zone.label_count()))
      best = &z;
  }
  return best;
}

bool has_addresses(const cache::ZoneCut& cut) {
  return std::any_of(cut.servers.begin(), cut.servers.end(),
                     [](const auto& s) { return !s.ipv4.empty() || !s.ipv6.empty(); });
}

}  // namespace

awaitable<Engine::Cut> Engine::start_cut(const Name& name, Budget& b, unsigned depth) {
  const ConfiguredZone* fwd = deepest(options_.forward_zones, name);
  const ConfiguredZone* stub = deepest(options_.stub_zones, name);
  if (fwd != nullptr && (stub == nullptr || fwd->zone.label_count() >= stub->zone.label_count())) {
    Cut c;
    c.ns.zone = fwd->zone;
    c.fixed = fwd->servers;
    c.recursive = true;
    c.source = "forward zone";
    note(b, depth, "forward zone " + fwd->zone.to_text() + ": asking its configured servers (RD=1)");
    co_return c;
  }
  auto cached_cut = cache_.find_zone_cut(name, RRClass::IN, clock_.wall());
  if (stub != nullptr && (!cached_cut || !cached_cut->zone.is_strict_subdomain_of(stub->zone))) {
    Cut c;
    c.ns.zone = stub->zone;
    c.fixed = stub->servers;
    c.source = "stub zone";
    note(b, depth, "stub zone " + stub->zone.to_text() + ": asking its configured servers");
    co_return c;
  }
  if (!cached_cut) {
    // No root NS set in the cache (start-up, or it expired): prime (RFC 8109).
    if (co_await prime_with(b, depth)) cached_cut = cache_.find_zone_cut(name, RRClass::IN, clock_.wall());
    if (!cached_cut) {
      note(b, depth, "starting at the root hints");
      co_return hints_cut();
    }
  }
  if (cached_cut->zone.is_root()) {
    // Root servers whose addresses expired before the NS set: the hints have them.
    for (auto& s : cached_cut->servers) {
      if (!s.ipv4.empty() || !s.ipv6.empty()) continue;
      for (const auto& h : hints_.servers) {
        if (h.name != s.name) continue;
        for (const auto& a : h.ipv4) s.ipv4.emplace_back(a.begin(), a.end());
        for (const auto& a : h.ipv6) s.ipv6.emplace_back(a.begin(), a.end());
      }
    }
    if (!has_addresses(*cached_cut)) co_return hints_cut();
  }
  note(b, depth,
       "cache: zone cut " + cached_cut->zone.to_text() + " with " +
           std::to_string(cached_cut->servers.size()) + " name server" +
           (cached_cut->servers.size() == 1 ? "" : "s"));
  Cut c;
  c.ns = std::move(*cached_cut);
  c.source = "cache";
  co_return c;
}

awaitable<bool> Engine::prime() {
  Budget b = new_budget();
  co_return co_await prime_with(b, 0, /*now_anyway=*/true);
}

awaitable<bool> Engine::prime_with(Budget& b, unsigned depth, bool now_anyway) {
  // After a failed priming, client queries start from the hints until the
  // back-off has passed (RFC 8109 §3), rather than each trying again.
  {
    std::lock_guard lock(prime_mu_);
    if (!now_anyway && clock_.monotonic() < prime_not_before_) {
      note(b, depth, "priming failed lately; starting at the root hints (next attempt after a back-off)");
      co_return false;
    }
  }
  bool expected = false;
  if (!priming_.compare_exchange_strong(expected, true)) co_return false;  // another one is priming
  struct Done {
    std::atomic<bool>& flag;
    ~Done() { flag.store(false); }
  } done{priming_};
  note(b, depth, "priming: asking the root hints' servers for . NS (RFC 8109)");
  Asked asked = co_await ask(hints_cut(), Name(), RRType::NS, b, depth + 1);
  if (!asked.reply || classify(*asked.reply, Name(), Name(), RRType::NS, nullptr) != ReplyKind::kAnswer) {
    note(b, depth,
         "priming failed (" + (asked.why.empty() ? std::string("no root NS set") : asked.why) +
             "); using the root hints");
    std::lock_guard lock(prime_mu_);
    prime_backoff_ = prime_backoff_.count() == 0 ? limits_.prime_retry_min
                                                 : std::min(2 * prime_backoff_, limits_.prime_retry_max);
    prime_not_before_ = clock_.monotonic() + prime_backoff_;
    ++priming_failures_;
    co_return false;
  }
  {
    std::lock_guard lock(prime_mu_);
    prime_backoff_ = std::chrono::milliseconds(0);
    prime_not_before_ = {};
  }
  store(*asked.reply, ReplyKind::kAnswer, Name(), Name(), RRType::NS);
  note(b, depth, "priming: root NS set cached");
  co_return true;
}

std::optional<ResolveOutcome> Engine::recent_failure(const Name& qname, RRType qtype) {
  std::lock_guard lock(failures_mu_);
  auto it = failures_.find({qname.lowercased().to_text(), static_cast<std::uint16_t>(qtype)});
  if (it == failures_.end() || clock_.monotonic() >= it->second.until) return std::nullopt;
  ResolveOutcome r = it->second.outcome;
  r.upstream_queries = 0;
  r.ede = dns::EdeCode::kCachedError;
  r.why = "cached failure: " + r.why;
  return r;
}

std::size_t Engine::flush_failures() {
  std::lock_guard lock(failures_mu_);
  const std::size_t n = failures_.size();
  failures_.clear();
  failure_order_.clear();
  return n;
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

awaitable<ResolveOutcome> Engine::resolve(Name qname, RRType qtype, bool refresh) {
  if (!refresh) {
    if (auto failed = recent_failure(qname, qtype)) co_return *failed;
  }
  const auto key = std::make_pair(qname.lowercased().to_text(), static_cast<std::uint16_t>(qtype));
  std::shared_ptr<Inflight::Waiter> waiter;
  std::shared_ptr<Inflight> mine;
  {
    auto executor = co_await boost::asio::this_coro::executor;
    std::lock_guard lock(inflight_mu_);
    auto it = inflight_.find(key);
    if (it != inflight_.end() && it->second->waiters.size() >= limits_.max_clients_per_question) {
      ++shed_waiters_;
      co_return ResolveOutcome{
          false, dns::EdeCode::kOther,
          "too many clients waiting for the same question (resolver.max_clients_per_question)", 0, true};
    }
    if (it != inflight_.end()) {
      // Someone is resolving this already: wait for their result, bounded by
      // the resolution budget (and a second for scheduling).
      waiter = std::make_shared<Inflight::Waiter>();
      waiter->timer = std::make_shared<boost::asio::steady_timer>(executor);
      waiter->timer->expires_after(limits_.resolution_budget + std::chrono::seconds(1));
      it->second->waiters.push_back(waiter);
      ++coalesced_;
    } else {
      mine = std::make_shared<Inflight>();
      inflight_.emplace(key, mine);
    }
  }
  if (waiter) {
    // The resolver posts the result to this executor and cancels the timer.
    (void)co_await waiter->timer->async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
    if (waiter->result) {
      ResolveOutcome r = *waiter->result;
      r.upstream_queries = 0;
      r.coalesced = true;
      co_return r;
    }
    co_return ResolveOutcome{false, dns::EdeCode::kNoReachableAuthority,
                             "an identical resolution in flight did not finish in time", 0, true};
  }
  ResolveOutcome r;
  bool local_shortage = false;  // a failure of ours (no socket free), not the zone's
  try {
    Budget b = new_budget();
    b.bypass_cache = refresh;
    r = co_await resolve_chain(qname, qtype, b);
    local_shortage = b.no_socket;
  } catch (const std::exception& e) {
    r = ResolveOutcome{false, dns::EdeCode::kOther, std::string("internal error: ") + e.what(), 0};
  }
  if (!r.ok && !local_shortage) remember_failure(qname, qtype, r);
  std::vector<std::shared_ptr<Inflight::Waiter>> waiters;
  {
    std::lock_guard lock(inflight_mu_);
    waiters.swap(mine->waiters);
    inflight_.erase(key);
  }
  for (auto& w : waiters) {
    boost::asio::post(w->timer->get_executor(), [w, r] {
      w->result = r;
      w->timer->cancel();
    });
  }
  co_return r;
}

Engine::AskLease::~AskLease() {
  if (engine == nullptr) return;
  std::vector<std::shared_ptr<Inflight::Waiter>> waiters;
  {
    std::lock_guard lock(engine->inflight_mu_);
    auto it = engine->asks_.find(key);
    if (it != engine->asks_.end()) {
      waiters.swap(it->second->waiters);
      engine->asks_.erase(it);
    }
  }
  for (auto& w : waiters) {
    boost::asio::post(w->timer->get_executor(), [w] {
      w->result = ResolveOutcome{true, {}, {}, 0};
      w->timer->cancel();
    });
  }
}

awaitable<bool> Engine::join_ask(const std::string& zone_and_name, RRType type, AskLease& lease) {
  auto key = std::make_pair(zone_and_name, static_cast<std::uint16_t>(type));
  std::shared_ptr<Inflight::Waiter> waiter;
  {
    auto executor = co_await boost::asio::this_coro::executor;
    std::lock_guard lock(inflight_mu_);
    auto it = asks_.find(key);
    if (it == asks_.end()) {
      asks_.emplace(key, std::make_shared<Inflight>());
      lease.engine = this;
      lease.key = std::move(key);
      co_return false;
    }
    waiter = std::make_shared<Inflight::Waiter>();
    waiter->timer = std::make_shared<boost::asio::steady_timer>(executor);
    waiter->timer->expires_after(limits_.max_attempt_timeout * 3);  // one server's fallback ladder, at most
    it->second->waiters.push_back(waiter);
    ++coalesced_asks_;
  }
  (void)co_await waiter->timer->async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
  co_return true;
}

awaitable<Trace> Engine::trace(Name qname, RRType qtype) {
  Trace t;
  Budget b = new_budget();
  b.bypass_cache = true;
  b.trace = &t.steps;
  t.outcome = co_await resolve_chain(qname, qtype, b);
  co_return t;
}

awaitable<ResolveOutcome> Engine::resolve_chain(Name qname, RRType qtype, Budget& b) {
  std::set<Name> seen;
  Name current = qname;
  for (unsigned links = 0;; ++links) {
    b.link_start = b.used;  // each name of the chain has its own share of the budget
    ResolveOutcome r = co_await resolve_name(current, qtype, b, 0);
    r.upstream_queries = b.used;
    // A CNAME at the name answers CNAME and ANY: no chain to follow.
    if (!r.ok || qtype == RRType::CNAME || qtype == RRType::ANY) co_return r;
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
      upstream_stats_.hit(LimitHit::kCnameChain);
      co_return ResolveOutcome{false, dns::EdeCode::kOther,
                               "too many CNAMEs (over " + std::to_string(limits_.max_cname_chain) + ")",
                               b.used};
    }
    note(b, 0, current.to_text() + " is an alias for " + target->to_text());
    current = *target;
  }
}

awaitable<ResolveOutcome> Engine::resolve_name(Name name, RRType type, Budget& b, unsigned depth) {
  const bool bypass = b.bypass_cache && depth == 0;
  if (!bypass && cached(name, type)) {
    note(b, depth, "cache: " + name.to_text() + " " + type_text(type) + " is cached");
    co_return ResolveOutcome{true, {}, {}, 0};
  }
  Cut cut = co_await start_cut(name, b, depth);
  const auto mode = options_.qname_minimisation;
  bool minimise = mode != QnameMinimisation::kOff && !cut.recursive;
  Name known = cut.ns.zone;  // the deepest name known to be inside the current zone
  unsigned minimise_steps = 0;
  unsigned referrals = 0;
  // Each step asks one question; referrals are counted on their own (the
  // documented limit), the steps only bound the loop.
  for (unsigned steps = 0; steps <= 2 * (limits_.max_referrals + kMaxMinimiseCount); ++steps) {
    // What to ask: the name, or under QNAME minimisation (RFC 9156) the
    // name cut one or more labels below what is known, with QTYPE A.
    Name qn = name;
    RRType qt = type;
    if (minimise && name.label_count() > known.label_count() + 1 && minimise_steps < kMaxMinimiseCount) {
      const std::size_t remaining = name.label_count() - known.label_count();
      std::size_t add = 1;
      if (minimise_steps >= kMinimiseOneLab) {
        add = std::max<std::size_t>(1, remaining / (kMaxMinimiseCount - minimise_steps));
      }
      ++minimise_steps;
      if (known.label_count() + add < name.label_count()) {
        qn = name.suffix(known.label_count() + add);
        qt = RRType::A;
      }
    }
    const bool minimised = qn != name;
    if (minimised) {
      // The cache may already know the name exists inside this zone.
      auto c = cache_.lookup(qn, RRType::A, RRClass::IN, clock_.wall());
      if (c.positive || (c.negative && c.negative->kind == cache::NegativeKind::kNoData)) {
        known = qn;
        continue;
      }
      // ... or that it does not. Strict minimisation believes it: nothing
      // below exists either (RFC 8020), and no server is asked. Relaxed
      // minimisation exists for servers that say NXDOMAIN for an empty
      // non-terminal, so there the minimised steps are skipped and the full
      // name is asked at once: one query, not two (NXNSAttack: every
      // glueless name under one missing domain cost two).
      if (c.negative && c.negative->kind == cache::NegativeKind::kNxDomain && !c.negative->stale) {
        if (mode == QnameMinimisation::kStrict) {
          cache_.insert_negative(name, type, RRClass::IN, cache::NegativeKind::kNxDomain, c.negative->soa,
                                 c.negative->rank, clock_.wall());
          note(b, depth,
               "cache: " + qn.to_text() + " does not exist, so neither does " + name.to_text() +
                   " (RFC 8020)");
          co_return ResolveOutcome{true, {}, {}, 0};
        }
        note(b, depth, "cache: " + qn.to_text() + " is NXDOMAIN: asking the full name");
        minimise = false;
        continue;
      }
    }
    // The same question to the same zone's servers already in flight (another
    // client's resolution walking the same path): wait for it, then carry on
    // from what it put in the cache.
    AskLease lease;
    if (!cut.fixed.empty() || has_addresses(cut.ns)) {
      const std::string key = cut.ns.zone.lowercased().to_text() + " " + qn.lowercased().to_text();
      if (co_await join_ask(key, qt, lease)) {
        note(b, depth, "waited for the same query in flight: " + qn.to_text() + " " + type_text(qt));
        cut = co_await start_cut(name, b, depth);
        if (known.label_count() < cut.ns.zone.label_count()) known = cut.ns.zone;
        continue;
      }
    }
    Asked asked = co_await ask(cut, qn, qt, b, depth);
    if (!asked.reply) co_return ResolveOutcome{false, asked.ede, asked.why, 0};
    const Message& m = *asked.reply;
    const Name bailiwick = cut.recursive ? Name() : cut.ns.zone;
    Name child;
    ReplyKind kind = classify(m, bailiwick, qn, qt, &child);
    if (cut.recursive && kind == ReplyKind::kReferral) kind = ReplyKind::kLame;  // a forwarder must recurse
    note(b, depth + 1,
         "← " + std::string(reply_kind_name(kind)) +
             (kind == ReplyKind::kReferral ? " to " + child.to_text() : ""));
    if (minimised && kind != ReplyKind::kReferral) {
      if (kind == ReplyKind::kAnswer || kind == ReplyKind::kNoData) {
        store(m, kind, bailiwick, qn, qt);
        known = qn;  // no zone cut there: one label further down
        continue;
      }
      if (kind == ReplyKind::kNxDomain && mode == QnameMinimisation::kStrict) {
        store(m, kind, bailiwick, qn, qt);      // remembered for the names below it
        store(m, kind, bailiwick, name, type);  // RFC 8020: nothing exists below
        co_return ResolveOutcome{true, {}, {}, 0};
      }
      // Relaxed: a server that answers minimised queries oddly (NXDOMAIN for
      // an empty non-terminal, errors, aliases) gets the full name instead.
      // The NXDOMAIN is cached for the name asked (that name's own answer,
      // which the same server gives when asked for it directly), so the
      // next name below it skips the minimised step.
      if (kind == ReplyKind::kNxDomain) store(m, kind, bailiwick, qn, qt);
      note(b, depth + 1, "the minimised query was not answered usefully: asking the full name");
      minimise = false;
      continue;
    }
    if (kind == ReplyKind::kLame) {
      // One (server, zone) pair, for what this server itself said.
      infra_.mark_lame(asked.server, cut.ns.zone, clock_.wall());
      note(b, depth + 1, asked.server.to_string() + " marked lame for " + cut.ns.zone.to_text());
      continue;  // ask() skips lame servers now
    }
    if (kind == ReplyKind::kServerFailure) {
      b.failed.emplace_back(asked.server, cut.ns.zone);
      note(b, depth + 1, asked.server.to_string() + " skipped for this query");
      continue;  // ask() skips it for the rest of this resolution
    }
    store(m, kind, bailiwick, name, type);
    if (kind == ReplyKind::kNxDomain || kind == ReplyKind::kNoData) {
      // A negative answer the cache could not take (no SOA, or one from
      // outside the zone: RFC 2308 §5 caches only with it) is still the
      // answer: the client gets it from the resolution, uncached.
      ResolveOutcome done{true, {}, {}, 0};
      if (!cache_.lookup(name, type, RRClass::IN, clock_.wall()).negative) {
        done.negative_uncached = kind == ReplyKind::kNxDomain ? Rcode::kNXDomain : Rcode::kNoError;
      }
      co_return done;
    }
    if (kind != ReplyKind::kReferral) co_return ResolveOutcome{true, {}, {}, 0};
    if (++referrals > limits_.max_referrals) {
      upstream_stats_.hit(LimitHit::kReferrals);
      co_return ResolveOutcome{false, dns::EdeCode::kNoReachableAuthority,
                               "too many referrals (over " + std::to_string(limits_.max_referrals) + ")", 0};
    }
    // Down one level: the servers the referral named, with the glue it carried.
    Cut next;
    next.ns.zone = child;
    next.source = "referral";
    for (const auto& rr : m.authority) {
      if (rr.type != RRType::NS || rr.name != child) continue;
      auto target = dns::rdata_target_name(RRType::NS, rr.rdata);
      if (!target) continue;
      cache::ZoneCut::Server s{*target, {}, {}};
      // Glue is taken for names within the referring server's own zone:
      // the child's (in-bailiwick) and its siblings' (a root referral to
      // com. with a.gtld-servers.net.'s address: the root serves net. too).
      // Unbound's scrubber keeps the same; glue for names outside the
      // referring zone could be anyone's and is ignored.
      if (is_glue_name(*target, bailiwick)) {
        for (const auto& g : m.additional) {
          if (g.name != *target) continue;
          if (g.type == RRType::A) s.ipv4.push_back(g.rdata);
          if (g.type == RRType::AAAA) s.ipv6.push_back(g.rdata);
        }
      }  // out-of-bailiwick server names are resolved by ask() when no glue is usable
      next.ns.servers.push_back(std::move(s));
    }
    cut = std::move(next);
    if (known.label_count() < child.label_count()) known = child;
  }
  co_return ResolveOutcome{false, dns::EdeCode::kNoReachableAuthority, "too many referrals", 0};
}

void Engine::store(const Message& m, ReplyKind kind, const Name& zone, const Name& name, RRType type) {
  const auto now = clock_.wall();
  switch (kind) {
    case ReplyKind::kAnswer:
    case ReplyKind::kCname: {
      const cache::Rank rank = m.header.aa ? cache::Rank::kAuthAnswer : cache::Rank::kNonAuthAnswer;
      const dns::ResourceRecord* dname = dname_for(m, zone, name);
      for (const auto& set : dns::group_rrsets(m.answer)) {
        if (!set.name.is_subdomain_of(zone)) continue;  // in bailiwick only
        // Under a DNAME the CNAME is synthesised here, not taken from the server.
        if (dname != nullptr && set.type == RRType::CNAME && set.name == name) continue;
        cache_.insert(set, rank, now);
      }
      if (dname != nullptr) {
        auto dtarget = dns::rdata_target_name(RRType::DNAME, dname->rdata);
        auto target = dtarget ? name.replace_suffix(dname->name, *dtarget)
                              : dns::Expected<Name>(dns::Error::kNameTooLong);
        if (target.ok()) {
          dns::RRset cname{name, RRType::CNAME, RRClass::IN, dname->ttl, {dns::make_name_rdata(*target)}};
          cache_.insert(cname, rank, now);
        }
      }
      if (kind == ReplyKind::kAnswer && type == RRType::NS) {
        // The NS names' addresses (priming, RFC 8109 §3.3), in bailiwick.
        for (const auto& set : dns::group_rrsets(m.additional)) {
          if ((set.type == RRType::A || set.type == RRType::AAAA) && set.name.is_subdomain_of(zone)) {
            cache_.insert(set, cache::Rank::kAdditional, now);
          }
        }
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
        // Glue: the address of a name server the referral names, within
        // the referring zone (the child's own names and its siblings'), at
        // glue rank — it reaches servers, never answers a client, and an
        // authoritative answer for the name replaces it.
        if (set.type != RRType::A && set.type != RRType::AAAA) continue;
        if (!is_glue_name(set.name, zone)) continue;
        bool named = false;
        for (const auto& ns : m.authority) {
          if (ns.type != RRType::NS || ns.name == zone || !ns.name.is_subdomain_of(zone)) continue;
          auto target = dns::rdata_target_name(RRType::NS, ns.rdata);
          named = named || (target && *target == set.name);
        }
        if (named) cache_.insert(set, cache::Rank::kAdditional, now);
      }
      break;
    }
    case ReplyKind::kLame:
    case ReplyKind::kServerFailure: break;
  }
}

awaitable<Engine::Asked> Engine::ask(const Cut& cut, const Name& name, RRType type, Budget& b,
                                     unsigned depth) {
  std::vector<ServerAddress> candidates = cut.fixed;
  for (const auto& s : cut.ns.servers) {
    for (const auto& a : addresses_of(s)) candidates.push_back(a);
  }
  const bool had_addresses = !candidates.empty();
  if (!had_addresses) co_await resolve_server_names(cut, b, depth, candidates);
  Asked asked = co_await ask_servers(cut, candidates, name, type, b, depth);
  if (asked.reply || !cut.fixed.empty() || cut.ns.zone.is_root()) co_return asked;
  // The last resort: the servers that had no address. Those named outside the
  // zone are resolved; those inside it can only be reached through glue from
  // the parent, which is fetched again (the NS set outlived its glue: the
  // zone's own, shorter address TTLs, eviction, a saved cache).
  std::vector<ServerAddress> more;
  if (had_addresses) co_await resolve_server_names(cut, b, depth, more);
  if (more.empty()) co_await fetch_glue(cut, b, depth, more);
  if (more.empty()) co_return asked;
  note(b, depth, "last resort: the name servers of " + cut.ns.zone.to_text() + " that had no address");
  Asked again = co_await ask_servers(cut, more, name, type, b, depth);
  co_return again.reply ? std::move(again) : std::move(asked);
}

awaitable<void> Engine::resolve_server_names(const Cut& cut, Budget& b, unsigned depth,
                                             std::vector<ServerAddress>& out) {
  // No glue in the referral. Names inside the zone are skipped: asking the
  // zone's own servers for them is what failed or cannot be done.
  auto wanted = [&](const cache::ZoneCut::Server& s) {
    return s.ipv4.empty() && s.ipv6.empty() && !s.name.is_subdomain_of(cut.ns.zone);
  };
  // First what the cache holds, glue from other referrals included (a
  // sibling zone's, Unbound's cache_fill_missing): no query at all.
  for (const auto& s : cut.ns.servers) {
    if (!wanted(s)) continue;
    for (const auto& a : cached_addresses(s.name)) out.push_back(a);
  }
  if (!out.empty()) {
    note(b, depth + 1, "cache: addresses for the name servers of " + cut.ns.zone.to_text());
    co_return;
  }
  // Then resolve the names (NXNSAttack bound, cycle guard).
  const RRType want = options_.ipv4 ? RRType::A : RRType::AAAA;
  unsigned nxdomains = 0;
  for (const auto& s : cut.ns.servers) {
    if (!wanted(s)) continue;
    if (b.ns_resolutions_left == 0 || depth + 1 > limits_.max_nesting) {
      upstream_stats_.hit(LimitHit::kNsResolutions);
      break;
    }
    const std::string key = s.name.lowercased().to_text();
    if (b.resolving.count(key) != 0) {
      note(b, depth + 1, "skipping " + s.name.to_text() + ": a dependency cycle");
      continue;
    }
    --b.ns_resolutions_left;
    b.resolving.insert(key);
    note(b, depth + 1, "resolving the name server " + s.name.to_text() + " (no glue)");
    ResolveOutcome r = co_await resolve_name(s.name, want, b, depth + 2);
    b.resolving.erase(key);
    // The parent's glue, met on the way, beats a child that could not
    // answer for its own server's name (issue 21 §5: a lame referral, or
    // one followed into NXDOMAIN): the delegation still reaches it.
    auto parents_glue = [&] {
      for (const auto& a : cached_addresses(s.name)) out.push_back(a);
      if (!out.empty()) note(b, depth + 1, "using the parent's glue for " + s.name.to_text());
    };
    if (!r.ok) {
      parents_glue();
      if (!out.empty()) break;
      continue;
    }
    auto a = cache_.lookup(s.name, want, RRClass::IN, clock_.wall());
    if (a.negative && a.negative->kind == cache::NegativeKind::kNxDomain &&
        ++nxdomains >= limits_.max_ns_name_nxdomains) {
      upstream_stats_.hit(LimitHit::kNsNxDomains);
      note(b, depth + 1,
           std::to_string(nxdomains) + " name servers of " + cut.ns.zone.to_text() +
               " do not exist: the others are not tried");
      break;
    }
    if (a.positive) {
      cache::ZoneCut::Server resolved{s.name, {}, {}};
      (want == RRType::A ? resolved.ipv4 : resolved.ipv6) = a.positive->rrset.rdatas;
      for (const auto& addr : addresses_of(resolved)) out.push_back(addr);
    } else if (!a.negative || a.negative->kind == cache::NegativeKind::kNxDomain) {
      parents_glue();
    }
    if (!out.empty()) break;
  }
}

awaitable<void> Engine::fetch_glue(const Cut& cut, Budget& b, unsigned depth,
                                   std::vector<ServerAddress>& out) {
  const Name& zone = cut.ns.zone;
  std::vector<Name> wanted;
  for (const auto& s : cut.ns.servers) {
    if (s.ipv4.empty() && s.ipv6.empty() && s.name.is_subdomain_of(zone)) wanted.push_back(s.name);
  }
  if (wanted.empty() || zone.is_root() || depth + 1 > limits_.max_nesting) co_return;
  const std::string key = "glue " + zone.lowercased().to_text();
  if (b.resolving.count(key) != 0) co_return;
  b.resolving.insert(key);
  Cut parent = co_await start_cut(zone.parent(), b, depth + 1);
  if (parent.recursive || parent.ns.zone == zone) {
    b.resolving.erase(key);
    co_return;
  }
  note(b, depth + 1,
       "asking the parent " + parent.ns.zone.to_text() + " again for the glue of " + zone.to_text());
  // QTYPE NS for the zone itself: the referral, and nothing more of the
  // client's name than the zone (RFC 9156).
  Asked asked = co_await ask(parent, zone, RRType::NS, b, depth + 1);
  b.resolving.erase(key);
  if (!asked.reply) co_return;
  Name child;
  if (classify(*asked.reply, parent.ns.zone, zone, RRType::NS, &child) != ReplyKind::kReferral ||
      child != zone)
    co_return;
  store(*asked.reply, ReplyKind::kReferral, parent.ns.zone, zone, RRType::NS);
  for (const auto& g : asked.reply->additional) {
    if (std::find(wanted.begin(), wanted.end(), g.name) == wanted.end()) continue;
    cache::ZoneCut::Server s{g.name, {}, {}};
    if (g.type == RRType::A) s.ipv4.push_back(g.rdata);
    if (g.type == RRType::AAAA) s.ipv6.push_back(g.rdata);
    for (const auto& a : addresses_of(s)) out.push_back(a);
  }
}

awaitable<Engine::Asked> Engine::ask_servers(const Cut& cut, const std::vector<ServerAddress>& candidates,
                                             const Name& name, RRType type, Budget& b, unsigned depth) {
  const auto now = clock_.wall();
  // Fastest first: unknown servers get the initial RTO and come in between.
  // Now and then (explore_one_in) another server goes first, so its RTT
  // estimate stays current.
  std::vector<std::pair<std::uint32_t, ServerAddress>> ranked;
  for (const auto& c : candidates) {
    if (infra_.is_lame(c, cut.ns.zone, now) || b.failed_for(c, cut.ns.zone)) continue;
    const auto info = infra_.get(c, now);
    ranked.emplace_back(info.known ? info.srtt_ms : 376U, c);
  }
  std::stable_sort(ranked.begin(), ranked.end(),
                   [](const auto& x, const auto& y) { return x.first < y.first; });
  if (ranked.size() > 1 && limits_.explore_one_in > 0 && exploration_rng()() % limits_.explore_one_in == 0) {
    std::swap(ranked[0], ranked[1 + exploration_rng()() % (ranked.size() - 1)]);
  }
  if (ranked.empty()) {
    co_return Asked{
        std::nullopt,
        {},
        "no usable server for " + cut.ns.zone.to_text() +
            (candidates.empty() ? " (no addresses for its name servers)" : " (all lame or failing)")};
  }
  const unsigned not_allowed_before = b.not_allowed;
  const unsigned network_errors_before = b.network_errors;
  // Servers that timed out are asked again, each time with the backed-off
  // timeout the infrastructure cache now holds, for up to server_passes
  // passes: one late answer under load is not a dead zone.
  std::vector<ServerAddress> order;
  for (const auto& r : ranked) order.push_back(r.second);
  for (unsigned pass = 0; pass < limits_.server_passes && !order.empty(); ++pass) {
    std::vector<ServerAddress> timed_out;
    for (const auto& server : order) {
      if (b.queries_left == 0 || b.used - b.link_start >= limits_.max_upstream_queries_per_name) {
        upstream_stats_.hit(LimitHit::kUpstreamQueries);
        co_return Asked{std::nullopt, server, "upstream query budget spent"};
      }
      if (clock_.monotonic() >= b.deadline) {
        upstream_stats_.hit(LimitHit::kTimeBudget);
        co_return Asked{std::nullopt, server, "resolution time budget spent"};
      }
      note(b, depth,
           "ask " + server.to_string() + " (zone " + cut.ns.zone.to_text() + ", " + cut.source +
               "): " + name.to_text() + " " + type_text(type) + (pass > 0 ? " (again)" : ""));
      const unsigned timeouts_before = b.timeouts;
      auto reply = co_await exchange(server, name, type, cut.recursive, b, depth);
      if (!reply) {
        if (b.timeouts != timeouts_before) timed_out.push_back(server);
        continue;
      }
      auto m = Message::parse(reply->message);
      if (!m.ok()) {
        note(b, depth + 1, "← unparsable reply");
        continue;
      }
      // The servers echo the query's random letter case (0x20) into every
      // name that compresses to the question, owners and targets alike: store
      // them in lower case, so no client ever sees our random case.
      for (auto* section : {&m->answer, &m->authority, &m->additional}) {
        for (auto& rr : *section) {
          rr.name = rr.name.lowercased();
          if (rr.type == RRType::CNAME || rr.type == RRType::DNAME || rr.type == RRType::NS ||
              rr.type == RRType::PTR) {
            if (auto target = dns::rdata_target_name(rr.type, rr.rdata)) {
              rr.rdata = dns::make_name_rdata(target->lowercased());
            }
          }
        }
      }
      co_return Asked{std::move(*m), server, {}};
    }
    order = std::move(timed_out);
  }
  if (b.not_allowed - not_allowed_before == ranked.size()) {
    co_return Asked{std::nullopt,
                    {},
                    "every server for " + cut.ns.zone.to_text() +
                        " is excluded by resolver.do_not_query or a disabled address family"};
  }
  if (b.network_errors - network_errors_before == ranked.size()) {
    co_return Asked{std::nullopt,
                    {},
                    "network error reaching every server for " + cut.ns.zone.to_text(),
                    dns::EdeCode::kNetworkError};
  }
  co_return Asked{std::nullopt, {}, "no server for " + cut.ns.zone.to_text() + " answered"};
}

awaitable<std::optional<UpstreamReply>> Engine::exchange(const ServerAddress& server, const Name& name,
                                                         RRType type, bool rd, Budget& b, unsigned depth) {
  const auto now = clock_.wall();
  const auto info = infra_.get(server, now);
  bool edns = info.edns != cache::EdnsSupport::kUnsupported;
  bool tcp = false;
  // The RTO: the initial one for a server never heard from, doubled by each
  // timeout (a server that never answered is not asked with 376 ms forever).
  const auto timeout = std::clamp(std::chrono::milliseconds(info.rto_ms), limits_.min_attempt_timeout,
                                  limits_.max_attempt_timeout);
  // The fallback ladder for one server: TC → TCP; FORMERR/NOTIMP to EDNS →
  // without EDNS. Each step is one more query within the budget.
  // 0x20: a UDP reply must echo the letter case. One that echoes the ID but
  // not the case may be a forgery that guessed the ID and port: the
  // question goes again over TCP, which an off-path forger cannot answer,
  // and is taken from there whatever its case (Knot Resolver does the same;
  // a server that lowercases names costs a TCP query each time).
  for (int step = 0;
       step < 4 && b.queries_left > 0 && b.used - b.link_start < limits_.max_upstream_queries_per_name;
       ++step) {
    auto wire = dns::make_query(dns::secure_random_u16(), name.lowercased(), type, rd,
                                edns ? limits_.edns_payload : std::uint16_t{0})
                    .to_wire();
    randomise_case(wire);
    --b.queries_left;
    ++b.used;
    // TCP costs a handshake and may carry 64 KiB: its timeout is not the
    // UDP round trip's but at least a second (within the ceiling).
    auto attempt =
        tcp ? std::min(std::max(3 * timeout, std::chrono::milliseconds(1000)), limits_.max_attempt_timeout)
            : timeout;
    // No attempt outlives the resolution's time budget: a client is told
    // SERVFAIL at resolution_timeout, not a whole attempt timeout later.
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(b.deadline - clock_.monotonic());
    if (left <= std::chrono::milliseconds(0)) {
      ++b.queries_left;
      --b.used;
      co_return std::nullopt;
    }
    // An attempt cut short by the budget says nothing of the server: its
    // timeout is not held against it (no doubled RTO for the next client).
    const bool clipped = left < attempt;
    attempt = std::min(attempt, left);
    const std::uint16_t max_udp_reply = edns ? std::max<std::uint16_t>(512, limits_.edns_payload) : 512;
    UpstreamReply r =
        co_await transport_.exchange(UpstreamRequest{server, wire, tcp, attempt, max_udp_reply});
    if (r.status == UpstreamStatus::kNoSocket) {
      ++b.queries_left;  // nothing was sent
      --b.used;
      ++b.network_errors;
      b.no_socket = true;
      upstream_stats_.no_socket.inc();
      note(b, depth + 1, "not sent: no upstream socket free (the descriptor budget is spent)");
      co_return std::nullopt;
    }
    if (r.status != UpstreamStatus::kNotAllowed)
      (tcp ? upstream_stats_.queries_tcp : upstream_stats_.queries_udp).inc();
    if (r.mismatched > 0) {
      note(b, depth + 1, std::to_string(r.mismatched) + " mismatched datagram(s) ignored");
    }
    if (r.status == UpstreamStatus::kTimeout) {
      upstream_stats_.timeouts.inc();
      ++b.timeouts;
      if (!clipped) infra_.record_timeout(server, clock_.wall());
      note(b, depth + 1,
           "← timeout after " + std::to_string(attempt.count()) + " ms" + (tcp ? " (TCP)" : ""));
      co_return std::nullopt;
    }
    if (r.status == UpstreamStatus::kNotAllowed) {
      ++b.not_allowed;
      ++b.queries_left;  // nothing was sent
      --b.used;
      note(b, depth + 1, "not sent: the address is in resolver.do_not_query or its family is off");
      co_return std::nullopt;
    }
    if (r.status != UpstreamStatus::kOk) {
      upstream_stats_.network_errors.inc();
      ++b.network_errors;
      note(b, depth + 1, "← " + std::string(upstream_status_name(r.status)));
      co_return std::nullopt;
    }
    upstream_stats_.rtt.observe(static_cast<std::uint64_t>(std::max<std::int64_t>(0, r.rtt.count())) * 1000);
    infra_.record_rtt(server, static_cast<std::uint32_t>(std::max<std::int64_t>(1, r.rtt.count() / 1000)),
                      clock_.wall());
    if (!tcp && (r.oversized || (r.message.size() >= dns::kHeaderSize && (r.message[2] & 0x02) != 0))) {
      upstream_stats_.tcp_fallbacks.inc();
      note(b, depth + 1,
           std::string(r.oversized ? "← larger than the EDNS payload we offered" : "← truncated (TC=1)") +
               " in " + ms_text(r.rtt) + ": again over TCP");
      tcp = true;
      continue;
    }
    if (!r.case_matched && !tcp) {
      ++case_mismatches_;
      note(b, depth + 1,
           "← reply without the query's letter case (0x20), a possible forgery: again over TCP");
      tcp = true;
      continue;
    }
    const auto rcode = static_cast<unsigned>(r.message.size() >= 4 ? r.message[3] & 0x0F : 0);
    // FORMERR / NOTIMP: try without EDNS, and remember — unless the QTYPE is
    // a meta type, which a server may reject for itself (no EDNS lesson).
    if (edns && (rcode == 1 || rcode == 4) && !asks_for_any_type(type)) {
      upstream_stats_.edns_fallbacks.inc();
      infra_.set_edns(server, cache::EdnsSupport::kUnsupported, clock_.wall());
      note(b, depth + 1,
           std::string("← ") + (rcode == 1 ? "FORMERR" : "NOTIMP") + " to EDNS: again without it");
      edns = false;
      continue;
    }
    upstream_stats_.rcodes[rcode].inc();
    note(b, depth + 1, "← reply in " + ms_text(r.rtt) + (tcp ? " over TCP" : ""));
    co_return r;
  }
  co_return std::nullopt;
}

}  // namespace vigil::resolver
