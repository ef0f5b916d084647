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
// The main thread runs the control io_context (signals, control socket,
// feed keeping); queries are only ever handled on the workers. Its parts
// are classes of their own: vigilctl's commands (control_commands.h), the
// feed keeping (feed_keeper.h), the monitor's set-up (monitor_setup.h) and
// /metrics (metrics_provider.h).
#pragma once

#include <chrono>
#include <ctime>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "cache/rrset_cache.h"
#include "config/config.h"
#include "monitor/block_list.h"
#include "monitor/metrics.h"
#include "monitor/query_log.h"
#include "server/connection_table.h"
#include "server/control_channel.h"
#include "server/control_commands.h"
#include "server/feed_keeper.h"
#include "server/monitor_setup.h"
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

 private:
  bool start();
  bool drop_privileges();
  ControlReply reload();
  void shutdown();
  // A runtime over the threat feeds `set` replaces the one in force
  // (FeedKeeper's publish); "" or why it could not be built.
  std::string publish_feeds(std::shared_ptr<const policy::PolicySet> set);
  ServingState serving() const;  // for vigilctl status
  StatsSnapshot stats() const;
  std::size_t resolutions_in_flight() const;  // summed over workers
  UdpSocketState udp_sockets() const;         // the kernel's drops at the UDP sockets, their buffer size
  std::vector<monitor::MetricFamilyData> metrics() const;  // called on the exposer's threads

  config::Config initial_;
  std::string config_path_;
  boost::asio::io_context io_{1};
  std::unique_ptr<cache::RRsetCache> cache_;
  // The intent detectors' block list: published by the query log's writer,
  // read by every runtime's handler (so it outlives them).
  monitor::BlockListPublisher block_list_;
  ConnectionTable connections_;
  std::unique_ptr<monitor::QueryLog> query_log_;
  // The query log's options and the intent engine, from the configuration.
  std::unique_ptr<MonitorSetup> monitor_;
  std::unique_ptr<monitor::MetricsServer> metrics_;
  // The configuration vigild started with: the keys a reload cannot change
  // are compared with it (what runs), not with the last file read.
  std::optional<config::Config> started_config_;
  // Threat feeds: read at start and reload; kept current in between by feeds_.
  PolicyLoader policy_loader_;
  std::unique_ptr<FeedKeeper> feeds_;
  std::unique_ptr<Recursion> recursion_;
  std::unique_ptr<WorkerShared> shared_;
  std::shared_ptr<const Runtime> runtime_;  // the one in force (main thread)
  std::vector<std::unique_ptr<Worker>> workers_;
  std::vector<config::Endpoint> bound_;
  std::unique_ptr<ControlCommands> commands_;
  std::unique_ptr<ControlChannel> control_;
  std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
  std::time_t started_wall_ = std::time(nullptr);
  unsigned reloads_ = 0;
};

}  // namespace vigil::server
