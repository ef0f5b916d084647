#include "server/runtime.h"

namespace vigil::server {

dns::Expected<std::shared_ptr<const Runtime>, config::ConfigError> make_runtime(
    config::Config config, const std::string& config_file, cache::RRsetCache& cache, bool resolver_attached) {
  auto local = LocalZones::build(config, config_file.empty() ? "<defaults>" : config_file);
  if (!local.ok()) return local.error();
  auto rt = std::make_shared<Runtime>(Runtime{std::move(config), config_file, std::move(*local), nullptr});
  rt->handler = std::make_unique<QueryHandler>(rt->config, rt->local, cache, resolver_attached);
  return std::shared_ptr<const Runtime>(std::move(rt));
}

}  // namespace vigil::server
