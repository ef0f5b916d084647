#include "monitor/resolution_index.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "monitor/recent_activity.h"

namespace vigil::monitor {
namespace {

constexpr std::int64_t kOneSecond = 1'000'000'000;
constexpr std::int64_t kOneMinute = 60 * kOneSecond;
constexpr std::int64_t kStart = std::int64_t{1'700'000'000} * kOneSecond;  // 2023-11-14T22:13:20Z
constexpr std::uint16_t kA = 1;
constexpr std::uint16_t kAAAA = 28;

std::vector<std::uint8_t> Ip(const std::string& text) {
  return *parse_ip(text);
}

class ResolutionIndexTest : public ::testing::Test {
 protected:
  void Add(ResolutionIndex& x, std::int64_t t, const std::string& client, const std::string& name,
           const std::string& address, std::uint16_t qtype = kA) {
    x.record(kStart + t, Ip(client), name, qtype, Ip(address));
  }
  ResolutionIndex x_{{.entries = 1024, .window_ns = 60 * kOneMinute}};
};

TEST_F(ResolutionIndexTest, OneEntryPerClientAndNameWithCountsAndTimes) {
  Add(x_, 0, "10.0.0.1", "www.example.com.", "192.0.2.1");
  Add(x_, 10 * kOneSecond, "10.0.0.1", "www.example.com.", "192.0.2.1");
  Add(x_, 20 * kOneSecond, "10.0.0.2", "cdn.example.net.", "192.0.2.1");
  Add(x_, 30 * kOneSecond, "10.0.0.1", "www.example.com.", "192.0.2.1");
  Add(x_, 40 * kOneSecond, "10.0.0.3", "other.example.", "192.0.2.9");
  EXPECT_EQ(x_.used(), 3u);
  const auto r = x_.find(Ip("192.0.2.1"), 0, kStart + kOneMinute);
  ASSERT_EQ(r.size(), 2u);
  // Most recently seen first.
  EXPECT_EQ(r[0].client, Ip("10.0.0.1"));
  EXPECT_EQ(r[0].name, "www.example.com.");
  EXPECT_EQ(r[0].queries, 3u);
  EXPECT_EQ(r[0].first_ns, kStart);
  EXPECT_EQ(r[0].last_ns, kStart + 30 * kOneSecond);
  EXPECT_EQ(r[1].client, Ip("10.0.0.2"));
  EXPECT_EQ(r[1].name, "cdn.example.net.");
  EXPECT_EQ(r[1].queries, 1u);
  EXPECT_EQ(x_.who_resolved(Ip("192.0.2.1"), 0, kStart + kOneMinute),
            "2023-11-14T22:13:50.000000Z 10.0.0.1 www.example.com. A 192.0.2.1 queries=3 "
            "first=2023-11-14T22:13:20.000000Z\n"
            "2023-11-14T22:13:40.000000Z 10.0.0.2 cdn.example.net. A 192.0.2.1 queries=1 "
            "first=2023-11-14T22:13:40.000000Z\n");
}

TEST_F(ResolutionIndexTest, SinceAndTheWindowLimitWhatIsFound) {
  Add(x_, 0, "10.0.0.1", "old.example.", "192.0.2.1");
  Add(x_, 50 * kOneMinute, "10.0.0.2", "new.example.", "192.0.2.1");
  EXPECT_EQ(x_.find(Ip("192.0.2.1"), 0, kStart + 55 * kOneMinute).size(), 2u);
  // SINCE: only what was last seen from then on.
  const auto since = x_.find(Ip("192.0.2.1"), kStart + 10 * kOneMinute, kStart + 55 * kOneMinute);
  ASSERT_EQ(since.size(), 1u);
  EXPECT_EQ(since[0].name, "new.example.");
  // The window (an hour): the first has run out 61 minutes on.
  const auto later = x_.find(Ip("192.0.2.1"), 0, kStart + 61 * kOneMinute);
  ASSERT_EQ(later.size(), 1u);
  EXPECT_EQ(later[0].name, "new.example.");
  EXPECT_EQ(x_.who_resolved(Ip("192.0.2.1"), 0, kStart + 111 * kOneMinute),
            "(no client was given 192.0.2.1 since 2023-11-14T23:04:20.000000Z)\n");
  // Asked again after its window, a triple starts afresh.
  Add(x_, 70 * kOneMinute, "10.0.0.1", "old.example.", "192.0.2.1");
  const auto again = x_.find(Ip("192.0.2.1"), kStart + 60 * kOneMinute, kStart + 70 * kOneMinute);
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].queries, 1u);
  EXPECT_EQ(again[0].first_ns, kStart + 70 * kOneMinute);
  EXPECT_EQ(x_.evicted_early(), 0u);
}

TEST_F(ResolutionIndexTest, AddressesTypesAndNamesAreKeptApart) {
  // An IPv6 address beginning with 1.2.3.4's octets is another address.
  Add(x_, 0, "10.0.0.1", "v4.example.", "1.2.3.4");
  Add(x_, 0, "10.0.0.1", "v6.example.", "102:304::", kAAAA);
  Add(x_, 0, "2001:db8::7", "v4.example.", "1.2.3.4");
  const auto v4 = x_.find(Ip("1.2.3.4"), 0, kStart);
  ASSERT_EQ(v4.size(), 2u);
  EXPECT_EQ(v4[0].client, Ip("10.0.0.1"));
  EXPECT_EQ(v4[1].client, Ip("2001:db8::7"));
  const auto v6 = x_.find(Ip("102:304::"), 0, kStart);
  ASSERT_EQ(v6.size(), 1u);
  EXPECT_EQ(v6[0].name, "v6.example.");
  EXPECT_EQ(v6[0].qtype, kAAAA);
  // A long name is kept cut, and still one entry.
  const std::string long_name = std::string(200, 'a') + ".example.";
  Add(x_, kOneSecond, "10.0.0.1", long_name, "192.0.2.5");
  Add(x_, 2 * kOneSecond, "10.0.0.1", long_name, "192.0.2.5");
  const auto cut = x_.find(Ip("192.0.2.5"), 0, kStart + 2 * kOneSecond);
  ASSERT_EQ(cut.size(), 1u);
  EXPECT_EQ(cut[0].name, std::string(ResolutionIndex::kNameChars - 3, 'a') + "...");
  EXPECT_EQ(cut[0].queries, 2u);
}

// A flood of new names (a random-subdomain attack, a DGA) cannot grow the
// index: it forgets the oldest, says from when it is complete, and still
// finds the newest.
TEST_F(ResolutionIndexTest, BoundedUnderAFloodAndSaysHowFarBackItIsComplete) {
  const std::size_t before = x_.memory_bytes();
  Add(x_, 0, "10.0.0.1", "victim.example.", "192.0.2.1");
  for (int i = 0; i < 200000; ++i) {
    Add(x_, kOneSecond + i * 1000, "10.0.0.66", "x" + std::to_string(i) + ".flood.example.", "198.51.100.1");
  }
  Add(x_, 10 * kOneSecond, "10.0.0.2", "late.example.", "192.0.2.1");
  EXPECT_EQ(x_.memory_bytes(), before);
  EXPECT_EQ(x_.capacity(), 1024u);
  EXPECT_LE(x_.used(), x_.capacity());
  EXPECT_GT(x_.evicted_early(), 190000u);
  EXPECT_GE(x_.complete_after(), kStart + kOneSecond);
  const auto r = x_.find(Ip("192.0.2.1"), 0, kStart + 11 * kOneSecond);
  ASSERT_FALSE(r.empty());
  EXPECT_EQ(r[0].name, "late.example.");
  const std::string text = x_.who_resolved(Ip("192.0.2.1"), 0, kStart + 11 * kOneSecond);
  EXPECT_NE(text.find("(complete only after "), std::string::npos) << text;
  // The flood's most recent names are all still there.
  for (int i = 199990; i < 200000; ++i) {
    const auto f = x_.find(Ip("198.51.100.1"), kStart + kOneSecond + i * 1000, kStart + 11 * kOneSecond);
    ASSERT_FALSE(f.empty()) << i;
  }
}

// Expired entries are reused before live ones: a table sized for the
// window never evicts early.
TEST_F(ResolutionIndexTest, ExpiredEntriesMakeRoomFirst) {
  ResolutionIndex small({.entries = 256, .window_ns = kOneMinute});
  for (int round = 0; round < 30; ++round) {  // 600 triples through 256 entries
    for (int i = 0; i < 20; ++i) {
      Add(small, round * 2 * kOneMinute + i, "10.0.0.1",
          "r" + std::to_string(round) + "-" + std::to_string(i) + ".example.", "192.0.2.1");
    }
  }
  EXPECT_EQ(small.evicted_early(), 0u);
  EXPECT_EQ(small.complete_after(), 0);
  EXPECT_EQ(small.find(Ip("192.0.2.1"), 0, kStart + 58 * kOneMinute + 30 * kOneSecond).size(), 20u);
}

}  // namespace
}  // namespace vigil::monitor
