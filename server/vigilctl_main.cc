// vigilctl: inspects and controls a running vigild over its control socket.
// Exit status: 0 done, 1 the command failed (health: unhealthy), 2 vigild
// could not be reached.
#include <poll.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include <CLI/CLI.hpp>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <yaml-cpp/yaml.h>

#include "config/load.h"
#include "protocol/message.h"
#include "protocol/message_view.h"
#include "protocol/secure_random.h"
#include "server/control_channel.h"
#include "server/version.h"
#include "server/view_args.h"
#include "util/net_address.h"

namespace {

// One UDP query for id.server CH TXT to `to`; true when a response with
// the query's ID comes back within `timeout` (any RCODE: REFUSED from a
// hidden identity still shows a serving resolver).
bool probe(const vigil::util::Endpoint& to, std::chrono::milliseconds timeout, std::string& why) {
  sockaddr_storage addr{};
  socklen_t addr_len = 0;
  std::string host = to.address;
  if (host == "0.0.0.0") host = "127.0.0.1";  // a wildcard listener answers on loopback
  if (host == "::") host = "::1";
  if (to.ipv6) {
    auto* a6 = reinterpret_cast<sockaddr_in6*>(&addr);
    a6->sin6_family = AF_INET6;
    a6->sin6_port = htons(to.port);
    if (inet_pton(AF_INET6, host.c_str(), &a6->sin6_addr) != 1) return why = "bad address " + host, false;
    addr_len = sizeof(sockaddr_in6);
  } else {
    auto* a4 = reinterpret_cast<sockaddr_in*>(&addr);
    a4->sin_family = AF_INET;
    a4->sin_port = htons(to.port);
    if (inet_pton(AF_INET, host.c_str(), &a4->sin_addr) != 1) return why = "bad address " + host, false;
    addr_len = sizeof(sockaddr_in);
  }
  const int fd = socket(addr.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return why = std::string("socket: ") + std::strerror(errno), false;
  const auto id = vigil::dns::secure_random_u16();
  vigil::dns::Message q =
      vigil::dns::make_query(id, *vigil::dns::Name::from_text("id.server."), vigil::dns::RRType::TXT, false);
  q.questions[0].rclass = vigil::dns::RRClass::CH;
  const std::vector<std::uint8_t> wire = q.to_wire();
  bool ok = false;
  why = "no answer from " + to.to_string() + " within " + std::to_string(timeout.count()) + " ms";
  // Connected, so that a closed port fails at once (ECONNREFUSED).
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), addr_len) < 0 ||
      send(fd, wire.data(), wire.size(), 0) < 0) {
    why = "send to " + to.to_string() + ": " + std::strerror(errno);
  } else {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      pollfd p{fd, POLLIN, 0};
      if (left.count() <= 0 || poll(&p, 1, static_cast<int>(left.count())) <= 0) break;
      std::array<std::uint8_t, 4096> buf{};
      const ssize_t n = recv(fd, buf.data(), buf.size(), 0);
      if (n < 0) {
        why = "receive from " + to.to_string() + ": " + std::strerror(errno);  // e.g. ECONNREFUSED
        break;
      }
      vigil::dns::MessageView r;
      if (r.parse({buf.data(), static_cast<std::size_t>(n)}) == vigil::dns::Error::kOk &&
          r.header().id == id && r.header().qr) {
        ok = true;
        break;
      }
    }
  }
  close(fd);
  return ok;
}

int health_check(const vigil::config::Config& cfg) {
  if (cfg.server.listen.empty()) {
    std::fprintf(stderr, "vigilctl: health: no listen address configured\n");
    return 1;
  }
  std::string why;
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (probe(cfg.server.listen.front(), std::chrono::milliseconds(1500), why)) {
      std::printf("healthy: %s answers\n", cfg.server.listen.front().to_string().c_str());
      return 0;
    }
  }
  std::fprintf(stderr, "vigilctl: unhealthy: %s\n", why.c_str());
  return 1;
}

