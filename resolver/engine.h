// The iterative engine's driver: for one question it decides *when* to ask
// whom. It starts at the deepest zone cut the cache knows (or, after
// priming, the root; the hints when priming fails), asks that zone's
// servers (fastest first by the infrastructure cache's RTT), follows
// referrals down, resolves name-server names that came without glue (within
// the NXNS bound and a cycle guard), follows CNAMEs and DNAMEs, and stores
// what it learns in the cache; the listeners then answer from the cache.
//
// What a reply *means* is decided by classify() (one function, one
// concept): answer, alias, referral, NXDOMAIN, NODATA or lame.
//
// Around one resolution:
//   - identical questions in flight are resolved once; every caller waits
//     for the same result (coalescing), on its own executor;
//   - a failed resolution is remembered for limits.servfail_ttl (RFC 2308
//     §7.1), so clients retrying a dead zone cost no upstream queries;
//   - QNAME minimisation (RFC 9156): the servers of a zone are asked for one
//     label more than the zone cut (QTYPE A), relaxed (on a misbehaving
//     server, ask the full name) or strict;
//   - forward zones (recursive servers, RD=1) and stub zones (authoritative
//     servers) from the configuration replace the walk for their subtrees;
//   - trace(): the same walk with the cache's answers bypassed, every step
//     written down for `vigilctl trace`.
#pragma once

#include <array>
#include <atomic>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "cache/infra_cache.h"
#include "cache/rrset_cache.h"
#include "protocol/message.h"
#include "protocol/types.h"
#include "resolver/clock.h"
#include "resolver/limits.h"
#include "resolver/root_hints.h"
#include "resolver/upstream.h"
#include "util/histogram.h"

namespace vigil::resolver {

using util::AtomicCounter;  // util/counter.h
using util::LatencyHistogram;

struct ResolveOutcome {
  ResolveOutcome() = default;
  ResolveOutcome(bool ok_, dns::EdeCode ede_, std::string why_, unsigned upstream, bool coalesced_ = false)
      : ok(ok_), ede(ede_), why(std::move(why_)), upstream_queries(upstream), coalesced(coalesced_) {}

  bool ok = false;  // the answer (positive or negative) is in the cache now
  dns::EdeCode ede = dns::EdeCode::kNoReachableAuthority;
  std::string why;
  unsigned upstream_queries = 0;
  bool coalesced = false;  // answered by another caller's resolution
  // The answer is negative (NXDOMAIN, or NOERROR with no data) but could
  // not be cached (it came without a usable SOA): its RCODE, to answer
  // from. With `ok`: nothing else is in the cache for the last name.
  std::optional<dns::Rcode> negative_uncached;
};

// What one reply says about the question asked (pure: no I/O, no cache).
// kCname covers DNAME too (an alias either way). kLame: the server does not
// serve the zone (REFUSED, a referral upwards or sideways, a
// non-authoritative non-referral): it is marked lame for the zone.
// kServerFailure: an error RCODE for this question only (SERVFAIL, FORMERR
// without EDNS, NOTIMP ...): another server is asked, nothing is marked.
// What the QTYPE asked for never makes a server lame: ANY and the other
// meta types are answered by any RRset at the name, and records of another
// type at the name are NODATA for the type asked.
enum class ReplyKind : std::uint8_t { kAnswer, kCname, kReferral, kNxDomain, kNoData, kLame, kServerFailure };
ReplyKind classify(const dns::Message& reply, const dns::Name& zone, const dns::Name& qname,
                   dns::RRType qtype, dns::Name* referral_zone);
std::string_view reply_kind_name(ReplyKind k);

// A forward or stub zone: its queries go to these servers.
struct ConfiguredZone {
  dns::Name zone;
  std::vector<ServerAddress> servers;
};

struct EngineOptions {
  QnameMinimisation qname_minimisation = QnameMinimisation::kRelaxed;
  std::vector<ConfiguredZone> forward_zones;  // recursive servers: RD=1, their answers taken whole
  std::vector<ConfiguredZone> stub_zones;     // authoritative servers for the zone
  // Which address of a name server without glue is looked up: A when IPv4
  // may be used, else AAAA (never both: no speculative queries).
  bool ipv4 = true;
};

// The walk of one resolution, step by step, for `vigilctl trace`.
struct Trace {
  ResolveOutcome outcome;
  std::vector<std::string> steps;
};

// The engine's limits (resolver/limits.h), for counting when each is hit.
enum class LimitHit : std::uint8_t {
  kUpstreamQueries,  // max_upstream_queries or max_upstream_queries_per_name
  kTimeBudget,       // resolution_budget
  kReferrals,        // max_referrals
  kCnameChain,       // max_cname_chain
  kNsResolutions,    // max_ns_name_resolutions or max_nesting
  kNsNxDomains,      // max_ns_name_nxdomains
};
inline constexpr std::size_t kLimitHitCount = 6;
std::string_view limit_hit_name(LimitHit l);

// Counters of the upstream side, written from every thread that resolves.
struct UpstreamStats {
  AtomicCounter queries_udp;
  AtomicCounter queries_tcp;
  AtomicCounter timeouts;
  AtomicCounter network_errors;                          // the send or the connection failed
  AtomicCounter no_socket;                               // not sent: the upstream socket budget was spent
  AtomicCounter tcp_fallbacks;                           // TC=1 replies, asked again over TCP
  AtomicCounter edns_fallbacks;                          // FORMERR/NOTIMP to EDNS, asked again without it
  std::array<AtomicCounter, 16> rcodes;                  // replies taken, by RCODE
  LatencyHistogram<AtomicCounter> rtt;                   // round trip of replies taken
  std::array<AtomicCounter, kLimitHitCount> limits_hit;  // by LimitHit
  void hit(LimitHit l) { limits_hit[static_cast<std::size_t>(l)].inc(); }
};

class Engine {
 public:
  Engine(cache::RRsetCache& cache, cache::InfraCache& infra, UpstreamTransport& transport, const Clock& clock,
         RootHints hints, ResolverLimits limits = {}, EngineOptions options = {});
  ~Engine();

