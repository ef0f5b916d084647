// Counters of the listeners, one set per worker thread. Each set has one
// writer (its worker), so an increment is a relaxed load and store, not a
// locked read-modify-write; readers (vigilctl status, metrics) sum the sets.
#pragma once

#include <array>
#include <cstdint>

#include "monitor/query_event.h"
#include "server/query_handler.h"
#include "util/counter.h"
#include "util/histogram.h"

namespace vigil::server {

using util::Counter;  // one writer: its worker (util/counter.h)

inline constexpr std::size_t kMaxCountedQtype = 257;  // CAA

struct ServerStats {
  std::array<Counter, kOutcomeCount> outcomes;  // indexed by Outcome
  Counter udp_queries;
  Counter tcp_queries;
  Counter udp_receive_errors;
  Counter udp_send_errors;  // e.g. the socket buffer was full: the answer is lost
  Counter tcp_accepted;
  Counter tcp_rejected_total;   // over server.tcp_max_connections
  Counter tcp_rejected_client;  // over server.tcp_max_connections_per_client
  Counter tcp_idle_timeouts;
  Counter tcp_message_timeouts;  // a half-sent message (slowloris)
  Counter tcp_write_timeouts;    // the client stopped reading its answers
  Counter tcp_bad_length;        // a length prefix below the DNS header size
  Counter tcp_closed_for_room;   // idle connections closed to admit a new one at a full table
  Counter accept_errors;
  // Cache misses answered at once, without a resolution (server/resolution_slots.h).
  Counter resolutions_shed_client;  // over server.max_resolutions_per_client
  Counter resolutions_shed_thread;  // over server.max_resolutions_per_thread
  // Queries by QTYPE (types up to kMaxCountedQtype each have a counter; the
  // rest share the last one), responses by RCODE (the header's four bits)
  // and by cache status (monitor::CacheStatus), and the time from receiving
  // a query to having its answer, for answers from what the worker had
  // (hit) and for those that needed a resolution (miss).
  std::array<Counter, kMaxCountedQtype + 2> qtypes;
  std::array<Counter, 16> rcodes;
  std::array<Counter, monitor::kCacheStatusCount> cache_status;
  util::LatencyHistogram<Counter> latency_hit;
  util::LatencyHistogram<Counter> latency_miss;
};

// A plain copy of the counters, summed over workers.
struct StatsSnapshot {
  std::array<std::uint64_t, kOutcomeCount> outcomes{};
  std::array<std::uint64_t, kMaxCountedQtype + 2> qtypes{};
  std::array<std::uint64_t, 16> rcodes{};
  std::array<std::uint64_t, monitor::kCacheStatusCount> cache_status{};
  util::HistogramSnapshot latency_hit, latency_miss;
  std::uint64_t udp_queries = 0, tcp_queries = 0, udp_receive_errors = 0, udp_send_errors = 0,
                tcp_accepted = 0, tcp_rejected_total = 0, tcp_rejected_client = 0, tcp_idle_timeouts = 0,
                tcp_message_timeouts = 0, tcp_write_timeouts = 0, tcp_bad_length = 0, accept_errors = 0,
                resolutions_shed_client = 0, resolutions_shed_thread = 0, tcp_closed_for_room = 0;

  void add(const ServerStats& s) {
    for (std::size_t i = 0; i < kOutcomeCount; ++i) outcomes[i] += s.outcomes[i].get();
    udp_queries += s.udp_queries.get();
    tcp_queries += s.tcp_queries.get();
    udp_receive_errors += s.udp_receive_errors.get();
    udp_send_errors += s.udp_send_errors.get();
    tcp_accepted += s.tcp_accepted.get();
    tcp_rejected_total += s.tcp_rejected_total.get();
    tcp_rejected_client += s.tcp_rejected_client.get();
    tcp_idle_timeouts += s.tcp_idle_timeouts.get();
    tcp_message_timeouts += s.tcp_message_timeouts.get();
    tcp_write_timeouts += s.tcp_write_timeouts.get();
    tcp_bad_length += s.tcp_bad_length.get();
    accept_errors += s.accept_errors.get();
    resolutions_shed_client += s.resolutions_shed_client.get();
    tcp_closed_for_room += s.tcp_closed_for_room.get();
    resolutions_shed_thread += s.resolutions_shed_thread.get();
    for (std::size_t i = 0; i < qtypes.size(); ++i) qtypes[i] += s.qtypes[i].get();
    for (std::size_t i = 0; i < rcodes.size(); ++i) rcodes[i] += s.rcodes[i].get();
    for (std::size_t i = 0; i < cache_status.size(); ++i) cache_status[i] += s.cache_status[i].get();
    latency_hit.add(s.latency_hit.snapshot());
    latency_miss.add(s.latency_miss.snapshot());
  }
  std::uint64_t outcome(Outcome o) const { return outcomes[static_cast<std::size_t>(o)]; }
};

}  // namespace vigil::server
