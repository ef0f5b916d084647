#include "server/metrics_provider.h"

#include <string>

#include <gtest/gtest.h>

namespace vigil::server {
namespace {

using Families = std::vector<monitor::MetricFamilyData>;

const monitor::MetricFamilyData* family(const Families& fs, const std::string& name) {
  for (const auto& f : fs)
    if (f.name == name) return &f;
  return nullptr;
}

// The value of the sample of `name` whose labels are exactly `labels`; -1 if none.
double value(const Families& fs, const std::string& name, const monitor::MetricSample::Labels& labels = {}) {
  const auto* f = family(fs, name);
  if (f == nullptr) return -1;
  for (const auto& s : f->samples)
    if (s.labels == labels) return s.value;
  return -1;
}

TEST(MetricsProviderTest, ServerFamiliesCarryTheWorkersStats) {
  StatsSnapshot s;
  s.udp_queries = 7;
  s.tcp_queries = 3;
  s.tcp_rejected_client = 2;
  s.udp_send_errors = 5;
  Families out;
  collect_server_metrics(out, s, 4096, 11, {});
  EXPECT_EQ(value(out, "vigil_queries_total", {{"transport", "udp"}}), 7);
  EXPECT_EQ(value(out, "vigil_queries_total", {{"transport", "tcp"}}), 3);
  EXPECT_EQ(value(out, "vigil_tcp_connections_rejected_total", {{"limit", "per_client"}}), 2);
  EXPECT_EQ(value(out, "vigil_udp_send_errors_total"), 5);
  EXPECT_EQ(value(out, "vigil_tcp_buffered_bytes"), 4096);
  EXPECT_EQ(value(out, "vigil_tcp_open_connections"), 11);
  ASSERT_NE(family(out, "vigil_tcp_open_connections"), nullptr);
  EXPECT_EQ(family(out, "vigil_tcp_open_connections")->type, monitor::MetricFamilyData::Type::kGauge);
  // The six common RCODEs are always there, so a rate() has a series.
  EXPECT_EQ(family(out, "vigil_responses_by_rcode_total")->samples.size(), 6u);
  // No QTYPE seen, no series.
  EXPECT_TRUE(family(out, "vigil_queries_by_qtype_total")->samples.empty());
}

TEST(MetricsProviderTest, CacheFamiliesCarryTheCacheStats) {
  cache::CacheStats c;
  c.entries = 12;
  c.bytes = 3400;
  c.hits = 9;
  c.misses = 4;
  c.stale_served = 1;
  Families out;
  collect_cache_metrics(out, c);
  EXPECT_EQ(out.size(), 7u);
  EXPECT_EQ(value(out, "vigil_cache_entries"), 12);
  EXPECT_EQ(value(out, "vigil_cache_bytes"), 3400);
  EXPECT_EQ(value(out, "vigil_cache_hits_total"), 9);
  EXPECT_EQ(value(out, "vigil_cache_misses_total"), 4);
  EXPECT_EQ(value(out, "vigil_cache_stale_served_total"), 1);
  EXPECT_EQ(value(out, "vigil_cache_evictions_total"), 0);
}

TEST(MetricsProviderTest, QueryLogFamiliesCarryTheWritersStats) {
  monitor::QueryLogStats q;
  q.file_open = true;
  q.written = 42;
  q.dropped_queue_full = 6;
  Families out;
  collect_query_log_metrics(out, q);
  EXPECT_EQ(value(out, "vigil_querylog_enabled"), 1);
  EXPECT_EQ(value(out, "vigil_querylog_records_total"), 42);
  EXPECT_EQ(value(out, "vigil_querylog_dropped_total", {{"reason", "queue_full"}}), 6);
  EXPECT_EQ(value(out, "vigil_querylog_dropped_total", {{"reason", "write_error"}}), 0);
  // No who-resolved index: no look-back figure.
  EXPECT_EQ(family(out, "vigil_who_resolved_lookback_seconds"), nullptr);
}

TEST(MetricsProviderTest, TopCountsAreLabelledByKindAndRank) {
  std::array<std::vector<std::size_t>, 4> tops;
  tops[0] = {30, 20};
  tops[2] = {5};
  Families out;
  collect_top_metrics(out, tops);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].samples.size(), 3u);
  const std::string domains = monitor::RecentActivity::kTopKinds[0];
  const std::string nx = monitor::RecentActivity::kTopKinds[2];
  EXPECT_EQ(value(out, "vigil_top_queries", {{"kind", domains}, {"rank", "1"}}), 30);
  EXPECT_EQ(value(out, "vigil_top_queries", {{"kind", domains}, {"rank", "2"}}), 20);
  EXPECT_EQ(value(out, "vigil_top_queries", {{"kind", nx}, {"rank", "1"}}), 5);
}

TEST(MetricsProviderTest, BuildAndIntentTail) {
  Families out;
  monitor::QueryLogStats q;
  q.intent.history_first_day = 2;
  collect_intent_tail_metrics(out, q, 17);
  collect_build_metrics(out, 1234);
  EXPECT_EQ(value(out, "vigil_intent_blocked_domains"), 17);
  EXPECT_EQ(value(out, "vigil_intent_history_start_time_seconds"), 2 * 86400);
  EXPECT_EQ(value(out, "vigil_start_time_seconds"), 1234);
  ASSERT_NE(family(out, "vigil_build_info"), nullptr);
  EXPECT_EQ(out.back().name, "vigil_start_time_seconds");
}

}  // namespace
}  // namespace vigil::server
