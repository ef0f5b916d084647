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
//   5. the cache: a positive RRset or a negative answer with its SOA
//   6. otherwise SERVFAIL with an Extended DNS Error (until the iterative
//      engine lands)
// Every outcome has a reason, for counters and the query log.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "cache/rrset_cache.h"
#include "config/config.h"

namespace vigil::server {

enum class Transport : std::uint8_t { kUdp, kTcp };

struct Client {
  std::array<std::uint8_t, 16> address{};
  std::uint8_t length = 4;  // 4 or 16
  std::uint16_t port = 0;
  Transport transport = Transport::kUdp;
  std::span<const std::uint8_t> address_bytes() const { return {address.data(), length}; }
};

// Why a query got the response it got (or none).
enum class Outcome : std::uint8_t {
  kAnswered,         // from the cache: positive
  kNegative,         // from the cache: NXDOMAIN or NODATA
  kChaos,            // CHAOS TXT identity query
  kNotAvailable,     // SERVFAIL + EDE: nothing cached, no resolution yet
  kDroppedShort,     // shorter than a header
  kDroppedResponse,  // QR=1
  kDroppedAcl,       // access_control deny
  kRefusedAcl,       // access_control refuse
  kFormErr,          // malformed, or not exactly one question
  kNotImp,           // opcode other than QUERY
  kBadVers,          // EDNS version above 0
  kRefusedClass,     // class other than IN (and not an answered CHAOS query)
  kRefusedTransfer,  // AXFR / IXFR
};
std::string_view outcome_name(Outcome o);

struct HandleResult {
  Outcome outcome = Outcome::kDroppedShort;
  std::size_t size = 0;  // octets written to the output; 0 = send nothing
  bool truncated = false;
};

struct HandlerOptions {
  bool hide_identity = false;      // answer CHAOS identity queries with REFUSED
  std::string identity = "vigil";  // hostname.bind / id.server
  std::string version;             // version.bind ("" = "vigil <version>")
};

class QueryHandler {
 public:
  QueryHandler(const config::Config& config, cache::RRsetCache& cache, HandlerOptions options = {});

  // Writes the response into `out` (at least 512 octets; for TCP 65535).
  HandleResult handle(std::span<const std::uint8_t> query, const Client& client, std::span<std::uint8_t> out,
                      cache::Time now) const;

 private:
  config::AclAction acl(const Client& client) const;

  const config::Config& config_;
  cache::RRsetCache& cache_;
  HandlerOptions options_;
};

}  // namespace vigil::server
