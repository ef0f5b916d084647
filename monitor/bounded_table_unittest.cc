#include "monitor/bounded_table.h"

#include <cstdint>

#include <gtest/gtest.h>

namespace vigil::monitor {
namespace {

TEST(BoundedTableTest, KeepsStatePerKey) {
  BoundedTable<int> t(64);
  bool fresh = false;
  t.touch(1, 10, &fresh) = 5;
  EXPECT_TRUE(fresh);
  EXPECT_EQ(t.touch(1, 11, &fresh), 5);
  EXPECT_FALSE(fresh);
  ASSERT_NE(t.find(1), nullptr);
  EXPECT_EQ(*t.find(1), 5);
  EXPECT_EQ(t.find(2), nullptr);
  EXPECT_EQ(t.size(), 1u);
}

TEST(BoundedTableTest, AFloodOfKeysNeverGrowsIt) {
  BoundedTable<std::uint64_t> t(1000);
  const std::size_t capacity = t.capacity();
  EXPECT_GE(capacity, 1000u);
  EXPECT_LT(capacity, 2 * 1000u + BoundedTable<std::uint64_t>::kWays);
  bool fresh = false;
  for (std::uint64_t k = 0; k < 200000; ++k)
    t.touch(k * 0x9E3779B97F4A7C15ULL, static_cast<std::uint32_t>(k), &fresh);
  EXPECT_EQ(t.capacity(), capacity);
  EXPECT_EQ(t.size(), capacity);
  EXPECT_EQ(t.evictions(), 200000u - capacity);
}

TEST(BoundedTableTest, AFullSetForgetsItsLeastRecentlySeenKey) {
  // One set: every key lands in it.
  BoundedTable<int> t(BoundedTable<int>::kWays);
  bool fresh = false;
  for (std::uint64_t k = 1; k <= BoundedTable<int>::kWays; ++k)
    t.touch(k, static_cast<std::uint32_t>(k), &fresh) = 7;
  t.touch(1, 100, &fresh);  // key 1 is recent again; key 2 is now the oldest
  EXPECT_FALSE(fresh);
  EXPECT_EQ(t.touch(99, 101, &fresh), 0);  // a fresh entry starts from V{}
  EXPECT_TRUE(fresh);
  EXPECT_NE(t.find(1), nullptr);
  EXPECT_EQ(t.find(2), nullptr);
  EXPECT_NE(t.find(3), nullptr);
  EXPECT_EQ(t.evictions(), 1u);
}

}  // namespace
}  // namespace vigil::monitor
