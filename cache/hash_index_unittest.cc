#include "cache/hash_index.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace vigil::cache {
namespace {

struct Item {
  std::string key;
  std::uint64_t hash;
};
struct ItemKey {
  std::string_view operator()(const Item& i) const { return i.key; }
};
using Index = HashIndex<Item, ItemKey>;

std::vector<std::string> Keys(const Index& index) {
  std::vector<std::string> out;
  for (const Item* i : index) out.push_back(i->key);
  std::sort(out.begin(), out.end());
  return out;
}

TEST(HashIndexTest, FindsWhatWasInsertedAndNothingElse) {
  Index index;
  EXPECT_EQ(index.find(1, "a"), nullptr);  // empty: no table yet
  Item a{"a", 1}, b{"b", 2};
  index.insert(a.hash, &a);
  index.insert(b.hash, &b);
  EXPECT_EQ(index.find(1, "a"), &a);
  EXPECT_EQ(index.find(2, "b"), &b);
  EXPECT_EQ(index.find(3, "c"), nullptr);
  EXPECT_EQ(index.size(), 2u);
}

// Keys whose hashes are equal are told apart by the key itself: a
// collision never returns the wrong item.
TEST(HashIndexTest, EqualHashesAreToldApartByTheKey) {
  Index index;
  Item a{"a", 7}, b{"b", 7};
  index.insert(7, &a);
  index.insert(7, &b);
  EXPECT_EQ(index.find(7, "a"), &a);
  EXPECT_EQ(index.find(7, "b"), &b);
  EXPECT_EQ(index.find(7, "c"), nullptr);
  EXPECT_TRUE(index.erase(7, &a));
  EXPECT_EQ(index.find(7, "a"), nullptr);
  EXPECT_EQ(index.find(7, "b"), &b);
}

// Erasing from the middle of a probe run shifts the run's later items
// back, wrapping around the table's end: every survivor is still found.
TEST(HashIndexTest, EraseKeepsTheRestOfARunFindableAcrossTheWrap) {
  Index index;
  std::vector<std::unique_ptr<Item>> items;
  // 16 slots once the first item is in (at most half full: 8 items). Homes
  // 14, 15, 0 and 14 again: a run 14, 15, 0, 1 that wraps.
  for (const std::uint64_t h : {14u, 15u, 16u, 30u}) {
    items.push_back(std::make_unique<Item>(Item{"k" + std::to_string(h), h}));
    index.insert(h, items.back().get());
  }
  ASSERT_EQ(index.capacity(), 16u);
  EXPECT_TRUE(index.erase(14, items[0].get()));
  for (std::size_t i = 1; i < items.size(); ++i) {
    EXPECT_EQ(index.find(items[i]->hash, items[i]->key), items[i].get()) << items[i]->key;
  }
  EXPECT_FALSE(index.erase(14, items[0].get()));  // already gone
  EXPECT_EQ(index.size(), 3u);
}

// A long random mix of inserts and erases, checked against std::map after
// every step's batch: the index grows, stays at most half full, and
// agrees on every key.
TEST(HashIndexTest, AgreesWithAMapOverARandomMix) {
  Index index;
  std::map<std::string, std::unique_ptr<Item>> model;
  std::mt19937_64 rng(42);
  for (int step = 0; step < 20000; ++step) {
    // Few distinct hash values among many keys: long runs and collisions.
    const std::uint64_t n = rng() % 3000;
    const std::string key = "key-" + std::to_string(n);
    const std::uint64_t hash = (n * 0x9E3779B97F4A7C15ULL) % 1024;
    if (auto it = model.find(key); it != model.end()) {
      ASSERT_TRUE(index.erase(hash, it->second.get())) << key;
      model.erase(it);
    } else {
      auto item = std::make_unique<Item>(Item{key, hash});
      index.insert(hash, item.get());
      model.emplace(key, std::move(item));
    }
    ASSERT_LE(index.size() * 2, index.capacity());
    if (step % 997 == 0) {
      for (const auto& [k, item] : model) ASSERT_EQ(index.find(item->hash, k), item.get()) << k;
    }
  }
  ASSERT_EQ(index.size(), model.size());
  std::vector<std::string> expected;
  for (const auto& [k, item] : model) {
    EXPECT_EQ(index.find(item->hash, k), item.get()) << k;
    expected.push_back(k);
  }
  EXPECT_EQ(Keys(index), expected);
  for (std::uint64_t n = 3000; n < 3100; ++n) {
    EXPECT_EQ(index.find((n * 0x9E3779B97F4A7C15ULL) % 1024, "key-" + std::to_string(n)), nullptr);
  }
}

TEST(HashIndexTest, ClearEmptiesAndFreesTheTable) {
  Index index;
  Item a{"a", 1};
  index.insert(1, &a);
  index.clear();
  EXPECT_EQ(index.size(), 0u);
  EXPECT_EQ(index.memory_bytes(), 0u);
  EXPECT_EQ(index.find(1, "a"), nullptr);
  EXPECT_EQ(index.begin(), index.end());
  index.insert(1, &a);  // usable again
  EXPECT_EQ(index.find(1, "a"), &a);
}

}  // namespace
}  // namespace vigil::cache
