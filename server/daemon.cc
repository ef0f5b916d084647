#include "server/daemon.h"

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <thread>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <sys/stat.h>

#include "config/load.h"
#include "monitor/query_log_format.h"
#include "protocol/message.h"
#include "protocol/name.h"
#include "protocol/rdata.h"
#include "server/log.h"
#include "server/metrics_provider.h"
#include "server/version.h"
#include "server/view_args.h"
#include "server/zone_transfer.h"

namespace vigil::server {

namespace asio = boost::asio;

namespace {

const char* qmin_name(config::QnameMinimisation m) {
  switch (m) {
    case config::QnameMinimisation::kOff: return "off";
    case config::QnameMinimisation::kRelaxed: return "relaxed";
    case config::QnameMinimisation::kStrict: return "strict";
  }
  return "?";
}

bool same_cache_options(const cache::CacheOptions& a, const cache::CacheOptions& b) {
  return a.max_bytes == b.max_bytes && a.min_ttl == b.min_ttl && a.max_ttl == b.max_ttl &&
         a.max_negative_ttl == b.max_negative_ttl && a.serve_stale == b.serve_stale &&
         a.prefetch == b.prefetch;
}

// server.user's ids; nullopt when there is no such user. start() needs them
// for the control socket's owner, drop_privileges() to switch.
struct UserIds {
  uid_t uid;
  gid_t gid;
};
std::optional<UserIds> lookup_user(const std::string& user) {
  const passwd* pw = ::getpwnam(user.c_str());
  if (pw == nullptr) return std::nullopt;
  return UserIds{pw->pw_uid, pw->pw_gid};
}

// A name as given to vigilctl (trace, who-resolved, ...): the trailing dot optional.
auto name_from_arg(const std::string& text) {
  return dns::Name::from_text(text.empty() || text.back() != '.' ? text + "." : text);
}

std::string join_endpoints(const std::vector<config::Endpoint>& eps) {
  std::string out;
  for (const auto& e : eps) out += (out.empty() ? "" : ", ") + e.to_string();
  return out;
}

}  // namespace

Daemon::Daemon(config::Config config, std::string config_path)
    : initial_(std::move(config)), config_path_(std::move(config_path)) {}

Daemon::~Daemon() = default;

bool Daemon::start() {
  const config::Config& cfg = initial_;
  cache_ = std::make_unique<cache::RRsetCache>(cfg.cache.options);
  const std::string& persist = cfg.cache.persist_path;
  if (!persist.empty()) {
    struct stat st {};
    if (::stat(persist.c_str(), &st) == 0) {
      cache::LoadStats s = cache_->load(persist, now());
      log_info("cache: loaded " + std::to_string(s.loaded) + " entries from " + persist + " (" +
               std::to_string(s.expired) + " expired, " + std::to_string(s.rejected) + " rejected)" +
               (s.first_error.empty() ? "" : "; first problem: " + s.first_error));
    } else {
      log_info("cache: " + persist + " does not exist yet; starting empty");
    }
  }
  auto policy = policy_loader_.load(cfg.policy, config_path_);
  if (!policy.ok()) {
    log_error(policy.error().to_string());
    return false;
  }
  auto rt = make_runtime(cfg, config_path_, *cache_, /*resolver_attached=*/true, &block_list_, policy->set);
  if (!rt.ok()) {
    log_error(rt.error().to_string());
    return false;
  }
  runtime_ = *rt;
  started_config_ = runtime_->config;
  for (const auto& l : policy->loaded) log_info("policy: feed " + l);
  policy_loader_.commit(std::move(*policy));
  IntentSetup intent = prepare_intent(cfg.intent);
  if (!intent.error.empty()) {
    log_error(intent.error);
    return false;
  }
  intent_ = intent.engine;
  intent_config_ = cfg.intent;
  unsigned threads = cfg.server.threads;
  if (threads == 0) threads = std::max(1U, std::thread::hardware_concurrency());
  std::string descriptors;
  unsigned tcp_share = 0;
  const std::size_t sockets = upstream_socket_budget(cfg, threads, &descriptors, &tcp_share);
  log_info(descriptors);
  recursion_ = std::make_unique<Recursion>(runtime_->config, runtime_->root_hints, *cache_, sockets);
  // The query log: one ring per worker (8 192 queries each, about 15 MB),
  // drained by its own thread; on or off, it is always there to switch.
  query_log_ =
      std::make_unique<monitor::QueryLog>(threads, 8192, [](const std::string& what) { log_warning(what); });
  apply_query_log(cfg);
  connections_.set_prefixes(cfg.server.tcp_client_prefix_v4, cfg.server.tcp_client_prefix_v6);
  shared_ = std::make_unique<WorkerShared>(
      WorkerShared{*cache_, connections_, recursion_.get(), query_log_.get(), tcp_share});
  if (cfg.cache.options.prefetch) {
    // A popular entry close to expiry is resolved again in the background,
    // on the control thread's io_context (never on a worker's hot path).
    cache_->set_prefetch_hook([this](const dns::Name& name, dns::RRType type, dns::RRClass) {
      asio::co_spawn(io_, recursion_->engine().resolve(name, type, /*refresh=*/true), asio::detached);
    });
  }

  // The default listen addresses are skipped (with a warning) where the
  // machine lacks them, e.g. ::1 in a container without IPv6; configured
  // ones must all be bound.
  const bool defaulted = cfg.server.listen == config::Config::defaults().server.listen;
  try {
    std::vector<config::Endpoint> want;
    workers_.push_back(std::make_unique<Worker>(0, *shared_, runtime_));
    for (const auto& e : cfg.server.listen) {
      try {
        auto bound = workers_.back()->listen({e});
        want.push_back(bound.at(0));
      } catch (const ListenError& x) {
        const int code = x.code.value();
        if (!defaulted || (code != EADDRNOTAVAIL && code != EAFNOSUPPORT)) throw;
        log_warning(std::string(x.what()) + "; skipping this default address");
      }
    }
    if (want.empty()) throw std::runtime_error("no listen address could be bound");
    // The others bind the same addresses, with the ports the first one got.
    for (unsigned i = 1; i < threads; ++i) {
      workers_.push_back(std::make_unique<Worker>(i, *shared_, runtime_));
      workers_.back()->listen(want);
    }
    bound_ = want;
  } catch (const std::exception& e) {
    log_error(e.what());
    return false;
  }

  std::optional<uid_t> uid;
  std::optional<gid_t> gid;
  if (!cfg.server.user.empty()) {
    if (const auto ids = lookup_user(cfg.server.user)) {
      uid = ids->uid;
      gid = ids->gid;
    } else {
      log_error("server.user: no such user \"" + cfg.server.user + "\"");
      return false;
    }
  }
  if (!cfg.control_socket.empty()) {
    control_ = std::make_unique<ControlChannel>(
        io_, cfg.control_socket, [this](const std::vector<std::string>& a) { return command(a); });
    control_->set_async("trace", [this](std::vector<std::string> a) { return trace(std::move(a)); });
    try {
      control_->open(uid, gid);
    } catch (const ControlSocketInUse& e) {
      log_error(e.what());  // a second instance does not start beside the first
      return false;
    } catch (const std::exception& e) {
      // The resolver still serves; only vigilctl is unavailable.
      log_warning(std::string(e.what()) + "; vigilctl will not reach this daemon");
      control_.reset();
    }
  }
  if (!cfg.metrics_listen.empty()) {
    try {
      metrics_ = std::make_unique<monitor::MetricsServer>(cfg.metrics_listen, [this] { return metrics(); });
    } catch (const std::exception& e) {
      log_error(e.what());
      return false;
    }
  }
  if (!drop_privileges()) return false;
  for (auto& w : workers_) w->start();
  if (control_) control_->start();
  asio::co_spawn(io_, watch_feeds(), log_coroutine_exception);
  start_transfers();
  // Priming (RFC 8109): the root NS set, fetched once now so the first
  // client query does not wait for it; the engine primes again whenever the
  // cached set has expired.
  asio::co_spawn(
      io_,
      [this]() -> asio::awaitable<void> {
        const bool ok = co_await recursion_->engine().prime();
        if (ok) {
          log_info("priming: root NS set fetched from the root hints' servers");
        } else {
          log_warning("priming failed: resolving from the root hints until a root server answers");
        }
      },
      log_coroutine_exception);
  log_info(std::string("vigild ") + kVersion + " serving on " + join_endpoints(bound_) + " (udp, tcp) with " +
           std::to_string(threads) + " worker thread" + (threads == 1 ? "" : "s") + "; configuration " +
           (config_path_.empty() ? "built-in defaults" : config_path_) +
           (control_ ? "; control socket " + control_->path() : "") +
           "; root hints: " + std::to_string(runtime_->root_hints.servers.size()) + " servers (" +
           cfg.resolver.root_hints + "); QNAME minimisation " + qmin_name(cfg.resolver.qname_minimisation));
  return true;
}

namespace {
std::string host_name() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0) return "vigil";
  return buf;
}
}  // namespace

