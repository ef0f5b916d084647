// The table of settings (config/settings.def) as C++: one constexpr
// Setting per key of the YAML file, named settings::<id>, and the whole
// table in file order. A leaf: the loader, the environment overlay and the
// documentation test read it; nothing here knows YAML.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace vigil::config {

enum class SettingKind : std::uint8_t {
  kBool,          // true/false, yes/no, on/off
  kUint,          // a whole number within [min, max]
  kDouble,        // a number within [min, max]
  kDuration,      // "500ms", "10s", "2m", "1h", "30d"; [min, max] in milliseconds
  kDays,          // a duration in whole days; [min, max] in milliseconds
  kSize,          // "256MiB", "1G", "4096"; [min, max] in octets, max 0 = none
  kText,          // a string
  kOptionalText,  // a string, or nothing for "" (at most max characters when max > 0)
  kChoice,        // one word of a fixed set (the loader names the set)
  kList,          // a list (of values or of mappings, "name[].key" rows)
};

struct Setting {
  std::string_view name;  // "server.threads", "policy.feeds[].name"
  SettingKind kind;
  double min;
  double max;
  std::string_view default_text;  // as docs/configuration.md shows it
  std::string_view env;           // "VIGIL_THREADS" or ""
  std::string_view help;

  // The mapping the key is in ("server", "policy.feeds[]", "" for the top)
  // and its own name there ("threads").
  constexpr std::string_view section() const {
    const auto dot = name.rfind('.');
    return dot == std::string_view::npos ? std::string_view{} : name.substr(0, dot);
  }
  constexpr std::string_view key() const {
    const auto dot = name.rfind('.');
    return dot == std::string_view::npos ? name : name.substr(dot + 1);
  }
};

namespace settings {
#define VIGIL_SETTING(id, name, kind, min, max, def, env, help) \
  inline constexpr Setting id{name, SettingKind::kind, min, max, def, env, help};
#include "config/settings.def"
#undef VIGIL_SETTING
}  // namespace settings

inline constexpr const Setting* kSettings[] = {
#define VIGIL_SETTING(id, ...) &settings::id,
#include "config/settings.def"
#undef VIGIL_SETTING
};

// The keys a mapping may hold: the first name below `section` ("" = the
// top level, "policy.feeds[]" = each feed) of every row, sorted, once each.
std::vector<std::string> keys_of(std::string_view section);
// The row of a dotted name, or null.
const Setting* find_setting(std::string_view name);

}  // namespace vigil::config
