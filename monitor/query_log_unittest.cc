#include "monitor/query_log.h"

#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <future>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sys/resource.h>

#include "protocol/message.h"
#include "protocol/presentation.h"

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

  // Whether the event was recorded (else the ring was full: a drop).
  static bool Record(QueryLog& log, unsigned producer, const std::string& name) {
    QueryEvent* e = log.claim(producer);
    const auto wire = dns::make_query(1, *dns::Name::from_text(name), dns::RRType::A, true, 0).to_wire();
    e->set_message(wire, false);
    e->outcome = "answered";
    return log.publish(producer);
  }

  // A response from client 10.0.0.<client>: `rcode`, and an A record when
  // `address` is given.
  static void Respond(QueryLog& log, std::uint8_t client, const std::string& name, std::uint8_t rcode,
                      const std::string& address = "") {
    QueryEvent* e = log.claim(0);
    ASSERT_NE(e, nullptr);
    auto m = dns::make_query(7, *dns::Name::from_text(name), dns::RRType::A, true, 0);
    m.header.qr = true;
    m.header.rcode = rcode;
    if (!address.empty()) {
      auto rr = dns::parse_record(name + " 300 IN A " + address);
      ASSERT_TRUE(rr);
      m.answer.push_back(*rr);
    }
    e->set_message(m.to_wire(), true);
    e->client = {10, 0, 0, client};
    e->client_len = 4;
    e->time_ns = std::int64_t{1'700'000'000} * 1'000'000'000;
    e->outcome = "answered";
    log.publish(0);
  }

  std::filesystem::path dir_;
  std::string path_;
};

TEST_F(QueryLogTest, TheDetectorsVerdictsAreInTheLineAndAnAlertIsRaisedOnce) {
  std::string error;
  auto model = DgaModel::load(VIGIL_DGA_MODEL, &error);
  ASSERT_TRUE(model) << error;
  QueryLogOptions o{path_, 0, 1, {}, {}, {}, {}};
  o.intent =
      std::make_shared<IntentEngine>(IntentOptions{}, std::make_shared<const DgaModel>(std::move(*model)),
                                     std::make_shared<const PublicSuffixList>());
  o.alerts_path = (dir_ / "alerts.log").string();
  QueryLog log(1, 64 * EventRing::kMaxRecord);
  log.configure(o);
  const std::string tunnel = "mfrggzdfmztwq2lknnwg23tpobyxe43uov3ho6dzpjqwe3dfmztwq2lk.t.tunnel-example.com.";
  Respond(log, 1, "www.example.com.", 0, "192.0.2.1");
  Respond(log, 1, "www.xjwqkvbzlrtpmqhd.com.", 0, "192.0.2.66");
  Respond(log, 1, tunnel, 0, "192.0.2.77");
  Respond(log, 1, "a" + tunnel, 0, "192.0.2.77");
  log.flush();

  const auto lines = Lines(path_);
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_TRUE(nlohmann::json::parse(lines[0])["vigil"]["verdicts"].empty());
  // A random-looking domain: a verdict in the line, no alert.
  const auto v = nlohmann::json::parse(lines[1])["vigil"]["verdicts"];
  ASSERT_EQ(v.size(), 1u) << lines[1];
  EXPECT_EQ(v[0]["category"], "dga");
  EXPECT_EQ(v[0]["domain"], "xjwqkvbzlrtpmqhd.com");
  EXPECT_GT(v[0]["score"].get<double>(), 10);
  EXPECT_FALSE(v[0].contains("alert"));
  EXPECT_EQ(v[0]["evidence"]["lexical"], true);
  // A tunnel's name: a verdict and an alert, once.
  const auto t = nlohmann::json::parse(lines[2])["vigil"]["verdicts"];
  ASSERT_EQ(t.size(), 1u) << lines[2];
  EXPECT_EQ(t[0]["category"], "tunnel");
  EXPECT_EQ(t[0]["alert"], true);
  EXPECT_EQ(t[0]["evidence"]["longest_label"], 56);
  EXPECT_FALSE(nlohmann::json::parse(lines[3])["vigil"]["verdicts"][0].contains("alert"));

  const auto alerts = Lines(o.alerts_path);
  ASSERT_EQ(alerts.size(), 1u);  // the second verdict is within the suppression window
  const auto a = nlohmann::json::parse(alerts[0]);
  EXPECT_EQ(a["event"]["kind"], "alert");
  EXPECT_EQ(a["rule"]["name"], "tunnel");
  EXPECT_EQ(a["client"]["ip"], "10.0.0.1");
  EXPECT_EQ(a["dns"]["question"]["name"], tunnel.substr(0, tunnel.size() - 1));
  EXPECT_EQ(a["dns"]["resolved_ip"], nlohmann::json::array({"192.0.2.77"}));
  EXPECT_EQ(a["vigil"]["alert"]["domain"], "tunnel-example.com");

  const QueryLogStats s = log.stats();
  EXPECT_TRUE(s.intent_enabled);
  EXPECT_EQ(s.alerts_written, 1u);
  EXPECT_EQ(s.intent.verdicts[static_cast<std::size_t>(IntentCategory::kDga)], 1u);
  EXPECT_EQ(s.intent.verdicts[static_cast<std::size_t>(IntentCategory::kTunnel)], 2u);
  EXPECT_EQ(s.intent.clients, 1u);
}

