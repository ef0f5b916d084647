// The /metrics exposition, in parts: each collect_*() appends the families
// of one part of vigild (client-facing listeners, the RRset cache, the
// resolution engine, the query log and intent detectors, threat feeds, the
// build) from that part's own stats, so a part's families can be checked
// without a running daemon. Daemon::metrics() composes them in the order the
// exposition has always had.
#pragma once

#include <array>
#include <cstddef>
#include <ctime>
#include <vector>

#include "cache/rrset_cache.h"
#include "monitor/metrics.h"
#include "monitor/query_log.h"
#include "server/policy_loader.h"
#include "server/recursion.h"
#include "server/server_stats.h"
#include "server/socket_buffers.h"

namespace vigil::server {

// vigil_queries_*, vigil_responses_*, vigil_udp_*, vigil_tcp_*: the workers'
// summed stats, the octets buffered for TCP clients, the TCP connections open,
// the kernel's figures for the UDP sockets.
void collect_server_metrics(std::vector<monitor::MetricFamilyData>& out, const StatsSnapshot& s,
                            std::size_t tcp_buffered, std::size_t tcp_open, const UdpSocketState& udp);
// vigil_cache_*.
void collect_cache_metrics(std::vector<monitor::MetricFamilyData>& out, const cache::CacheStats& c);
// vigil_upstream_*, vigil_resolver_*, vigil_infra_servers, vigil_resolutions_*:
// the engine's and transport's accessors, with the shed counts of `s`.
void collect_engine_metrics(std::vector<monitor::MetricFamilyData>& out, Recursion& recursion,
                            const StatsSnapshot& s, std::size_t resolutions_in_flight);
// vigil_querylog_*, vigil_dnstap_*, vigil_intent_* (tables, verdicts, alerts),
// vigil_who_resolved_lookback_seconds.
void collect_query_log_metrics(std::vector<monitor::MetricFamilyData>& out, const monitor::QueryLogStats& q);
// vigil_top_queries: the query counts by kind (RecentActivity::kTopKinds) and rank.
void collect_top_metrics(std::vector<monitor::MetricFamilyData>& out,
                         const std::array<std::vector<std::size_t>, 4>& tops);
// vigil_policy_*: each feed's counters and the version in force.
void collect_feed_metrics(std::vector<monitor::MetricFamilyData>& out, const PolicyLoader& feeds);
// vigil_intent_blocked_domains and the domain history's figures.
void collect_intent_tail_metrics(std::vector<monitor::MetricFamilyData>& out, const monitor::QueryLogStats& q,
                                 std::size_t blocked_domains);
// vigil_build_info, vigil_start_time_seconds.
void collect_build_metrics(std::vector<monitor::MetricFamilyData>& out, std::time_t started_wall);

}  // namespace vigil::server
