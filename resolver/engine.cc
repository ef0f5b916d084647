#include "resolver/engine.h"

#include <algorithm>
#include <set>

#include "protocol/rdata.h"

namespace vigil::resolver {

using boost::asio::awaitable;
using dns::Message;
using dns::Name;
using dns::Rcode;
using dns::RRClass;
using dns::RRType;

namespace {

std::string type_text(RRType t) {
  return dns::type_to_string(t);
}

}  // namespace

Engine::Engine(cache::RRsetCache& cache, cache::InfraCache& infra, UpstreamTransport& transport,
               const Clock& clock, RootHints hints, ResolverLimits limits, EngineOptions options)
    : cache_(cache),
      infra_(infra),
      clock_(clock),
      hints_(std::move(hints)),
      limits_(limits),
      options_(std::move(options)),
      exchange_(transport, infra, clock, limits_, upstream_stats_,
                options_.ids_and_case != nullptr ? *options_.ids_and_case : secure_random_),
      selection_(infra, clock, limits_, upstream_stats_, exchange_,
                 options_.exploration != nullptr ? *options_.exploration : exploration_random_),
      writer_(cache, clock),
      failures_(clock, limits_.servfail_ttl, limits_.servfail_cache_entries) {}

Engine::~Engine() = default;

Budget Engine::new_budget() const {
  Budget b;
  b.deadline = clock_.monotonic() + limits_.resolution_budget;
  b.queries_left = limits_.max_upstream_queries;
  b.ns_resolutions_left = limits_.max_ns_name_resolutions;
  return b;
}

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

std::optional<Learned> Engine::cached(const Name& name, RRType type) const {
  const auto now = clock_.wall();
  Learned l;
  auto hit = cache_.lookup(name, type, RRClass::IN, now);
  if (hit.hit()) {
    if (hit.positive) l.rdatas = hit.positive->rrset.rdatas;
    if (hit.negative) l.negative_cached = hit.negative->kind;
    return l;
  }
  if (type == RRType::CNAME) return std::nullopt;
  auto cname = cache_.lookup(name, RRType::CNAME, RRClass::IN, now);
  if (!cname.positive) return std::nullopt;
  if (!cname.positive->rrset.rdatas.empty()) {
    l.alias = dns::rdata_target_name(RRType::CNAME, cname.positive->rrset.rdatas[0]);
    l.alias_invalid = !l.alias;
  }
  return l;
}

Cut Engine::hints_cut() const {
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

awaitable<Cut> Engine::start_cut(const Name& name, Budget& b, unsigned depth) {
  const ConfiguredZone* fwd = deepest(options_.forward_zones, name);
  const ConfiguredZone* stub = deepest(options_.stub_zones, name);
  if (fwd != nullptr && (stub == nullptr || fwd->zone.label_count() >= stub->zone.label_count())) {
    Cut c;
    c.ns.zone = fwd->zone;
    c.fixed = fwd->servers;
    c.recursive = true;
    c.source = "forward zone";
    b.note(depth, "forward zone " + fwd->zone.to_text() + ": asking its configured servers (RD=1)");
    co_return c;
  }
  auto cached_cut = cache_.find_zone_cut(name, RRClass::IN, clock_.wall());
  if (stub != nullptr && (!cached_cut || !cached_cut->zone.is_strict_subdomain_of(stub->zone))) {
    Cut c;
    c.ns.zone = stub->zone;
    c.fixed = stub->servers;
    c.source = "stub zone";
    b.note(depth, "stub zone " + stub->zone.to_text() + ": asking its configured servers");
    co_return c;
  }
  if (!cached_cut) {
    // No root NS set in the cache (start-up, or it expired): prime (RFC 8109).
    if (co_await prime_with(b, depth)) cached_cut = cache_.find_zone_cut(name, RRClass::IN, clock_.wall());
    if (!cached_cut) {
      b.note(depth, "starting at the root hints");
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
  b.note(depth, "cache: zone cut " + cached_cut->zone.to_text() + " with " +
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
      b.note(depth, "priming failed lately; starting at the root hints (next attempt after a back-off)");
      co_return false;
    }
  }
  bool expected = false;
  if (!priming_.compare_exchange_strong(expected, true)) co_return false;  // another one is priming
  struct Done {
    std::atomic<bool>& flag;
    ~Done() { flag.store(false); }
  } done{priming_};
  b.note(depth, "priming: asking the root hints' servers for . NS (RFC 8109)");
  Asked asked = co_await ask(hints_cut(), Name(), RRType::NS, b, depth + 1);
  if (!asked.reply || classify(*asked.reply, Name(), Name(), RRType::NS, nullptr) != ReplyKind::kAnswer) {
    b.note(depth, "priming failed (" + (asked.why.empty() ? std::string("no root NS set") : asked.why) +
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
  writer_.write(*asked.reply, ReplyKind::kAnswer, Name(), Name(), RRType::NS);
  b.note(depth, "priming: root NS set cached");
  co_return true;
}

awaitable<ResolveOutcome> Engine::resolve(Name qname, RRType qtype, bool refresh) {
  const QuestionKey key = question_key(qname, qtype);
  if (!refresh) {
    if (auto failed = failures_.find(key)) co_return *failed;
  }
  auto joined = co_await questions_.join(key, limits_.resolution_budget + limits_.coalesced_wait_grace,
                                         limits_.max_clients_per_question);
  if (joined.role == decltype(questions_)::Role::kFull) {
    co_return ResolveOutcome{
        false, dns::EdeCode::kOther,
        "too many clients waiting for the same question (resolver.max_clients_per_question)", 0, true};
  }
  if (joined.role == decltype(questions_)::Role::kWait) {
    // Someone is resolving this already: their result, bounded by the
    // resolution budget (and a grace for scheduling).
    if (auto result = co_await decltype(questions_)::wait(joined.waiter)) {
      ResolveOutcome r = *result;
      r.upstream_queries = 0;
      r.coalesced = true;
      co_return r;
    }
    co_return ResolveOutcome{false, dns::EdeCode::kNoReachableAuthority,
                             "an identical resolution in flight did not finish in time", 0, true};
  }
  // Leading: the waiters get this resolution's outcome, whichever way it
  // ends (a failure if it never gets to say).
  InflightLease<decltype(questions_), QuestionKey, ResolveOutcome> lease(
      questions_, key, ResolveOutcome{false, dns::EdeCode::kOther, "the resolution was abandoned", 0});
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
  lease.set(r);
  if (!r.ok && !local_shortage) failures_.remember(key, r);
  co_return r;
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
  // `links` CNAME/DNAME links followed so far: max_cname_chain of them are
  // (the handler, answering from the cache, follows as many).
  for (unsigned links = 0;; ++links) {
    b.link_start = b.used;  // each name of the chain has its own share of the budget
    Walked w = co_await resolve_name(current, qtype, b, 0);
    ResolveOutcome r = std::move(w.outcome);
    r.upstream_queries = b.used;
    // A CNAME at the name answers CNAME and ANY: no chain to follow.
    if (!r.ok || qtype == RRType::CNAME || qtype == RRType::ANY) co_return r;
    if (w.learned.alias_invalid)
      co_return ResolveOutcome{false, dns::EdeCode::kInvalidData, "CNAME without a target", b.used};
    if (!w.learned.alias) co_return r;
    const Name target = *w.learned.alias;
    seen.insert(current);
    if (seen.count(target) != 0) {
      co_return ResolveOutcome{false, dns::EdeCode::kOther, "CNAME loop at " + target.to_text(), b.used};
    }
    if (links + 1 > limits_.max_cname_chain) {
      upstream_stats_.hit(LimitHit::kCnameChain);
      co_return ResolveOutcome{
          false, dns::EdeCode::kOther,
          "too many CNAMEs (over " + std::to_string(limits_.max_cname_chain) + "): resolver.max_cname_chain",
          b.used};
    }
    b.note(0, current.to_text() + " is an alias for " + target.to_text());
    current = target;
  }
}

awaitable<Engine::Walked> Engine::resolve_name(Name name, RRType type, Budget& b, unsigned depth) {
  const bool bypass = b.bypass_cache && depth == 0;
  if (!bypass) {
    if (auto c = cached(name, type)) {
      b.note(depth, "cache: " + name.to_text() + " " + type_text(type) + " is cached");
      co_return Walked{ResolveOutcome{true, {}, {}, 0}, std::move(*c)};
    }
  }
  Cut cut = co_await start_cut(name, b, depth);
  const auto mode = options_.qname_minimisation;
  bool minimise = mode != QnameMinimisation::kOff && !cut.recursive;
  Name known = cut.ns.zone;  // the deepest name known to be inside the current zone
  unsigned minimise_steps = 0;
  unsigned referrals = 0;
  // Each step asks one question; referrals are counted on their own (the
  // documented limit), the steps only bound the loop.
  for (unsigned steps = 0; steps <= 2 * (limits_.max_referrals + limits_.max_minimise_count); ++steps) {
    // What to ask: the name, or under QNAME minimisation (RFC 9156) the
    // name cut one or more labels below what is known, with QTYPE A.
    Name qn = name;
    RRType qt = type;
    if (minimise && name.label_count() > known.label_count() + 1 &&
        minimise_steps < limits_.max_minimise_count) {
      const std::size_t remaining = name.label_count() - known.label_count();
      std::size_t add = 1;
      if (minimise_steps >= limits_.minimise_one_lab) {
        add = std::max<std::size_t>(1, remaining / (limits_.max_minimise_count - minimise_steps));
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
          b.note(depth, "cache: " + qn.to_text() + " does not exist, so neither does " + name.to_text() +
                            " (RFC 8020)");
          Learned l;
          if (cache_.lookup(name, type, RRClass::IN, clock_.wall()).negative)
            l.negative_cached = cache::NegativeKind::kNxDomain;
          co_return Walked{ResolveOutcome{true, {}, {}, 0}, std::move(l)};
        }
        b.note(depth, "cache: " + qn.to_text() + " is NXDOMAIN: asking the full name");
        minimise = false;
        continue;
      }
    }
    // The same question to the same zone's servers already in flight (another
    // client's resolution walking the same path): wait for it, then carry on
    // from what it put in the cache.
    std::optional<AskLease> lease;
    if (!cut.fixed.empty() || has_addresses(cut.ns)) {
      QuestionKey key = zone_question_key(cut.ns.zone, qn, qt);
      auto joined = co_await asks_.join(key, limits_.ask_wait_attempts * limits_.max_attempt_timeout);
      if (joined.role == AskTable::Role::kWait) {
        (void)co_await AskTable::wait(joined.waiter);
        b.note(depth, "waited for the same query in flight: " + qn.to_text() + " " + type_text(qt));
        cut = co_await start_cut(name, b, depth);
        if (known.label_count() < cut.ns.zone.label_count()) known = cut.ns.zone;
        continue;
      }
      lease.emplace(asks_, std::move(key), true);
    }
    Asked asked = co_await ask(cut, qn, qt, b, depth);
    if (!asked.reply) co_return Walked{ResolveOutcome{false, asked.ede, asked.why, 0}, {}};
    const Message& m = *asked.reply;
    const Name bailiwick = cut.bailiwick();
    Name child;
    ReplyKind kind = classify(m, bailiwick, qn, qt, &child);
    if (cut.recursive && kind == ReplyKind::kReferral) kind = ReplyKind::kLame;  // a forwarder must recurse
    b.note(depth + 1, "← " + std::string(reply_kind_name(kind)) +
                          (kind == ReplyKind::kReferral ? " to " + child.to_text() : ""));
    // (The validator goes here: between what the reply means and what of
    // it is written to the cache, at which rank.)
    if (minimised && kind != ReplyKind::kReferral) {
      if (kind == ReplyKind::kAnswer || kind == ReplyKind::kNoData) {
        writer_.write(m, kind, bailiwick, qn, qt);
        known = qn;  // no zone cut there: one label further down
        continue;
      }
      if (kind == ReplyKind::kNxDomain && mode == QnameMinimisation::kStrict) {
        writer_.write(m, kind, bailiwick, qn, qt);                  // remembered for the names below it
        Learned l = writer_.write(m, kind, bailiwick, name, type);  // RFC 8020: nothing exists below
        ResolveOutcome done{true, {}, {}, 0};
        if (!l.negative_cached) done.negative_uncached = Rcode::kNXDomain;  // no usable SOA
        co_return Walked{std::move(done), std::move(l)};
      }
      // Relaxed: a server that answers minimised queries oddly (NXDOMAIN for
      // an empty non-terminal, errors, aliases) gets the full name instead.
      // The NXDOMAIN is cached for the name asked (that name's own answer,
      // which the same server gives when asked for it directly), so the
      // next name below it skips the minimised step.
      if (kind == ReplyKind::kNxDomain) writer_.write(m, kind, bailiwick, qn, qt);
      b.note(depth + 1, "the minimised query was not answered usefully: asking the full name");
      minimise = false;
      continue;
    }
    if (kind == ReplyKind::kLame) {
      // One (server, zone) pair, for what this server itself said.
      infra_.mark_lame(asked.server, cut.ns.zone, clock_.wall());
      b.note(depth + 1, asked.server.to_string() + " marked lame for " + cut.ns.zone.to_text());
      continue;  // ask() skips lame servers now
    }
    if (kind == ReplyKind::kServerFailure) {
      b.failed.emplace_back(asked.server, cut.ns.zone);
      b.note(depth + 1, asked.server.to_string() + " skipped for this query");
      continue;  // ask() skips it for the rest of this resolution
    }
    Learned learned = writer_.write(m, kind, bailiwick, name, type);
    if (kind == ReplyKind::kNxDomain || kind == ReplyKind::kNoData) {
      // A negative answer the cache could not take (no SOA, or one from
      // outside the zone: RFC 2308 §5 caches only with it) is still the
      // answer: the client gets it from the resolution, uncached.
      ResolveOutcome done{true, {}, {}, 0};
      if (!learned.negative_cached) {
        done.negative_uncached = kind == ReplyKind::kNxDomain ? Rcode::kNXDomain : Rcode::kNoError;
      }
      co_return Walked{std::move(done), std::move(learned)};
    }
    if (kind != ReplyKind::kReferral) co_return Walked{ResolveOutcome{true, {}, {}, 0}, std::move(learned)};
    if (++referrals > limits_.max_referrals) {
      upstream_stats_.hit(LimitHit::kReferrals);
      co_return Walked{
          ResolveOutcome{false, dns::EdeCode::kNoReachableAuthority,
                         "too many referrals (over " + std::to_string(limits_.max_referrals) + ")", 0},
          {}};
    }
    // Down one level: the servers the referral named, with the glue it
    // carried (scrubbed: only names within the referring zone have any).
    Cut next;
    next.ns.zone = child;
    next.source = "referral";
    for (const auto& rr : m.authority) {
      if (rr.type != RRType::NS || rr.name != child) continue;
      auto target = dns::rdata_target_name(RRType::NS, rr.rdata);
      if (!target) continue;
      cache::ZoneCut::Server s{*target, {}, {}};
      for (const auto& g : m.additional) {
        if (g.name != *target) continue;
        if (g.type == RRType::A) s.ipv4.push_back(g.rdata);
        if (g.type == RRType::AAAA) s.ipv6.push_back(g.rdata);
      }  // out-of-bailiwick server names are resolved by ask() when no glue is usable
      next.ns.servers.push_back(std::move(s));
    }
    cut = std::move(next);
    if (known.label_count() < child.label_count()) known = child;
  }
  co_return Walked{ResolveOutcome{false, dns::EdeCode::kNoReachableAuthority, "too many referrals", 0}, {}};
}

awaitable<Asked> Engine::ask(const Cut& cut, const Name& name, RRType type, Budget& b, unsigned depth) {
  const ServerPlan plan = ServerSelection::plan(cut);
  std::vector<ServerAddress> candidates = plan.addresses;
  const bool had_addresses = !candidates.empty();
  if (!had_addresses) co_await resolve_server_names(cut, plan.resolve_first, b, depth, candidates);
  Asked asked = co_await selection_.ask(cut, candidates, name, type, b, depth);
  if (asked.reply || !cut.fixed.empty() || cut.ns.zone.is_root()) co_return asked;
  // The last resort: the servers that had no address. Those named outside the
  // zone are resolved; those inside it can only be reached through glue from
  // the parent, which is fetched again (the NS set outlived its glue: the
  // zone's own, shorter address TTLs, eviction, a saved cache).
  std::vector<ServerAddress> more;
  if (had_addresses) co_await resolve_server_names(cut, plan.resolve_first, b, depth, more);
  if (more.empty()) co_await fetch_glue(cut, plan.need_glue, b, depth, more);
  if (more.empty()) co_return asked;
  b.note(depth, "last resort: the name servers of " + cut.ns.zone.to_text() + " that had no address");
  Asked again = co_await selection_.ask(cut, more, name, type, b, depth);
  co_return again.reply ? std::move(again) : std::move(asked);
}

awaitable<void> Engine::resolve_server_names(const Cut& cut, const std::vector<Name>& names, Budget& b,
                                             unsigned depth, std::vector<ServerAddress>& out) {
  // No glue in the referral. Names inside the zone are not here: asking the
  // zone's own servers for them is what failed or cannot be done.
  // First what the cache holds, glue from other referrals included (a
  // sibling zone's, Unbound's cache_fill_missing): no query at all.
  for (const auto& n : names) {
    for (const auto& a : cached_addresses(n)) out.push_back(a);
  }
  if (!out.empty()) {
    b.note(depth + 1, "cache: addresses for the name servers of " + cut.ns.zone.to_text());
    co_return;
  }
  // Then resolve the names (NXNS bound, cycle guard).
  const RRType want = options_.ipv4 ? RRType::A : RRType::AAAA;
  unsigned nxdomains = 0;
  for (const auto& n : names) {
    if (b.ns_resolutions_left == 0 || depth + 1 > limits_.max_nesting) {
      upstream_stats_.hit(LimitHit::kNsResolutions);
      break;
    }
    const std::string key = n.lowercased().to_text();
    if (b.resolving.count(key) != 0) {
      b.note(depth + 1, "skipping " + n.to_text() + ": a dependency cycle");
      continue;
    }
    --b.ns_resolutions_left;
    b.resolving.insert(key);
    b.note(depth + 1, "resolving the name server " + n.to_text() + " (no glue)");
    Walked w = co_await resolve_name(n, want, b, depth + 2);
    b.resolving.erase(key);
    // The parent's glue, met on the way, beats a child that could not
    // answer for its own server's name (issue 21 §5: a lame referral, or
    // one followed into NXDOMAIN): the delegation still reaches it.
    auto parents_glue = [&] {
      for (const auto& a : cached_addresses(n)) out.push_back(a);
      if (!out.empty()) b.note(depth + 1, "using the parent's glue for " + n.to_text());
    };
    if (!w.outcome.ok) {
      parents_glue();
      if (!out.empty()) break;
      continue;
    }
    const auto& negative = w.learned.negative_cached;
    if (negative == cache::NegativeKind::kNxDomain && ++nxdomains >= limits_.max_ns_name_nxdomains) {
      upstream_stats_.hit(LimitHit::kNsNxDomains);
      b.note(depth + 1, std::to_string(nxdomains) + " name servers of " + cut.ns.zone.to_text() +
                            " do not exist: the others are not tried");
      break;
    }
    if (!w.learned.rdatas.empty()) {
      cache::ZoneCut::Server resolved{n, {}, {}};
      (want == RRType::A ? resolved.ipv4 : resolved.ipv6) = w.learned.rdatas;
      for (const auto& addr : addresses_of(resolved)) out.push_back(addr);
    } else if (!negative || *negative == cache::NegativeKind::kNxDomain) {
      parents_glue();
    }
    if (!out.empty()) break;
  }
}

awaitable<void> Engine::fetch_glue(const Cut& cut, const std::vector<Name>& wanted, Budget& b, unsigned depth,
                                   std::vector<ServerAddress>& out) {
  const Name& zone = cut.ns.zone;
  if (wanted.empty() || zone.is_root() || depth + 1 > limits_.max_nesting) co_return;
  const std::string key = "glue " + zone.lowercased().to_text();
  if (b.resolving.count(key) != 0) co_return;
  b.resolving.insert(key);
  Cut parent = co_await start_cut(zone.parent(), b, depth + 1);
  if (parent.recursive || parent.ns.zone == zone) {
    b.resolving.erase(key);
    co_return;
  }
  b.note(depth + 1,
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
  writer_.write(*asked.reply, ReplyKind::kReferral, parent.ns.zone, zone, RRType::NS);
  for (const auto& g : asked.reply->additional) {
    if (std::find(wanted.begin(), wanted.end(), g.name) == wanted.end()) continue;
    cache::ZoneCut::Server s{g.name, {}, {}};
    if (g.type == RRType::A) s.ipv4.push_back(g.rdata);
    if (g.type == RRType::AAAA) s.ipv6.push_back(g.rdata);
    for (const auto& a : addresses_of(s)) out.push_back(a);
  }
}

}  // namespace vigil::resolver
