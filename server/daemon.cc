#include "server/daemon.h"

#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <thread>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <sys/stat.h>

#include "config/load.h"
#include "server/log.h"
#include "server/metrics_provider.h"
#include "server/version.h"

namespace vigil::server {

namespace asio = boost::asio;

namespace {

std::string size_text(std::uint64_t octets) {
  if (octets >= (1u << 20) && octets % (1u << 20) == 0) return std::to_string(octets >> 20) + " MiB";
  if (octets >= 1024 && octets % 1024 == 0) return std::to_string(octets >> 10) + " KiB";
  return std::to_string(octets) + " octets";
}

// What the UDP sockets got against what server.udp_*_buffer asked: a
// buffer the kernel capped loses queries at saturation, so say how to lift
// the cap (docs/running.md, "UDP socket buffers").
void report_udp_buffers(const config::ServerConfig& asked, const SocketBuffers& got) {
  log_info("UDP socket buffers: receive " + size_text(got.receive) + ", send " + size_text(got.send));
  auto check = [](const char* key, std::uint64_t want, std::uint64_t have, const char* sysctl) {
    if (want == 0 || have >= want) return;
    log_warning(std::string(key) + ": asked for " + size_text(want) + ", the kernel gave " + size_text(have) +
                " (capped at " + sysctl +
                "; start vigild as root or with CAP_NET_ADMIN, or raise the sysctl)");
  };
  check("server.udp_receive_buffer", asked.udp_receive_buffer, got.receive, "net.core.rmem_max");
  check("server.udp_send_buffer", asked.udp_send_buffer, got.send, "net.core.wmem_max");
}

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
  unsigned threads = cfg.server.threads;
  if (threads == 0) threads = std::max(1U, std::thread::hardware_concurrency());
  // The query log: one ring per worker (kQueryLogRingBytes each, about
  // 60 000 typical answers), drained by its own thread; on or off, it is
  // always there to switch.
  query_log_ = std::make_unique<monitor::QueryLog>(threads, monitor::kQueryLogRingBytes,
                                                   [](const std::string& what) { log_warning(what); });
  if (query_log_->writer_prioritised()) {
    log_info("query log: writer thread at " + query_log_->writer_priority());
  } else {
    log_warning("query log: writer thread at " + query_log_->writer_priority() +
                "; under full load it may fall behind the workers and drop records");
  }
  monitor_ = std::make_unique<MonitorSetup>(*query_log_, block_list_);
  MonitorSetup::Prepared intent = monitor_->prepare(cfg.intent);
  if (!intent.error.empty()) {
    log_error(intent.error);
    return false;
  }
  monitor_->adopt(cfg.intent, intent.engine);
  std::string descriptors;
  unsigned tcp_share = 0;
  const std::size_t sockets = upstream_socket_budget(cfg, threads, &descriptors, &tcp_share);
  log_info(descriptors);
  recursion_ = std::make_unique<Recursion>(runtime_->config, runtime_->root_hints, *cache_, sockets);
  monitor_->apply_query_log(cfg);
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
    report_udp_buffers(cfg.server, workers_.front()->udp_buffers());
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
  commands_ = std::make_unique<ControlCommands>(ControlCommands::Parts{
      .cache = *cache_,
      .query_log = *query_log_,
      .monitor = *monitor_,
      .recursion = recursion_.get(),
      .runtime = [this] { return runtime_; },
      .serving = [this] { return serving(); },
      .reload = [this] { return reload(); },
      .config_path = config_path_,
      .started = started_,
  });
  if (!cfg.control_socket.empty()) {
    control_ = std::make_unique<ControlChannel>(
        io_, cfg.control_socket, [this](const std::vector<std::string>& a) { return commands_->command(a); });
    control_->set_async("trace",
                        [this](std::vector<std::string> a) { return commands_->trace(std::move(a)); });
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
  feeds_ = std::make_unique<FeedKeeper>(
      io_, policy_loader_, config_path_, [this] { return runtime_->config.policy; },
      [this](std::shared_ptr<const policy::PolicySet> set) { return publish_feeds(std::move(set)); });
  feeds_->start();
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
  if (query_log_) {
    if (const int e = query_log_->before_dropping_privileges(); e != 0) {
      log_warning("query log: the writer thread cannot return from idle priority once running as \"" + user +
                  "\" (raising RLIMIT_NICE: " + std::strerror(e) + "); it stays at " +
                  query_log_->writer_priority());
    }
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
  if (monitor_) monitor_->save_history();
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
  if (monitor_->replaces_engine((*rt)->config.intent)) monitor_->save_history();
  MonitorSetup::Prepared intent = monitor_->prepare((*rt)->config.intent);
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
  feeds_->start_transfers();
  monitor_->adopt(runtime_->config.intent, intent.engine);
  monitor_->apply_query_log(runtime_->config);  // flushes what is queued, then follows the new file
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
std::string Daemon::publish_feeds(std::shared_ptr<const policy::PolicySet> set) {
  auto rt = make_runtime(runtime_->config, config_path_, *cache_, shared_->resolver != nullptr, &block_list_,
                         std::move(set));
  if (!rt.ok()) return rt.error().to_string();
  runtime_ = *rt;
  for (auto& w : workers_) w->set_runtime(runtime_);
  return "";
}

ServingState Daemon::serving() const {
  return {stats(), resolutions_in_flight(), connections_.total(), udp_sockets(), workers_.size(), bound_,
          reloads_};
}

UdpSocketState Daemon::udp_sockets() const {
  std::vector<std::uint64_t> inodes;
  for (const auto& w : workers_) inodes.insert(inodes.end(), w->udp_inodes().begin(), w->udp_inodes().end());
  return {udp_socket_drops(inodes), workers_.empty() ? 0 : workers_.front()->udp_buffers().receive};
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
  collect_server_metrics(out, s, buffered, connections_.total(), udp_sockets());
  collect_cache_metrics(out, cache_->stats());
  if (recursion_) collect_engine_metrics(out, *recursion_, s, resolutions_in_flight());
  if (query_log_) {
    const monitor::QueryLogStats q = query_log_->stats();
    collect_query_log_metrics(out, q);
    // Top-N without names: the query counts of the 10 busiest registered
    // domains, clients, NXDOMAIN'd domains and blocked domains among the
    // recent queries (intent.recent_queries), by rank. vigilctl top names them.
    if (const auto psl = monitor_->psl()) {
      // Computed by the writer at the end of its pass: a scrape never stops it.
      std::array<std::vector<std::size_t>, 4> tops;
      if (query_log_->top_counts(10, psl, tops)) collect_top_metrics(out, tops);
    }
    collect_feed_metrics(out, policy_loader_);
    collect_intent_tail_metrics(out, q, block_list_.current()->size());
  }
  collect_build_metrics(out, started_wall_);
  return out;
}

}  // namespace vigil::server
