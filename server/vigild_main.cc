// vigild: the Vigil resolver daemon.
//
// This is the argument-parsing shell the later server issue fills in: it
// accepts the documented command line and exits cleanly.
#include <cstdio>
#include <exception>
#include <string>

#include <CLI/CLI.hpp>

#include "server/version.h"

namespace {

int run(int argc, char** argv) {
  CLI::App app{"vigild: Vigil recursive caching DNS resolver"};
  std::string config_path;
  bool check_config = false;
  bool version = false;
  app.add_option("-c,--config", config_path, "configuration file (YAML)");
  app.add_flag("--check-config", check_config, "validate the configuration and exit");
  app.add_flag("-V,--version", version, "print the version and exit");
  CLI11_PARSE(app, argc, argv);

  if (version) {
    std::printf("vigild %s (commit %s)\n", vigil::kVersion, vigil::kGitCommit);
    return 0;
  }
  std::fprintf(stderr,
               "vigild %s: the DNS wire-format library is built; the listeners are not yet "
               "(see the open server issue). Nothing to serve, exiting.\n",
               vigil::kVersion);
  return 0;
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
