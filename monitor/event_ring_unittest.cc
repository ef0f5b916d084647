#include "monitor/event_ring.h"

#include <random>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace vigil::monitor {
namespace {

// An event carrying `v` and `octets` message octets (each v + index).
bool push(EventRing& ring, std::uint32_t v, std::size_t octets = 0) {
  QueryEvent* e = ring.claim();
  e->duration_us = v;
  std::vector<std::uint8_t> m(octets);
  for (std::size_t i = 0; i < octets; ++i) m[i] = static_cast<std::uint8_t>(v + i);
  e->set_message(m, true);
  return ring.publish();
}

bool carries(const QueryEvent& e, std::uint32_t v, std::size_t octets) {
  if (e.duration_us != v || e.message_size != octets || !e.is_response) return false;
  for (std::size_t i = 0; i < octets; ++i) {
    if (e.message[i] != static_cast<std::uint8_t>(v + i)) return false;
  }
  return true;
}

TEST(EventRingTest, FirstInFirstOutAcrossTheWrap) {
  EventRing ring(0);  // the smallest: two of the largest events
  std::uint32_t next_in = 0, next_out = 0;
  std::mt19937 rng(7);
  std::vector<std::size_t> sizes;  // of the events in flight, oldest first
  std::size_t octets_in = 0;
  for (int round = 0; round < 200; ++round) {
    for (;;) {
      const std::size_t octets = rng() % (QueryEvent::kMaxMessage + 1);
      if (!push(ring, next_in, octets)) break;
      sizes.push_back(octets);
      QueryEvent sized;
      sized.message_size = static_cast<std::uint16_t>(octets);
      octets_in += EventRing::record_bytes(sized);
      ++next_in;
    }
    ASSERT_FALSE(sizes.empty());
    EXPECT_EQ(ring.published() - ring.consumed(), sizes.size());
    for (int k = 0; k < 2 && !sizes.empty(); ++k) {
      const QueryEvent* e = ring.peek();
      ASSERT_NE(e, nullptr);
      EXPECT_TRUE(carries(*e, next_out, sizes.front())) << next_out;
      sizes.erase(sizes.begin());
      ++next_out;
      ring.release();
    }
    ring.commit();
  }
  EXPECT_GT(octets_in / ring.capacity_bytes(), 10u);  // the ring went round many times, events of every size
}

TEST(EventRingTest, EveryFieldAndThePolicyHitComeBack) {
  EventRing ring(1 << 16);
  QueryEvent* e = ring.claim();
  e->time_ns = 1234567890123;
  e->client = {10, 0, 0, 7};
  e->client_port = 5353;
  e->tcp = true;
  e->outcome = "answered";
  e->upstream_queries = 3;
  e->policy.hit = true;
  e->policy.enforced = true;
  e->policy.set("urlhaus", "*.bad.example.");
  const std::vector<std::uint8_t> q = {1, 2, 3};
  e->set_message(std::vector<std::uint8_t>(40, 9), true);
  e->set_query(q);
  ASSERT_TRUE(ring.publish());
  // The next event starts afresh: no policy hit, no octets kept.
  QueryEvent* next = ring.claim();
  EXPECT_FALSE(next->policy.hit);
  EXPECT_EQ(next->message_size, 0u);
  EXPECT_EQ(next->query_size, 0u);
  EXPECT_EQ(next->time_ns, 0);
  next->duration_us = 5;
  ASSERT_TRUE(ring.publish());

  const QueryEvent* got = ring.peek();
  ASSERT_NE(got, nullptr);
  EXPECT_EQ(got->time_ns, 1234567890123);
  EXPECT_EQ(got->client[3], 7);
  EXPECT_EQ(got->client_port, 5353);
  EXPECT_TRUE(got->tcp);
  EXPECT_STREQ(got->outcome, "answered");
  EXPECT_EQ(got->upstream_queries, 3);
  EXPECT_TRUE(got->policy.hit);
  EXPECT_TRUE(got->policy.enforced);
  EXPECT_EQ(got->policy.feed_name(), "urlhaus");
  EXPECT_EQ(got->policy.trigger_text(), "*.bad.example.");
  EXPECT_EQ(got->message_size, 40u);
  EXPECT_EQ(got->message[39], 9);
  ASSERT_EQ(got->query_size, 3u);
  EXPECT_EQ(got->query[2], 3);
  ring.release();
  got = ring.peek();
  ASSERT_NE(got, nullptr);
  EXPECT_EQ(got->duration_us, 5u);
  EXPECT_FALSE(got->policy.hit);  // not the previous event's
  EXPECT_EQ(got->message_size, 0u);
  EXPECT_EQ(got->query_size, 0u);
}

// What an event takes is what it uses: a typical answer a small part of a
// whole QueryEvent, so the ring holds many more of them.
TEST(EventRingTest, ATypicalAnswerTakesAFractionOfAWholeEvent) {
  QueryEvent e;
  e.set_message(std::vector<std::uint8_t>(160, 0), true);
  EXPECT_LT(EventRing::record_bytes(e), sizeof(QueryEvent) / 6);
  EXPECT_LE(EventRing::record_bytes(e), 256u);
  EventRing ring(1 << 20);
  std::size_t held = 0;
  while (push(ring, 0, 160)) ++held;
  EXPECT_GE(held, (std::size_t{1} << 20) / 256);
  EXPECT_EQ(ring.published(), held);
}

// A producer that sets the sizes itself, past the arrays, gets them cut
// (the consumer's copy never runs past its event: ASan checks it).
TEST(EventRingTest, SizesPastTheArraysAreCut) {
  EventRing ring(0);
  QueryEvent* e = ring.claim();
  e->message_size = 0xFFFF;
  e->query_size = 0xFFFF;
  EXPECT_LE(EventRing::record_bytes(*e), EventRing::kMaxRecord);
  ASSERT_TRUE(ring.publish());
  const QueryEvent* got = ring.peek();
  ASSERT_NE(got, nullptr);
  EXPECT_EQ(got->message_size, QueryEvent::kMaxMessage);
  EXPECT_EQ(got->query_size, QueryEvent::kMaxQuery);
  ring.release();
  ring.release();  // nothing peeked: no event counted, no space skipped
  ring.commit();
  EXPECT_EQ(ring.consumed(), 1u);
  EXPECT_EQ(ring.peek(), nullptr);
}

TEST(EventRingTest, FullUntilTheConsumerCommits) {
  EventRing ring(0);
  std::uint32_t n = 0;
  while (push(ring, n, 100)) ++n;
  ASSERT_GT(n, 2u);
  EXPECT_FALSE(push(ring, 99, 100));
  ASSERT_NE(ring.peek(), nullptr);
  ring.release();  // released but not yet handed back
  EXPECT_FALSE(push(ring, 99, 100));
  ring.commit();
  EXPECT_TRUE(push(ring, n, 100));
  EXPECT_FALSE(push(ring, 99, 100));
}

TEST(EventRingTest, ReleasesInBatchesWithoutCommit) {
  EventRing ring(EventRing::kReleaseBatch * 128);
  for (std::uint32_t i = 0; i < EventRing::kReleaseBatch; ++i) ASSERT_TRUE(push(ring, i));
  while (push(ring, 0)) {
  }
  for (std::uint32_t i = 0; i < EventRing::kReleaseBatch; ++i) {
    ASSERT_NE(ring.peek(), nullptr);
    ring.release();
  }
  EXPECT_EQ(ring.consumed(), EventRing::kReleaseBatch);  // a whole batch: handed back
  EXPECT_TRUE(push(ring, 0));
}

TEST(EventRingTest, EmptyUntilPublished) {
  EventRing ring(0);
  EXPECT_EQ(ring.peek(), nullptr);
  QueryEvent* e = ring.claim();
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(ring.peek(), nullptr);  // claimed, not published
  ring.publish();
  EXPECT_NE(ring.peek(), nullptr);
}

// One producer, one consumer on two threads: every event arrives once, in
// order and whole, whatever the interleaving (also run under
// ThreadSanitizer).
TEST(EventRingTest, ConcurrentProducerAndConsumerLoseNothing) {
  constexpr std::uint32_t kEvents = 200000;
  EventRing ring(0);
  std::thread producer([&] {
    for (std::uint32_t i = 0; i < kEvents;) {
      if (push(ring, i, i % 301)) {
        ++i;
      } else {
        std::this_thread::yield();
      }
    }
  });
  std::uint32_t expected = 0;
  bool in_order = true;
  while (expected < kEvents) {
    const QueryEvent* e = ring.peek();
    if (e == nullptr) {
      ring.commit();
      std::this_thread::yield();
      continue;
    }
    in_order = in_order && carries(*e, expected, expected % 301);
    ++expected;
    ring.release();
  }
  ring.commit();
  producer.join();
  EXPECT_TRUE(in_order);
  EXPECT_EQ(ring.peek(), nullptr);
  EXPECT_EQ(ring.consumed(), kEvents);
}

}  // namespace
}  // namespace vigil::monitor
