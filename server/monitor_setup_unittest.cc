#include "server/monitor_setup.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

namespace vigil::server {
namespace {

namespace fs = std::filesystem;

// A scratch directory; MonitorSetup looks for the DGA model beside it
// (there is none unless a test puts one there).
class MonitorSetupTest : public ::testing::Test {
 protected:
  MonitorSetupTest()
      : dir_(fs::temp_directory_path() / ("vigil-monitor-" + std::to_string(::getpid()) + "-" +
                                          ::testing::UnitTest::GetInstance()->current_test_info()->name())),
        query_log_(1, 16 * monitor::EventRing::kMaxRecord) {
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "bin");
  }
  ~MonitorSetupTest() override { fs::remove_all(dir_); }

  static config::IntentConfig SmallIntent() {
    config::IntentConfig c;
    c.enabled = true;
    c.options.new_domain_days = 2;
    c.options.new_domain_per_day = 1000;
    return c;
  }

  fs::path dir_;
  monitor::BlockListPublisher block_list_;
  monitor::QueryLog query_log_;
};

TEST_F(MonitorSetupTest, AMissingModelFileIsAnErrorNamingIt) {
  MonitorSetup m(query_log_, block_list_, dir_ / "bin");
  config::IntentConfig c = SmallIntent();
  c.model = (dir_ / "no-such.model").string();
  const MonitorSetup::Prepared p = m.prepare(c);
  EXPECT_EQ(p.engine, nullptr);
  EXPECT_EQ(p.error, "intent.model: " + c.model + ": cannot open");
}

TEST_F(MonitorSetupTest, TheModelBesideTheExecutableIsLoadedAndABrokenOneNamed) {
  fs::create_directories(dir_ / "monitor");
  const fs::path beside = dir_ / "monitor" / "dga.model";
  std::ofstream(beside) << "vigil-dga-model 1\nthreshold 1 2 3\n";
  MonitorSetup m(query_log_, block_list_, dir_ / "bin");
  const MonitorSetup::Prepared broken = m.prepare(SmallIntent());  // intent.model unset: the one beside
  EXPECT_EQ(broken.engine, nullptr);
  EXPECT_EQ(broken.error.rfind("intent.model: " + beside.string() + ": line 2: threshold", 0), 0U)
      << broken.error;
  std::ofstream(beside, std::ios::trunc) << "vigil-dga-model 1\nthreshold 1 2 3 4\n^^^a 3\n";
  const MonitorSetup::Prepared p = m.prepare(SmallIntent());
  EXPECT_EQ(p.error, "");
  EXPECT_NE(p.engine, nullptr);
}

TEST_F(MonitorSetupTest, TheSameIntentConfigKeepsTheEngineAcrossReloads) {
  MonitorSetup m(query_log_, block_list_, dir_ / "bin");
  const config::IntentConfig c = SmallIntent();
  const MonitorSetup::Prepared first = m.prepare(c);
  ASSERT_EQ(first.error, "");
  ASSERT_NE(first.engine, nullptr);  // no model: the DGA detectors are off, the engine runs
  ASSERT_NE(m.psl(), nullptr);
  m.adopt(c, first.engine);
  EXPECT_FALSE(m.replaces_engine(c));
  EXPECT_EQ(m.prepare(c).engine, first.engine);  // its state carries on
  config::IntentConfig changed = c;
  changed.options.new_domain_days = 3;
  EXPECT_TRUE(m.replaces_engine(changed));
  const MonitorSetup::Prepared second = m.prepare(changed);
  ASSERT_NE(second.engine, nullptr);
  EXPECT_NE(second.engine, first.engine);
  EXPECT_EQ(m.intent(), first.engine);  // prepared, not yet adopted
}

TEST_F(MonitorSetupTest, IntentDisabledGivesNoEngine) {
  MonitorSetup m(query_log_, block_list_, dir_ / "bin");
  config::IntentConfig c = SmallIntent();
  c.enabled = false;
  const MonitorSetup::Prepared p = m.prepare(c);
  EXPECT_EQ(p.engine, nullptr);
  EXPECT_EQ(p.error, "");
}

TEST_F(MonitorSetupTest, TheModelIsTheConfiguredOneElseTheOneBesideTheExecutable) {
  const fs::path bin = dir_ / "bin";
  EXPECT_EQ(find_dga_model("", bin), "");
  EXPECT_EQ(find_dga_model("/etc/x.model", bin), "/etc/x.model");
  fs::create_directories(dir_ / "monitor");
  std::ofstream(dir_ / "monitor" / "dga.model") << "\n";
  EXPECT_EQ(find_dga_model("", bin), (dir_ / "monitor" / "dga.model").string());  // a build tree
  fs::create_directories(dir_ / "share" / "vigil");
  std::ofstream(dir_ / "share" / "vigil" / "dga.model") << "\n";
  EXPECT_EQ(find_dga_model("", bin), (dir_ / "share" / "vigil" / "dga.model").string());  // installed first
  EXPECT_EQ(find_dga_model("", ""), "");
}

TEST_F(MonitorSetupTest, QueryLogOptionsFollowTheConfigAndTheOverride) {
  config::Config cfg;
  cfg.query_log_path = "/var/log/vigil/queries.log";
  cfg.query_log.keep = 3;
  cfg.query_log.client_ip = config::ClientIpLogging::kTruncate;
  cfg.intent.alerts_path = "/var/log/vigil/alerts.log";
  cfg.dnstap.identity = "resolver-1";
  auto o = query_log_options(cfg, "", nullptr, &block_list_);
  EXPECT_EQ(o.path, "/var/log/vigil/queries.log");
  EXPECT_EQ(o.keep, 3U);
  EXPECT_EQ(o.privacy.mode(), monitor::ClientIpMode::kTruncate);
  EXPECT_EQ(o.alerts_path, "/var/log/vigil/alerts.log");
  EXPECT_EQ(o.dnstap.identity, "resolver-1");
  EXPECT_EQ(o.dnstap.version.rfind("vigil ", 0), 0U);
  EXPECT_EQ(o.block, &block_list_);
  EXPECT_EQ(query_log_options(cfg, "off", nullptr, nullptr).path, "");
  EXPECT_EQ(query_log_options(cfg, "/tmp/other.log", nullptr, nullptr).path, "/tmp/other.log");
  cfg.dnstap.identity = "";
  EXPECT_FALSE(query_log_options(cfg, "", nullptr, nullptr).dnstap.identity.empty());  // the host's name
}

TEST_F(MonitorSetupTest, TheQueryLogOverrideLastsAcrossReconfigurations) {
  MonitorSetup m(query_log_, block_list_, dir_ / "bin");
  config::Config cfg;
  cfg.intent.enabled = false;
  cfg.query_log_path = (dir_ / "queries.log").string();
  m.apply_query_log(cfg);
  EXPECT_TRUE(query_log_.enabled());
  m.set_query_log_override("off", cfg);
  EXPECT_FALSE(query_log_.enabled());
  m.apply_query_log(cfg);  // a reload: still off
  EXPECT_FALSE(query_log_.enabled());
  m.set_query_log_override("", cfg);  // vigilctl query-log on
  EXPECT_TRUE(query_log_.enabled());
}

TEST_F(MonitorSetupTest, TheDomainHistoryIsSavedAndLoadedAgain) {
  config::IntentConfig c = SmallIntent();
  c.new_domain_state = (dir_ / "history").string();
  {
    MonitorSetup m(query_log_, block_list_, dir_ / "bin");
    const MonitorSetup::Prepared p = m.prepare(c);
    ASSERT_NE(p.engine, nullptr);
    m.adopt(c, p.engine);
    m.save_history();
  }
  ASSERT_TRUE(fs::exists(c.new_domain_state));
  EXPECT_GT(fs::file_size(c.new_domain_state), 0U);
  MonitorSetup again(query_log_, block_list_, dir_ / "bin");
  EXPECT_NE(again.prepare(c).engine, nullptr);
  // A broken history starts a new one (a warning), not an error.
  std::ofstream(c.new_domain_state, std::ios::trunc) << "not a history";
  MonitorSetup broken(query_log_, block_list_, dir_ / "bin");
  const MonitorSetup::Prepared p = broken.prepare(c);
  EXPECT_NE(p.engine, nullptr);
  EXPECT_EQ(p.error, "");
}

}  // namespace
}  // namespace vigil::server
