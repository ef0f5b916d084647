#include "server/control_commands.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "protocol/message.h"
#include "protocol/presentation.h"
#include "server/worker.h"

namespace vigil::server {
namespace {

namespace fs = std::filesystem;

// Real parts where they are cheap: the cache, the query log writing to a
// temporary directory, the monitor set-up (no DGA model: the directory it
// looks in has none), a runtime on the defaults; no resolver.
class ControlCommandsTest : public ::testing::Test {
 protected:
  ControlCommandsTest()
      : dir_(fs::temp_directory_path() / ("vigil-control-" + std::to_string(::getpid()) + "-" +
                                          ::testing::UnitTest::GetInstance()->current_test_info()->name())),
        query_log_(1, 64 * monitor::EventRing::kMaxRecord),
        monitor_(query_log_, block_list_, dir_) {
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  ~ControlCommandsTest() override { fs::remove_all(dir_); }

  // The daemon's start-up, in little: the intent engine and the query log
  // as `config_` asks, then the commands over them.
  void Start() {
    auto rt = make_runtime(config_, "", cache_, /*resolver_attached=*/false, &block_list_);
    ASSERT_TRUE(rt.ok()) << rt.error().to_string();
    runtime_ = *rt;
    auto intent = monitor_.prepare(config_.intent);
    ASSERT_EQ(intent.error, "");
    monitor_.adopt(config_.intent, intent.engine);
    monitor_.apply_query_log(config_);
    commands_ = std::make_unique<ControlCommands>(ControlCommands::Parts{
        .cache = cache_,
        .query_log = query_log_,
        .monitor = monitor_,
        .recursion = nullptr,
        .runtime = [this] { return runtime_; },
        .serving = [this] { return serving_; },
        .reload =
            [this] {
              ++reloads_asked_;
              return ControlReply{false, "reload rejected: test"};
            },
        .config_path = "",
    });
  }

  ControlReply Run(const std::vector<std::string>& args) { return commands_->command(args); }

  void CacheRecord(const std::string& text) {
    auto rr = *dns::parse_record(text);
    dns::RRset set{rr.name, rr.type, rr.rclass, rr.ttl, {rr.rdata}};
    cache_.insert(set, cache::Rank::kAuthAnswer, now());
  }

  // A query of `name` from 10.0.0.`client`, answered, as a worker logs it.
  void LogQuery(std::uint8_t client, const std::string& name) {
    monitor::QueryEvent* e = query_log_.claim(0);
    ASSERT_NE(e, nullptr);
    auto m = dns::make_query(7, *dns::Name::from_text(name), dns::RRType::A, true, 0);
    m.header.qr = true;
    e->set_message(m.to_wire(), true);
    e->client = {10, 0, 0, client};
    e->client_len = 4;
    e->time_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                     std::chrono::system_clock::now().time_since_epoch())
                     .count();
    e->outcome = "answered";
    query_log_.publish(0);
  }