TEST_F(QueryLogTest, AQueryAPolicyDroppedRaisesAVerdictAndAnAlert) {
  // Issue 22: rpz-drop silences the client, not the record.
  QueryLogOptions o{path_, 0, 1, {}, {}, {}, {}};
  o.intent =
      std::make_shared<IntentEngine>(IntentOptions{}, nullptr, std::make_shared<const PublicSuffixList>());
  o.alerts_path = (dir_ / "alerts.log").string();
  QueryLog log(1, 64 * EventRing::kMaxRecord);
  log.configure(o);
  QueryEvent* e = log.claim(0);
  ASSERT_NE(e, nullptr);
  const auto wire =
      dns::make_query(9, *dns::Name::from_text("c2.evil.example."), dns::RRType::A, true, 0).to_wire();
  e->set_message(wire, false);  // nothing was sent: the event holds the query
  e->client = {10, 0, 0, 5};
  e->client_len = 4;
  e->time_ns = std::int64_t{1'700'000'000} * 1'000'000'000;
  e->outcome = "dropped_policy";
  e->policy.hit = true;
  e->policy.enforced = true;
  e->policy.action = static_cast<std::uint8_t>(policy::PolicyAction::kDrop);
  e->policy.set("c2-feed", "*.evil.example.");
  log.publish(0);
  log.flush();

  const auto lines = Lines(path_);
  ASSERT_EQ(lines.size(), 1u);
  const auto line = nlohmann::json::parse(lines[0]);
  EXPECT_EQ(line["dns"]["type"], "query");
  EXPECT_EQ(line["vigil"]["outcome"], "dropped_policy");
  ASSERT_EQ(line["vigil"]["verdicts"].size(), 1u) << lines[0];
  EXPECT_EQ(line["vigil"]["verdicts"][0]["category"], "threat-feed");
  EXPECT_EQ(line["vigil"]["verdicts"][0]["alert"], true);
  const auto alerts = Lines(o.alerts_path);
  ASSERT_EQ(alerts.size(), 1u);
  const auto a = nlohmann::json::parse(alerts[0]);
  EXPECT_EQ(a["dns"]["question"]["name"], "c2.evil.example");
  EXPECT_FALSE(a["dns"].contains("response_code"));  // none was sent
  EXPECT_EQ(a["vigil"]["outcome"], "dropped_policy");
  EXPECT_EQ(a["vigil"]["alert"]["domain"], "evil.example");
  EXPECT_EQ(a["vigil"]["alert"]["evidence"]["action"], "drop");
}

TEST_F(QueryLogTest, AReconfigurationRepublishesTheBlockListFromTheNewState) {
  // Issue 22: a new engine (a reload) or the detectors switched off left
  // the old block list in force while the metrics said nothing was blocked.
  BlockListPublisher block;
  block.publish(std::make_shared<const BlockList>(
      std::vector<dns::Name>{*dns::Name::from_text("exfil2-ux.com.")}, std::uint8_t{3}));
  QueryLog log(1, 64 * EventRing::kMaxRecord);
  QueryLogOptions o{"", 0, 1, {}, {}, {}, {}};
  o.block = &block;
  o.intent =
      std::make_shared<IntentEngine>(IntentOptions{}, nullptr, std::make_shared<const PublicSuffixList>());
  log.configure(o);
  EXPECT_FALSE(block.active());
  EXPECT_TRUE(block.current()->empty());
  block.publish(std::make_shared<const BlockList>(
      std::vector<dns::Name>{*dns::Name::from_text("exfil2-ux.com.")}, std::uint8_t{3}));
  o.intent = nullptr;  // intent.enabled: false
  log.configure(o);
  EXPECT_FALSE(block.active());
}

TEST_F(QueryLogTest, TheDetectorsRunWithoutAQueryLogFile) {
  QueryLogOptions o{"", 0, 1, {}, {}, {}, {}};
  o.intent =
      std::make_shared<IntentEngine>(IntentOptions{}, nullptr, std::make_shared<const PublicSuffixList>());
  o.alerts_path = (dir_ / "alerts.log").string();
  QueryLog log(1, 256 * EventRing::kMaxRecord);
  log.configure(o);
  EXPECT_TRUE(log.enabled());  // the rings run for the detectors
  for (int i = 0; i < 120; ++i) Respond(log, 2, "n" + std::to_string(i) + ".example.com.", 3);
  log.flush();
  EXPECT_FALSE(std::filesystem::exists(path_));
  const auto alerts = Lines(o.alerts_path);
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(nlohmann::json::parse(alerts[0])["rule"]["name"], "nxdomain-storm");
  log.configure({"", 0, 1, {}, {}, {}, {}});
  EXPECT_FALSE(log.enabled());
}

TEST_F(QueryLogTest, TopCountsComeFromTheWriterAndAScrapeNeverWaitsForItsLock) {
  QueryLogOptions o{"", 0, 1, {}, {}, {}, {}};
  o.intent =
      std::make_shared<IntentEngine>(IntentOptions{}, nullptr, std::make_shared<const PublicSuffixList>());
  o.recent_queries = 64;
  QueryLog log(1, 256 * EventRing::kMaxRecord);
  log.configure(o);
  for (int i = 0; i < 3; ++i) Respond(log, 2, "a.example.com.", 0);
  Respond(log, 3, "b.example.org.", 3);
  log.flush();
  const auto psl = std::make_shared<const PublicSuffixList>();
  std::array<std::vector<std::size_t>, 4> tops;
  ASSERT_TRUE(log.top_counts(10, psl, tops));
  ASSERT_EQ(tops[0].size(), 2u);  // domains: example.com 3, example.org 1
  EXPECT_EQ(tops[0][0], 3u);
  EXPECT_EQ(tops[0][1], 1u);
  ASSERT_FALSE(tops[2].empty());  // nxdomain
  EXPECT_EQ(tops[2][0], 1u);

  // While the writer's lock is held (as while it formats a long batch), a
  // scrape neither blocks on it nor stops the writer: it gets the last
  // figures the writer computed, within its limit.
  std::promise<void> held, release;
  std::thread holder([&] {
    log.with_writer_stopped([&] {
      held.set_value();
      release.get_future().wait();
    });
  });
  held.get_future().wait();
  std::array<std::vector<std::size_t>, 4> during;
  const auto start = std::chrono::steady_clock::now();
  auto scrape = std::async(std::launch::async,
                           [&] { return log.top_counts(10, psl, during, std::chrono::milliseconds(50)); });
  const bool finished = scrape.wait_for(std::chrono::seconds(5)) == std::future_status::ready;
  release.set_value();
  holder.join();
  ASSERT_TRUE(finished) << "the scrape waited for the writer's lock";
  EXPECT_TRUE(scrape.get());
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  EXPECT_EQ(during, tops);
  // And once the writer runs again, it answers with what is new.
  Respond(log, 2, "a.example.com.", 0);
  log.flush();
  ASSERT_TRUE(log.top_counts(10, psl, tops));
  EXPECT_EQ(tops[0][0], 4u);
}

TEST_F(QueryLogTest, NoTopCountsWithoutRecentQueries) {
  QueryLog log(1, 256 * EventRing::kMaxRecord);
  log.configure({"", 0, 1, {}, {}, {}, {}});
  std::array<std::vector<std::size_t>, 4> tops;
  EXPECT_FALSE(log.top_counts(10, std::make_shared<const PublicSuffixList>(), tops));
}

TEST_F(QueryLogTest, EveryRecordFromEveryProducerIsWrittenOnce) {
  QueryLog log(4, 1024 * EventRing::kMaxRecord);
  log.configure({path_, 0, 1, {}, {}, {}, {}});
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

TEST_F(QueryLogTest, ADestinationThatStopsReadingHoldsNeitherStatsNorReconfigurationNorShutdown) {
  // Issue 22: standard output a pipe nobody reads (the container's log
  // driver stalled). The writer waits for it with the lock released.
  int fds[2];
  ASSERT_EQ(::pipe2(fds, O_CLOEXEC), 0);
  auto log = std::make_unique<QueryLog>(1, 256 * EventRing::kMaxRecord);
  log->configure({"/proc/self/fd/" + std::to_string(fds[1]), 0, 1, {}, {}, {}, {}});
  ::close(fds[1]);
  const std::uint64_t total = 30000;
  for (std::uint64_t i = 0; i < total; ++i) (void)Record(*log, 0, "n" + std::to_string(i) + ".example.");
  using std::chrono::milliseconds;
  auto bounded = [](auto f, milliseconds limit) {
    auto r = std::async(std::launch::async, f);
    return r.wait_for(limit) == std::future_status::ready;
  };
  EXPECT_TRUE(bounded([&] { return log->stats(); }, milliseconds(500)));
  EXPECT_FALSE(log->flush(milliseconds(200)));  // told how long to wait, it says it could not
  EXPECT_TRUE(bounded([&] { log->reopen(); }, milliseconds(500)));
  // Re-pointed at a file: the stuck batch is given up (counted dropped), the rest goes there.
  EXPECT_TRUE(bounded(
      [&] {
        log->configure({path_, 0, 1, {}, {}, {}, {}});
      },
      QueryLog::kReconfigureFlush + milliseconds(1000)));
  ASSERT_TRUE(log->flush());
  const QueryLogStats st = log->stats();
  EXPECT_GT(st.dropped_queue_full, 0u);
  EXPECT_GT(st.dropped_write_error, 0u);
  EXPECT_EQ(st.written + st.dropped_queue_full + st.dropped_write_error, total);
  const auto in_file = Lines(path_);
  EXPECT_LT(in_file.size(), st.written);  // the rest went into the pipe
  for (const auto& l : in_file) EXPECT_TRUE(nlohmann::json::accept(l)) << l;
  // Shutdown with the pipe still stalled: configured back onto it, then destroyed.
  int again[2];
  ASSERT_EQ(::pipe2(again, O_CLOEXEC), 0);
  log->configure({"/proc/self/fd/" + std::to_string(again[1]), 0, 1, {}, {}, {}, {}});
  for (std::uint64_t i = 0; i < 5000; ++i) (void)Record(*log, 0, "m" + std::to_string(i) + ".example.");
  EXPECT_TRUE(bounded([&] { log.reset(); }, milliseconds(2000)));
  ::close(fds[0]);
  ::close(again[0]);
  ::close(again[1]);
}

TEST_F(QueryLogTest, AStalledWriterDropsAndCountsNeverBlocks) {
  QueryLog log(1, 0);  // the smallest ring: a few dozen queries
  log.configure({path_, 0, 1, {}, {}, {}, {}});
  log.pause_writer(true);
  std::uint64_t recorded = 0;
  for (int i = 0; i < 1000; ++i) recorded += Record(log, 0, "x" + std::to_string(i) + ".example.") ? 1U : 0U;
  EXPECT_GT(recorded, 10u);
  EXPECT_LT(recorded, 1000u);
  EXPECT_EQ(log.stats().dropped_queue_full, 1000u - recorded);
  log.pause_writer(false);
  log.flush();
  EXPECT_EQ(Lines(path_).size(), recorded);
  EXPECT_EQ(log.stats().written, recorded);
}

// The writer asks for more CPU than the workers: kWriterNiceBoost below
// the nice of the thread that made the log. With CAP_SYS_NICE (root, as in
// CI, and the daemon before it drops privileges) it gets it; without, it
// stays at the workers' nice and says why.
bool HasCapability(int bit) {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("CapEff:", 0) == 0) return (std::stoull(line.substr(7), nullptr, 16) >> bit) & 1;
  }
  return false;
}
bool HasCapSysNice() {
  return HasCapability(23);
}

