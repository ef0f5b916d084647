// Time as the engine sees it, injectable: the real clocks in vigild, a
// hand-driven one in tests, so TTLs and timeouts are deterministic.
#pragma once

#include <chrono>
#include <cstdint>
#include <ctime>

#include "cache/cache_options.h"

namespace vigil::resolver {

class Clock {
 public:
  virtual ~Clock() = default;
  // Unix seconds, for TTLs (what the cache takes as `now`).
  virtual cache::Time wall() const = 0;
  // A monotonic reading, for budgets and RTTs.
  virtual std::chrono::steady_clock::time_point monotonic() const = 0;
  // Unix time in nanoseconds, for timestamps (the query log's).
  virtual std::int64_t wall_ns() const = 0;
};

class SystemClock final : public Clock {
 public:
  cache::Time wall() const override { return std::time(nullptr); }
  std::chrono::steady_clock::time_point monotonic() const override {
    return std::chrono::steady_clock::now();
  }
  std::int64_t wall_ns() const override {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
};

// Moves only when told to.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(cache::Time wall_start = 1'700'000'000) : wall_(wall_start) {}
  cache::Time wall() const override { return wall_; }
  std::chrono::steady_clock::time_point monotonic() const override { return mono_; }
  std::int64_t wall_ns() const override {
    return wall_ * 1'000'000'000 + std::chrono::duration_cast<std::chrono::nanoseconds>(carry_).count();
  }
  void advance(std::chrono::milliseconds d) {
    mono_ += d;
    carry_ += d;
    const auto secs = std::chrono::duration_cast<std::chrono::seconds>(carry_);
    wall_ += secs.count();
    carry_ -= secs;
  }

 private:
  cache::Time wall_;
  std::chrono::steady_clock::time_point mono_{};
  std::chrono::milliseconds carry_{0};
};

}  // namespace vigil::resolver
