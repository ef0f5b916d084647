// A bounded single-producer single-consumer ring of QueryEvents: one per
// worker thread (the producer), drained by the query log's writer thread
// (the consumer). The producer never waits and never allocates: when the
// ring is full the event is not recorded and the caller counts the drop.
//
// Each side keeps its own copy of the other side's index and reads the
// shared one only when its copy says the ring is full (producer) or empty
// (consumer), and the consumer hands slots back in batches: the two
// threads touch each other's cache lines about once per batch, not once
// per query.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>

#include "monitor/query_event.h"

namespace vigil::monitor {

class EventRing {
 public:
  // Slots the consumer releases before the producer can see them free.
  static constexpr std::uint64_t kReleaseBatch = 64;

  explicit EventRing(std::size_t capacity)
      : capacity_(capacity == 0 ? 1 : capacity), slots_(new QueryEvent[capacity_]) {}

  // Producer: a slot to fill, or nullptr when full; then publish().
  QueryEvent* claim() {
    if (p_head_ - p_tail_ >= capacity_) {
      p_tail_ = tail_.load(std::memory_order_acquire);
      if (p_head_ - p_tail_ >= capacity_) return nullptr;
    }
    return &slots_[p_head_ % capacity_];
  }
  void publish() { head_.store(++p_head_, std::memory_order_release); }

  // Consumer: the oldest published event, or nullptr; then release(). What
  // was released becomes free for the producer every kReleaseBatch events
  // and at commit(), which the consumer calls whenever it stops draining.
  const QueryEvent* peek() {
    if (c_tail_ == c_head_) {
      c_head_ = head_.load(std::memory_order_acquire);
      if (c_tail_ == c_head_) return nullptr;
    }
    return &slots_[c_tail_ % capacity_];
  }
  void release() {
    if (++c_tail_ % kReleaseBatch == 0) commit();
  }
  void commit() { tail_.store(c_tail_, std::memory_order_release); }

  std::uint64_t published() const { return head_.load(std::memory_order_acquire); }
  std::uint64_t consumed() const { return tail_.load(std::memory_order_acquire); }
  std::size_t capacity() const { return capacity_; }

 private:
  const std::size_t capacity_;
  std::unique_ptr<QueryEvent[]> slots_;
  alignas(64) std::atomic<std::uint64_t> head_{0};  // written by the producer
  std::uint64_t p_head_ = 0;                        // the producer's own
  std::uint64_t p_tail_ = 0;                        // the producer's copy of tail_
  alignas(64) std::atomic<std::uint64_t> tail_{0};  // written by the consumer
  std::uint64_t c_tail_ = 0;                        // the consumer's own
  std::uint64_t c_head_ = 0;                        // the consumer's copy of head_
};

}  // namespace vigil::monitor
