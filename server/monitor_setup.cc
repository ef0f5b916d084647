#include "server/monitor_setup.h"

#include <unistd.h>

#include <system_error>

#include "monitor/dga_model.h"
#include "server/log.h"
#include "server/version.h"

namespace vigil::server {

namespace {

std::string host_name() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0) return "vigil";
  return buf;
}

}  // namespace

monitor::QueryLogOptions query_log_options(const config::Config& cfg, const std::string& override_path,
                                           std::shared_ptr<monitor::IntentEngine> intent,
                                           monitor::BlockListPublisher* block) {
  monitor::QueryLogOptions o;
  o.path = override_path.empty() ? cfg.query_log_path : (override_path == "off" ? "" : override_path);
  o.max_bytes = cfg.query_log.max_size;
  o.keep = cfg.query_log.keep;
  const auto mode = cfg.query_log.client_ip == config::ClientIpLogging::kHash ? monitor::ClientIpMode::kHash
                    : cfg.query_log.client_ip == config::ClientIpLogging::kTruncate
                        ? monitor::ClientIpMode::kTruncate
                        : monitor::ClientIpMode::kFull;
  o.privacy = monitor::ClientPrivacy(mode, cfg.query_log.hash_secret);
  o.dnstap.socket = cfg.dnstap.socket;
  o.dnstap.identity = cfg.dnstap.identity.empty() ? host_name() : cfg.dnstap.identity;
  o.dnstap.version = std::string("vigil ") + kVersion;
  o.dnstap.client_queries = cfg.dnstap.client_queries;
  o.dnstap.client_responses = cfg.dnstap.client_responses;
  o.intent = std::move(intent);
  o.alerts_path = cfg.intent.alerts_path;
  o.recent_queries = cfg.intent.recent_queries;
  o.resolutions = cfg.intent.who_resolved;
  o.block = block;
  return o;
}

std::filesystem::path executable_dir() {
  std::error_code ec;
  const auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return {};
  return exe.parent_path();
}

std::string find_dga_model(const std::string& configured, const std::filesystem::path& exe_dir) {
  if (!configured.empty() || exe_dir.empty()) return configured;
  std::error_code ec;
  for (const auto& candidate : {exe_dir / "../share/vigil/dga.model", exe_dir / "../monitor/dga.model"}) {
    if (!ec && std::filesystem::exists(candidate, ec)) return candidate.lexically_normal().string();
  }
  return "";
}

MonitorSetup::MonitorSetup(monitor::QueryLog& query_log, monitor::BlockListPublisher& block_list,
                           std::filesystem::path exe_dir)
    : query_log_(query_log), block_list_(block_list), exe_dir_(std::move(exe_dir)) {}

MonitorSetup::Prepared MonitorSetup::prepare(const config::IntentConfig& c) {
  if (!c.enabled) return {};
  if (intent_ && c == intent_config_) return {intent_, ""};  // unchanged: its state carries on
  if (!psl_) psl_ = std::make_shared<const monitor::PublicSuffixList>();
  const std::string path = find_dga_model(c.model, exe_dir_);
  std::shared_ptr<const monitor::DgaModel> model;
  if (path.empty()) {
    log_warning(
        "intent: no DGA model installed beside vigild (intent.model names one); the DGA and tunnel "
        "detectors are off, NXDOMAIN storms are still watched");
  } else {
    std::string error;
    auto loaded = monitor::DgaModel::load(path, &error);
    if (!loaded) return {nullptr, "intent.model: " + error};
    model = std::make_shared<const monitor::DgaModel>(std::move(*loaded));
    log_info("intent: DGA model " + path + " (" + std::to_string(model->grams()) + " 4-grams)");
  }
  auto engine = std::make_shared<monitor::IntentEngine>(c.options, std::move(model), psl_);
  const std::string& state = c.new_domain_state;
  if (c.options.new_domain && !state.empty()) {
    std::string error;
    if (!std::filesystem::exists(state)) {
      log_info("intent: no domain history at " + state + " yet; the first " +
               std::to_string(c.options.new_domain_learning_days) + " days learn what is usual");
    } else if (engine->load_history(state, &error)) {
      log_info("intent: domain history loaded from " + state);
    } else {
      log_warning("intent: domain history not loaded (" + error + "); starting a new one, the first " +
                  std::to_string(c.options.new_domain_learning_days) + " days learn what is usual");
    }
  }
  return {engine, ""};
}

void MonitorSetup::adopt(const config::IntentConfig& c, std::shared_ptr<monitor::IntentEngine> engine) {
  intent_ = std::move(engine);
  intent_config_ = c;
}

void MonitorSetup::save_history() {
  const std::string& state = intent_config_.new_domain_state;
  if (!intent_ || state.empty() || !intent_config_.options.new_domain) return;
  std::string error;
  bool ok = false;
  query_log_.with_writer_stopped([&] { ok = intent_->save_history(state, &error); });
  if (ok) {
    log_info("intent: domain history saved to " + state);
  } else {
    log_error("intent: domain history not saved: " + error);
  }
}

void MonitorSetup::apply_query_log(const config::Config& cfg) {
  query_log_.configure(query_log_options(cfg, query_log_override_, intent_, &block_list_));
}

void MonitorSetup::set_query_log_override(std::string override_path, const config::Config& cfg) {
  query_log_override_ = std::move(override_path);
  apply_query_log(cfg);
}

}  // namespace vigil::server
