// Prometheus metrics: the numbers are read when Prometheus scrapes, from
// counters the query path keeps anyway (per worker, relaxed atomics), so
// exposing them costs the query path nothing. Whoever owns the numbers
// (vigild's daemon) supplies a provider; this file turns what it returns
// into the Prometheus text format on metrics.listen (/metrics, with
// prometheus-cpp's pull exposer) and adds the process metrics Prometheus
// conventions expect (process_cpu_seconds_total, process_resident_memory_bytes,
// process_open_fds, process_start_time_seconds).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace vigil::monitor {

struct MetricSample {
  using Labels = std::vector<std::pair<std::string, std::string>>;
  MetricSample() = default;
  MetricSample(Labels l, double v) : labels(std::move(l)), value(v) {}
  MetricSample(Labels l, double count, std::vector<std::pair<double, std::uint64_t>> b, double s)
      : labels(std::move(l)), value(count), buckets(std::move(b)), sum(s) {}

  std::vector<std::pair<std::string, std::string>> labels;
  double value = 0;  // a histogram: the number of observations
  // A histogram's buckets: upper bound (the last one +Inf) and the
  // cumulative count up to it; and the sum of the observations.
  std::vector<std::pair<double, std::uint64_t>> buckets;
  double sum = 0;
};

struct MetricFamilyData {
  enum class Type : std::uint8_t { kCounter, kGauge, kHistogram };
  std::string name;  // vigil_*, units in the name, counters end in _total
  std::string help;
  Type type = Type::kCounter;
  std::vector<MetricSample> samples;
};

using MetricsProvider = std::function<std::vector<MetricFamilyData>()>;

// The process's own metrics, from /proc/self.
std::vector<MetricFamilyData> process_metrics();

class MetricsServer {
 public:
  // `listen` is ADDR:PORT ("[::1]:9153"); throws std::runtime_error when it
  // cannot be bound.
  MetricsServer(const std::string& listen, MetricsProvider provider);
  ~MetricsServer();
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  // The port bound (useful with port 0).
  unsigned short port() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace vigil::monitor
