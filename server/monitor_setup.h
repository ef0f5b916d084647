// The monitor's part of vigild's configuration: the query log's options
// (query_log.*, dnstap.*, intent.alerts_path, ...) and the intent engine
// intent.* asks for, with its DGA model found and its domain history loaded
// and saved. Runs on the control thread.
//
//   MonitorSetup monitor(query_log, block_list);
//   auto next = monitor.prepare(cfg.intent);   // nothing changes yet
//   if (!next.error.empty()) reject(next.error);
//   monitor.adopt(cfg.intent, next.engine);    // now it is in force
//   monitor.apply_query_log(cfg);
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "config/config.h"
#include "monitor/block_list.h"
#include "monitor/intent.h"
#include "monitor/query_log.h"
#include "monitor/registered_domain.h"

namespace vigil::server {

// The query log's options from `cfg`; `override_path` is what vigilctl
// query-log set ("" = as configured, "off", or a file).
monitor::QueryLogOptions query_log_options(const config::Config& cfg, const std::string& override_path,
                                           std::shared_ptr<monitor::IntentEngine> intent,
                                           monitor::BlockListPublisher* block);

// The DGA model: `configured` (intent.model), else the one installed beside
// vigild (<exe_dir>/../share/vigil/) or built beside it (a build tree's
// monitor/); "" when there is none.
std::string find_dga_model(const std::string& configured, const std::filesystem::path& exe_dir);
// The directory of the running executable (/proc/self/exe).
std::filesystem::path executable_dir();

class MonitorSetup {
 public:
  // `exe_dir`: where find_dga_model() looks when intent.model is "".
  MonitorSetup(monitor::QueryLog& query_log, monitor::BlockListPublisher& block_list,
               std::filesystem::path exe_dir = executable_dir());

  // The engine `c` asks for: the one in force while intent.* (and so the
  // model file) stay the same, so that its state survives a reload; else a
  // new one, with the model loaded and the domain history read. An error
  // names the model file.
  struct Prepared {
    std::shared_ptr<monitor::IntentEngine> engine;  // null: intent.enabled is false
    std::string error;
  };
  Prepared prepare(const config::IntentConfig& c);
  // Whether `c` would replace the engine in force (reload saves its history first).
  bool replaces_engine(const config::IntentConfig& c) const { return intent_ && !(c == intent_config_); }
  // `engine` (from prepare(c)) is now the one in force.
  void adopt(const config::IntentConfig& c, std::shared_ptr<monitor::IntentEngine> engine);
  // The engine in force's domain history, to intent.new_domain.state (logged).
  void save_history();

  // The query log follows `cfg` (and the override); what is queued is
  // written to the old destination first.
  void apply_query_log(const config::Config& cfg);
  // vigilctl query-log: "" (as configured), "off" or a file; applied with `cfg`.
  void set_query_log_override(std::string override_path, const config::Config& cfg);

  const std::shared_ptr<monitor::IntentEngine>& intent() const { return intent_; }
  // The public suffix list, loaded with the first engine (null before).
  const std::shared_ptr<const monitor::PublicSuffixList>& psl() const { return psl_; }
  monitor::QueryLog& query_log() { return query_log_; }
  monitor::BlockListPublisher& block_list() { return block_list_; }

 private:
  monitor::QueryLog& query_log_;
  monitor::BlockListPublisher& block_list_;
  std::filesystem::path exe_dir_;
  std::string query_log_override_;  // "" = as configured
  std::shared_ptr<monitor::IntentEngine> intent_;
  config::IntentConfig intent_config_;  // what intent_ was built from
  std::shared_ptr<const monitor::PublicSuffixList> psl_;
};

}  // namespace vigil::server