  // Resolves the question into the cache, following CNAMEs; coalesced with
  // identical questions in flight. `refresh` re-resolves even though the
  // answer is cached (prefetch).
  boost::asio::awaitable<ResolveOutcome> resolve(dns::Name qname, dns::RRType qtype, bool refresh = false);

  // Asks the root hints' servers for the root's NS set and stores it with
  // the servers' addresses (RFC 8109). resolve() primes by itself when the
  // cache has no root NS set; vigild also primes at start-up.
  boost::asio::awaitable<bool> prime();

  // Resolves with the cache's answers bypassed (zone cuts and name-server
  // addresses from the cache are used, and said so), recording every step.
  boost::asio::awaitable<Trace> trace(dns::Name qname, dns::RRType qtype);

  // Forgets every remembered failure (vigilctl flush-failures, flush-all);
  // returns how many there were.
  std::size_t flush_failures();

  // Primings that failed (each followed by a back-off).
  std::uint64_t priming_failures() {
    std::lock_guard lock(prime_mu_);
    return priming_failures_;
  }

  std::uint64_t coalesced_total() const;
  // Client questions answered as failures because too many already waited
  // on the same resolution (limits.max_clients_per_question).
  std::uint64_t shed_waiters() const {
    std::lock_guard lock(inflight_mu_);
    return shed_waiters_;
  }
  // Upstream questions not sent because the same one was in flight.
  std::uint64_t coalesced_asks() const;
  // Replies that did not echo the query's 0x20 letter case.
  std::uint64_t case_mismatches() const { return case_mismatches_.load(std::memory_order_relaxed); }
  // Resolutions running now (each may have coalesced waiters), and the
  // client questions waiting on them.
  std::size_t inflight() const;
  std::size_t inflight_waiters() const;
  // What went upstream and how it came back.
  const UpstreamStats& upstream_stats() const { return upstream_stats_; }

 private:
  struct Budget {
    std::chrono::steady_clock::time_point deadline;
    unsigned queries_left = 0;
    unsigned link_start = 0;  // `used` when the current name of the CNAME chain was started
    unsigned ns_resolutions_left = 0;
    unsigned used = 0;
    std::set<std::string> resolving;  // names being resolved (cycle guard)
    unsigned not_allowed = 0;         // servers skipped: do_not_query or address family off
    unsigned network_errors = 0;      // sends or connections that failed
    unsigned timeouts = 0;            // queries that got no answer in time
    bool no_socket = false;           // a query was not sent: the socket budget was spent
    bool bypass_cache = false;        // trace / refresh: do not take the top name's answer from the cache
    // Servers that failed a question of this resolution (SERVFAIL and
    // the like): not asked again for that zone in it, not marked lame.
    std::vector<std::pair<ServerAddress, dns::Name>> failed;
    bool failed_for(const ServerAddress& s, const dns::Name& zone) const {
      for (const auto& [server, z] : failed) {
        if (server == s && z == zone) return true;
      }
      return false;
    }
    std::vector<std::string>* trace = nullptr;
  };
  // Where to ask: a zone cut's servers, or a configured zone's.
  struct Cut {
    cache::ZoneCut ns;
    std::vector<ServerAddress> fixed;  // configured servers (forward or stub zone)
    bool recursive = false;            // a forward zone: RD=1, answers taken whole
    std::string source;                // for the trace: "cache", "root hints", "priming", "forward zone"
  };
  struct Asked {
    std::optional<dns::Message> reply;
    ServerAddress server;
    std::string why;  // when no reply
    dns::EdeCode ede = dns::EdeCode::kNoReachableAuthority;
  };
  struct Inflight;
  // The right to send one (zone, name, type) question while others with the
  // same question wait; released (and the waiters woken) on destruction.
  struct AskLease {
    Engine* engine = nullptr;
    std::pair<std::string, std::uint16_t> key;
    AskLease() = default;
    AskLease(const AskLease&) = delete;
    AskLease& operator=(const AskLease&) = delete;
    ~AskLease();
  };
  // Returns true after waiting for an identical question in flight; false
  // when the caller is to ask (and holds `lease`).
  boost::asio::awaitable<bool> join_ask(const std::string& zone_and_name, dns::RRType type, AskLease& lease);

