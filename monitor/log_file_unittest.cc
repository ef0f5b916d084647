#include "monitor/log_file.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

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
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(f.write(line.substr(0, 38) + std::to_string(i % 10) + "\n").ok());
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
  EXPECT_EQ(f.write("a\n").lines_dropped, 1u);
  EXPECT_EQ(f.write("b\n").lines_dropped, 1u);
  EXPECT_EQ(reports, 1);
  EXPECT_NE(said.find("cannot open"), std::string::npos) << said;
}

TEST_F(LogFileTest, AFullDiskIsReportedAndCounted) {
  if (!std::filesystem::exists("/dev/full")) GTEST_SKIP() << "no /dev/full";
  int reports = 0;
  LogFile f("/dev/full", 0, 1, [&](const std::string&) { ++reports; });
  EXPECT_EQ(f.write("a\n").lines_dropped, 1u);
  EXPECT_EQ(f.write("b\n").lines_dropped, 1u);
  EXPECT_EQ(reports, 1);
}

std::vector<std::string> SplitLines(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream s(text);
  for (std::string line; std::getline(s, line);) out.push_back(line);
  return out;
}

TEST_F(LogFileTest, AWriteCutShortByAFullFileLeavesOnlyWholeLinesAndCountsThem) {
  // RLIMIT_FSIZE stands in for a full disk: write(2) stops short at the
  // limit, then fails (EFBIG), in the middle of a line.
  const std::string path = (dir_ / "q.log").string();
  std::string batch;
  for (int i = 0; i < 100; ++i)
    batch += "{\"line\":" + std::to_string(1000 + i) + ",\"pad\":\"" + std::string(50, 'p') + "\"}\n";
  const std::size_t line_size = batch.size() / 100;
  auto child = [&] {
    ::signal(SIGXFSZ, SIG_IGN);
    rlimit lim{line_size * 40 + line_size / 2, RLIM_INFINITY};
    lim.rlim_max = lim.rlim_cur;
    if (::setrlimit(RLIMIT_FSIZE, &lim) != 0) ::_exit(3);
    int reports = 0;
    LogFile f(path, 0, 1, [&](const std::string&) { ++reports; });
    const LogWriteResult r = f.write(batch);
    const LogWriteResult again = f.write(batch.substr(0, line_size));
    // 40 whole lines fit; the 41st was cut and undone.
    const bool ok = r.lines_written == 40 && r.lines_dropped == 60 && r.bytes_written == 40 * line_size &&
                    again.lines_written == 0 && again.lines_dropped == 1 && reports == 1;
    ::_exit(ok ? 0 : 1);
  };
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) child();
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  const std::string text = Read(path);
  EXPECT_EQ(text.size(), 40 * line_size);
  ASSERT_EQ(text.back(), '\n');
  EXPECT_EQ(SplitLines(text).size(), 40u);
}

TEST_F(LogFileTest, APipeNobodyReadsIsWaitedForUntilAbandonedAndTornLinesNeverReachIt) {
  int fds[2];
  ASSERT_EQ(::pipe2(fds, O_CLOEXEC), 0);
  const std::string path = "/proc/self/fd/" + std::to_string(fds[1]);
  auto f = std::make_shared<LogFile>(path, 0, 1, nullptr);
  std::string batch;
  for (int i = 0; i < 4000; ++i)
    batch += "{\"n\":" + std::to_string(i) + ",\"pad\":\"" + std::string(60, 'x') + "\"}\n";
  const std::uint64_t lines = 4000;
  auto done = std::async(std::launch::async, [&] { return f->write(batch); });
  // The pipe (64 KiB) fills and the write waits...
  EXPECT_EQ(done.wait_for(std::chrono::milliseconds(300)), std::future_status::timeout);
  // ... until abandoned: then it returns promptly, counting what it could not write.
  f->abandon();
  ASSERT_EQ(done.wait_for(std::chrono::seconds(5)), std::future_status::ready);
  const LogWriteResult r = done.get();
  EXPECT_EQ(r.lines_written + r.lines_dropped, lines);
  EXPECT_GT(r.lines_written, 0u);
  EXPECT_GT(r.lines_dropped, 0u);
  // What the pipe holds is exactly the lines counted written, each whole.
  f.reset();  // its own descriptor of the pipe
  ::close(fds[1]);
  std::string got;
  char buf[65536];
  for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) > 0;) got.append(buf, static_cast<std::size_t>(n));
  ::close(fds[0]);
  EXPECT_EQ(got.size(), r.bytes_written);
  EXPECT_EQ(got, batch.substr(0, got.size()));
  ASSERT_FALSE(got.empty());
  EXPECT_EQ(got.back(), '\n');
  EXPECT_EQ(SplitLines(got).size(), r.lines_written);
}

