// A bounded single-producer single-consumer ring of QueryEvents: one per
// worker thread (the producer), drained by the query log's writer thread
// (the consumer). The producer never waits and never allocates: when the
// ring is full the event is not recorded and the caller counts the drop.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>

#include "monitor/query_event.h"

namespace vigil::monitor {

class EventRing {
 public:
  explicit EventRing(std::size_t capacity)
      : capacity_(capacity == 0 ? 1 : capacity), slots_(new QueryEvent[capacity_]) {}

  // Producer: a slot to fill, or nullptr when full; then publish().
  QueryEvent* claim() {
    const std::uint64_t head = head_.load(std::memory_order_relaxed);
    if (head - tail_.load(std::memory_order_acquire) >= capacity_) return nullptr;
    return &slots_[head % capacity_];
  }
  void publish() { head_.store(head_.load(std::memory_order_relaxed) + 1, std::memory_order_release); }

  // Consumer: the oldest published event, or nullptr; then release().
  const QueryEvent* peek() const {
    const std::uint64_t tail = tail_.load(std::memory_order_relaxed);
    if (tail == head_.load(std::memory_order_acquire)) return nullptr;
    return &slots_[tail % capacity_];
  }
  void release() { tail_.store(tail_.load(std::memory_order_relaxed) + 1, std::memory_order_release); }

  std::uint64_t published() const { return head_.load(std::memory_order_acquire); }
  std::uint64_t consumed() const { return tail_.load(std::memory_order_acquire); }
  std::size_t capacity() const { return capacity_; }

 private:
  const std::size_t capacity_;
  std::unique_ptr<QueryEvent[]> slots_;
  alignas(64) std::atomic<std::uint64_t> head_{0};
  alignas(64) std::atomic<std::uint64_t> tail_{0};
};

}  // namespace vigil::monitor