  Budget new_budget() const;
  boost::asio::awaitable<ResolveOutcome> resolve_chain(dns::Name qname, dns::RRType qtype, Budget& b);
  boost::asio::awaitable<ResolveOutcome> resolve_name(dns::Name name, dns::RRType type, Budget& b,
                                                      unsigned depth);
  boost::asio::awaitable<Asked> ask(const Cut& cut, const dns::Name& name, dns::RRType type, Budget& b,
                                    unsigned depth);
  // ask()'s steps: try these addresses, fastest first; resolve the server
  // names outside the zone that have no address; fetch the parent's glue for
  // those inside it.
  boost::asio::awaitable<Asked> ask_servers(const Cut& cut, const std::vector<ServerAddress>& candidates,
                                            const dns::Name& name, dns::RRType type, Budget& b,
                                            unsigned depth);
  boost::asio::awaitable<void> resolve_server_names(const Cut& cut, Budget& b, unsigned depth,
                                                    std::vector<ServerAddress>& out);
  boost::asio::awaitable<void> fetch_glue(const Cut& cut, Budget& b, unsigned depth,
                                          std::vector<ServerAddress>& out);
  boost::asio::awaitable<std::optional<UpstreamReply>> exchange(const ServerAddress& server,
                                                                const dns::Name& name, dns::RRType type,
                                                                bool rd, Budget& b, unsigned depth);
  boost::asio::awaitable<Cut> start_cut(const dns::Name& name, Budget& b, unsigned depth);
  // `now_anyway`: even within the back-off after a failed priming.
  boost::asio::awaitable<bool> prime_with(Budget& b, unsigned depth, bool now_anyway = false);
  Cut hints_cut() const;
  bool cached(const dns::Name& name, dns::RRType type) const;
  // The addresses the cache holds for a name server's name at any rank a
  // resolution may use, glue included; negative entries are not consulted.
  std::vector<ServerAddress> cached_addresses(const dns::Name& server) const;
  void store(const dns::Message& m, ReplyKind kind, const dns::Name& zone, const dns::Name& name,
             dns::RRType type);
  void note(Budget& b, unsigned depth, std::string text) const;

  std::optional<ResolveOutcome> recent_failure(const dns::Name& qname, dns::RRType qtype);
  void remember_failure(const dns::Name& qname, dns::RRType qtype, const ResolveOutcome& r);

  cache::RRsetCache& cache_;
  cache::InfraCache& infra_;
  UpstreamTransport& transport_;
  const Clock& clock_;
  RootHints hints_;
  ResolverLimits limits_;
  EngineOptions options_;

  struct Failure {
    ResolveOutcome outcome;
    std::chrono::steady_clock::time_point until;
  };
  std::mutex failures_mu_;
  std::map<std::pair<std::string, std::uint16_t>, Failure> failures_;
  std::deque<std::pair<std::string, std::uint16_t>> failure_order_;  // oldest first, for the bound

  mutable std::mutex inflight_mu_;
  std::map<std::pair<std::string, std::uint16_t>, std::shared_ptr<Inflight>> inflight_;
  std::map<std::pair<std::string, std::uint16_t>, std::shared_ptr<Inflight>> asks_;
  std::uint64_t coalesced_ = 0;       // under inflight_mu_
  std::uint64_t coalesced_asks_ = 0;  // under inflight_mu_
  std::uint64_t shed_waiters_ = 0;    // under inflight_mu_
  std::atomic<bool> priming_{false};
  std::mutex prime_mu_;
  std::chrono::steady_clock::time_point prime_not_before_{};  // under prime_mu_
  std::chrono::milliseconds prime_backoff_{0};                // under prime_mu_
  std::uint64_t priming_failures_ = 0;                        // under prime_mu_
  std::atomic<std::uint64_t> case_mismatches_{0};
  UpstreamStats upstream_stats_;
};

}  // namespace vigil::resolver
