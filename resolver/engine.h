// The iterative engine's driver: for one question it decides *when* to ask
// whom. It starts at the deepest zone cut the cache knows (or the root
// hints), asks that zone's servers (fastest first by the infrastructure
// cache's RTT), follows referrals down, resolves name-server names that
// came without glue (within the NXNS bound), follows CNAMEs, and stores
// what it learns in the cache; the listeners then answer from the cache.
//
// What a reply *means* is decided by classify() (one function, one
// concept): answer, referral, NXDOMAIN, NODATA or lame.
//
// Status (issue 6, in progress): referrals with in-bailiwick glue only,
// glueless delegations, CNAME chains with a limit and loop detection,
// negative caching, per-server fallback (timeout → next server, TC → TCP,
// FORMERR → without EDNS), random IDs and 0x20. Not yet: priming, QNAME
// minimisation, DNAME, coalescing, trace. A failed resolution is
// remembered for limits.servfail_ttl (RFC 2308 §7.1), so clients retrying a
// dead zone cost no upstream queries.
#pragma once

#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>

#include <boost/asio/awaitable.hpp>

#include "cache/infra_cache.h"
#include "cache/rrset_cache.h"
#include "protocol/message.h"
#include "protocol/types.h"
#include "resolver/clock.h"
#include "resolver/limits.h"
#include "resolver/root_hints.h"
#include "resolver/upstream.h"

namespace vigil::resolver {

struct ResolveOutcome {
  bool ok = false;  // the answer (positive or negative) is in the cache now
  dns::EdeCode ede = dns::EdeCode::kNoReachableAuthority;
  std::string why;
  unsigned upstream_queries = 0;
};

// What one reply says about the question asked (pure: no I/O, no cache).
enum class ReplyKind : std::uint8_t { kAnswer, kCname, kReferral, kNxDomain, kNoData, kLame };
ReplyKind classify(const dns::Message& reply, const dns::Name& zone, const dns::Name& qname,
                   dns::RRType qtype, dns::Name* referral_zone);

class Engine {
 public:
  Engine(cache::RRsetCache& cache, cache::InfraCache& infra, UpstreamTransport& transport, const Clock& clock,
         RootHints hints, ResolverLimits limits = {});

  // Resolves the question into the cache, following CNAMEs.
  boost::asio::awaitable<ResolveOutcome> resolve(dns::Name qname, dns::RRType qtype);

 private:
  struct Budget {
    std::chrono::steady_clock::time_point deadline;
    unsigned queries_left = 0;
    unsigned ns_resolutions_left = 0;
    unsigned used = 0;
    std::set<std::string> resolving;  // names being resolved (cycle guard)
  };
  struct Asked {
    std::optional<dns::Message> reply;
    ServerAddress server;
    std::string why;  // when no reply
  };

  boost::asio::awaitable<ResolveOutcome> resolve_chain(dns::Name qname, dns::RRType qtype);
  boost::asio::awaitable<ResolveOutcome> resolve_name(dns::Name name, dns::RRType type, Budget& b,
                                                      unsigned depth);
  boost::asio::awaitable<Asked> ask(const cache::ZoneCut& cut, const dns::Name& name, dns::RRType type,
                                    Budget& b, unsigned depth);
  boost::asio::awaitable<std::optional<UpstreamReply>> exchange(const ServerAddress& server,
                                                                const dns::Name& name, dns::RRType type,
                                                                Budget& b);
  bool cached(const dns::Name& name, dns::RRType type) const;
  cache::ZoneCut start_cut(const dns::Name& name) const;
  void store(const dns::Message& m, ReplyKind kind, const dns::Name& zone, const dns::Name& name,
             dns::RRType type);

  std::optional<ResolveOutcome> recent_failure(const dns::Name& qname, dns::RRType qtype);
  void remember_failure(const dns::Name& qname, dns::RRType qtype, const ResolveOutcome& r);

  cache::RRsetCache& cache_;
  cache::InfraCache& infra_;
  UpstreamTransport& transport_;
  const Clock& clock_;
  RootHints hints_;
  ResolverLimits limits_;

  struct Failure {
    ResolveOutcome outcome;
    std::chrono::steady_clock::time_point until;
  };
  std::mutex failures_mu_;
  std::map<std::pair<std::string, std::uint16_t>, Failure> failures_;
  std::deque<std::pair<std::string, std::uint16_t>> failure_order_;  // oldest first, for the bound
};

}  // namespace vigil::resolver