TEST_F(QueryLogTest, TheWriterThreadRunsAtAHigherPriorityThanTheWorkers) {
  const int mine = ::getpriority(PRIO_PROCESS, 0);
  QueryLog log(1, 0);
  int nice = 1000;
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
    std::ifstream comm(task.path() / "comm");
    std::string name;
    std::getline(comm, name);
    if (name != "vigil-querylog") continue;
    std::ifstream stat(task.path() / "stat");
    std::string line;
    std::getline(stat, line);
    // Fields after the ")" that ends the name: state is field 3, nice 19.
    std::istringstream fields(line.substr(line.rfind(')') + 2));
    std::string field;
    for (int i = 3; i <= 19 && fields >> field; ++i) {
      if (i == 19) nice = std::stoi(field);
    }
  }
  EXPECT_EQ(log.workers_nice(), mine);
  EXPECT_EQ(nice, log.writer_nice());
  if (HasCapSysNice()) {
    EXPECT_TRUE(log.writer_prioritised()) << log.writer_priority();
    EXPECT_EQ(nice, std::max(mine - QueryLog::kWriterNiceBoost, -20));
    if (mine == 0) {
      EXPECT_EQ(log.writer_priority(), "nice -5 (the workers: nice 0), idle while it keeps up");
    }
  } else if (!log.writer_prioritised()) {
    EXPECT_EQ(nice, mine);
    EXPECT_NE(log.writer_priority().find("CAP_SYS_NICE"), std::string::npos) << log.writer_priority();
  }
}

