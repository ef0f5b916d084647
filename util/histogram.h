// A latency histogram cheap enough for the query path: fixed buckets (from
// 10 µs to 5 s, the range between a cache hit and a resolution that gives
// up), one counter per bucket and a sum, no lock. The counter type decides
// the cost (util/counter.h): Counter for a histogram one thread writes
// (each worker's query latency, server/server_stats.h), AtomicCounter for
// one written from several threads (the engine's upstream RTT). Readers
// (the metrics scrape) take a Snapshot.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "util/counter.h"

namespace vigil::util {

// Bucket upper bounds in microseconds; a last, unbounded bucket follows.
inline constexpr std::array<std::uint64_t, 16> kLatencyBucketsUs = {
    10,    25,     50,     100,    250,     500,     1'000,     2'500,
    5'000, 10'000, 25'000, 50'000, 100'000, 500'000, 1'000'000, 5'000'000};
inline constexpr std::size_t kLatencyBucketCount = kLatencyBucketsUs.size() + 1;

// Which bucket a duration falls in (the last one: above every bound).
inline std::size_t latency_bucket(std::uint64_t ns) {
  const std::uint64_t us = ns / 1000;
  std::size_t i = 0;
  while (i < kLatencyBucketsUs.size() && us > kLatencyBucketsUs[i]) ++i;
  return i;
}

// Plain numbers: per-bucket counts (not cumulative) and the sum in ns.
struct HistogramSnapshot {
  std::array<std::uint64_t, kLatencyBucketCount> buckets{};
  std::uint64_t sum_ns = 0;

  std::uint64_t count() const {
    std::uint64_t n = 0;
    for (auto b : buckets) n += b;
    return n;
  }
  void add(const HistogramSnapshot& o) {
    for (std::size_t i = 0; i < kLatencyBucketCount; ++i) buckets[i] += o.buckets[i];
    sum_ns += o.sum_ns;
  }
};

template <typename CounterT>
class LatencyHistogram {
 public:
  // `n` observations of the same duration (a batch answered together).
  void observe(std::uint64_t ns, std::uint64_t n = 1) {
    buckets_[latency_bucket(ns)].inc(n);
    sum_ns_.inc(ns * n);
  }
  HistogramSnapshot snapshot() const {
    HistogramSnapshot s;
    for (std::size_t i = 0; i < kLatencyBucketCount; ++i) s.buckets[i] = buckets_[i].get();
    s.sum_ns = sum_ns_.get();
    return s;
  }

 private:
  std::array<CounterT, kLatencyBucketCount> buckets_;
  CounterT sum_ns_;
};

}  // namespace vigil::util
