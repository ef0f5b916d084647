// The counters vigilctl status and /metrics both report, listed once: a
// row names the status key and the metric (family and label) of one
// figure and how to read it, so a counter added to a table shows in both.
// A status key of nullptr is only in /metrics, a metric of nullptr only in
// status; the rows of one family are consecutive, the first with its help.
//
//   append_status(out, cache_counters(), cache.stats());   // "cache_hits: 9\n" ...
//   append_metrics(families, cache_counters(), cache.stats());
//
// What the two report differently (vigilctl status's header lines, the
// outcomes, /metrics' histograms and per-RCODE families) stays with each.
#pragma once

#include <cstddef>
#include <cstdint>
#include <ostream>
#include <span>
#include <string>
#include <vector>

#include "cache/rrset_cache.h"
#include "monitor/metrics.h"
#include "monitor/query_log.h"
#include "server/recursion.h"
#include "server/server_stats.h"
#include "server/socket_buffers.h"

namespace vigil::server {

template <typename Source>
struct CounterRow {
  const char* status;  // the vigilctl status key; nullptr: not in status
  const char* metric;  // the metric family; nullptr: not in /metrics
  const char* label;   // the sample's label, "key=value"; nullptr: none
  const char* help;    // the family's help (its first row)
  monitor::MetricFamilyData::Type type;
  std::uint64_t (*value)(const Source&);
};

// The listeners: the workers' summed stats and the TCP connection table.
struct ListenerCounters {
  const StatsSnapshot& stats;
  std::size_t tcp_open;      // TCP connections open
  std::size_t tcp_buffered;  // octets held for TCP clients
  UdpSocketState udp;        // the kernel's side of the UDP sockets
};
// The engine's figures beside the workers' shed counts.
struct EngineCounters {
  Recursion& recursion;
  const StatsSnapshot& stats;
  std::size_t resolutions_in_flight;
};

// udp_*, tcp_*: after the queries and outcomes.
std::span<const CounterRow<ListenerCounters>> listener_counters();
// cache_*.
std::span<const CounterRow<cache::CacheStats>> cache_counters();
// querylog_* (after querylog_enabled) and dnstap_*.
std::span<const CounterRow<monitor::QueryLogStats>> query_log_counters();
// The engine's, in two parts: /metrics puts the limits-hit family between them.
std::span<const CounterRow<EngineCounters>> engine_counters();
std::span<const CounterRow<EngineCounters>> resolution_counters();

// "key: value\n" for each row with a status key.
template <typename Source>
void append_status(std::ostream& out, std::span<const CounterRow<Source>> rows, const Source& source) {
  for (const auto& r : rows) {
    if (r.status != nullptr) out << r.status << ": " << r.value(source) << "\n";
  }
}

// The families of the rows with a metric; consecutive rows of one family
// are its samples.
void add_counter_sample(monitor::MetricFamilyData& family, const char* label, std::uint64_t value);
template <typename Source>
void append_metrics(std::vector<monitor::MetricFamilyData>& out, std::span<const CounterRow<Source>> rows,
                    const Source& source) {
  const char* family = nullptr;
  for (const auto& r : rows) {
    if (r.metric == nullptr) continue;
    if (family == nullptr || std::string(family) != r.metric) out.push_back({r.metric, r.help, r.type, {}});
    family = r.metric;
    add_counter_sample(out.back(), r.label, r.value(source));
  }
}

}  // namespace vigil::server