// query_log.h: the writer is SCHED_IDLE while it keeps up (a query never
// waits behind its batch), SCHED_OTHER at its nice from the moment a
// producer finds the ring 1/kBoostFill full, and idle again kBoostHold
// after it caught up. Needs the privilege to set the nice (root in CI).
TEST_F(QueryLogTest, TheWriterIsIdleWhileItKeepsUpAndBoostedWhileItIsBehind) {
  if (!HasCapSysNice()) GTEST_SKIP() << "needs CAP_SYS_NICE to lower the writer's nice";
  // A ring that kFillCheckEvery events fill to 1/8: past the boost's 1/16.
  QueryEvent probe;
  const auto wire =
      dns::make_query(1, *dns::Name::from_text("n0.example."), dns::RRType::A, true, 0).to_wire();
  probe.set_message(wire, false);
  const std::size_t ring = 8 * QueryLog::kFillCheckEvery * EventRing::record_bytes(probe);
  QueryLog log(1, ring);
  log.stop_watchdog();  // on a loaded machine it could boost the writer first
  log.configure({path_, 0, 1, {}, {}, {}, {}});
  ASSERT_TRUE(log.writer_adaptive()) << log.writer_priority();
  EXPECT_NE(log.writer_priority().find("idle while it keeps up"), std::string::npos) << log.writer_priority();
  EXPECT_EQ(::sched_getscheduler(log.writer_tid()), SCHED_IDLE);
  // Keeping up: a few events are written, the writer stays idle.
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(Record(log, 0, "k" + std::to_string(i) + ".example."));
  ASSERT_TRUE(log.flush());
  EXPECT_EQ(::sched_getscheduler(log.writer_tid()), SCHED_IDLE);
  EXPECT_EQ(log.stats().writer_boosts, 0u);
  // Behind: held, the ring fills; the kFillCheckEvery-th event boosts it.
  log.pause_writer(true);
  for (std::uint64_t i = 10; i < QueryLog::kFillCheckEvery - 1; ++i) {
    ASSERT_TRUE(Record(log, 0, "n" + std::to_string(i % 10) + ".example."));
  }
  EXPECT_EQ(::sched_getscheduler(log.writer_tid()), SCHED_IDLE);
  ASSERT_TRUE(Record(log, 0, "n0.example."));
  EXPECT_EQ(::sched_getscheduler(log.writer_tid()), SCHED_OTHER);
  EXPECT_EQ(::getpriority(PRIO_PROCESS, static_cast<id_t>(log.writer_tid())), log.writer_nice());
  EXPECT_EQ(log.stats().writer_boosts, 1u);
  // Caught up, it yields again after the hold; nothing was lost.
  log.pause_writer(false);
  ASSERT_TRUE(log.flush());
  EXPECT_EQ(::sched_getscheduler(log.writer_tid()), SCHED_OTHER);  // caught up, held boosted (kBoostHold)
  for (int i = 0; i < 300 && ::sched_getscheduler(log.writer_tid()) != SCHED_IDLE; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(::sched_getscheduler(log.writer_tid()), SCHED_IDLE);
  EXPECT_EQ(log.stats().dropped_queue_full, 0u);
  EXPECT_EQ(log.stats().written, QueryLog::kFillCheckEvery);
  EXPECT_EQ(log.stats().writer_boosts, 1u);
}

// Idle, the writer would also starve behind other processes at any query
// rate (CI's parallel tests starved it of a scrape's top counts for over a
// second): a writer that has not finished a pass for kWatchdogStale is
// boosted. Here it is held on its lock, as a busy core would hold it.
TEST_F(QueryLogTest, AWriterThatMakesNoPassIsBoostedByTheWatchdog) {
  if (!HasCapSysNice()) GTEST_SKIP() << "needs CAP_SYS_NICE to lower the writer's nice";
  QueryLog log(1, 0);
  ASSERT_TRUE(log.writer_adaptive()) << log.writer_priority();
  log.with_writer_stopped([] { std::this_thread::sleep_for(4 * QueryLog::kWatchdogStale); });
  EXPECT_GE(log.stats().writer_boosts, 1u);
  // It made its pass and yields again after the hold.
  for (int i = 0; i < 300 && ::sched_getscheduler(log.writer_tid()) != SCHED_IDLE; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(::sched_getscheduler(log.writer_tid()), SCHED_IDLE);
}

// Before the daemon gives up root: the RLIMIT_NICE that lets the writer
// leave SCHED_IDLE unprivileged is raised (it may stay raised for this
// process), and it stays adaptive; when it cannot be, the writer moves to
// SCHED_OTHER at its nice for good.
TEST_F(QueryLogTest, BeforePrivilegesAreDroppedTheWriterKeepsAWayBackFromIdle) {
  if (!HasCapSysNice()) GTEST_SKIP() << "needs CAP_SYS_NICE to lower the writer's nice";
  QueryLog log(1, 0);
  ASSERT_TRUE(log.writer_adaptive()) << log.writer_priority();
  rlimit before{};
  ASSERT_EQ(::getrlimit(RLIMIT_NICE, &before), 0);
  const auto needed = static_cast<rlim_t>(20 - log.writer_nice());
  const bool can_raise = before.rlim_cur >= needed || before.rlim_max >= needed || HasCapability(24);
  const int error = log.before_dropping_privileges();
  if (can_raise) {  // already high enough, or CAP_SYS_RESOURCE raises it
    EXPECT_EQ(error, 0);
    rlimit limit{};
    ASSERT_EQ(::getrlimit(RLIMIT_NICE, &limit), 0);
    EXPECT_GE(limit.rlim_cur, static_cast<rlim_t>(20 - log.writer_nice()));
    EXPECT_TRUE(log.writer_adaptive());
    EXPECT_EQ(::sched_getscheduler(log.writer_tid()), SCHED_IDLE);
  } else {
    EXPECT_EQ(error, EPERM);
    EXPECT_FALSE(log.writer_adaptive());
    EXPECT_EQ(::sched_getscheduler(log.writer_tid()), SCHED_OTHER);
    EXPECT_EQ(::getpriority(PRIO_PROCESS, static_cast<id_t>(log.writer_tid())), log.writer_nice());
    EXPECT_NE(log.writer_priority().find("never idle"), std::string::npos) << log.writer_priority();
    // A full ring no longer touches its priority.
    log.pause_writer(true);
    for (int i = 0; i < 1000; ++i) (void)Record(log, 0, "x" + std::to_string(i) + ".example.");
    EXPECT_EQ(log.stats().writer_boosts, 0u);
    EXPECT_EQ(::sched_getscheduler(log.writer_tid()), SCHED_OTHER);
  }
}

TEST_F(QueryLogTest, SwitchedOffRePointedAndOnAgain) {
  QueryLog log(1, 64 * EventRing::kMaxRecord);
  EXPECT_FALSE(log.enabled());
  log.configure({path_, 0, 1, {}, {}, {}, {}});
  EXPECT_TRUE(log.enabled());
  ASSERT_TRUE(Record(log, 0, "one.example."));
  const std::string second = (dir_ / "second.log").string();
  log.configure({second, 0, 1, {}, {}, {}, {}});  // what was queued goes to the first file
  ASSERT_TRUE(Record(log, 0, "two.example."));
  log.configure({"", 0, 1, {}, {}, {}, {}});
  EXPECT_FALSE(log.enabled());
  EXPECT_EQ(Lines(path_).size(), 1u);
  EXPECT_EQ(Lines(second).size(), 1u);
  EXPECT_NE(Lines(second)[0].find("two.example"), std::string::npos);
}

TEST_F(QueryLogTest, WriteErrorsAreCountedAndReportedOnce) {
  int reports = 0;
  QueryLog log(1, 64 * EventRing::kMaxRecord, [&](const std::string&) { ++reports; });
  log.configure({(dir_ / "missing" / "q.log").string(), 0, 1, {}, {}, {}, {}});
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(Record(log, 0, "e" + std::to_string(i) + ".example."));
  log.flush();
  EXPECT_EQ(log.stats().dropped_write_error, 5u);
  EXPECT_EQ(log.stats().written, 0u);
  EXPECT_EQ(reports, 1);
}

TEST_F(QueryLogTest, RotationsAreCountedAcrossSwitches) {
  QueryLog log(1, 64 * EventRing::kMaxRecord);
  log.configure({path_, 300, 2, {}, {}, {}, {}});  // a line is about 500 octets: every line rotates
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(Record(log, 0, "r" + std::to_string(i) + ".example."));
    log.flush();
  }
  const auto rotated = log.stats().rotations;
  EXPECT_EQ(rotated, 2u);
  log.configure({"", 0, 1, {}, {}, {}, {}});
  EXPECT_EQ(log.stats().rotations, rotated);  // switching off keeps the count
}

TEST_F(QueryLogTest, DestructionWritesWhatIsQueued) {
  {
    QueryLog log(1, 64 * EventRing::kMaxRecord);
    log.configure({path_, 0, 1, {}, {}, {}, {}});
    for (int i = 0; i < 10; ++i) ASSERT_TRUE(Record(log, 0, "d" + std::to_string(i) + ".example."));
  }
  EXPECT_EQ(Lines(path_).size(), 10u);
}

}  // namespace
}  // namespace vigil::monitor
