#include "server/counter_table.h"

#include <set>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

namespace vigil::server {
namespace {

// The rules a new row must keep: a family's rows are consecutive, its
// first row has the help; status keys and families are unique.
template <typename Source>
void ExpectWellFormedCounterTable(std::span<const CounterRow<Source>> rows, std::set<std::string>& keys,
                                  std::set<std::string>& families) {
  std::string current;
  for (const auto& r : rows) {
    if (r.status != nullptr) {
      EXPECT_TRUE(keys.insert(r.status).second) << "status key twice: " << r.status;
    }
    if (r.metric == nullptr) {
      current.clear();
      continue;
    }
    if (current != r.metric) {
      EXPECT_TRUE(families.insert(r.metric).second) << "family split or twice: " << r.metric;
      EXPECT_NE(r.help, nullptr) << r.metric << " has no help";
      current = r.metric;
    }
    if (r.label != nullptr) {
      EXPECT_NE(std::string(r.label).find('='), std::string::npos) << r.label;
    }
  }
}

TEST(CounterTableTest, EveryTableIsWellFormed) {
  std::set<std::string> keys, families;
  ExpectWellFormedCounterTable(listener_counters(), keys, families);
  ExpectWellFormedCounterTable(cache_counters(), keys, families);
  ExpectWellFormedCounterTable(query_log_counters(), keys, families);
  ExpectWellFormedCounterTable(engine_counters(), keys, families);
  ExpectWellFormedCounterTable(resolution_counters(), keys, families);
  EXPECT_GT(keys.size(), 30U);
}

TEST(CounterTableTest, StatusAndMetricsReadTheSameFigures) {
  cache::CacheStats c;
  c.entries = 12;
  c.hits = 9;
  c.stale_served = 2;
  std::ostringstream status;
  append_status(status, cache_counters(), c);
  EXPECT_EQ(status.str(),
            "cache_entries: 12\ncache_bytes: 0\ncache_hits: 9\ncache_misses: 0\ncache_evictions: 0\n");
  std::vector<monitor::MetricFamilyData> out;
  append_metrics(out, cache_counters(), c);
  ASSERT_EQ(out.size(), 7U);
  EXPECT_EQ(out[0].name, "vigil_cache_entries");
  EXPECT_EQ(out[0].samples.at(0).value, 12);
  EXPECT_EQ(out[2].name, "vigil_cache_hits_total");
  EXPECT_EQ(out[2].type, monitor::MetricFamilyData::Type::kCounter);
  EXPECT_EQ(out[5].name, "vigil_cache_stale_served_total");  // only in /metrics
  EXPECT_EQ(out[5].samples.at(0).value, 2);
}

TEST(CounterTableTest, ARowsLabelBecomesItsSamplesLabel) {
  StatsSnapshot s;
  s.tcp_rejected_total = 3;
  s.tcp_rejected_client = 4;
  std::vector<monitor::MetricFamilyData> out;
  append_metrics(out, listener_counters(), ListenerCounters{s, 5, 6, {.drops = 7, .receive_buffer = 8}});
  const monitor::MetricFamilyData *rejected = nullptr, *drops = nullptr, *buffer = nullptr;
  for (const auto& f : out) {
    if (f.name == "vigil_tcp_connections_rejected_total") rejected = &f;
    if (f.name == "vigil_udp_socket_drops_total") drops = &f;
    if (f.name == "vigil_udp_receive_buffer_bytes") buffer = &f;
  }
  ASSERT_NE(drops, nullptr);
  EXPECT_EQ(drops->type, monitor::MetricFamilyData::Type::kCounter);
  EXPECT_EQ(drops->samples.at(0).value, 7);
  ASSERT_NE(buffer, nullptr);
  EXPECT_EQ(buffer->type, monitor::MetricFamilyData::Type::kGauge);
  EXPECT_EQ(buffer->samples.at(0).value, 8);
  ASSERT_NE(rejected, nullptr);
  ASSERT_EQ(rejected->samples.size(), 2U);
  EXPECT_EQ(rejected->samples[0].labels, (monitor::MetricSample::Labels{{"limit", "total"}}));
  EXPECT_EQ(rejected->samples[0].value, 3);
  EXPECT_EQ(rejected->samples[1].labels, (monitor::MetricSample::Labels{{"limit", "per_client"}}));
  EXPECT_EQ(rejected->samples[1].value, 4);
  std::ostringstream status;
  append_status(status, listener_counters(), ListenerCounters{s, 5, 6, {.drops = 7, .receive_buffer = 8}});
  EXPECT_NE(status.str().find("udp_socket_drops: 7\nudp_receive_buffer_bytes: 8\ntcp_connections_open: 5\n"
                              "tcp_accepted: 0\ntcp_rejected_total_limit: 3\n"),
            std::string::npos)
      << status.str();
  EXPECT_EQ(status.str().find("buffered"), std::string::npos);  // only in /metrics
}

}  // namespace
}  // namespace vigil::server
