#include "server/control_commands.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <optional>
#include <sstream>
#include <variant>

#include "monitor/query_log_format.h"
#include "protocol/message.h"
#include "protocol/name.h"
#include "server/counter_table.h"
#include "server/version.h"
#include "server/view_args.h"
#include "server/worker.h"

namespace vigil::server {

namespace {

// A name as given to vigilctl (trace, who-resolved, ...): the trailing dot optional.
auto name_from_arg(const std::string& text) {
  return dns::Name::from_text(text.empty() || text.back() != '.' ? text + "." : text);
}

}  // namespace

std::string join_endpoints(const std::vector<config::Endpoint>& eps) {
  std::string out;
  for (const auto& e : eps) out += (out.empty() ? "" : ", ") + e.to_string();
  return out;
}

std::string ControlCommands::status() const {
  const ServingState serving = p_.serving();
  const StatsSnapshot& s = serving.stats;
  const cache::CacheStats c = p_.cache.stats();
  const std::shared_ptr<const Runtime> rt = p_.runtime();
  const auto uptime =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - p_.started).count();
  std::ostringstream out;
  out << "version: " << kVersion << " (commit " << kGitCommit << ")\n"
      << "uptime_seconds: " << uptime << "\n"
      << "pid: " << ::getpid() << "\n"
      << "threads: " << serving.threads << "\n"
      << "listening: " << join_endpoints(serving.bound) << "\n"
      << "configuration: " << (p_.config_path.empty() ? "(built-in defaults)" : p_.config_path) << "\n"
      << "reloads: " << serving.reloads << "\n"
      << "queries: " << s.udp_queries + s.tcp_queries << "\n"
      << "queries_udp: " << s.udp_queries << "\n"
      << "queries_tcp: " << s.tcp_queries << "\n";
  for (std::size_t i = 0; i < kOutcomeCount; ++i) {
    out << "outcome_" << outcome_name(static_cast<Outcome>(i)) << ": " << s.outcomes[i] << "\n";
  }
  append_status(out, listener_counters(), ListenerCounters{s, serving.tcp_open, 0, serving.udp});
  append_status(out, cache_counters(), c);
  out << "local_zones: " << rt->local.zone_count() << "\n"
      << "local_rrsets: " << rt->local.rrset_count() << "\n";
  const monitor::QueryLogStats q = p_.query_log.stats();
  out << "querylog_enabled: " << (p_.query_log.enabled() ? 1 : 0) << "\n";
  append_status(out, query_log_counters(), q);
  if (p_.recursion != nullptr) {
    const EngineCounters counters{*p_.recursion, s, serving.resolutions_in_flight};
    append_status(out, engine_counters(), counters);
    append_status(out, resolution_counters(), counters);
  }
  return out.str();
}

