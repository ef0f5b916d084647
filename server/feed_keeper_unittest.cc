#include "server/feed_keeper.h"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <gtest/gtest.h>

#include "protocol/message.h"
#include "protocol/presentation.h"

namespace vigil::server {
namespace {

namespace fs = std::filesystem;
namespace asio = boost::asio;

// A primary on loopback that answers one AXFR with `zone` (SOA first; the
// SOA again closes it), then holds the connection until the client closes.
asio::awaitable<void> ServeOneFeedTransfer(asio::ip::tcp::acceptor& acceptor,
                                           std::vector<dns::ResourceRecord> zone) {
  auto socket = co_await acceptor.async_accept(asio::use_awaitable);
  std::array<std::uint8_t, 2> len{};
  co_await asio::async_read(socket, asio::buffer(len), asio::use_awaitable);
  std::vector<std::uint8_t> wire((std::size_t{len[0]} << 8) | len[1]);
  co_await asio::async_read(socket, asio::buffer(wire), asio::use_awaitable);
  auto query = dns::Message::parse(wire);
  if (!query.ok()) co_return;
  dns::Message reply = *query;
  reply.header.qr = true;
  reply.header.aa = true;
  reply.answer = zone;
  reply.answer.push_back(zone.front());
  const auto out = reply.to_wire();
  std::vector<std::uint8_t> framed(out.size() + 2);
  framed[0] = static_cast<std::uint8_t>(out.size() >> 8);
  framed[1] = static_cast<std::uint8_t>(out.size() & 0xFF);
  std::copy(out.begin(), out.end(), framed.begin() + 2);
  co_await asio::async_write(socket, asio::buffer(framed), asio::use_awaitable);
  std::array<std::uint8_t, 1> rest{};
  (void)co_await socket.async_read_some(asio::buffer(rest), asio::as_tuple(asio::use_awaitable));
}

// A feed file in a scratch directory, a PolicyLoader that read it, and a
// keeper whose `publish` records the feed sets it was asked to swap in.
class FeedKeeperTest : public ::testing::Test {
 protected:
  FeedKeeperTest()
      : dir_(fs::temp_directory_path() / ("vigil-feeds-" + std::to_string(::getpid()) + "-" +
                                          ::testing::UnitTest::GetInstance()->current_test_info()->name())),
        keeper_(
            io_, loader_, "", [this] { return policy_; },
            [this](std::shared_ptr<const policy::PolicySet> set) {
              published_.push_back(std::move(set));
              return publish_error_;
            }) {
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    config::PolicyFeedConfig f;
    f.name = "block";
    f.file = (dir_ / "block.txt").string();
    f.format = policy::FeedFormat::kDomains;
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
  std::vector<std::shared_ptr<const policy::PolicySet>> published_;
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

TEST_F(FeedKeeperTest, AFeedKeptByAPrimaryIsTransferredToItsFileAndSwappedIn) {
  asio::ip::tcp::acceptor acceptor(io_, {asio::ip::make_address("127.0.0.1"), 0});
  std::vector<dns::ResourceRecord> zone;
  for (const char* rr : {"rpz.test. 300 IN SOA ns.rpz.test. admin.rpz.test. 5 3600 600 86400 60",
                         "rpz.test. 300 IN NS ns.rpz.test.", "bad.example.rpz.test. 300 IN CNAME ."}) {
    auto parsed = dns::parse_record(rr);
    ASSERT_TRUE(parsed);
    zone.push_back(*parsed);
  }
  asio::co_spawn(io_, ServeOneFeedTransfer(acceptor, zone), asio::detached);
  config::PolicyFeedConfig& f = policy_.feeds[0];
  f.name = "kept";
  f.file = (dir_ / "kept.rpz").string();
  f.format = policy::FeedFormat::kRpz;
  f.zone = "rpz.test.";
  f.primary = config::Endpoint{"127.0.0.1", false, acceptor.local_endpoint().port()};
  f.refresh = 3600;
  LoadFeeds();  // no file yet: empty until the first transfer
  EXPECT_FALSE(fs::exists(f.file));
  keeper_.start();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (published_.empty() && std::chrono::steady_clock::now() < deadline) {
    io_.run_one_for(std::chrono::milliseconds(100));
  }
  ASSERT_EQ(published_.size(), 1U);
  ASSERT_TRUE(fs::exists(f.file));
  std::ifstream in(f.file);
  std::stringstream text;
  text << in.rdbuf();
  const auto back = dns::parse_zone_text(text.str(), *dns::Name::from_text("rpz.test."));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->size(), 3U);  // SOA, NS, the rule
  const auto st = loader_.status();
  ASSERT_EQ(st.size(), 1U);
  ASSERT_NE(st[0].feed, nullptr);
  EXPECT_EQ(st[0].feed->serial(), 5U);
  EXPECT_EQ(st[0].feed->name_triggers(), 1U);
}

}  // namespace
}  // namespace vigil::server
