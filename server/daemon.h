// vigild as a whole: owns the cache, the workers, the control channel and
// the signal handling, and runs the daemon's life cycle:
//
//   start    load the persisted cache; build the runtime (config, local
//            zones, handler); bind every listen address on every worker;
//            open the control socket; drop root (server.user); start workers
//   SIGHUP   reload: a new runtime replaces the old one on every worker;
//   / reload a bad file is rejected and the old one stays (logged)
//   SIGTERM  stop accepting, let in-flight queries finish (server.shutdown_grace),
//   SIGINT   persist the cache (cache.persist_path), exit 0
//
// The main thread runs the control io_context (signals, control socket);
// queries are only ever handled on the workers.
#pragma once

#include <chrono>
#include <ctime>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>

#include "cache/rrset_cache.h"
#include "config/config.h"
#include "monitor/intent.h"
#include "monitor/metrics.h"
#include "server/connection_table.h"
#include "server/control_channel.h"
#include "server/policy_loader.h"
#include "server/recursion.h"
#include "server/runtime.h"
#include "server/server_stats.h"
#include "server/worker.h"

namespace vigil::server {

class Daemon {
 public:
  // `config_path` is "" when running on the built-in defaults.
  Daemon(config::Config config, std::string config_path);
  ~Daemon();

  // Runs until SIGTERM/SIGINT; returns the process exit code.
  int run();

  // The control commands (also what vigilctl sends).
  ControlReply command(const std::vector<std::string>& args);
  // vigilctl trace NAME [TYPE]: a resolution with the cache's answers
  // bypassed, every step printed, then the answer a client now gets.
  boost::asio::awaitable<ControlReply> trace(std::vector<std::string> args);

 private:
  bool start();
  bool drop_privileges();
  ControlReply reload();
  void shutdown();
  std::string status() const;
  StatsSnapshot stats() const;
  std::size_t resolutions_in_flight() const;  // summed over workers

  config::Config initial_;
  std::string config_path_;
  boost::asio::io_context io_{1};
  std::unique_ptr<cache::RRsetCache> cache_;
  // The intent detectors' block list: published by the query log's writer,
  // read by every runtime's handler (so it outlives them).
  monitor::BlockListPublisher block_list_;
  ConnectionTable connections_;
  std::unique_ptr<monitor::QueryLog> query_log_;
  std::unique_ptr<monitor::MetricsServer> metrics_;
  std::vector<monitor::MetricFamilyData> metrics() const;  // called on the exposer's threads
  std::string query_log_override_;                         // vigilctl query-log FILE|off; "" = as configured
  void apply_query_log(const config::Config& cfg);
  // Intent detection: the engine the configuration asks for, kept across
  // reloads while intent.* (and the model file) stay the same, so that its
  // state survives them. An error names the model file.
  struct IntentSetup {
    std::shared_ptr<monitor::IntentEngine> engine;  // null: intent.enabled is false
    std::string error;
  };
  IntentSetup prepare_intent(const config::IntentConfig& c);
  std::shared_ptr<monitor::IntentEngine> intent_;
  config::IntentConfig intent_config_;  // what intent_ was built from
  // The configuration vigild started with: the keys a reload cannot change
  // are compared with it (what runs), not with the last file read.
  std::optional<config::Config> started_config_;
  std::shared_ptr<const monitor::PublicSuffixList> psl_;
  void save_domain_history();  // intent_'s, to intent.new_domain.state
  ControlReply intent_view(
      const std::vector<std::string>& args);  // vigilctl alerts, client, who-resolved, top
  // Threat feeds: read at start and reload, and whenever a feed file
  // changes (watch_feeds, every policy.check_interval).
  PolicyLoader policy_loader_;
  boost::asio::awaitable<void> watch_feeds();
  bool refresh_feeds();  // true when a changed feed was swapped in
  // Feeds kept by a primary (policy.feeds[].primary): one coroutine each.
  void start_transfers();
  boost::asio::awaitable<void> keep_feed(std::string name);
  std::set<std::string> transfers_;
  std::unique_ptr<Recursion> recursion_;
  std::unique_ptr<WorkerShared> shared_;
  std::shared_ptr<const Runtime> runtime_;  // the one in force (main thread)
  std::vector<std::unique_ptr<Worker>> workers_;
  std::vector<config::Endpoint> bound_;
  std::unique_ptr<ControlChannel> control_;
  std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
  std::time_t started_wall_ = std::time(nullptr);
  unsigned reloads_ = 0;
};

}  // namespace vigil::server
