// vigilctl: inspects and controls a running vigild over its control socket.
// Exit status: 0 done, 1 the command failed, 2 vigild could not be reached.
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "config/config.h"
#include "server/control_channel.h"
#include "server/version.h"

namespace {

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
  simple("flush-all", "empty the cache");
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
  CLI11_PARSE(app, argc, argv);

  if (socket_path.empty()) {
    if (!config_path.empty()) {
      auto cfg = vigil::config::load_config_file(config_path);
      if (!cfg.ok()) {
        std::fprintf(stderr, "vigilctl: %s\n", cfg.error().to_string().c_str());
        return 2;
      }
      socket_path = cfg->control_socket;
    } else {
      socket_path = vigil::config::Config::defaults().control_socket;
    }
  }
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
