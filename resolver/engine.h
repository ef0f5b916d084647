// The iterative engine's driver: for one question it decides *when* to ask
// whom. It starts at the deepest zone cut the cache knows (or, after
// priming, the root; the hints when priming fails), asks that zone's
// servers (fastest first by the infrastructure cache's RTT), follows
// referrals down, resolves name-server names that came without glue (within
// the NXNS bound and a cycle guard), follows CNAMEs and DNAMEs, and stores
// what it learns in the cache; the listeners then answer from the cache.
//
// The driver decides *when*; small layers decide *what*, each in its own
// header (docs/design/engine.md walks them):
//   server_selection.h  which server, in what order, how many passes
//   exchange.h          one server's fallback ladder (ID, 0x20, TCP, EDNS)
//   scrub.h             one pass per reply: lower case, bailiwick
//   classify.h          what a reply means (pure)
//   cache_writer.h      what it leaves in the cache, and what was learned
//   inflight.h          coalescing; failure_cache.h  recent failures
//   budget.h            one resolution's budget, cycle guard and trace
// The validator (issue 25) goes between classify() and the cache writer.
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

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "cache/infra_cache.h"
#include "cache/rrset_cache.h"
#include "protocol/message.h"
#include "protocol/types.h"
#include "resolver/budget.h"
#include "resolver/cache_writer.h"
#include "resolver/classify.h"
#include "resolver/clock.h"
#include "resolver/exchange.h"
#include "resolver/failure_cache.h"
#include "resolver/inflight.h"
#include "resolver/limits.h"
#include "resolver/outcome.h"
#include "resolver/question_key.h"
#include "resolver/random.h"
#include "resolver/root_hints.h"
#include "resolver/server_selection.h"
#include "resolver/upstream.h"
#include "resolver/upstream_stats.h"

namespace vigil::resolver {

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
  // Random numbers (random.h); null: the CSPRNG for query IDs and the 0x20
  // case, a seeded per-thread PRNG for exploration. Tests inject their own.
  Random* ids_and_case = nullptr;
  Random* exploration = nullptr;
};

// The walk of one resolution, step by step, for `vigilctl trace`.
struct Trace {
  ResolveOutcome outcome;
  std::vector<std::string> steps;
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
  std::size_t flush_failures() { return failures_.flush(); }

  // Primings that failed (each followed by a back-off).
  std::uint64_t priming_failures() {
    std::lock_guard lock(prime_mu_);
    return priming_failures_;
  }

  std::uint64_t coalesced_total() const { return questions_.coalesced(); }
  // Client questions answered as failures because too many already waited
  // on the same resolution (limits.max_clients_per_question).
  std::uint64_t shed_waiters() const { return questions_.shed(); }
  // Upstream questions not sent because the same one was in flight.
  std::uint64_t coalesced_asks() const { return asks_.coalesced(); }
  // Replies that did not echo the query's 0x20 letter case.
  std::uint64_t case_mismatches() const { return upstream_stats_.case_mismatches.get(); }
  // Resolutions running now (each may have coalesced waiters), and the
  // client questions waiting on them.
  std::size_t inflight() const { return questions_.size(); }
  std::size_t inflight_waiters() const { return questions_.waiters(); }
  // What went upstream and how it came back.
  const UpstreamStats& upstream_stats() const { return upstream_stats_; }

 private:
  // What walking one name came to, and what the last reply (or the cache)
  // said of it: the driver acts on this, it does not read the cache back.
  struct Walked {
    ResolveOutcome outcome;
    Learned learned;
  };

  Budget new_budget() const;
  boost::asio::awaitable<ResolveOutcome> resolve_chain(dns::Name qname, dns::RRType qtype, Budget& b);
  boost::asio::awaitable<Walked> resolve_name(dns::Name name, dns::RRType type, Budget& b, unsigned depth);
  // Asks the cut's servers; when none has an address, or none answered,
  // their names are resolved (or the parent's glue fetched) first.
  boost::asio::awaitable<Asked> ask(const Cut& cut, const dns::Name& name, dns::RRType type, Budget& b,
                                    unsigned depth);
  boost::asio::awaitable<void> resolve_server_names(const Cut& cut, const std::vector<dns::Name>& names,
                                                    Budget& b, unsigned depth,
                                                    std::vector<ServerAddress>& out);
  boost::asio::awaitable<void> fetch_glue(const Cut& cut, const std::vector<dns::Name>& names, Budget& b,
                                          unsigned depth, std::vector<ServerAddress>& out);
  boost::asio::awaitable<Cut> start_cut(const dns::Name& name, Budget& b, unsigned depth);
  // `now_anyway`: even within the back-off after a failed priming.
  boost::asio::awaitable<bool> prime_with(Budget& b, unsigned depth, bool now_anyway = false);
  Cut hints_cut() const;
  // What the cache says of the question, when it answers it (the type, a
  // negative entry, or a CNAME at the name).
  std::optional<Learned> cached(const dns::Name& name, dns::RRType type) const;
  // The addresses the cache holds for a name server's name at any rank a
  // resolution may use, glue included; negative entries are not consulted.
  std::vector<ServerAddress> cached_addresses(const dns::Name& server) const;

  cache::RRsetCache& cache_;
  cache::InfraCache& infra_;
  const Clock& clock_;
  RootHints hints_;
  ResolverLimits limits_;
  EngineOptions options_;
  SecureRandomSource secure_random_;
  ExplorationRandomSource exploration_random_;
  UpstreamStats upstream_stats_;
  ExchangeLadder exchange_;
  ServerSelection selection_;
  CacheWriter writer_;
  FailureCache failures_;

  // Coalescing: client questions (the leader's outcome goes to the
  // waiters) and questions to one zone's servers (waiters carry on from
  // what the leader cached).
  InflightTable<QuestionKey, ResolveOutcome> questions_;
  using AskTable = InflightTable<QuestionKey, bool>;
  using AskLease = InflightLease<AskTable, QuestionKey, bool>;
  AskTable asks_;

  std::atomic<bool> priming_{false};
  std::mutex prime_mu_;
  std::chrono::steady_clock::time_point prime_not_before_{};  // under prime_mu_
  std::chrono::milliseconds prime_backoff_{0};                // under prime_mu_
  std::uint64_t priming_failures_ = 0;                        // under prime_mu_
};

}  // namespace vigil::resolver