TEST_F(LogFileTest, AFifoNobodyReadsFailsAtOnceInsteadOfHoldingTheWriter) {
  const std::string path = (dir_ / "fifo").string();
  ASSERT_EQ(::mkfifo(path.c_str(), 0600), 0);
  int reports = 0;
  auto opened = std::async(std::launch::async, [&] {
    LogFile f(path, 0, 1, [&](const std::string&) { ++reports; });
    return f.write("a\n").lines_dropped;
  });
  ASSERT_EQ(opened.wait_for(std::chrono::seconds(5)), std::future_status::ready);
  EXPECT_EQ(opened.get(), 1u);
  EXPECT_GE(reports, 1);
}

TEST_F(LogFileTest, ALineCutInAPipeIsEndedBeforeTheNextOne) {
  // A line longer than the pipe, abandoned part-way: the fragment cannot be
  // taken back, so the next write ends it first and its own lines stay whole.
  int fds[2];
  ASSERT_EQ(::pipe2(fds, O_CLOEXEC), 0);
  auto f = std::make_shared<LogFile>("/proc/self/fd/" + std::to_string(fds[1]), 0, 1, nullptr);
  const std::string huge = std::string(200000, 'h') + "\n";
  auto first = std::async(std::launch::async, [&] { return f->write(huge); });
  EXPECT_EQ(first.wait_for(std::chrono::milliseconds(200)), std::future_status::timeout);
  f->abandon();
  ASSERT_EQ(first.wait_for(std::chrono::seconds(5)), std::future_status::ready);
  EXPECT_EQ(first.get().lines_dropped, 1u);
  std::string got;
  char buf[65536];
  const int flags = ::fcntl(fds[0], F_GETFL);
  ::fcntl(fds[0], F_SETFL, flags | O_NONBLOCK);
  for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) > 0;) got.append(buf, static_cast<std::size_t>(n));
  const LogWriteResult next = f->write("{\"next\":1}\n");
  EXPECT_EQ(next.lines_written, 1u);
  for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) > 0;) got.append(buf, static_cast<std::size_t>(n));
  f.reset();
  ::close(fds[0]);
  ::close(fds[1]);
  const auto lines = SplitLines(got);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0].find_first_not_of('h'), std::string::npos);  // the fragment, ended
  EXPECT_EQ(lines[1], "{\"next\":1}");
}

TEST_F(LogFileTest, ReopenFollowsTheFileLogrotateMovedAway) {
  const std::string path = (dir_ / "q.log").string();
  LogFile f(path, 0, 1, nullptr);
  ASSERT_TRUE(f.write("one\n").ok());
  std::filesystem::rename(path, path + ".1");  // logrotate: move, create
  ASSERT_TRUE(f.write("two\n").ok());          // still the old inode
  f.reopen();                                  // SIGHUP
  ASSERT_TRUE(f.write("three\n").ok());
  EXPECT_EQ(Read(path + ".1"), "one\ntwo\n");
  EXPECT_EQ(Read(path), "three\n");
}

}  // namespace
}  // namespace vigil::monitor