boost::asio::awaitable<ControlReply> ControlCommands::trace(std::vector<std::string> args) const {
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
  if (p_.recursion == nullptr) co_return ControlReply{false, "no resolver is running"};
  resolver::Trace t = co_await p_.recursion->engine().trace(*name, type);
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
  const std::shared_ptr<const Runtime> rt = p_.runtime();
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

ControlReply ControlCommands::command(const std::vector<std::string>& args) {
  const std::string& cmd = args[0];
  auto need = [&](std::size_t n, const char* usage) -> std::optional<ControlReply> {
    if (args.size() != n + 1) return ControlReply{false, std::string("usage: ") + usage};
    return std::nullopt;
  };
  cache::RRsetCache& cache = p_.cache;
  if (cmd == "status") return {true, status()};
  if (cmd == "reload") return p_.reload();
  if (cmd == "flush" || cmd == "flush-subtree" || cmd == "cache-list") {
    if (auto u = need(1, (cmd + " NAME").c_str())) return *u;
    auto name = name_from_arg(args[1]);
    if (!name.ok()) return {false, "\"" + args[1] + "\" is not a domain name"};
    if (cmd == "flush") return {true, "flushed " + std::to_string(cache.flush(*name)) + " entries"};
    if (cmd == "flush-subtree") {
      return {true, "flushed " + std::to_string(cache.flush_subtree(*name)) + " entries"};
    }
    std::ostringstream out;
    for (const auto& e : cache.list(*name, now())) {
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
  if (cmd == "blocked" || cmd == "unblock") return blocked(args);
  if (cmd == "log-reopen") {
    if (auto u = need(0, "log-reopen")) return *u;
    p_.query_log.reopen();
    return {true, "the query log and alert files are opened afresh before their next line"};
  }
  if (cmd == "query-log") return query_log(args);
  if (cmd == "flush-all") {
    if (auto u = need(0, "flush-all")) return *u;
    cache.flush_all();
    const std::size_t failures = p_.recursion ? p_.recursion->engine().flush_failures() : 0;
    return {true, "cache flushed (and " + std::to_string(failures) + " remembered failures)"};
  }
  if (cmd == "flush-failures") {
    if (auto u = need(0, "flush-failures")) return *u;
    const std::size_t failures = p_.recursion ? p_.recursion->engine().flush_failures() : 0;
    return {true, "flushed " + std::to_string(failures) + " remembered failures"};
  }
  if (cmd == "flush-infra") return flush_infra(args);
  if (cmd == "cache-dump") {
    if (auto u = need(1, "cache-dump FILE")) return *u;
    cache::DumpStats d = cache.dump(args[1], now());
    if (!d.error.empty()) return {false, d.error};
    return {true, "wrote " + std::to_string(d.written) + " entries to " + args[1]};
  }
  if (cmd == "cache-load") {
    if (auto u = need(1, "cache-load FILE")) return *u;
    cache::LoadStats l = cache.load(args[1], now());
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

ControlReply ControlCommands::blocked(const std::vector<std::string>& args) {
  const std::string& cmd = args[0];
  if (cmd == "blocked" && args.size() != 1) return {false, "usage: blocked"};
  if (cmd == "unblock" && args.size() != 2) return {false, "usage: unblock NAME"};
  const std::shared_ptr<monitor::IntentEngine> intent = p_.monitor.intent();
  if (!intent) return {false, "the intent detectors are off (intent.enabled): nothing is blocked"};
  const auto now_s = static_cast<std::uint32_t>(std::time(nullptr));
  std::string out;
  bool lifted = false;
  p_.query_log.with_writer_stopped([&] {
    if (cmd == "unblock") {
      lifted = intent->unblock(args[1]);
      p_.monitor.block_list().publish(intent->take_block_list(now_s, true));
      return;
    }
    for (const auto& b : intent->blocked(now_s)) {
      out += b.domain + " " + monitor::intent_category_name(b.why) + " until " +
             monitor::iso8601_utc(std::int64_t{b.until_s} * 1'000'000'000) + " (" +
             std::to_string(b.until_s - now_s) + " s)\n";
    }
  });
  if (cmd == "unblock") {
    if (!lifted) return {false, args[1] + " is not on the detectors' block list (vigilctl blocked lists it)"};
    return {true, "unblocked " + args[1] +
                      " (a new verdict may block it again; intent.allow or a PASSTHRU rule keeps it off)"};
  }
  return {true, out.empty() ? std::string("(nothing is blocked)\n") : out};
}

ControlReply ControlCommands::query_log(const std::vector<std::string>& args) {
  if (args.size() != 2) return {false, "usage: query-log on|off|FILE"};
  const std::string& a = args[1];
  if (a != "on" && a != "off" && a != "-") {
    // Said now, not only in vigild's log: the destination stays as it was.
    const int fd = ::open(a.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
    if (fd < 0)
      return {false, "cannot open " + a + ": " + std::strerror(errno) + " (the query log stays as it was)"};
    ::close(fd);
  }
  const std::shared_ptr<const Runtime> rt = p_.runtime();
  p_.monitor.set_query_log_override(a == "on" ? "" : a, rt->config);
  const std::string now_path = a == "on" ? rt->config.query_log_path : (a == "off" ? "" : a);
  return {true, now_path.empty() ? "query log off" : "query log to " + now_path};
}

ControlReply ControlCommands::flush_infra(const std::vector<std::string>& args) const {
  if (args.size() > 2) return {false, "usage: flush-infra [all|ADDRESS|ADDRESS:PORT]"};
  if (p_.recursion == nullptr) return {false, "no resolver is running"};
  cache::InfraCache& infra = p_.recursion->infra();
  const std::string what = args.size() == 2 ? args[1] : "all";
  if (what == "all") {
    infra.clear();
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
  const std::size_t n = infra.forget(server, port);
  return {true, "flushed " + std::to_string(n) + " infrastructure records of " + what};
}

// vigilctl's views of what the intent detectors saw (monitor/recent_activity.h):
//   alerts [SINCE] | client IP [SINCE] | who-resolved IP [SINCE] | top domains|clients|nxdomain|blocked [N]
//   [SINCE]
ControlReply ControlCommands::intent_view(const std::vector<std::string>& args) {
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
  const std::shared_ptr<const monitor::PublicSuffixList> psl = p_.monitor.psl();
  monitor::QueryLog& log = p_.query_log;
  std::string out;
  bool kept = false;
  log.with_writer_stopped([&] {
    if (cmd == "who-resolved") {
      const monitor::ResolutionIndex* x = log.resolutions();
      if (x == nullptr) return;
      kept = true;
      out = x->who_resolved(*ip, since, now_ns);
      return;
    }
    const monitor::RecentActivity* a = log.activity();
    if (a == nullptr) return;
    kept = true;
    if (cmd == "alerts") out = a->alerts(since);
    if (cmd == "client") out = a->client(*ip, since);
    if (cmd == "top" && psl) out = a->top(kind, n, since, *psl);
  });
  if (!kept) {
    return {false, std::string("nothing is kept: intent.enabled is false or intent.") +
                       (cmd == "who-resolved" ? "who_resolved_entries" : "recent_queries") + " is 0"};
  }
  return {true, out};
}

}  // namespace vigil::server
