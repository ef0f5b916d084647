// Many threads reading and writing one cache at once. Meaningful under
// ThreadSanitizer (./dev.sh build tsan); in other builds it checks that
// concurrent use keeps the cache consistent.
#include <atomic>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "cache/rrset_cache.h"

namespace vigil::cache {
namespace {

using dns::Name;
using dns::RRClass;
using dns::RRType;

TEST(RRsetCacheConcurrencyTest, ReadersAndWritersKeepEntriesConsistent) {
  CacheOptions o;
  o.max_bytes = 256 << 10;  // small: eviction runs concurrently too
  o.shards = 8;
  RRsetCache c(o);
  constexpr int kNames = 2000;
  std::vector<Name> names;
  for (int i = 0; i < kNames; ++i) names.push_back(*Name::from_text("n" + std::to_string(i) + ".example."));
  std::atomic<bool> bad{false};
  std::atomic<long> hits{0};
  auto writer = [&](int seed) {
    for (int k = 0; k < 20000; ++k) {
      int i = (k * 7 + seed) % kNames;
      // Every RDATA of name i encodes i, so readers can check what they see.
      std::uint8_t hi = static_cast<std::uint8_t>(i >> 8);
      std::uint8_t lo = static_cast<std::uint8_t>(i);
      c.insert({names[static_cast<std::size_t>(i)],
                RRType::A,
                RRClass::IN,
                300,
                {{127, hi, lo, 1}, {127, hi, lo, 2}}},
               Rank::kAuthAnswer, 1000 + k / 100);
      if (k % 5000 == 0) c.flush(names[static_cast<std::size_t>(i)]);
    }
  };
  auto reader = [&](int seed) {
    for (int k = 0; k < 40000; ++k) {
      int i = (k * 13 + seed) % kNames;
      c.visit(names[static_cast<std::size_t>(i)], RRType::A, RRClass::IN, 1000 + k / 200, {},
              [&](const RRsetView& v) {
                ++hits;
                if (v.size() != 2) bad = true;
                v.for_each_rdata([&](std::span<const std::uint8_t> rd) {
                  if (rd.size() != 4 || ((rd[1] << 8) | rd[2]) != i) bad = true;
                });
              });
      (void)c.stats();
    }
  };
  std::vector<std::thread> threads;
  threads.emplace_back(writer, 0);
  threads.emplace_back(writer, 3);
  threads.emplace_back(reader, 1);
  threads.emplace_back(reader, 2);
  threads.emplace_back(reader, 5);
  for (auto& t : threads) t.join();
  EXPECT_FALSE(bad.load());
  EXPECT_GT(hits.load(), 0);
  CacheStats s = c.stats();
  EXPECT_LE(s.bytes, o.max_bytes);
}

}  // namespace
}  // namespace vigil::cache
