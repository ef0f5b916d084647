// A counter one thread (or several) increments while others read it: the
// listeners' and the engine's statistics, summed by vigilctl status and
// the metrics scrape. One type; who writes it is chosen where it is
// declared, because the two cases genuinely cost differently:
//
//   Counter        one writer (each worker thread's own ServerStats): an
//                  increment is a relaxed load and a relaxed store, no
//                  locked read-modify-write on the query path.
//   AtomicCounter  several writers (the engine's counters, bumped by every
//                  worker's resolutions): a relaxed fetch_add.
//
// A Counter written from two threads loses increments, so the choice is
// not a tuning knob: Counter only where exactly one thread writes.
// Readers see a recent value (relaxed), never a torn one.
#pragma once

#include <atomic>
#include <cstdint>

namespace vigil::util {

enum class Writers : std::uint8_t { kOne, kMany };

template <Writers W>
class BasicCounter {
 public:
  void inc(std::uint64_t n = 1) {
    if constexpr (W == Writers::kOne) {
      v_.store(v_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
    } else {
      v_.fetch_add(n, std::memory_order_relaxed);
    }
  }
  std::uint64_t get() const { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> v_{0};
};

using Counter = BasicCounter<Writers::kOne>;
using AtomicCounter = BasicCounter<Writers::kMany>;

}  // namespace vigil::util
