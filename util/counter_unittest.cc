#include "util/counter.h"

#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "util/histogram.h"

namespace vigil::util {
namespace {

TEST(CounterTest, OneWriterCounts) {
  Counter c;
  c.inc();
  c.inc(41);
  EXPECT_EQ(c.get(), 42u);
}

TEST(CounterTest, ManyWritersLoseNothing) {
  AtomicCounter c;
  std::vector<std::thread> writers;
  for (int t = 0; t < 4; ++t) {
    writers.emplace_back([&] {
      for (int i = 0; i < 10000; ++i) c.inc();
    });
  }
  for (auto& w : writers) w.join();
  EXPECT_EQ(c.get(), 40000u);
}

TEST(LatencyHistogramTest, BucketsAndSum) {
  EXPECT_EQ(latency_bucket(0), 0u);
  EXPECT_EQ(latency_bucket(10'000), 0u);                              // 10 µs: the first bound is inclusive
  EXPECT_EQ(latency_bucket(11'000), 1u);                              // 11 µs
  EXPECT_EQ(latency_bucket(6'000'000'000), kLatencyBucketCount - 1);  // above 5 s
  LatencyHistogram<Counter> h;
  h.observe(1'000'000, 3);  // 1 ms, three times
  const HistogramSnapshot s = h.snapshot();
  EXPECT_EQ(s.count(), 3u);
  EXPECT_EQ(s.sum_ns, 3'000'000u);
  EXPECT_EQ(s.buckets[latency_bucket(1'000'000)], 3u);
}

}  // namespace
}  // namespace vigil::util
