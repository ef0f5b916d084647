#include "monitor/domain_history.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

namespace vigil::monitor {
namespace {

constexpr std::uint32_t kDaySeconds = 86400;
constexpr std::uint32_t kT0 = 20000 * kDaySeconds + 3600;  // a day in 2024, 01:00

TEST(DomainHistoryTest, RemembersForItsWindowThenForgets) {
  DomainHistory h(30, 10000);
  EXPECT_EQ(h.first_day(), 0u);
  EXPECT_FALSE(h.seen_then_add("example.com", kT0));
  EXPECT_EQ(h.first_day(), kT0 / kDaySeconds);
  EXPECT_TRUE(h.seen_then_add("example.com", kT0 + 10));
  EXPECT_FALSE(h.seen("example.org", kT0));
  // Still within 30 days (the day it was added and 29 after).
  EXPECT_TRUE(h.seen("example.com", kT0 + 29 * kDaySeconds));
  // Looked up again on day 20: remembered 30 days from then.
  EXPECT_TRUE(h.seen_then_add("example.com", kT0 + 20 * kDaySeconds));
  EXPECT_TRUE(h.seen("example.com", kT0 + 49 * kDaySeconds));
  EXPECT_FALSE(h.seen("example.com", kT0 + 50 * kDaySeconds));
}

TEST(DomainHistoryTest, ItsMemoryIsFixedAndItsErrorsAreFalsePositivesNearThePlannedRate) {
  DomainHistory h(30, 10000);
  const std::size_t bytes = h.memory_bytes();
  EXPECT_LT(bytes, 31u * 13000u);  // about 9.6 bits a domain, 31 filters
  for (int i = 0; i < 10000; ++i) h.seen_then_add("d" + std::to_string(i) + ".com", kT0);
  EXPECT_EQ(h.memory_bytes(), bytes);
  for (int i = 0; i < 10000; ++i)
    EXPECT_TRUE(h.seen("d" + std::to_string(i) + ".com", kT0)) << i;  // none missed
  int false_positives = 0;
  for (int i = 0; i < 10000; ++i) false_positives += h.seen("x" + std::to_string(i) + ".net", kT0) ? 1 : 0;
  EXPECT_LT(false_positives, 250);  // 1 % planned; 2.5 % allows for chance
  // Ten times the planned load: more false positives, the same memory.
  for (int i = 0; i < 100000; ++i) h.seen_then_add("e" + std::to_string(i) + ".com", kT0 + kDaySeconds);
  EXPECT_EQ(h.memory_bytes(), bytes);
}

TEST(DomainHistoryTest, SavedAndLoadedBack) {
  const std::string path =
      (std::filesystem::temp_directory_path() / ("vigil-history-" + std::to_string(::getpid()) + ".bin"))
          .string();
  DomainHistory h(30, 5000);
  h.seen_then_add("kept.com", kT0);
  h.seen_then_add("later.com", kT0 + 3 * kDaySeconds);
  std::string error;
  ASSERT_TRUE(h.save(path, &error)) << error;
  auto back = DomainHistory::load(path, 30, 5000, &error);
  ASSERT_TRUE(back) << error;
  EXPECT_EQ(back->first_day(), kT0 / kDaySeconds);
  EXPECT_TRUE(back->seen("kept.com", kT0 + 4 * kDaySeconds));
  EXPECT_TRUE(back->seen("later.com", kT0 + 4 * kDaySeconds));
  EXPECT_FALSE(back->seen("never.com", kT0 + 4 * kDaySeconds));
  // Other settings, a damaged or cut file: refused with the reason.
  EXPECT_FALSE(DomainHistory::load(path, 7, 5000, &error));
  EXPECT_NE(error.find("other settings"), std::string::npos) << error;
  std::filesystem::resize_file(path, std::filesystem::file_size(path) - 8);
  EXPECT_FALSE(DomainHistory::load(path, 30, 5000, &error));
  EXPECT_NE(error.find("cut short"), std::string::npos) << error;
  std::ofstream(path) << "not a history at all, but long enough to have a header";
  EXPECT_FALSE(DomainHistory::load(path, 30, 5000, &error));
  EXPECT_NE(error.find("not a Vigil domain history"), std::string::npos) << error;
  EXPECT_FALSE(DomainHistory::load(path + ".missing", 30, 5000, &error));
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace vigil::monitor
