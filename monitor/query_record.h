// A finished query, as the listener hands it to the query log: one place
// where what the query path knows (who asked on which listener, what went
// out, where the answer came from, which feed rule it met, how long it
// took) becomes a QueryEvent in a ring slot. The listener fills a
// QueryRecord of plain views (no copies) and calls record(); the octets are
// copied once, into the slot.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string_view>

#include "monitor/query_event.h"

namespace vigil::monitor {

class QueryLog;

// One end of the query's path (the client, or the listener it reached).
struct Endpoint {
  const std::array<std::uint8_t, 16>* address = nullptr;
  std::uint8_t length = 4;  // 4 or 16
  std::uint16_t port = 0;
};

struct QueryRecord {
  Endpoint client;
  Endpoint server;
  bool tcp = false;
  std::span<const std::uint8_t> query;
  std::span<const std::uint8_t> response;  // empty: nothing was sent
  CacheStatus cache = CacheStatus::kNone;
  const char* outcome = "";  // static storage (server::outcome_name)
  unsigned upstream_queries = 0;
  // The threat-feed rule the query met, if any.
  bool policy_hit = false;
  std::string_view feed;
  std::string_view trigger;
  bool policy_enforced = false;
  bool policy_address = false;
  std::uint8_t policy_action = 0;
  std::int64_t arrival_ns = 0;   // Unix time
  std::int64_t duration_us = 0;  // from arrival to the answer's being written
};

// Copies the record into producer `producer`'s ring. False when the log is
// off or the writer is behind (the log counts that drop).
bool record(QueryLog& log, unsigned producer, const QueryRecord& r);

}  // namespace vigil::monitor
