// Fetches a zone from its primary over TCP, as a secondary does: IXFR
// (RFC 1995) when we hold a version, falling back to AXFR (RFC 5936) when
// the primary refuses it or answers with the whole zone; AXFR otherwise.
// Used for threat feeds kept by a primary (policy.feeds[].primary).
//
//   Transfer t = co_await transfer_zone(endpoint, zone, current, limits);
//   if (t.error.empty() && t.changed) write t.records to the feed's file
//
// Every response is checked (ID, question, RCODE, the first and last SOA);
// the whole transfer has one deadline, and a cap on records and octets.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "protocol/message.h"
#include "protocol/name.h"

namespace vigil::policy {

struct TransferLimits {
  std::chrono::milliseconds timeout{30000};  // the whole transfer
  std::size_t max_records = 20'000'000;
  std::uint64_t max_bytes = 1ULL << 30;
};

struct Transfer {
  std::string error;                         // "" = it worked
  bool changed = false;                      // false: the primary has the serial we hold
  bool incremental = false;                  // the primary sent differences (IXFR)
  std::uint32_t serial = 0;                  // the version now held
  std::vector<dns::ResourceRecord> records;  // the whole zone, SOA first (when changed)
};

// `current`: the zone as held now, SOA first (empty: nothing yet → AXFR).
boost::asio::awaitable<Transfer> transfer_zone(boost::asio::ip::tcp::endpoint primary, dns::Name zone,
                                               std::vector<dns::ResourceRecord> current,
                                               TransferLimits limits);

// The SOA serial of a zone's records (the first record must be its SOA).
std::uint32_t soa_serial(const dns::ResourceRecord& soa);
// The zone as zone-file text ($ORIGIN-free, one record a line, SOA first).
std::string zone_text(const std::vector<dns::ResourceRecord>& records);
// Applies one IXFR difference sequence's deletions and additions.
void apply_difference(std::vector<dns::ResourceRecord>& zone, const std::vector<dns::ResourceRecord>& removed,
                      const std::vector<dns::ResourceRecord>& added);

}  // namespace vigil::policy
