// Loading the configuration: the YAML file (or text), with the VIGIL_*
// environment variables on top, into the typed model (config/config.h).
// Unknown keys, wrong types and bad values are errors naming the file,
// line and column, the setting, and what is expected.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "protocol/result.h"

namespace vigil::config {

// Loads and validates a configuration file (no environment).
dns::Expected<Config, ConfigError> load_config_file(const std::string& path);
dns::Expected<Config, ConfigError> load_config_text(std::string_view yaml,
                                                    const std::string& name = "<text>");

// Environment variables for the common keys, so that a container needs no
// configuration file (docs/configuration.md, "Environment variables"):
// VIGIL_LISTEN=127.0.0.1:53,[::1]:53 sets server.listen, VIGIL_THREADS
// server.threads, and so on (the rows of config/settings.def with a
// variable). They override the file.
struct EnvSetting {
  std::string name;  // "VIGIL_THREADS"
  std::string value;
};
// The variables, from the table: "VIGIL_THREADS" sets section "server",
// key "threads"; VIGIL_ALLOW (section "access_control", no key) replaces
// the whole list.
struct EnvironmentKey {
  std::string variable;  // "VIGIL_THREADS"
  std::string section;   // "server"
  std::string key;       // "threads"
  bool list;             // a comma-separated list
  std::string help;
};
extern const std::vector<EnvironmentKey> kEnvironmentKeys;
// The process's VIGIL_* variables (any other name is ignored).
std::vector<EnvSetting> environment();
// The file (none when `path` is empty: the defaults) with `env` on top. An
// unknown VIGIL_ name or a bad value is an error naming the variable.
dns::Expected<Config, ConfigError> load_config(const std::string& path, const std::vector<EnvSetting>& env);

// "256MiB", "1G", "4096" -> bytes.
std::optional<std::uint64_t> parse_size(std::string_view text);
// "10s", "500ms", "2m", "1h", "1d"; a bare number is seconds.
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);

}  // namespace vigil::config
