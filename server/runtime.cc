#include "server/runtime.h"

namespace vigil::server {

dns::Expected<std::shared_ptr<const Runtime>, config::ConfigError> make_runtime(
    config::Config config, const std::string& config_file, cache::RRsetCache& cache, bool resolver_attached,
    const monitor::BlockListPublisher* block, std::shared_ptr<const policy::PolicySet> policy) {
  const std::string file = config_file.empty() ? "<defaults>" : config_file;
  auto local = LocalZones::build(config, file);
  if (!local.ok()) return local.error();
  auto hints = resolver::load_root_hints(config.resolver.root_hints);
  if (!hints.ok()) return config::ConfigError{file, 0, 0, "resolver.root_hints: " + hints.error()};
  auto rt = std::make_shared<Runtime>(Runtime{std::move(config), config_file, std::move(*local),
                                              std::move(*hints), std::move(policy), nullptr});
  rt->handler = std::make_unique<QueryHandler>(rt->config, rt->local, cache, resolver_attached, block,
                                               rt->policy.get());
  return std::shared_ptr<const Runtime>(std::move(rt));
}

}  // namespace vigil::server
