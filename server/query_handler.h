// Turns one client query into one response, independent of the transport:
// the listeners (UDP, TCP) hand it the query octets and a buffer and send
// what it writes. Order of work, cheapest first:
//   1. access control on the client address (refuse → REFUSED, deny → drop)
//   2. header checks: too short → drop; QR=1 → drop
//   3. parsing: malformed → FORMERR (header only), opcode ≠ QUERY → NOTIMP,
//      QDCOUNT ≠ 1 → FORMERR, EDNS version > 0 → BADVERS
//   4. the question: AXFR/IXFR → REFUSED; CHAOS TXT version.bind,
//      hostname.bind, id.server → answered unless hidden; other classes
//      than IN → REFUSED
//   5. local zones and data (server/local_zones.h)
//   6. the cache: a positive RRset or a negative answer with its SOA; ANY
//      is answered minimally (RFC 8482): one cached RRset, else a
//      synthesised HINFO
//   7. otherwise: when a resolver is attached, "needs resolution": the
//      first pass hands the listener a PendingQuery (all it learned of the
//      query), the listener resolves and calls finish() with it and the
//      resolution's status, which answers from the cache without parsing
//      or checking the query again; else SERVFAIL with an Extended DNS Error
// With threat feeds configured (policy/policy_set.h), steps 6 and 7 check
// the query name, each CNAME target and the answer's addresses against
// them and rewrite the answer as the matching rule says, the way BIND's
// response policy zones do (server/policy_answer.h).
// This file keeps the ordered pipeline; the parts live beside it, over the
// shared vocabulary of answer_types.h:
//   response.h      the response builder every path writes with
//   cache_answer.h  steps 6-7: direct hit, chains, negative answers, ANY
//   policy_answer.h the feeds' checks and rewrite
// Every outcome has a reason, for counters and the query log. The handler
// is immutable and shared by all workers; a reload builds a new one.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cache/rrset_cache.h"
#include "config/config.h"
#include "monitor/block_list.h"
#include "policy/policy_set.h"
#include "protocol/header.h"
#include "protocol/name.h"
#include "protocol/types.h"
#include "server/answer_types.h"
#include "server/cache_answer.h"
#include "server/local_zones.h"
#include "server/policy_answer.h"

namespace vigil::server {

// The question of a query the handler accepted (name, type), for the
// resolver; nullopt when the query does not parse.
std::optional<std::pair<dns::Name, dns::RRType>> question_of(std::span<const std::uint8_t> query);

// A query the first pass could not answer from what the handler has, with
// everything that pass learned of it, so that finish() answers it after
// the resolution without parsing it, scanning the ACL, or matching local
// zones, the block list or the query name's feeds again. It owns its
// octets (the listener's receive buffer is reused) and may move to another
// coroutine. Its policy verdict points into the handler's PolicySet: keep
// the Runtime that made it until finish() returned.
struct PendingQuery {
  std::vector<std::uint8_t> query;  // the query's octets (counters, query log)
  Client client;
  dns::Header header;     // the query's (ID, opcode, RD, CD echoed)
  std::size_t limit = 0;  // the response's size limit (EDNS sizing, UDP)
  bool edns = false;
  bool dnssec_ok = false;
  dns::Name qname;
  dns::RRType qtype = dns::RRType::A;
  dns::RRClass qclass = dns::RRClass::IN;
  // What to resolve: the question, or the target of a policy redirect.
  dns::Name resolve_name;
  dns::RRType resolve_type = dns::RRType::A;
  // The threat feeds' verdict on the query name (with feeds only).
  std::optional<policy::PolicyLookup> name_policy;
};

class QueryHandler {
 public:
  // `config` and `local` must outlive the handler. With `resolver_attached`
  // false, a miss is answered SERVFAIL at once (no engine yet).
  // `block`: the intent detectors' block list (null: none).
  // `policy`: the threat feeds in force (null or empty: none); must outlive the handler.
  QueryHandler(const config::Config& config, const LocalZones& local, cache::RRsetCache& cache,
               bool resolver_attached = false, const monitor::BlockListPublisher* block = nullptr,
               const policy::PolicySet* policy = nullptr);

  // The first pass: writes the response into `out` (at least 512 octets;
  // for TCP 65535), or answers kNeedsResolution and, when `pending` is
  // given, fills it in for finish().
  HandleResult handle(std::span<const std::uint8_t> query, const Client& client, std::span<std::uint8_t> out,
                      cache::Time now, PendingQuery* pending = nullptr) const;

  // After the resolution of `pending.resolve_name`: the answer from the
  // cache as the resolution left it (stale data allowed when it failed), or
  // SERVFAIL with the resolution's reason. `out` as for handle().
  HandleResult finish(const PendingQuery& pending, const ResolutionStatus& after, std::span<std::uint8_t> out,
                      cache::Time now) const;

  // A query answered as it would be after a resolution that ended in
  // `after`: the first pass, then finish() if it needed one. For callers
  // that resolved on their own (vigilctl trace) and for tests.
  HandleResult handle_resolved(std::span<const std::uint8_t> query, const Client& client,
                               std::span<std::uint8_t> out, cache::Time now,
                               const ResolutionStatus& after) const;

  const config::Config& config() const { return config_; }
  const LocalZones& local_zones() const { return local_; }
  // The access_control action for a client (first match; none = refuse).
  config::AclAction acl(const Client& client) const;

 private:
  HandleResult first_pass(std::span<const std::uint8_t> query, const Client& client,
                          std::span<std::uint8_t> out, cache::Time now, PendingQuery* pending) const;
  // From the cache on (through the feeds' rewrite when feeds are loaded).
  HandleResult answer(AnswerContext& c) const {
    return policy_answers_ ? policy_answers_->answer(c) : cache_answers_.answer(c);
  }

  const config::Config& config_;
  const LocalZones& local_;
  cache::RRsetCache& cache_;
  bool resolver_attached_;
  const monitor::BlockListPublisher* block_;
  const policy::PolicySet* policy_;
  CacheAnswers cache_answers_;
  std::optional<PolicyAnswers> policy_answers_;  // with feeds loaded
  std::string identity_;                         // hostname.bind / id.server
  std::string version_;                          // version.bind / version.server
};

}  // namespace vigil::server
