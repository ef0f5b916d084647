#include "server/feed_keeper.h"

#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include <gtest/gtest.h>

namespace vigil::server {
namespace {

namespace fs = std::filesystem;

// A feed file in a scratch directory, a PolicyLoader that read it, and a
// keeper whose `publish` records the feed sets it was asked to swap in.
class FeedKeeperTest : public ::testing::Test {
 protected:
  FeedKeeperTest()
      : dir_(fs::temp_directory_path() / ("vigil-feeds-" + std::to_string(::getpid()) + "-" +
                                          ::testing::UnitTest::GetInstance()->current_test_info()->name())),
        keeper_(
            io_, loader_, "", [this] { return policy_; },
            [this](std::shared_ptr<const monitor::PolicySet> set) {
              published_.push_back(std::move(set));
              return publish_error_;
            }) {
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    config::PolicyFeedConfig f;
    f.name = "block";
    f.file = (dir_ / "block.txt").string();
    f.format = monitor::FeedFormat::kDomains;
    policy_.feeds.push_back(f);
  }
  ~FeedKeeperTest() override { fs::remove_all(dir_); }

  // Writes the feed file anew; its stamp changes (size or mtime) even within
  // the file system's timestamp granularity when the size does.
  void WriteFeed(const std::string& text) {
    const std::string tmp = policy_.feeds[0].file + ".new";
    std::ofstream(tmp, std::ios::trunc) << text;
    fs::rename(tmp, policy_.feeds[0].file);  // a new inode: a new version
  }
  // The daemon's start: the feeds read and committed.
  void LoadFeeds() {
    auto next = loader_.load(policy_, "");
    ASSERT_TRUE(next.ok()) << next.error().to_string();
    loader_.commit(std::move(*next));
  }
  std::uint64_t NameTriggers() const {
    const auto st = loader_.status();
    return st.empty() || !st[0].feed ? 0 : st[0].feed->name_triggers();
  }

  fs::path dir_;
  boost::asio::io_context io_;
  PolicyLoader loader_;
  config::PolicyConfig policy_;
  std::vector<std::shared_ptr<const monitor::PolicySet>> published_;
  std::string publish_error_;
  FeedKeeper keeper_;
};

TEST_F(FeedKeeperTest, AnUnchangedFeedAsksForNothing) {
  WriteFeed("a.test\n");
  LoadFeeds();
  const FeedKeeper::Refresh r = keeper_.refresh();
  EXPECT_FALSE(r.swapped);
  EXPECT_TRUE(r.errors.empty());
  EXPECT_TRUE(published_.empty());
}

TEST_F(FeedKeeperTest, AChangedFeedFileAsksForANewRuntime) {
  WriteFeed("a.test\n");
  LoadFeeds();
  EXPECT_EQ(NameTriggers(), 2U);  // a domain is two triggers: itself and below it
  WriteFeed("a.test\nb.test\n");
  EXPECT_TRUE(loader_.changed(policy_, ""));
  const FeedKeeper::Refresh r = keeper_.refresh();
  EXPECT_TRUE(r.swapped);
  EXPECT_TRUE(r.errors.empty());
  ASSERT_EQ(published_.size(), 1U);
  EXPECT_NE(published_[0], nullptr);
  EXPECT_EQ(NameTriggers(), 4U);  // committed
  EXPECT_FALSE(loader_.changed(policy_, ""));
  EXPECT_FALSE(keeper_.refresh().swapped);  // read once
  EXPECT_EQ(published_.size(), 1U);
}

TEST_F(FeedKeeperTest, ABrokenFeedFileKeepsTheOldFeedWithAnError) {
  WriteFeed("a.test\n");
  LoadFeeds();
  WriteFeed("a.test\ntwo words\n");
  const FeedKeeper::Refresh r = keeper_.refresh();
  EXPECT_FALSE(r.swapped);
  ASSERT_EQ(r.errors.size(), 1U);
  EXPECT_NE(r.errors[0].find("block.txt"), std::string::npos) << r.errors[0];
  EXPECT_TRUE(published_.empty());
  EXPECT_EQ(NameTriggers(), 2U);  // the last good version
  const auto st = loader_.status();
  ASSERT_EQ(st.size(), 1U);
  EXPECT_EQ(st[0].failures, 1U);
  // Logged once per version: the same broken file is not read again.
  EXPECT_TRUE(keeper_.refresh().errors.empty());
}

TEST_F(FeedKeeperTest, ARuntimeThatCannotBeBuiltKeepsTheFeedsAsTheyWere) {
  WriteFeed("a.test\n");
  LoadFeeds();
  WriteFeed("a.test\nb.test\n");
  publish_error_ = "no room";
  const FeedKeeper::Refresh r = keeper_.refresh();
  EXPECT_FALSE(r.swapped);
  ASSERT_EQ(r.errors.size(), 1U);
  EXPECT_EQ(r.errors[0], "policy: feeds not swapped in: no room");
  EXPECT_EQ(NameTriggers(), 2U);  // not committed
}

TEST_F(FeedKeeperTest, TheWatchSwapsInAChangedFileEveryCheckInterval) {
  policy_.check_interval = 1;
  WriteFeed("a.test\n");
  LoadFeeds();
  keeper_.start();  // no feed is kept by a primary: only the watch
  WriteFeed("a.test\nb.test\n");
  io_.run_for(std::chrono::milliseconds(2500));
  ASSERT_EQ(published_.size(), 1U);
  EXPECT_EQ(NameTriggers(), 4U);
}

}  // namespace
}  // namespace vigil::server
