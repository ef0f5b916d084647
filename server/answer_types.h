// The query path's vocabulary, shared by the listeners, the handler and
// its parts (response.h, cache_answer.h, policy_answer.h): who asked and
// how, why a query got the response it got, and how a resolution ended.
// A leaf: it includes nothing from server/.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include "monitor/query_event.h"
#include "policy/policy_feed.h"
#include "protocol/types.h"

namespace vigil::policy {
struct PolicyCounters;  // policy/policy_set.h
}  // namespace vigil::policy

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
  policy::PolicyAction action = policy::PolicyAction::kNxDomain;
  bool enforced = false;                   // false: a log-only feed's match, the answer is untouched
  bool address = false;                    // a response-IP trigger (else a name)
  std::string trigger;                     // "*.bad.example." / "192.0.2.0/24"
  const std::string* feed_name = nullptr;  // lives as long as the handler's PolicySet
  policy::PolicyCounters* counters = nullptr;
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

}  // namespace vigil::server
