// A bounded single-producer single-consumer ring of QueryEvents: one per
// worker thread (the producer), drained by the query log's writer thread
// (the consumer). The producer never waits and never allocates: when the
// ring is full the event is not recorded and the caller counts the drop.
//
// The ring holds octets, not slots: each event takes what it uses (its
// fixed fields, the policy hit only when there is one, the message's and
// the query's octets), about 250 octets for a typical answer against the
// 2.3 KiB of a whole QueryEvent. So the same memory holds about eight times
// the events, and a writer that falls behind for a moment (a burst of names
// it has never seen) loses none.
//
//   QueryEvent* e = ring.claim();   // the producer's own event: fill it
//   if (!ring.publish()) ...        // copied in, or no room: count a drop
//   const QueryEvent* e = ring.peek();  // consumer: the oldest, or nullptr
//   ring.release();                     // done with it
//
// Each side keeps its own copy of the other side's index and reads the
// shared one only when its copy says the ring is full (producer) or empty
// (consumer), and the consumer hands space back in batches: the two
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
  // Events the consumer releases before the producer can see their space free.
  static constexpr std::uint64_t kReleaseBatch = 64;
  // The most octets one event takes in the ring; a ring holds at least one.
  static const std::size_t kMaxRecord;

  explicit EventRing(std::size_t capacity_bytes);

  // Producer: the event to fill (the producer's own, reset to no query,
  // no policy hit, no octets); then publish().
  QueryEvent* claim();
  // Copies the claimed event in; false when the ring has no room for it
  // (it is not recorded).
  bool publish();
  // Producer: the octets published and not yet handed back by the
  // consumer (it reads the consumer's index: call it now and then, not
  // per event).
  std::size_t used_bytes() {
    p_tail_ = tail_.load(std::memory_order_acquire);
    return p_head_ - p_tail_;
  }
  // The octets `e` takes in the ring.
  static std::size_t record_bytes(const QueryEvent& e);

  // Consumer: the oldest published event, or nullptr; then release(). What
  // was released becomes free for the producer every kReleaseBatch events
  // and at commit(), which the consumer calls whenever it stops draining.
  const QueryEvent* peek();
  void release();
  void commit();

  // Events published and released so far.
  std::uint64_t published() const { return events_in_.load(std::memory_order_acquire); }
  std::uint64_t consumed() const { return events_out_.load(std::memory_order_acquire); }
  std::size_t capacity_bytes() const { return capacity_; }

 private:
  const std::size_t capacity_;  // octets, a multiple of 8
  std::unique_ptr<std::uint8_t[]> bytes_;
  // Positions are octets since the start, never wrapped; an event never
  // straddles the end: a zero length word there says "go on at 0".
  alignas(64) std::atomic<std::uint64_t> head_{0};  // written by the producer
  std::atomic<std::uint64_t> events_in_{0};
  std::uint64_t p_head_ = 0;                        // the producer's own
  std::uint64_t p_tail_ = 0;                        // the producer's copy of tail_
  QueryEvent p_event_;                              // what claim() hands out
  alignas(64) std::atomic<std::uint64_t> tail_{0};  // written by the consumer
  std::atomic<std::uint64_t> events_out_{0};
  std::uint64_t c_tail_ = 0;  // the consumer's own
  std::uint64_t c_head_ = 0;  // the consumer's copy of head_
  std::uint64_t c_events_ = 0;
  std::uint64_t c_decoded_ = ~std::uint64_t{0};  // the position c_event_ holds
  std::uint32_t c_length_ = 0;                   // its record's octets
  QueryEvent c_event_;                           // what peek() hands out
};

}  // namespace vigil::monitor
