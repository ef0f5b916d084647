#include "monitor/event_ring.h"

#include <thread>

#include <gtest/gtest.h>

namespace vigil::monitor {
namespace {

bool push(EventRing& ring, std::uint32_t v) {
  QueryEvent* e = ring.claim();
  if (e == nullptr) return false;
  e->duration_us = v;
  ring.publish();
  return true;
}

TEST(EventRingTest, FirstInFirstOutAcrossTheWrap) {
  EventRing ring(4);
  std::uint32_t next_in = 0, next_out = 0;
  for (int round = 0; round < 10; ++round) {
    while (push(ring, next_in)) ++next_in;
    EXPECT_EQ(ring.published() - ring.consumed(), 4U);
    for (int k = 0; k < 3; ++k) {
      const QueryEvent* e = ring.peek();
      ASSERT_NE(e, nullptr);
      EXPECT_EQ(e->duration_us, next_out++);
      ring.release();
    }
    ring.commit();
  }
  EXPECT_EQ(next_in, 4U + 9 * 3);
}

TEST(EventRingTest, FullUntilTheConsumerCommits) {
  EventRing ring(8);
  for (std::uint32_t i = 0; i < 8; ++i) ASSERT_TRUE(push(ring, i));
  EXPECT_FALSE(push(ring, 99));
  ASSERT_NE(ring.peek(), nullptr);
  ring.release();  // released but not yet handed back
  EXPECT_FALSE(push(ring, 99));
  ring.commit();
  EXPECT_TRUE(push(ring, 8));
  EXPECT_FALSE(push(ring, 99));
}

TEST(EventRingTest, ReleasesInBatchesWithoutCommit) {
  EventRing ring(EventRing::kReleaseBatch);
  for (std::uint32_t i = 0; i < EventRing::kReleaseBatch; ++i) ASSERT_TRUE(push(ring, i));
  for (std::uint32_t i = 0; i < EventRing::kReleaseBatch; ++i) {
    ASSERT_NE(ring.peek(), nullptr);
    ring.release();
  }
  EXPECT_EQ(ring.consumed(), EventRing::kReleaseBatch);  // a whole batch: handed back
  EXPECT_TRUE(push(ring, 0));
}

TEST(EventRingTest, EmptyUntilPublished) {
  EventRing ring(2);
  EXPECT_EQ(ring.peek(), nullptr);
  QueryEvent* e = ring.claim();
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(ring.peek(), nullptr);  // claimed, not published
  ring.publish();
  EXPECT_NE(ring.peek(), nullptr);
}

// One producer, one consumer on two threads: every event arrives once, in
// order, whatever the interleaving (also run under ThreadSanitizer).
TEST(EventRingTest, ConcurrentProducerAndConsumerLoseNothing) {
  constexpr std::uint32_t kEvents = 200000;
  EventRing ring(256);
  std::thread producer([&] {
    for (std::uint32_t i = 0; i < kEvents;) {
      if (push(ring, i)) {
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
    in_order = in_order && e->duration_us == expected;
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
