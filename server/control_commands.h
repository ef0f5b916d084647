// vigilctl's commands, as vigild answers them on the control socket:
// status, reload, flush NAME / flush-subtree NAME / flush-all /
// flush-failures / flush-infra, cache-list / cache-dump / cache-load,
// log-reopen, query-log on|off|FILE, blocked / unblock NAME, the intent
// views (alerts, client, who-resolved, top) and trace NAME [TYPE]. Runs on
// the control thread.
//
// It is given the parts it works on (the cache, the query log, the monitor
// set-up, the engine) and, for what changes while vigild runs, small
// callbacks: the runtime in force, the workers' state, a reload.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "cache/rrset_cache.h"
#include "config/config.h"
#include "monitor/query_log.h"
#include "server/control_channel.h"
#include "server/monitor_setup.h"
#include "server/recursion.h"
#include "server/runtime.h"
#include "server/server_stats.h"
#include "server/socket_buffers.h"

namespace vigil::server {

// What vigilctl status reports of the listeners and the daemon's life.
struct ServingState {
  StatsSnapshot stats;                    // summed over the workers
  std::size_t resolutions_in_flight = 0;  // summed over the workers
  std::size_t tcp_open = 0;               // TCP connections open
  UdpSocketState udp;                     // the kernel's drops and buffer size
  std::size_t threads = 0;                // worker threads
  std::vector<config::Endpoint> bound;    // the addresses served
  unsigned reloads = 0;
};

class ControlCommands {
 public:
  struct Parts {
    cache::RRsetCache& cache;
    monitor::QueryLog& query_log;
    MonitorSetup& monitor;           // the intent engine, the query log's override
    Recursion* recursion = nullptr;  // null: no resolver (flush-infra and trace say so)
    std::function<std::shared_ptr<const Runtime>()> runtime;  // the runtime in force
    std::function<ServingState()> serving;
    std::function<ControlReply()> reload;
    std::string config_path;  // "" = built-in defaults
    std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
  };
  explicit ControlCommands(Parts parts) : p_(std::move(parts)) {}

  // One command (args[0]) and its arguments; an unknown one is an error
  // that lists them.
  ControlReply command(const std::vector<std::string>& args);
  // vigilctl trace NAME [TYPE]: a resolution with the cache's answers
  // bypassed, every step printed, then the answer a client now gets.
  boost::asio::awaitable<ControlReply> trace(std::vector<std::string> args) const;
  // vigilctl status: one "key: value" line each.
  std::string status() const;

 private:
  ControlReply intent_view(const std::vector<std::string>& args);        // alerts, client, who-resolved, top
  ControlReply blocked(const std::vector<std::string>& args);            // blocked, unblock NAME
  ControlReply query_log(const std::vector<std::string>& args);          // query-log on|off|FILE
  ControlReply flush_infra(const std::vector<std::string>& args) const;  // flush-infra [all|ADDRESS]

  Parts p_;
};

// "a, b, c": the endpoints as vigilctl status and the start-up line name them.
std::string join_endpoints(const std::vector<config::Endpoint>& eps);

}  // namespace vigil::server
