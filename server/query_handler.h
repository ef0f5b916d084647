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
// With threat feeds configured (monitor/policy_set.h), steps 6 and 7 check
// the query name, each CNAME target and the answer's addresses against
// them and rewrite the answer as the matching rule says (NXDOMAIN, NODATA,
// local data or a redirect, TC=1 over UDP, or no answer), the way BIND's
// response policy zones do; tests/lab compares the two.
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
#include "monitor/policy_set.h"
#include "monitor/query_event.h"
#include "protocol/header.h"
#include "protocol/name.h"
#include "protocol/types.h"
#include "server/local_zones.h"

namespace vigil::server {

enum class Transport : std::uint8_t { kUdp, kTcp };

struct Client {
  std::array<std::uint8_t, 16> address{};
  std::uint8_t length = 4;  // 4 or 16
  std::uint16_t port = 0;
  Transport transport = Transport::kUdp;
  // The listener the query arrived on (for the query log).
  std::array<std::uint8_t, 16> local{};
  std::uint8_t local_length = 4;
  std::uint16_t local_port = 0;
  std::span<const std::uint8_t> address_bytes() const { return {address.data(), length}; }
};

// Why a query got the response it got (or none).
enum class Outcome : std::uint8_t {
  kAnswered,         // from the cache: positive
  kNegative,         // from the cache: NXDOMAIN or NODATA
  kLocal,            // from local zones / data (answer, NXDOMAIN or NODATA)
  kAnyMinimal,       // ANY with nothing cached: synthesised HINFO (RFC 8482 §4.2)
  kChaos,            // CHAOS TXT identity query
  kNeedsResolution,  // first pass, cache miss: the listener resolves and calls finish()
  kServFail,         // SERVFAIL + EDE: nothing cached and resolution failed or unavailable
  kDroppedShort,     // shorter than a header
  kDroppedResponse,  // QR=1
  kDroppedAcl,       // access_control deny
  kRefusedAcl,       // access_control refuse
  kFormErr,          // malformed, or not exactly one question
  kNotImp,           // opcode other than QUERY
  kBadVers,          // EDNS version above 0
  kRefusedClass,     // class other than IN (and not an answered CHAOS query)
  kRefusedTransfer,  // AXFR / IXFR
  kRefusedLocal,     // a local zone of type refuse
  kDroppedLocal,     // a local zone of type deny
  kBlocked,          // on the intent detectors' block list (a detector's action: block)
  kPolicy,           // rewritten by a threat feed (NXDOMAIN, NODATA, local data, TC=1)
  kDroppedPolicy,    // a threat feed's rpz-drop
};
inline constexpr std::size_t kOutcomeCount = static_cast<std::size_t>(Outcome::kDroppedPolicy) + 1;
std::string_view outcome_name(Outcome o);

// Which feed rule a query met (for counters and the query log): the one
// that decided, else a log-only feed's.
struct PolicyNote {
  static constexpr std::uint8_t kNone = 0xFF;
  std::uint8_t feed = kNone;  // index into the handler's PolicySet
  monitor::PolicyAction action = monitor::PolicyAction::kNxDomain;
  bool enforced = false;                   // false: a log-only feed's match, the answer is untouched
  bool address = false;                    // a response-IP trigger (else a name)
  std::string trigger;                     // "*.bad.example." / "192.0.2.0/24"
  const std::string* feed_name = nullptr;  // lives as long as the handler's PolicySet
  monitor::PolicyCounters* counters = nullptr;
};

struct HandleResult {
  Outcome outcome = Outcome::kDroppedShort;
  std::size_t size = 0;  // octets written to the output; 0 = send nothing
  bool truncated = false;
  bool stale = false;  // served from expired data (RFC 8767)
  // Where the answer came from, for the counters and the query log: the
  // cache (a hit, or a miss once resolved), stale data, local data.
  monitor::CacheStatus cache = monitor::CacheStatus::kNone;
  PolicyNote policy;
};

// A result without a response (dropped, or not answered yet).
inline HandleResult silent(Outcome o) {
  HandleResult r;
  r.outcome = o;
  return r;
}

// How a resolution the listener ran on the handler's request ended, when
// it did not leave an answer in the cache.
struct ResolutionStatus {
  ResolutionStatus() = default;
  ResolutionStatus(dns::EdeCode e, std::string t, std::optional<dns::Rcode> negative = std::nullopt)
      : ede(e), text(std::move(t)), negative_uncached(negative) {}

  dns::EdeCode ede = dns::EdeCode::kNoReachableAuthority;
  std::string text;
  // The resolution ended in a negative answer the cache could not take (it
  // came without an SOA): answered with this RCODE and no records, so no
  // TTL for the client to cache it by (RFC 2308 §5).
  std::optional<dns::Rcode> negative_uncached;
};

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
  std::optional<monitor::PolicyLookup> name_policy;
};

class QueryHandler {
 public:
  // `config` and `local` must outlive the handler. With `resolver_attached`
  // false, a miss is answered SERVFAIL at once (no engine yet).
  // `block`: the intent detectors' block list (null: none).
  // `policy`: the threat feeds in force (null or empty: none); must outlive the handler.
  QueryHandler(const config::Config& config, const LocalZones& local, cache::RRsetCache& cache,
               bool resolver_attached = false, const monitor::BlockListPublisher* block = nullptr,
               const monitor::PolicySet* policy = nullptr);

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
  struct Context;
  struct Chain;
  HandleResult first_pass(std::span<const std::uint8_t> query, const Client& client,
                          std::span<std::uint8_t> out, cache::Time now, PendingQuery* pending) const;
  // From the cache (or the feeds' rewrite) on, for both passes.
  HandleResult answer(Context& c) const;
  // The hot path: a positive answer for the name and type written straight
  // from the cache entry, without copying the RRset out; nullopt on a miss.
  std::optional<HandleResult> answer_direct_hit(Context& c) const;
  HandleResult answer_chain(Context& c, const Chain& chain) const;
  // SERVFAIL with the resolution's Extended DNS Error, after the CNAMEs
  // and DNAMEs followed so far (a loop shows the client where it loops, as
  // Knot Resolver and Unbound answer it).
  HandleResult servfail(Context& c, const std::vector<cache::CachedRRset>& links = {}) const;
  HandleResult with_policy(Context& c) const;
  HandleResult rewrite(Context& c, const monitor::PolicyHit& hit, const dns::Name& at,
                       const std::vector<cache::CachedRRset>& links, PolicyNote& note) const;
  // Follows cached CNAMEs from `start` to the answer or negative answer at
  // the chain's end; `stop(target)` true ends it at that target.
  Chain follow(const dns::Name& start, dns::RRType qtype, cache::Time now, const cache::LookupOptions& lo,
               const std::function<bool(const dns::Name&)>& stop) const;

  const config::Config& config_;
  const LocalZones& local_;
  cache::RRsetCache& cache_;
  bool resolver_attached_;
  const monitor::BlockListPublisher* block_;
  const monitor::PolicySet* policy_;
  std::string identity_;  // hostname.bind / id.server
  std::string version_;   // version.bind / version.server
};

}  // namespace vigil::server