// control.socket as a file vigild would reject names it (valid YAML with a
// bad value elsewhere), or "".
std::string control_socket_in(const std::string& path) {
  try {
    const YAML::Node root = YAML::LoadFile(path);
    const YAML::Node s = root["control"]["socket"];
    if (s && s.IsScalar()) return s.as<std::string>();
  } catch (const std::exception&) {
  }
  return "";
}

int run(int argc, char** argv) {
  CLI::App app{"vigilctl: control a running vigild"};
  app.require_subcommand(1);
  std::string socket_path;
  std::string config_path;
  app.add_option("-s,--socket", socket_path,
                 "control socket (default: control.socket of -c FILE, else " +
                     vigil::config::Config::defaults().control_socket + ")");
  app.add_option("-c,--config", config_path, "vigild's configuration file, to find its control socket");
  app.set_version_flag("-V,--version", std::string("vigilctl ") + vigil::kVersion);

  std::vector<std::string> request;
  auto simple = [&](const char* name, const char* help) {
    app.add_subcommand(name, help)->callback([&request, name] { request = {name}; });
  };
  std::string arg;
  auto with_arg = [&](const char* name, const char* help, const char* what, bool path) {
    auto* sub = app.add_subcommand(name, help);
    sub->add_option(what, arg, what)->required();
    sub->callback([&request, &arg, name, path] {
      // Files are named relative to vigilctl's directory, not the daemon's.
      request = {name, path ? std::filesystem::absolute(arg).string() : arg};
    });
  };
  simple("status", "uptime, version, threads, query and cache counters");
  simple("reload", "reload the configuration file (as SIGHUP)");
  with_arg("flush", "remove a name's entries from the cache", "NAME", false);
  with_arg("flush-subtree", "remove a name and everything below it from the cache", "NAME", false);
  simple("flush-all", "empty the cache and forget remembered resolution failures");
  simple("flush-failures",
         "forget remembered resolution failures (answered SERVFAIL for resolver.servfail_ttl)");
  simple("blocked", "the domains the intent detectors block now: why, and until when");
  with_arg("unblock", "lift the intent detectors' block on a domain (intent.allow keeps it off)", "NAME",
           false);
  simple("log-reopen",
         "open the query log and alert files afresh (after logrotate moved them; SIGHUP does it too)");
  std::string infra_arg;
  auto* infra = app.add_subcommand(
      "flush-infra",
      "forget what was learned about upstream servers (RTT, back-off, EDNS, lameness): all, "
      "or one ADDRESS (any port) or ADDRESS:PORT");
  infra->add_option("all|ADDRESS", infra_arg, "all (the default), an address, or ADDRESS:PORT");
  infra->callback([&] { request = {"flush-infra", infra_arg.empty() ? std::string("all") : infra_arg}; });
  with_arg("cache-dump", "write the cache to FILE (written by vigild)", "FILE", true);
  with_arg("cache-load", "add the entries of FILE to the cache", "FILE", true);
  with_arg("cache-list", "show a name's cache entries", "NAME", false);
  std::string query_log_arg;
  auto* qlog = app.add_subcommand("query-log", "switch the query log: on (as configured), off, or to FILE");
  qlog->add_option("on|off|FILE", query_log_arg, "on, off, or a file (written by vigild)")->required();
  qlog->callback([&] {
    const bool word = query_log_arg == "on" || query_log_arg == "off" || query_log_arg == "-";
    request = {"query-log", word ? query_log_arg : std::filesystem::absolute(query_log_arg).string()};
  });
  std::string trace_name;
  std::string trace_type = "A";
  auto* trace = app.add_subcommand(
      "trace", "resolve NAME with the cache's answers bypassed and print every step of the walk");
  trace->add_option("NAME", trace_name, "the name to resolve")->required();
  trace->add_option("TYPE", trace_type, "the record type (default A)");
  trace->callback([&] { request = {"trace", trace_name, trace_type}; });
  // The intent detectors' views: what clients did lately.
  // Built and checked by server/view_args.h, which vigild reads them with.
  std::string view_ip, view_since, top_kind;
  std::optional<std::size_t> top_n;
  auto* alerts = app.add_subcommand("alerts", "the intent detectors' recent alerts, as JSON lines");
  alerts->add_option("--since", view_since,
                     "only the last DURATION (90s, 10m, 1h, 2d; a bare number is seconds)");
  alerts->callback([&] { request = vigil::server::view_request("alerts", "", std::nullopt, view_since); });
  auto* client = app.add_subcommand("client", "one client's recent lookups and alerts, newest first");
  client->add_option("IP", view_ip, "the client's address")->required();
  client->add_option("--since", view_since, "only the last DURATION");
  client->callback(
      [&] { request = vigil::server::view_request("client", view_ip, std::nullopt, view_since); });
  auto* who = app.add_subcommand("who-resolved",
                                 "which clients got IP in an answer in the last intent.who_resolved_window "
                                 "(1h), for which name, how often, first and last (from a firewall or "
                                 "web-log alert back to the client and the domain)");
  who->add_option("IP", view_ip, "the address answered")->required();
  who->add_option("--since", view_since, "only the last DURATION");
  who->callback(
      [&] { request = vigil::server::view_request("who-resolved", view_ip, std::nullopt, view_since); });
  auto* top = app.add_subcommand(
      "top", "the most asked registered domains, the busiest clients, or the most NXDOMAIN domains lately");
  top->add_option("WHAT", top_kind, "domains, clients, nxdomain or blocked")
      ->required()
      ->check(CLI::IsMember({"domains", "clients", "nxdomain", "blocked"}));
  top->add_option("-n", top_n, "how many (1 to 10000, default 10)");
  top->add_option("--since", view_since, "only the last DURATION");
  top->callback([&] { request = vigil::server::view_request("top", top_kind, top_n, view_since); });
  auto* health =
      app.add_subcommand("health",
                         "exit 0 if vigild answers DNS on its first listen address (a CHAOS id.server query, "
                         "answered without going upstream); for container health checks");
  health->callback([&] { request = {"health"}; });
  // Exit codes: 0 done, 1 vigild said no (or the check failed), 2 a usage
  // or configuration error (an unknown subcommand prints the usage).
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    (void)app.exit(e);
    if (dynamic_cast<const CLI::ExtrasError*>(&e) != nullptr || request.empty()) {
      std::fputs(app.help().c_str(), stderr);
    }
    return 2;
  }
  if (request.empty()) {
    std::fputs(app.help().c_str(), stderr);
    return 2;
  }
  if (request.front() == "alerts" || request.front() == "client" || request.front() == "who-resolved" ||
      request.front() == "top") {
    auto checked = vigil::server::parse_view_args(request);
    if (const auto* why = std::get_if<std::string>(&checked)) {
      std::fprintf(stderr, "vigilctl: %s\n", why->c_str());
      return 2;
    }
  }

  // vigild's own configuration, to find its sockets: the file (or the
  // defaults) with the VIGIL_* environment variables on top, as vigild reads it.
  auto cfg = vigil::config::load_config(config_path, vigil::config::environment());
  if (!cfg.ok() && request.front() == "reload") {
    // The file vigild is to reload is broken: vigild says so (it reads the
    // file it was started with), through the socket the defaults and the
    // environment name unless -s gives one.
    std::fprintf(stderr, "vigilctl: %s (asking vigild to reload anyway)\n", cfg.error().to_string().c_str());
    if (socket_path.empty()) socket_path = control_socket_in(config_path);
    cfg = vigil::config::load_config("", vigil::config::environment());
  }
  if (!cfg.ok()) {
    std::fprintf(stderr, "vigilctl: %s\n", cfg.error().to_string().c_str());
    return 2;
  }
  if (request.front() == "health") return health_check(*cfg);
  if (socket_path.empty()) socket_path = cfg->control_socket;
  const auto result = vigil::server::control_request(socket_path, request);
  using S = vigil::server::ControlClientResult::Status;
  switch (result.status) {
    case S::kOk: std::fputs(result.text.c_str(), stdout); return 0;
    case S::kCommandFailed: std::fprintf(stderr, "vigilctl: %s", result.text.c_str()); return 1;
    default: std::fprintf(stderr, "vigilctl: %s\n", result.text.c_str()); return 2;
  }
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "vigilctl: %s\n", e.what());
    return 2;
  }
}
