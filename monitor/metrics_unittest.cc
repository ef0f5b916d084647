#include "monitor/metrics.h"

#include <unistd.h>

#include <cmath>
#include <string>

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <sys/socket.h>

namespace vigil::monitor {
namespace {

// A plain HTTP GET on loopback, as a scraper sends it.
std::string Get(unsigned short port, const std::string& path) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return "";
  }
  const std::string req = "GET " + path + " HTTP/1.0\r\nHost: localhost\r\n\r\n";
  (void)::write(fd, req.data(), req.size());
  std::string out;
  char buf[4096];
  for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) > 0;) out.append(buf, static_cast<std::size_t>(n));
  ::close(fd);
  return out;
}

TEST(MetricsTest, ServesTheProvidersNumbersAndProcessMetrics) {
  int scrapes = 0;
  MetricsServer server("127.0.0.1:0", [&] {
    ++scrapes;
    std::vector<MetricFamilyData> f;
    f.push_back({"vigil_queries_total",
                 "Queries received.",
                 MetricFamilyData::Type::kCounter,
                 {{{{"transport", "udp"}}, 42}, {{{"transport", "tcp"}}, 7}}});
    f.push_back(
        {"vigil_cache_entries", "Entries in the cache.", MetricFamilyData::Type::kGauge, {{{}, 1234}}});
    return f;
  });
  ASSERT_NE(server.port(), 0);
  const std::string body = Get(server.port(), "/metrics");
  EXPECT_NE(body.find("# TYPE vigil_queries_total counter"), std::string::npos) << body;
  EXPECT_NE(body.find("vigil_queries_total{transport=\"udp\"} 42"), std::string::npos) << body;
  EXPECT_NE(body.find("vigil_queries_total{transport=\"tcp\"} 7"), std::string::npos) << body;
  EXPECT_NE(body.find("vigil_cache_entries 1234"), std::string::npos) << body;
  EXPECT_NE(body.find("process_resident_memory_bytes"), std::string::npos) << body;
  EXPECT_NE(body.find("process_open_fds"), std::string::npos) << body;
  EXPECT_NE(body.find("process_start_time_seconds"), std::string::npos) << body;
  EXPECT_EQ(scrapes, 1);
}

TEST(MetricsTest, HistogramsHaveCumulativeBucketsASumAndACount) {
  MetricsServer server("127.0.0.1:0", [] {
    MetricSample hit{{{"cache", "hit"}}, 5, {{0.0001, 3}, {0.001, 4}, {INFINITY, 5}}, 0.0123};
    return std::vector<MetricFamilyData>{
        {"vigil_response_duration_seconds", "Time to answer.", MetricFamilyData::Type::kHistogram, {hit}}};
  });
  const std::string body = Get(server.port(), "/metrics");
  EXPECT_NE(body.find("# TYPE vigil_response_duration_seconds histogram"), std::string::npos) << body;
  EXPECT_NE(body.find("vigil_response_duration_seconds_bucket{cache=\"hit\",le=\"0.0001\"} 3"),
            std::string::npos)
      << body;
  EXPECT_NE(body.find("vigil_response_duration_seconds_bucket{cache=\"hit\",le=\"0.001\"} 4"),
            std::string::npos)
      << body;
  EXPECT_NE(body.find("vigil_response_duration_seconds_bucket{cache=\"hit\",le=\"+Inf\"} 5"),
            std::string::npos)
      << body;
  EXPECT_NE(body.find("vigil_response_duration_seconds_count{cache=\"hit\"} 5"), std::string::npos) << body;
  EXPECT_NE(body.find("vigil_response_duration_seconds_sum{cache=\"hit\"} 0.0123"), std::string::npos)
      << body;
}

TEST(MetricsTest, ProcessMetricsAreSane) {
  double rss = 0, fds = 0, start = 0;
  for (const auto& f : process_metrics()) {
    if (f.name == "process_resident_memory_bytes") rss = f.samples.at(0).value;
    if (f.name == "process_open_fds") fds = f.samples.at(0).value;
    if (f.name == "process_start_time_seconds") start = f.samples.at(0).value;
  }
  EXPECT_GT(rss, 1 << 20);
  EXPECT_GE(fds, 3);
  EXPECT_GT(start, 1.6e9);
  EXPECT_LE(start, static_cast<double>(::time(nullptr)) + 1);
}

TEST(MetricsTest, AnAddressInUseIsAClearError) {
  MetricsServer first("127.0.0.1:0", [] { return std::vector<MetricFamilyData>{}; });
  const std::string taken = "127.0.0.1:" + std::to_string(first.port());
  try {
    MetricsServer second(taken, [] { return std::vector<MetricFamilyData>{}; });
    FAIL() << "a second server on " << taken;
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("metrics.listen: cannot listen on " + taken), std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace vigil::monitor