  fs::path dir_;
  config::Config config_;
  cache::RRsetCache cache_;
  monitor::BlockListPublisher block_list_;
  monitor::QueryLog query_log_;
  MonitorSetup monitor_;
  std::shared_ptr<const Runtime> runtime_;
  ServingState serving_;
  int reloads_asked_ = 0;
  std::unique_ptr<ControlCommands> commands_;
};

TEST_F(ControlCommandsTest, StatusReportsTheServingStateTheCacheAndTheQueryLog) {
  config_.intent.enabled = false;
  Start();
  serving_.stats.udp_queries = 5;
  serving_.stats.tcp_queries = 2;
  serving_.stats.tcp_bad_length = 9;
  serving_.threads = 3;
  serving_.bound = {{"127.0.0.1", false, 5353}, {"::1", true, 5353}};
  serving_.reloads = 4;
  serving_.tcp_open = 6;
  CacheRecord("www.example.test. 300 IN A 192.0.2.1");
  const ControlReply r = Run({"status"});
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.text.rfind("version: ", 0), 0U) << r.text;
  for (const char* line :
       {"\nthreads: 3\n", "\nlistening: 127.0.0.1:5353, [::1]:5353\n",
        "\nconfiguration: (built-in defaults)\n", "\nreloads: 4\n", "\nqueries: 7\n", "\nqueries_udp: 5\n",
        "\nqueries_tcp: 2\n", "\ntcp_connections_open: 6\n", "\ntcp_bad_length: 9\n", "\ncache_entries: 1\n",
        "\nquerylog_enabled: 0\n", "\ndnstap_connected: 0\n"}) {
    EXPECT_NE(r.text.find(line), std::string::npos) << line << " in\n" << r.text;
  }
  // Without a resolver there is no engine to report on.
  EXPECT_EQ(r.text.find("resolver_coalesced_questions"), std::string::npos);
}

TEST_F(ControlCommandsTest, FlushRemovesACachedName) {
  Start();
  CacheRecord("www.example.test. 300 IN A 192.0.2.1");
  CacheRecord("mail.example.test. 300 IN A 192.0.2.2");
  ControlReply listed = Run({"cache-list", "www.example.test"});
  ASSERT_TRUE(listed.ok);
  EXPECT_NE(listed.text.find("www.example.test. "), std::string::npos) << listed.text;
  EXPECT_NE(listed.text.find("192.0.2.1"), std::string::npos) << listed.text;
  const ControlReply flushed = Run({"flush", "www.example.test"});  // the trailing dot optional
  EXPECT_TRUE(flushed.ok);
  EXPECT_EQ(flushed.text, "flushed 1 entries");
  EXPECT_EQ(Run({"cache-list", "www.example.test."}).text, "");
  EXPECT_EQ(cache_.stats().entries, 1U);  // the other name stays
  EXPECT_EQ(Run({"flush-subtree", "example.test"}).text, "flushed 1 entries");
  EXPECT_EQ(cache_.stats().entries, 0U);
}

TEST_F(ControlCommandsTest, ArgumentsAreChecked) {
  Start();
  const ControlReply usage = Run({"flush"});
  EXPECT_FALSE(usage.ok);
  EXPECT_EQ(usage.text, "usage: flush NAME");
  const ControlReply bad = Run({"flush", "a..b"});
  EXPECT_FALSE(bad.ok);
  EXPECT_EQ(bad.text, "\"a..b\" is not a domain name");
  EXPECT_EQ(Run({"log-reopen", "now"}).text, "usage: log-reopen");
  const ControlReply infra = Run({"flush-infra"});
  EXPECT_FALSE(infra.ok);
  EXPECT_EQ(infra.text, "no resolver is running");
}

TEST_F(ControlCommandsTest, UnknownCommandIsAnErrorThatListsThem) {
  Start();
  const ControlReply r = Run({"frobnicate"});
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.text.rfind("unknown command \"frobnicate\" (commands: status, reload, ", 0), 0U) << r.text;
  EXPECT_NE(r.text.find("who-resolved IP, top WHAT)"), std::string::npos) << r.text;
}

TEST_F(ControlCommandsTest, ReloadIsTheDaemonsCallback) {
  Start();
  const ControlReply r = Run({"reload"});
  EXPECT_EQ(reloads_asked_, 1);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.text, "reload rejected: test");
}

