#include "monitor/metrics.h"

#include <dirent.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <stdexcept>

#include <prometheus/collectable.h>
#include <prometheus/exposer.h>
#include <prometheus/metric_family.h>

namespace vigil::monitor {

namespace {

// The start time of this process, Unix seconds (from /proc/self/stat and
// the boot time).
double process_start_time() {
  std::ifstream stat("/proc/self/stat");
  std::string all((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  const auto close = all.rfind(')');
  if (close == std::string::npos) return 0;
  std::istringstream rest(all.substr(close + 2));
  std::string field;
  unsigned long long start_ticks = 0;
  for (int i = 3; i <= 22 && rest >> field; ++i) {
    if (i == 22) start_ticks = std::stoull(field);
  }
  std::ifstream procstat("/proc/stat");
  std::string line;
  double btime = 0;
  while (std::getline(procstat, line)) {
    if (line.rfind("btime ", 0) == 0) btime = std::stod(line.substr(6));
  }
  return btime + static_cast<double>(start_ticks) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

}  // namespace

std::vector<MetricFamilyData> process_metrics() {
  std::vector<MetricFamilyData> out;
  std::ifstream stat("/proc/self/stat");
  std::string all((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  const auto close = all.rfind(')');
  double cpu = 0;
  if (close != std::string::npos) {
    std::istringstream rest(all.substr(close + 2));
    std::string field;
    unsigned long long utime = 0, stime = 0;
    for (int i = 3; i <= 15 && rest >> field; ++i) {
      if (i == 14) utime = std::stoull(field);
      if (i == 15) stime = std::stoull(field);
    }
    cpu = static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
  }
  out.push_back({"process_cpu_seconds_total",
                 "User and system CPU time spent, in seconds.",
                 MetricFamilyData::Type::kCounter,
                 {{{}, cpu}}});
  std::ifstream statm("/proc/self/statm");
  unsigned long long size = 0, resident = 0;
  statm >> size >> resident;
  out.push_back({"process_resident_memory_bytes",
                 "Resident memory size, in bytes.",
                 MetricFamilyData::Type::kGauge,
                 {{{}, static_cast<double>(resident) * static_cast<double>(sysconf(_SC_PAGESIZE))}}});
  out.push_back({"process_virtual_memory_bytes",
                 "Virtual memory size, in bytes.",
                 MetricFamilyData::Type::kGauge,
                 {{{}, static_cast<double>(size) * static_cast<double>(sysconf(_SC_PAGESIZE))}}});
  double fds = 0;
  if (DIR* d = ::opendir("/proc/self/fd")) {
    while (const dirent* e = ::readdir(d)) fds += e->d_name[0] == '.' ? 0 : 1;
    ::closedir(d);
    fds -= 1;  // the directory stream itself
  }
  out.push_back({"process_open_fds", "Open file descriptors.", MetricFamilyData::Type::kGauge, {{{}, fds}}});
  out.push_back({"process_max_fds",
                 "The limit on open file descriptors.",
                 MetricFamilyData::Type::kGauge,
                 {{{}, static_cast<double>(sysconf(_SC_OPEN_MAX))}}});
  static const double start = process_start_time();
  out.push_back({"process_start_time_seconds",
                 "Start time of the process since the Unix epoch, in seconds.",
                 MetricFamilyData::Type::kGauge,
                 {{{}, start}}});
  return out;
}

namespace {

class ProviderCollectable final : public prometheus::Collectable {
 public:
  explicit ProviderCollectable(MetricsProvider provider) : provider_(std::move(provider)) {}

  std::vector<prometheus::MetricFamily> Collect() const override {
    std::vector<prometheus::MetricFamily> out;
    auto add = [&](const std::vector<MetricFamilyData>& families) {
      for (const auto& f : families) {
        prometheus::MetricFamily mf;
        mf.name = f.name;
        mf.help = f.help;
        switch (f.type) {
          case MetricFamilyData::Type::kCounter: mf.type = prometheus::MetricType::Counter; break;
          case MetricFamilyData::Type::kGauge: mf.type = prometheus::MetricType::Gauge; break;
          case MetricFamilyData::Type::kHistogram: mf.type = prometheus::MetricType::Histogram; break;
        }
        for (const auto& s : f.samples) {
          prometheus::ClientMetric m;
          for (const auto& [k, v] : s.labels) m.label.push_back({k, v});
          switch (f.type) {
            case MetricFamilyData::Type::kCounter: m.counter.value = s.value; break;
            case MetricFamilyData::Type::kGauge: m.gauge.value = s.value; break;
            case MetricFamilyData::Type::kHistogram:
              m.histogram.sample_count = static_cast<std::uint64_t>(s.value);
              m.histogram.sample_sum = s.sum;
              for (const auto& [bound, count] : s.buckets) m.histogram.bucket.push_back({count, bound});
              break;
          }
          mf.metric.push_back(std::move(m));
        }
        out.push_back(std::move(mf));
      }
    };
    add(provider_());
    add(process_metrics());
    return out;
  }

 private:
  MetricsProvider provider_;
};

}  // namespace

struct MetricsServer::Impl {
  std::unique_ptr<prometheus::Exposer> exposer;
  std::shared_ptr<ProviderCollectable> collectable;
};

MetricsServer::MetricsServer(const std::string& listen, MetricsProvider provider) : impl_(new Impl) {
  try {
    impl_->exposer = std::make_unique<prometheus::Exposer>(listen, 2);
  } catch (const std::exception& e) {
    throw std::runtime_error("metrics.listen: cannot listen on " + listen + ": " + e.what());
  }
  impl_->collectable = std::make_shared<ProviderCollectable>(std::move(provider));
  impl_->exposer->RegisterCollectable(impl_->collectable);
}

MetricsServer::~MetricsServer() = default;

unsigned short MetricsServer::port() const {
  const auto ports = impl_->exposer->GetListeningPorts();
  return ports.empty() ? 0 : static_cast<unsigned short>(ports.front());
}

}  // namespace vigil::monitor
