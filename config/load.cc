// load_config, load_config_text, load_config_file: the file's text, parsed
// by yaml-cpp, with the environment on top, through the section loaders;
// an Invalid thrown anywhere below becomes FILE:LINE:COL: message.
#include "config/load.h"

#include <charconv>
#include <fstream>
#include <limits>
#include <sstream>

#include "config/loader.h"
#include "config/yaml_reader.h"

namespace vigil::config {

std::optional<std::uint64_t> parse_size(std::string_view text) {
  std::uint64_t v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || p == text.data()) return std::nullopt;
  std::string_view unit(p, static_cast<std::size_t>(text.data() + text.size() - p));
  static constexpr std::pair<std::string_view, unsigned> kUnits[] = {
      {"", 0}, {"B", 0}, {"K", 10}, {"KiB", 10}, {"M", 20}, {"MiB", 20}, {"G", 30}, {"GiB", 30}};
  for (const auto& [name, shift] : kUnits) {
    if (unit == name) {
      if (shift > 0 && v > (std::numeric_limits<std::uint64_t>::max() >> shift)) return std::nullopt;
      return v << shift;
    }
  }
  return std::nullopt;
}

std::optional<std::chrono::milliseconds> parse_duration(std::string_view text) {
  std::uint64_t v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || p == text.data() || v > 100000000) return std::nullopt;
  std::string_view unit(p, static_cast<std::size_t>(text.data() + text.size() - p));
  static constexpr std::pair<std::string_view, std::uint64_t> kUnits[] = {
      {"", 1000}, {"s", 1000}, {"ms", 1}, {"m", 60000}, {"h", 3600000}, {"d", 86400000}};
  for (const auto& [name, factor] : kUnits) {
    if (unit == name) return std::chrono::milliseconds(static_cast<std::int64_t>(v * factor));
  }
  return std::nullopt;
}

dns::Expected<Config, ConfigError> load_config(const std::string& path, const std::vector<EnvSetting>& env) {
  std::string text;
  if (!path.empty()) {
    std::ifstream in(path);
    if (!in) return ConfigError{path, 0, 0, "cannot read the file"};
    std::stringstream ss;
    ss << in.rdbuf();
    text = ss.str();
  }
  const std::string name = path.empty() ? "<defaults>" : path;
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    return ConfigError{name, e.mark.is_null() ? 0 : e.mark.line + 1, e.mark.is_null() ? 0 : e.mark.column + 1,
                       "YAML syntax: " + e.msg};
  }
  if (env.empty()) return load_config_text(text, name);
  if (!root.IsMap() && !absent(root)) return load_config_text(text, name);  // the file's own error
  if (absent(root)) root = YAML::Node(YAML::NodeType::Map);
  // Each variable alone first, so that a bad value is reported by its name.
  for (const EnvSetting& s : env) {
    YAML::Node alone(YAML::NodeType::Map);
    if (!apply_env(alone, s)) {
      std::string known;
      for (const auto& k : kEnvironmentKeys) known += (known.empty() ? "" : ", ") + k.variable;
      return ConfigError{"environment", 0, 0, s.name + " is not a Vigil setting (known: " + known + ")"};
    }
    try {
      (void)load_tree(alone);
    } catch (const Invalid& e) {
      // Keys that are only checked together (client_ip: hash and its secret)
      // are left to the whole configuration below.
      if (s.name != settings::query_log_client_ip.env) {
        return ConfigError{"environment", 0, 0, s.name + "=\"" + s.value + "\": " + e.message};
      }
    }
    apply_env(root, s);
  }
  try {
    return load_tree(root);
  } catch (const Invalid& e) {
    const bool from_env = e.mark.is_null();
    return ConfigError{from_env ? "environment" : name, from_env ? 0 : e.mark.line + 1,
                       from_env ? 0 : e.mark.column + 1, e.message};
  } catch (const YAML::Exception& e) {
    return ConfigError{name, 0, 0, e.msg};
  }
}

dns::Expected<Config, ConfigError> load_config_text(std::string_view yaml, const std::string& name) {
  try {
    return load_tree(YAML::Load(std::string(yaml)));
  } catch (const Invalid& e) {
    return ConfigError{name, e.mark.is_null() ? 0 : e.mark.line + 1, e.mark.is_null() ? 0 : e.mark.column + 1,
                       e.message};
  } catch (const YAML::Exception& e) {
    return ConfigError{name, e.mark.is_null() ? 0 : e.mark.line + 1, e.mark.is_null() ? 0 : e.mark.column + 1,
                       "YAML syntax: " + e.msg};
  }
}

dns::Expected<Config, ConfigError> load_config_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) return ConfigError{path, 0, 0, "cannot read the file"};
  std::stringstream ss;
  ss << in.rdbuf();
  return load_config_text(ss.str(), path);
}

}  // namespace vigil::config
