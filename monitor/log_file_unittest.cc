#include "monitor/log_file.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>
#include <sys/stat.h>

namespace vigil::monitor {
namespace {

std::string Read(const std::string& path) {
  std::ifstream f(path);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

class LogFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("vigil-logfile-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
};

TEST_F(LogFileTest, RotatesBySizeAndKeepsTheNewest) {
  const std::string path = (dir_ / "q.log").string();
  LogFile f(path, 100, 2, {});
  const std::string line(40, 'x');
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(f.write(line.substr(0, 38) + std::to_string(i % 10) + "\n"));
  // 40 octets per line, 100 per file: two lines per file, 5 files' worth.
  EXPECT_EQ(f.rotations(), 4u);
  EXPECT_TRUE(std::filesystem::exists(path + ".1"));
  EXPECT_TRUE(std::filesystem::exists(path + ".2"));
  EXPECT_FALSE(std::filesystem::exists(path + ".3"));  // keep = 2
  const std::string newest = Read(path);
  EXPECT_EQ(newest.size(), 80u);
  EXPECT_EQ(newest.substr(38, 1), "8");
  EXPECT_EQ(Read(path + ".1").substr(38, 1), "6");
}

TEST_F(LogFileTest, AnUnwritablePathIsReportedOnceAndNeverThrows) {
  int reports = 0;
  std::string said;
  LogFile f((dir_ / "no-such-dir" / "q.log").string(), 0, 1, [&](const std::string& s) {
    ++reports;
    said = s;
  });
  EXPECT_FALSE(f.write("a\n"));
  EXPECT_FALSE(f.write("b\n"));
  EXPECT_EQ(reports, 1);
  EXPECT_NE(said.find("cannot open"), std::string::npos) << said;
}

TEST_F(LogFileTest, AFullDiskIsReportedAndCounted) {
  if (!std::filesystem::exists("/dev/full")) GTEST_SKIP() << "no /dev/full";
  int reports = 0;
  LogFile f("/dev/full", 0, 1, [&](const std::string&) { ++reports; });
  EXPECT_FALSE(f.write("a\n"));
  EXPECT_FALSE(f.write("b\n"));
  EXPECT_EQ(reports, 1);
}

}  // namespace
}  // namespace vigil::monitor
