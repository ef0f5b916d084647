#include "monitor/query_log.h"

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "protocol/message.h"

namespace vigil::monitor {
namespace {

std::vector<std::string> Lines(const std::string& path) {
  std::ifstream f(path);
  std::vector<std::string> out;
  for (std::string line; std::getline(f, line);) out.push_back(line);
  return out;
}

class QueryLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("vigil-querylog-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
    path_ = (dir_ / "queries.log").string();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  static bool Record(QueryLog& log, unsigned producer, const std::string& name) {
    QueryEvent* e = log.claim(producer);
    if (e == nullptr) return false;
    const auto wire = dns::make_query(1, *dns::Name::from_text(name), dns::RRType::A, true, 0).to_wire();
    e->set_message(wire, false);
    e->outcome = "answered";
    log.publish(producer);
    return true;
  }

  std::filesystem::path dir_;
  std::string path_;
};

TEST_F(QueryLogTest, EveryRecordFromEveryProducerIsWrittenOnce) {
  QueryLog log(4, 1024);
  log.configure({path_, 0, 1, {}, {}});
  std::vector<std::thread> producers;
  std::atomic<std::uint64_t> full{0};
  for (unsigned p = 0; p < 4; ++p) {
    producers.emplace_back([&log, &full, p] {
      for (int i = 0; i < 2000; ++i) {
        while (!Record(log, p, "n" + std::to_string(i) + ".p" + std::to_string(p) + ".example.")) {
          full.fetch_add(1);  // this test retries until there is room: nothing is lost
          std::this_thread::yield();
        }
      }
    });
  }
  for (auto& t : producers) t.join();
  log.flush();
  const auto lines = Lines(path_);
  ASSERT_EQ(lines.size(), 8000u);
  std::set<std::string> names;
  for (const auto& l : lines) names.insert(nlohmann::json::parse(l)["dns"]["question"]["name"]);
  EXPECT_EQ(names.size(), 8000u);
  EXPECT_EQ(log.stats().written, 8000u);
  EXPECT_EQ(log.stats().dropped_queue_full, full.load());  // every full ring counted
}

TEST_F(QueryLogTest, AStalledWriterDropsAndCountsNeverBlocks) {
  QueryLog log(1, 16);
  log.configure({path_, 0, 1, {}, {}});
  log.pause_writer(true);
  int recorded = 0;
  for (int i = 0; i < 100; ++i) recorded += Record(log, 0, "x" + std::to_string(i) + ".example.") ? 1 : 0;
  EXPECT_EQ(recorded, 16);
  EXPECT_EQ(log.stats().dropped_queue_full, 84u);
  log.pause_writer(false);
  log.flush();
  EXPECT_EQ(Lines(path_).size(), 16u);
  EXPECT_EQ(log.stats().written, 16u);
}

TEST_F(QueryLogTest, SwitchedOffRePointedAndOnAgain) {
  QueryLog log(1, 64);
  EXPECT_FALSE(log.enabled());
  log.configure({path_, 0, 1, {}, {}});
  EXPECT_TRUE(log.enabled());
  ASSERT_TRUE(Record(log, 0, "one.example."));
  const std::string second = (dir_ / "second.log").string();
  log.configure({second, 0, 1, {}, {}});  // what was queued goes to the first file
  ASSERT_TRUE(Record(log, 0, "two.example."));
  log.configure({"", 0, 1, {}, {}});
  EXPECT_FALSE(log.enabled());
  EXPECT_EQ(Lines(path_).size(), 1u);
  EXPECT_EQ(Lines(second).size(), 1u);
  EXPECT_NE(Lines(second)[0].find("two.example"), std::string::npos);
}

TEST_F(QueryLogTest, WriteErrorsAreCountedAndReportedOnce) {
  int reports = 0;
  QueryLog log(1, 64, [&](const std::string&) { ++reports; });
  log.configure({(dir_ / "missing" / "q.log").string(), 0, 1, {}, {}});
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(Record(log, 0, "e" + std::to_string(i) + ".example."));
  log.flush();
  EXPECT_EQ(log.stats().dropped_write_error, 5u);
  EXPECT_EQ(log.stats().written, 0u);
  EXPECT_EQ(reports, 1);
}

TEST_F(QueryLogTest, RotationsAreCountedAcrossSwitches) {
  QueryLog log(1, 64);
  log.configure({path_, 300, 2, {}, {}});  // a line is about 500 octets: every line rotates
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(Record(log, 0, "r" + std::to_string(i) + ".example."));
    log.flush();
  }
  const auto rotated = log.stats().rotations;
  EXPECT_EQ(rotated, 2u);
  log.configure({"", 0, 1, {}, {}});
  EXPECT_EQ(log.stats().rotations, rotated);  // switching off keeps the count
}

TEST_F(QueryLogTest, DestructionWritesWhatIsQueued) {
  {
    QueryLog log(1, 64);
    log.configure({path_, 0, 1, {}, {}});
    for (int i = 0; i < 10; ++i) ASSERT_TRUE(Record(log, 0, "d" + std::to_string(i) + ".example."));
  }
  EXPECT_EQ(Lines(path_).size(), 10u);
}

}  // namespace
}  // namespace vigil::monitor