TEST_F(ControlCommandsTest, QueryLogOffOnAndToAnotherFile) {
  config_.intent.enabled = false;
  config_.query_log_path = (dir_ / "queries.log").string();
  Start();
  EXPECT_TRUE(query_log_.enabled());
  const ControlReply off = Run({"query-log", "off"});
  EXPECT_TRUE(off.ok);
  EXPECT_EQ(off.text, "query log off");
  EXPECT_FALSE(query_log_.enabled());
  const ControlReply on = Run({"query-log", "on"});
  EXPECT_TRUE(on.ok);
  EXPECT_EQ(on.text, "query log to " + config_.query_log_path);
  EXPECT_TRUE(query_log_.enabled());
  const std::string other = (dir_ / "other.log").string();
  EXPECT_EQ(Run({"query-log", other}).text, "query log to " + other);
  EXPECT_TRUE(fs::exists(other));
  // A file that cannot be opened leaves the log as it was.
  const ControlReply broken = Run({"query-log", (dir_ / "no-such-dir" / "q.log").string()});
  EXPECT_FALSE(broken.ok);
  EXPECT_NE(broken.text.find("cannot open "), std::string::npos) << broken.text;
  EXPECT_NE(broken.text.find("(the query log stays as it was)"), std::string::npos) << broken.text;
  EXPECT_TRUE(query_log_.enabled());
  EXPECT_EQ(Run({"query-log"}).text, "usage: query-log on|off|FILE");
}

TEST_F(ControlCommandsTest, CacheDumpAndLoadRoundTrip) {
  Start();
  CacheRecord("www.example.test. 300 IN A 192.0.2.1");
  const std::string file = (dir_ / "cache.dump").string();
  EXPECT_EQ(Run({"cache-dump", file}).text, "wrote 1 entries to " + file);
  EXPECT_EQ(Run({"flush-all"}).text, "cache flushed (and 0 remembered failures)");
  EXPECT_EQ(cache_.stats().entries, 0U);
  const ControlReply loaded = Run({"cache-load", file});
  EXPECT_TRUE(loaded.ok);
  EXPECT_EQ(loaded.text, "loaded 1 entries (0 expired, 0 rejected)");
  EXPECT_EQ(cache_.stats().entries, 1U);
}

TEST_F(ControlCommandsTest, IntentViewsShowWhatTheQueryLogKept) {
  config_.intent.enabled = true;
  Start();
  ASSERT_NE(monitor_.intent(), nullptr);
  LogQuery(7, "www.example.test.");
  LogQuery(7, "mail.example.test.");
  LogQuery(8, "other.example.test.");
  ASSERT_TRUE(query_log_.flush());
  const ControlReply client = Run({"client", "10.0.0.7"});
  ASSERT_TRUE(client.ok) << client.text;
  EXPECT_EQ(client.text.rfind("alerts:\n  (none)\nlookups, newest first:\n", 0), 0U) << client.text;
  EXPECT_NE(client.text.find("www.example.test"), std::string::npos) << client.text;
  EXPECT_NE(client.text.find("mail.example.test"), std::string::npos) << client.text;
  EXPECT_EQ(client.text.find("other.example.test"), std::string::npos) << client.text;
  const ControlReply top = Run({"top", "clients"});
  ASSERT_TRUE(top.ok) << top.text;
  EXPECT_NE(top.text.find("10.0.0.7"), std::string::npos) << top.text;
  EXPECT_LT(top.text.find("10.0.0.7"), top.text.find("10.0.0.8")) << top.text;  // 2 before 1
  EXPECT_EQ(Run({"blocked"}).text, "(nothing is blocked)\n");
  const ControlReply unblock = Run({"unblock", "www.example.test"});
  EXPECT_FALSE(unblock.ok);
  EXPECT_EQ(unblock.text, "www.example.test is not on the detectors' block list (vigilctl blocked lists it)");
}

TEST_F(ControlCommandsTest, IntentViewsSayWhenNothingIsKept) {
  config_.intent.enabled = false;
  Start();
  const ControlReply alerts = Run({"alerts"});
  EXPECT_FALSE(alerts.ok);
  EXPECT_EQ(alerts.text, "nothing is kept: intent.enabled is false or intent.recent_queries is 0");
  const ControlReply who = Run({"who-resolved", "192.0.2.1"});
  EXPECT_FALSE(who.ok);
  EXPECT_EQ(who.text, "nothing is kept: intent.enabled is false or intent.who_resolved_entries is 0");
  EXPECT_EQ(Run({"blocked"}).text, "the intent detectors are off (intent.enabled): nothing is blocked");
}

}  // namespace
}  // namespace vigil::server
