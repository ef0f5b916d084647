// vigild: the Vigil resolver daemon. Runs in the foreground and logs to
// stderr (what systemd and Docker expect); see server/daemon.h for its life
// cycle and docs/configuration.md for the configuration.
#include <cstdio>
#include <exception>
#include <string>

#include <CLI/CLI.hpp>

#include "config/load.h"
#include "monitor/dga_model.h"
#include "server/daemon.h"
#include "server/policy_loader.h"
#include "server/runtime.h"
#include "server/version.h"

namespace {

int run(int argc, char** argv) {
  CLI::App app{"vigild: Vigil recursive caching DNS resolver"};
  std::string config_path;
  bool check_config = false;
  bool version = false;
  app.add_option("-c,--config", config_path, "configuration file (YAML); without it, the built-in defaults");
  app.add_flag("--check-config", check_config, "validate the configuration and exit");
  app.add_flag("-V,--version", version, "print the version and exit");
  CLI11_PARSE(app, argc, argv);

  if (version) {
    std::printf("vigild %s (commit %s)\n", vigil::kVersion, vigil::kGitCommit);
    return 0;
  }
  // The file (or the defaults) with the VIGIL_* environment variables on top.
  auto cfg = vigil::config::load_config(config_path, vigil::config::environment());
  if (!cfg.ok()) {
    std::fprintf(stderr, "vigild: %s\n", cfg.error().to_string().c_str());
    return 1;
  }
  // Local data (CNAME conflicts, redirect zones) and the root hints file are
  // checked too, exactly as start-up and reloads check them.
  vigil::cache::RRsetCache scratch(vigil::cache::CacheOptions{.max_bytes = 1 << 20, .shards = 1});
  if (auto rt = vigil::server::make_runtime(*cfg, config_path, scratch, false); !rt.ok()) {
    std::fprintf(stderr, "vigild: %s\n", rt.error().to_string().c_str());
    return 1;
  }
  if (check_config) {
    // The threat feeds too (start-up reads them anyway, so only here).
    vigil::server::PolicyLoader feeds;
    auto policy = feeds.load(cfg->policy, config_path);
    if (!policy.ok()) {
      std::fprintf(stderr, "vigild: %s\n", policy.error().to_string().c_str());
      return 1;
    }
    for (const auto& l : policy->loaded) std::printf("policy feed %s\n", l.c_str());
    // Everything else start-up reads and refuses to start without: the
    // intent detectors' model file.
    if (cfg->intent.enabled && !cfg->intent.model.empty()) {
      std::string error;
      if (!vigil::monitor::DgaModel::load(cfg->intent.model, &error)) {
        std::fprintf(stderr, "vigild: %s: intent.model: %s\n",
                     config_path.empty() ? "(defaults)" : config_path.c_str(), error.c_str());
        return 1;
      }
    }
    std::printf("%s: configuration OK\n", config_path.empty() ? "(defaults)" : config_path.c_str());
    return 0;
  }
  vigil::server::Daemon daemon(std::move(*cfg), config_path);
  return daemon.run();
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "vigild: fatal: %s\n", e.what());
    return 1;
  }
}