void Daemon::apply_query_log(const config::Config& cfg) {
  monitor::QueryLogOptions o;
  o.path = query_log_override_.empty() ? cfg.query_log_path
                                       : (query_log_override_ == "off" ? "" : query_log_override_);
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
  o.intent = intent_;
  o.alerts_path = cfg.intent.alerts_path;
  o.recent_queries = cfg.intent.recent_queries;
  o.resolutions = cfg.intent.who_resolved;
  o.block = &block_list_;
  query_log_->configure(o);
}

Daemon::IntentSetup Daemon::prepare_intent(const config::IntentConfig& c) {
  if (!c.enabled) return {};
  if (intent_ && c == intent_config_) return {intent_, ""};  // unchanged: its state carries on
  if (!psl_) psl_ = std::make_shared<const monitor::PublicSuffixList>();
  // The model: the configured file, else the one installed beside vigild
  // (<prefix>/share/vigil/) or built beside it (a build tree's monitor/).
  std::string path = c.model;
  if (path.empty()) {
    std::error_code ec;
    const auto exe_dir = std::filesystem::read_symlink("/proc/self/exe", ec).parent_path();
    for (const auto& candidate : {exe_dir / "../share/vigil/dga.model", exe_dir / "../monitor/dga.model"}) {
      if (!ec && std::filesystem::exists(candidate, ec)) {
        path = candidate.lexically_normal().string();
        break;
      }
    }
  }
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

void Daemon::save_domain_history() {
  const std::string& state = intent_config_.new_domain_state;
  if (!intent_ || !query_log_ || state.empty() || !intent_config_.options.new_domain) return;
  std::string error;
  bool ok = false;
  query_log_->with_writer_stopped([&] { ok = intent_->save_history(state, &error); });
  if (ok) {
    log_info("intent: domain history saved to " + state);
  } else {
    log_error("intent: domain history not saved: " + error);
  }
}

bool Daemon::drop_privileges() {
  const std::string& user = initial_.server.user;
  if (user.empty()) return true;
  const auto pw = lookup_user(user);
  if (!pw) return false;
  if (::geteuid() == pw->uid) return true;  // already that user
  if (::geteuid() != 0) {
    log_error("server.user: cannot switch to \"" + user + "\" without root");
    return false;
  }
  if (::setgroups(0, nullptr) != 0 || ::setgid(pw->gid) != 0 || ::setuid(pw->uid) != 0) {
    log_error("server.user: cannot switch to \"" + user + "\": " + std::strerror(errno));
    return false;
  }
  if (::setuid(0) == 0) {  // must not be able to regain root
    log_error("server.user: root could be regained after switching; refusing to run");
    return false;
  }
  log_info("running as user " + user + " (uid " + std::to_string(pw->uid) + ")");
  return true;
}

int Daemon::run() {
  std::signal(SIGPIPE, SIG_IGN);
  asio::signal_set signals(io_, SIGHUP, SIGTERM, SIGINT);
  if (!start()) {
    for (auto& w : workers_) w->join();
    return 1;
  }
  asio::co_spawn(
      io_,
      [&]() -> asio::awaitable<void> {
        for (;;) {
          auto [ec, sig] = co_await signals.async_wait(asio::as_tuple(asio::use_awaitable));
          if (ec) co_return;
          if (sig == SIGHUP) {
            (void)reload();
            continue;
          }
          log_info(std::string("received ") + (sig == SIGTERM ? "SIGTERM" : "SIGINT") + ": shutting down");
          io_.stop();
          co_return;
        }
      },
      log_coroutine_exception);
  io_.run();
  shutdown();
  return 0;
}

void Daemon::shutdown() {
  if (control_) control_->close();
  for (auto& w : workers_) w->stop_accepting();
  const auto grace = runtime_->config.server.shutdown_grace;
  const auto deadline = std::chrono::steady_clock::now() + grace;
  std::size_t busy = 0;
  for (;;) {
    busy = 0;
    for (const auto& w : workers_) busy += w->busy();
    if (busy == 0 || std::chrono::steady_clock::now() >= deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (busy > 0) {
    log_warning(std::to_string(busy) + " queries or connections still open after " +
                std::to_string(grace.count()) + "ms; closing them");
  }
  for (auto& w : workers_) w->join();
  // The query log gets what is left of the grace period (a consumer that
  // stopped reading holds the exit no longer; its lines are counted dropped).
  if (query_log_) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (!query_log_->flush(std::max(left, std::chrono::milliseconds(100)))) {
      log_warning("query log: its destination did not take every line within the shutdown grace period");
    }
    query_log_->stop();
    const monitor::QueryLogStats q = query_log_->stats();
    if (q.file_open || q.written + q.dropped_queue_full + q.dropped_write_error > 0) {
      log_info("query log: " + std::to_string(q.written) + " lines written, " +
               std::to_string(q.dropped_queue_full) + " dropped with the writer behind, " +
               std::to_string(q.dropped_write_error) + " dropped by failed or abandoned writes");
    }
  }
  save_domain_history();
  const std::string& persist = runtime_->config.cache.persist_path;
  if (!persist.empty()) {
    cache::DumpStats d = cache_->dump(persist, now());
    if (d.error.empty()) {
      log_info("cache: saved " + std::to_string(d.written) + " entries to " + persist);
    } else {
      log_error("cache: not saved: " + d.error);
    }
  }
  const StatsSnapshot s = stats();
  log_info("stopped after " + std::to_string(s.udp_queries + s.tcp_queries) + " queries");
}

ControlReply Daemon::reload() {
  // Every reload reopens the log files first, whatever becomes of the
  // file: SIGHUP is logrotate's postrotate signal.
  if (query_log_) query_log_->reopen();
  if (config_path_.empty()) {
    log_warning("reload: running on built-in defaults (no -c FILE), nothing to reload");
    return {false, "vigild runs on its built-in defaults (no -c FILE): nothing to reload"};
  }
  auto cfg = config::load_config(config_path_, config::environment());
  auto reject = [&](const std::string& why) {
    log_error("reload rejected, the running configuration stays in force: " + why);
    return ControlReply{false, "reload rejected, the running configuration stays in force:\n" + why};
  };
  if (!cfg.ok()) return reject(cfg.error().to_string());
  // Every feed is read again; one whose file is now broken keeps its last
  // good version (a warning), a new one that fails rejects the reload.
  auto policy = policy_loader_.load(cfg->policy, config_path_);
  if (!policy.ok()) return reject(policy.error().to_string());
  auto rt =
      make_runtime(*cfg, config_path_, *cache_, shared_->resolver != nullptr, &block_list_, policy->set);
  if (!rt.ok()) return reject(rt.error().to_string());
  // A new engine starts from the history the running one saves.
  if (intent_ && !((*rt)->config.intent == intent_config_)) save_domain_history();
  IntentSetup intent = prepare_intent((*rt)->config.intent);
  if (!intent.error.empty()) return reject(intent.error);
  // What only a restart changes is compared with what runs: the
  // configuration vigild started with (a reload that restores it warns of
  // nothing; one that changed it and was not restarted keeps warning).
  const config::Config& old = started_config_ ? *started_config_ : runtime_->config;
  const config::Config& next = (*rt)->config;
  std::vector<std::string> restart;
  if (next.server.tcp_client_prefix_v4 != old.server.tcp_client_prefix_v4 ||
      next.server.tcp_client_prefix_v6 != old.server.tcp_client_prefix_v6)
    restart.emplace_back("server.tcp_client_prefix_v4/v6");
  if (next.server.listen != old.server.listen) restart.emplace_back("server.listen");
  if (next.server.threads != old.server.threads) restart.emplace_back("server.threads");
  if (next.server.user != old.server.user) restart.emplace_back("server.user");
  if (next.control_socket != old.control_socket) restart.emplace_back("control.socket");
  if (!(next.resolver == old.resolver)) restart.emplace_back("resolver");
  if (!same_cache_options(next.cache.options, old.cache.options))
    restart.emplace_back("cache (size and TTL limits)");
  runtime_ = *rt;
  for (auto& w : workers_) w->set_runtime(runtime_);
  for (const auto& l : policy->loaded) log_info("policy: feed " + l);
  for (const auto& w : policy->warnings) log_error(w);
  policy_loader_.commit(std::move(*policy));
  start_transfers();
  intent_ = intent.engine;
  intent_config_ = runtime_->config.intent;
  apply_query_log(runtime_->config);  // flushes what is queued, then follows the new file
  ++reloads_;
  std::string msg = "configuration reloaded from " + config_path_;
  if (!restart.empty()) {
    std::string keys;
    for (const auto& k : restart) keys += (keys.empty() ? "" : ", ") + k;
    msg += "; changes to " + keys + " take effect at the next restart";
    log_warning(msg);
  } else {
    log_info(msg);
  }
  return {true, msg};
}

// Feed files are looked at every policy.check_interval; a changed one is
// read and, when it parses, swapped in with a new runtime (queries in
// flight finish with the old one). A broken one is logged once per version
// and the feed keeps what it had.
asio::awaitable<void> Daemon::watch_feeds() {
  asio::steady_timer timer(io_);
  for (;;) {
    const std::uint32_t every = runtime_->config.policy.check_interval;
    timer.expires_after(std::chrono::seconds(every == 0 ? 5 : every));
    auto [ec] = co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
    if (ec) co_return;
    const config::PolicyConfig& pc = runtime_->config.policy;
    if (every == 0 || pc.feeds.empty() || !policy_loader_.changed(pc, config_path_)) continue;
    (void)refresh_feeds();
  }
}

void Daemon::start_transfers() {
  for (const auto& fc : runtime_->config.policy.feeds) {
    if (!fc.primary || transfers_.count(fc.name) > 0) continue;
    transfers_.insert(fc.name);
    asio::co_spawn(io_, keep_feed(fc.name), log_coroutine_exception);
  }
}

// A feed kept by a primary, as a BIND secondary keeps its zone: transferred
// (IXFR from the version held, AXFR when that fails or nothing is held),
// written to the feed's file, read from there like any feed file; checked
// again after `refresh` (or the SOA's refresh), after the SOA's retry when
// the transfer failed. Ends when the feed leaves the configuration.
asio::awaitable<void> Daemon::keep_feed(std::string name) {
  asio::steady_timer timer(io_);
  std::vector<dns::ResourceRecord> held;
  std::string held_from;  // the primary and zone `held` came from
  for (;;) {
    const config::PolicyFeedConfig* found = nullptr;
    for (const auto& f : runtime_->config.policy.feeds) {
      if (f.name == name && f.primary) found = &f;
    }
    if (found == nullptr) {
      transfers_.erase(name);
      co_return;
    }
    const config::PolicyFeedConfig fc = *found;  // the runtime may change while we wait
    const std::string path = PolicyLoader::resolve_path(fc.file, config_path_);
    const dns::Name zone = *dns::Name::from_text(fc.zone);
    const std::string source = fc.primary->to_string() + " " + zone.to_text();
    if (held_from != source) {
      held.clear();
      held_from = source;
      // The copy on disk, so that the first exchange can be an IXFR.
      std::ifstream in(path);
      if (in) {
        std::stringstream text;
        text << in.rdbuf();
        auto records = dns::parse_zone_text(text.str(), zone);
        if (records.ok() && !records->empty() && records->front().type == dns::RRType::SOA) held = *records;
      }
    }
    boost::system::error_code ec;
    const auto address = asio::ip::make_address(fc.primary->address, ec);
    TransferLimits limits;
    limits.max_records = fc.max_rules * 2 + 1024;
    limits.max_bytes = fc.max_size;
    Transfer t;
    if (ec) {
      t.error = "not an address: " + fc.primary->address;
    } else {
      t = co_await transfer_zone(asio::ip::tcp::endpoint(address, fc.primary->port), zone, held, limits);
    }
    // SOA timers: refresh and retry (RFC 1035 §3.3.13), bounded.
    const auto soa = held.empty() ? std::nullopt : dns::SoaRdata::decode(held.front().rdata);
    auto bounded = [](std::uint32_t v) { return std::clamp<std::uint32_t>(v, 1, 86400); };
    std::uint32_t wait = 0;
    if (!t.error.empty()) {
      log_warning("policy feed \"" + name + "\": transfer of " + source + " failed: " + t.error);
      wait = soa ? bounded(soa->retry) : 60;
    } else {
      if (t.changed) {
        const std::string tmp = path + ".transfer";
        bool written = false;
        {
          std::ofstream out(tmp, std::ios::trunc);
          out << zone_text(t.records);
          written = static_cast<bool>(out);
        }
        if (written && std::rename(tmp.c_str(), path.c_str()) == 0) {
          log_info("policy feed \"" + name + "\": serial " + std::to_string(t.serial) + " transferred from " +
                   source + " (" + (t.incremental ? "IXFR" : "AXFR") + ", " +
                   std::to_string(t.records.size()) + " records)");
          held = std::move(t.records);
          (void)refresh_feeds();
        } else {
          log_error("policy feed \"" + name + "\": cannot write " + path + ": " + std::strerror(errno));
        }
      }
      const auto now_held = held.empty() ? std::nullopt : dns::SoaRdata::decode(held.front().rdata);
      wait = now_held ? bounded(now_held->refresh) : 3600;
    }
    if (fc.refresh > 0) wait = std::min(wait, fc.refresh);
    timer.expires_after(std::chrono::seconds(wait));
    auto [tec] = co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
    if (tec) co_return;
  }
}

bool Daemon::refresh_feeds() {
  auto policy = policy_loader_.load(runtime_->config.policy, config_path_, /*force=*/false);
  if (!policy.ok()) {  // only a feed never loaded can fail outright; not after start
    log_error(policy.error().to_string());
    return false;
  }
  for (const auto& w : policy->warnings) log_error(w);
  const bool any = !policy->loaded.empty();
  if (any) {
    auto rt = make_runtime(runtime_->config, config_path_, *cache_, shared_->resolver != nullptr,
                           &block_list_, policy->set);
    if (!rt.ok()) {
      log_error("policy: feeds not swapped in: " + rt.error().to_string());
      return false;
    }
    runtime_ = *rt;
    for (auto& w : workers_) w->set_runtime(runtime_);
    for (const auto& l : policy->loaded) log_info("policy: feed changed on disk, reloaded: " + l);
  }
  policy_loader_.commit(std::move(*policy));
  return any;
}

std::size_t Daemon::resolutions_in_flight() const {
  std::size_t n = 0;
  for (const auto& w : workers_) n += w->resolutions_in_flight();
  return n;
}

StatsSnapshot Daemon::stats() const {
  StatsSnapshot s;
  for (const auto& w : workers_) s.add(w->stats());
  return s;
}

std::vector<monitor::MetricFamilyData> Daemon::metrics() const {
  std::vector<monitor::MetricFamilyData> out;
  const StatsSnapshot s = stats();
  std::size_t buffered = 0;
  for (const auto& w : workers_) buffered += w->tcp_buffered();
  collect_server_metrics(out, s, buffered, connections_.total());
  collect_cache_metrics(out, cache_->stats());
  if (recursion_) collect_engine_metrics(out, *recursion_, s, resolutions_in_flight());
  if (query_log_) {
    const monitor::QueryLogStats q = query_log_->stats();
    collect_query_log_metrics(out, q);
    // Top-N without names: the query counts of the 10 busiest registered
    // domains, clients, NXDOMAIN'd domains and blocked domains among the
    // recent queries (intent.recent_queries), by rank. vigilctl top names them.
    if (psl_) {
      // Computed by the writer at the end of its pass: a scrape never stops it.
      std::array<std::vector<std::size_t>, 4> tops;
      if (query_log_->top_counts(10, psl_, tops)) collect_top_metrics(out, tops);
    }
    collect_feed_metrics(out, policy_loader_);
    collect_intent_tail_metrics(out, q, block_list_.current()->size());
  }
  collect_build_metrics(out, started_wall_);
  return out;
}

std::string Daemon::status() const {
  const StatsSnapshot s = stats();
  const cache::CacheStats c = cache_->stats();
  const auto uptime =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - started_).count();
  std::ostringstream out;
  out << "version: " << kVersion << " (commit " << kGitCommit << ")\n"
      << "uptime_seconds: " << uptime << "\n"
      << "pid: " << ::getpid() << "\n"
      << "threads: " << workers_.size() << "\n"
      << "listening: " << join_endpoints(bound_) << "\n"
      << "configuration: " << (config_path_.empty() ? "(built-in defaults)" : config_path_) << "\n"
      << "reloads: " << reloads_ << "\n"
      << "queries: " << s.udp_queries + s.tcp_queries << "\n"
      << "queries_udp: " << s.udp_queries << "\n"
      << "queries_tcp: " << s.tcp_queries << "\n";
  for (std::size_t i = 0; i < kOutcomeCount; ++i) {
    out << "outcome_" << outcome_name(static_cast<Outcome>(i)) << ": " << s.outcomes[i] << "\n";
  }
  out << "udp_receive_errors: " << s.udp_receive_errors << "\n"
      << "udp_send_errors: " << s.udp_send_errors << "\n"
      << "tcp_connections_open: " << connections_.total() << "\n"
      << "tcp_accepted: " << s.tcp_accepted << "\n"
      << "tcp_rejected_total_limit: " << s.tcp_rejected_total << "\n"
      << "tcp_rejected_client_limit: " << s.tcp_rejected_client << "\n"
      << "tcp_idle_timeouts: " << s.tcp_idle_timeouts << "\n"
      << "tcp_message_timeouts: " << s.tcp_message_timeouts << "\n"
      << "tcp_write_timeouts: " << s.tcp_write_timeouts << "\n"
      << "tcp_bad_length: " << s.tcp_bad_length << "\n"
      << "tcp_closed_for_room: " << s.tcp_closed_for_room << "\n"
      << "cache_entries: " << c.entries << "\n"
      << "cache_bytes: " << c.bytes << "\n"
      << "cache_hits: " << c.hits << "\n"
      << "cache_misses: " << c.misses << "\n"
      << "cache_evictions: " << c.evictions << "\n"
      << "local_zones: " << runtime_->local.zone_count() << "\n"
      << "local_rrsets: " << runtime_->local.rrset_count() << "\n";
  if (query_log_) {
    const monitor::QueryLogStats q = query_log_->stats();
    out << "querylog_enabled: " << (query_log_->enabled() ? 1 : 0) << "\n"
        << "querylog_written: " << q.written << "\n"
        << "querylog_dropped_queue_full: " << q.dropped_queue_full << "\n"
        << "querylog_dropped_write_error: " << q.dropped_write_error << "\n"
        << "querylog_rotations: " << q.rotations << "\n"
        << "dnstap_connected: " << (q.dnstap_connected ? 1 : 0) << "\n"
        << "dnstap_frames: " << q.dnstap.written << "\n"
        << "dnstap_dropped_no_collector: " << q.dnstap.dropped_no_collector << "\n"
        << "dnstap_dropped_queue_full: " << q.dnstap.dropped_queue_full << "\n";
  }
  if (recursion_) {
    resolver::Engine& e = recursion_->engine();
    out << "resolver_coalesced_questions: " << e.coalesced_total() << "\n"
        << "resolver_shared_upstream_questions: " << e.coalesced_asks() << "\n"
        << "resolver_case_mismatches: " << e.case_mismatches() << "\n"
        << "upstream_mismatched_replies: " << recursion_->transport().mismatched_total() << "\n"
        << "infra_servers: " << recursion_->infra().size() << "\n"
        << "resolutions_in_flight: " << resolutions_in_flight() << "\n"
        << "resolutions_shed_client_limit: " << s.resolutions_shed_client << "\n"
        << "resolutions_shed_thread_limit: " << s.resolutions_shed_thread << "\n"
        << "resolutions_shed_waiters: " << e.shed_waiters() << "\n"
        << "upstream_sockets_open: " << recursion_->transport().sockets_open() << "\n"
        << "upstream_socket_budget: " << recursion_->transport().socket_budget() << "\n"
        << "upstream_no_socket: " << recursion_->transport().socket_budget_exhausted() << "\n";
  }
  return out.str();
}

asio::awaitable<ControlReply> Daemon::trace(std::vector<std::string> args) {
  if (args.size() < 2 || args.size() > 3) co_return ControlReply{false, "usage: trace NAME [TYPE]"};
  const std::string& text = args[1];
  auto name = name_from_arg(text);
  if (!name.ok()) co_return ControlReply{false, "\"" + text + "\" is not a domain name"};
  dns::RRType type = dns::RRType::A;
  if (args.size() == 3) {
    auto t = dns::type_from_string(args[2]);
    if (!t) co_return ControlReply{false, "\"" + args[2] + "\" is not a record type"};
    type = *t;
  }
  resolver::Trace t = co_await recursion_->engine().trace(*name, type);
  std::ostringstream out;
  out << "trace " << name->to_text() << " " << dns::type_to_string(type) << " (cache answers bypassed)\n";
  for (const auto& step : t.steps) out << step << "\n";
  out << (t.outcome.ok ? std::string("resolved") : "failed: " + t.outcome.why) << " with "
      << t.outcome.upstream_queries << " upstream quer" << (t.outcome.upstream_queries == 1 ? "y" : "ies")
      << "\n";
  // What a client gets now, as the handler answers it.
  const auto query = dns::make_query(0, *name, type, true, 1232).to_wire();
  std::vector<std::uint8_t> buf(65535);
  Client loopback;
  loopback.address = {127, 0, 0, 1};
  loopback.transport = Transport::kTcp;
  const ResolutionStatus status{t.outcome.ede, t.outcome.why, t.outcome.negative_uncached};
  const std::shared_ptr<const Runtime> rt = runtime_;
  const HandleResult h = rt->handler->handle_resolved(query, loopback, buf, now(), status);
  auto reply = dns::Message::parse({buf.data(), h.size});
  if (h.size > 0 && reply.ok()) {
    out << ";; answer a client gets now: " << dns::rcode_to_string(reply->rcode()) << "\n";
    for (const auto& rr : reply->answer) out << rr.to_text() << "\n";
    for (const auto& rr : reply->authority) out << rr.to_text() << " ; authority\n";
    if (reply->edns) {
      for (const auto& e : reply->edns->extended_errors()) {
        out << ";; extended error " << static_cast<unsigned>(e.code) << ": " << e.text << "\n";
      }
    }
  }
  co_return ControlReply{true, out.str()};
}

ControlReply Daemon::command(const std::vector<std::string>& args) {
  const std::string& cmd = args[0];
  auto need = [&](std::size_t n, const char* usage) -> std::optional<ControlReply> {
    if (args.size() != n + 1) return ControlReply{false, std::string("usage: ") + usage};
    return std::nullopt;
  };
  auto name_arg = [&](const std::string& text) -> std::optional<dns::Name> {
    auto n = name_from_arg(text);
    if (!n.ok()) return std::nullopt;
    return *n;
  };
  if (cmd == "status") return {true, status()};
  if (cmd == "reload") return reload();
  if (cmd == "flush" || cmd == "flush-subtree" || cmd == "cache-list") {
    if (auto u = need(1, (cmd + " NAME").c_str())) return *u;
    auto name = name_arg(args[1]);
    if (!name) return {false, "\"" + args[1] + "\" is not a domain name"};
    if (cmd == "flush") return {true, "flushed " + std::to_string(cache_->flush(*name)) + " entries"};
    if (cmd == "flush-subtree") {
      return {true, "flushed " + std::to_string(cache_->flush_subtree(*name)) + " entries"};
    }
    std::ostringstream out;
    for (const auto& e : cache_->list(*name, now())) {
      out << e.owner.to_text() << " " << e.ttl << " IN " << dns::type_to_string(e.type) << " ";
      if (e.kind != "positive") {
        out << "; " << e.kind;
      } else {
        for (std::size_t i = 0; i < e.data.size(); ++i) out << (i ? " | " : "") << e.data[i];
      }
      out << " ; rank " << cache::rank_name(e.rank) << (e.ttl < 0 ? " (stale)" : "") << "\n";
    }
    return {true, out.str()};
  }
  if (cmd == "blocked" || cmd == "unblock") {
    if (cmd == "blocked") {
      if (auto u = need(0, "blocked")) return *u;
    } else if (auto u = need(1, "unblock NAME")) {
      return *u;
    }
    if (!intent_) return {false, "the intent detectors are off (intent.enabled): nothing is blocked"};
    const auto now_s = static_cast<std::uint32_t>(std::time(nullptr));
    std::string out;
    bool lifted = false;
    query_log_->with_writer_stopped([&] {
      if (cmd == "unblock") {
        lifted = intent_->unblock(args[1]);
        block_list_.publish(intent_->take_block_list(now_s, true));
        return;
      }
      for (const auto& b : intent_->blocked(now_s)) {
        out += b.domain + " " + monitor::intent_category_name(b.why) + " until " +
               monitor::iso8601_utc(std::int64_t{b.until_s} * 1'000'000'000) + " (" +
               std::to_string(b.until_s - now_s) + " s)\n";
      }
    });
    if (cmd == "unblock") {
      if (!lifted)
        return {false, args[1] + " is not on the detectors' block list (vigilctl blocked lists it)"};
      return {true, "unblocked " + args[1] +
                        " (a new verdict may block it again; intent.allow or a PASSTHRU rule keeps it off)"};
    }
    return {true, out.empty() ? std::string("(nothing is blocked)\n") : out};
  }
  if (cmd == "log-reopen") {
    if (auto u = need(0, "log-reopen")) return *u;
    if (!query_log_) return {false, "no query log or alert stream is configured"};
    query_log_->reopen();
    return {true, "the query log and alert files are opened afresh before their next line"};
  }
  if (cmd == "query-log") {
    if (auto u = need(1, "query-log on|off|FILE")) return *u;
    const std::string& a = args[1];
    if (a != "on" && a != "off" && a != "-") {
      // Said now, not only in vigild's log: the destination stays as it was.
      const int fd = ::open(a.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
      if (fd < 0)
        return {false, "cannot open " + a + ": " + std::strerror(errno) + " (the query log stays as it was)"};
      ::close(fd);
    }
    query_log_override_ = a == "on" ? "" : a;
    apply_query_log(runtime_->config);
    const std::string now_path = a == "on" ? runtime_->config.query_log_path : (a == "off" ? "" : a);
    return {true, now_path.empty() ? "query log off" : "query log to " + now_path};
  }
  if (cmd == "flush-all") {
    if (auto u = need(0, "flush-all")) return *u;
    cache_->flush_all();
    const std::size_t failures = recursion_ ? recursion_->engine().flush_failures() : 0;
    return {true, "cache flushed (and " + std::to_string(failures) + " remembered failures)"};
  }
  if (cmd == "flush-failures") {
    if (auto u = need(0, "flush-failures")) return *u;
    const std::size_t failures = recursion_ ? recursion_->engine().flush_failures() : 0;
    return {true, "flushed " + std::to_string(failures) + " remembered failures"};
  }
  if (cmd == "flush-infra") {
    if (args.size() > 2) return {false, "usage: flush-infra [all|ADDRESS|ADDRESS:PORT]"};
    if (!recursion_) return {false, "no resolver is running"};
    const std::string what = args.size() == 2 ? args[1] : "all";
    if (what == "all") {
      recursion_->infra().clear();
      return {true, "infrastructure cache flushed (every server's RTT, EDNS and lameness)"};
    }
    // ADDRESS (any port) or ADDRESS:PORT / [ADDRESS]:PORT.
    std::optional<config::Endpoint> e = config::parse_endpoint(what);
    std::uint16_t port = e ? e->port : 0;
    if (!e) {
      auto c = config::parse_cidr(what);
      if (!c || c->prefix != c->length * 8) return {false, "\"" + what + "\" is not an address"};
      e = config::Endpoint{what, c->length == 16, 0};
    }
    auto c = config::parse_cidr(e->address);
    if (!c) return {false, "\"" + what + "\" is not an address"};
    cache::ServerAddress server;
    server.length = c->length;
    server.bytes = c->bytes;
    const std::size_t n = recursion_->infra().forget(server, port);
    return {true, "flushed " + std::to_string(n) + " infrastructure records of " + what};
  }
  if (cmd == "cache-dump") {
    if (auto u = need(1, "cache-dump FILE")) return *u;
    cache::DumpStats d = cache_->dump(args[1], now());
    if (!d.error.empty()) return {false, d.error};
    return {true, "wrote " + std::to_string(d.written) + " entries to " + args[1]};
  }
  if (cmd == "cache-load") {
    if (auto u = need(1, "cache-load FILE")) return *u;
    cache::LoadStats l = cache_->load(args[1], now());
    if (l.loaded == 0 && !l.first_error.empty() && l.rejected == 0) return {false, l.first_error};
    std::string msg = "loaded " + std::to_string(l.loaded) + " entries (" + std::to_string(l.expired) +
                      " expired, " + std::to_string(l.rejected) + " rejected)";
    if (!l.first_error.empty()) msg += "; first problem: " + l.first_error;
    return {true, msg};
  }
  if (cmd == "alerts" || cmd == "client" || cmd == "who-resolved" || cmd == "top") return intent_view(args);
  return {
      false,
      "unknown command \"" + cmd +
          "\" (commands: status, reload, flush NAME, flush-subtree NAME, flush-all, flush-infra [all|ADDR], "
          "flush-failures, log-reopen, query-log on|off|FILE, blocked, unblock NAME, cache-dump FILE, "
          "cache-load FILE, cache-list NAME, alerts, client IP, who-resolved IP, top WHAT)"};
}

// vigilctl's views of what the intent detectors saw (monitor/recent_activity.h):
//   alerts [SINCE] | client IP [SINCE] | who-resolved IP [SINCE] | top domains|clients|nxdomain|blocked [N]
//   [SINCE]
ControlReply Daemon::intent_view(const std::vector<std::string>& args) {
  auto parsed = parse_view_args(args);
  if (auto* why = std::get_if<std::string>(&parsed)) return {false, *why};
  const ViewArgs& v = std::get<ViewArgs>(parsed);
  const std::string& cmd = v.cmd;
  const std::optional<std::vector<std::uint8_t>> ip =
      v.ip.empty() ? std::nullopt : std::optional<std::vector<std::uint8_t>>(v.ip);
  const std::string& kind = v.kind;
  const std::size_t n = v.n;
  const auto now_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  const std::int64_t since =
      v.since ? now_ns - std::chrono::duration_cast<std::chrono::nanoseconds>(*v.since).count() : 0;
  std::string out;
  bool kept = false;
  query_log_->with_writer_stopped([&] {
    if (cmd == "who-resolved") {
      const monitor::ResolutionIndex* x = query_log_->resolutions();
      if (x == nullptr) return;
      kept = true;
      out = x->who_resolved(*ip, since, now_ns);
      return;
    }
    const monitor::RecentActivity* a = query_log_->activity();
    if (a == nullptr) return;
    kept = true;
    if (cmd == "alerts") out = a->alerts(since);
    if (cmd == "client") out = a->client(*ip, since);
    if (cmd == "top" && psl_) out = a->top(kind, n, since, *psl_);
  });
  if (!kept) {
    return {false, std::string("nothing is kept: intent.enabled is false or intent.") +
                       (cmd == "who-resolved" ? "who_resolved_entries" : "recent_queries") + " is 0"};
  }
  return {true, out};
}

}  // namespace vigil::server
