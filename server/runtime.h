// Everything a reload replaces, built and validated before it is swapped
// in: the configuration, the local zones built from it, and the handler
// over both, and the root hints. Workers hold it by shared_ptr, so queries in flight finish
// with the runtime they started with.
#pragma once

#include <memory>
#include <string>

#include "cache/rrset_cache.h"
#include "config/config.h"
#include "protocol/result.h"
#include "resolver/root_hints.h"
#include "server/local_zones.h"
#include "server/query_handler.h"

namespace vigil::server {

struct Runtime {
  config::Config config;
  std::string config_file;  // "" = built-in defaults
  LocalZones local;
  resolver::RootHints root_hints;                   // resolver.root_hints, loaded and checked
  std::shared_ptr<const policy::PolicySet> policy;  // the threat feeds (server/policy_loader.h)
  std::unique_ptr<QueryHandler> handler;
};

dns::Expected<std::shared_ptr<const Runtime>, config::ConfigError> make_runtime(
    config::Config config, const std::string& config_file, cache::RRsetCache& cache, bool resolver_attached,
    const monitor::BlockListPublisher* block = nullptr,
    std::shared_ptr<const policy::PolicySet> policy = nullptr);

}  // namespace vigil::server
