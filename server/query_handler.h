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
//   7. otherwise: on the first pass, when a resolver is attached, "needs
//      resolution" (the listener resolves, then calls again with the
//      resolution's status); else SERVFAIL with an Extended DNS Error
// Every outcome has a reason, for counters and the query log. The handler
// is immutable and shared by all workers; a reload builds a new one.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include "cache/rrset_cache.h"
#include "config/config.h"
#include "monitor/block_list.h"
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
  kNeedsResolution,  // first pass, cache miss: the listener resolves and calls again
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
};
inline constexpr std::size_t kOutcomeCount = static_cast<std::size_t>(Outcome::kBlocked) + 1;
std::string_view outcome_name(Outcome o);

struct HandleResult {
  Outcome outcome = Outcome::kDroppedShort;
  std::size_t size = 0;  // octets written to the output; 0 = send nothing
  bool truncated = false;
  bool stale = false;  // served from expired data (RFC 8767)
};

// How a resolution the listener ran on the handler's request ended, when
// it did not leave an answer in the cache.
struct ResolutionStatus {
  dns::EdeCode ede = dns::EdeCode::kNoReachableAuthority;
  std::string text;
};

// The question of a query the handler accepted (name, type), for the
// resolver; nullopt when the query does not parse.
std::optional<std::pair<dns::Name, dns::RRType>> question_of(std::span<const std::uint8_t> query);

class QueryHandler {
 public:
  // `config` and `local` must outlive the handler. With `resolver_attached`
  // false, a miss is answered SERVFAIL at once (no engine yet).
  // `block`: the intent detectors' block list (null: none).
  QueryHandler(const config::Config& config, const LocalZones& local, cache::RRsetCache& cache,
               bool resolver_attached = false, const monitor::BlockListPublisher* block = nullptr);

  // Writes the response into `out` (at least 512 octets; for TCP 65535).
  // `after` is null on the first pass, and the resolution's outcome when
  // called again after kNeedsResolution.
  HandleResult handle(std::span<const std::uint8_t> query, const Client& client, std::span<std::uint8_t> out,
                      cache::Time now, const ResolutionStatus* after = nullptr) const;

  const config::Config& config() const { return config_; }
  const LocalZones& local_zones() const { return local_; }
  // The access_control action for a client (first match; none = refuse).
  config::AclAction acl(const Client& client) const;

 private:
  const config::Config& config_;
  const LocalZones& local_;
  cache::RRsetCache& cache_;
  bool resolver_attached_;
  const monitor::BlockListPublisher* block_;
  std::string identity_;  // hostname.bind / id.server
  std::string version_;   // version.bind / version.server
};

}  // namespace vigil::server
