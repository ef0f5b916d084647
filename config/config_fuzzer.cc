// libFuzzer target: the configuration loader on arbitrary YAML. Must return
// a configuration or an error with a position, never crash or hang.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "config/load.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto cfg = vigil::config::load_config_text(text, "fuzz.yaml");
  if (!cfg.ok()) {
    if (cfg.error().message.empty()) __builtin_trap();  // every error says what is wrong
    return 0;
  }
  // A loaded configuration satisfies the loader's own invariants.
  if (cfg->server.max_udp_payload < 512 || cfg->cache.options.min_ttl > cfg->cache.options.max_ttl)
    __builtin_trap();
  if (!cfg->resolver.ipv4 && !cfg->resolver.ipv6) __builtin_trap();
  return 0;
}
