// The VIGIL_* overlay: each variable of the table (config/settings.def)
// becomes the YAML node its row names, put on top of the file's tree.
#include <unistd.h>

#include <algorithm>
#include <sstream>

#include "config/loader.h"
#include "config/settings.h"

namespace vigil::config {

namespace {

std::vector<EnvironmentKey> environment_keys() {
  std::vector<EnvironmentKey> out;
  for (const Setting* s : kSettings) {
    if (s->env.empty()) continue;
    const auto dot = s->name.find('.');
    const std::string_view section = s->name.substr(0, dot);
    const std::string_view key = dot == std::string_view::npos ? std::string_view{} : s->name.substr(dot + 1);
    out.push_back({std::string(s->env), std::string(section), std::string(key), s->kind == SettingKind::kList,
                   std::string(s->help)});
  }
  return out;
}

std::vector<std::string> split_list(const std::string& value) {
  std::vector<std::string> out;
  std::string item;
  std::istringstream in(value);
  while (std::getline(in, item, ',')) {
    item.erase(0, item.find_first_not_of(" \t"));
    item.erase(item.find_last_not_of(" \t") + 1);
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

}  // namespace

const std::vector<EnvironmentKey> kEnvironmentKeys = environment_keys();

bool apply_env(YAML::Node& root, const EnvSetting& s) {
  const auto k = std::find_if(kEnvironmentKeys.begin(), kEnvironmentKeys.end(),
                              [&](const EnvironmentKey& e) { return s.name == e.variable; });
  if (k == kEnvironmentKeys.end()) return false;
  if (s.name == settings::access_control.env) {
    YAML::Node rules(YAML::NodeType::Sequence);
    auto rule = [&](const std::string& from, const char* action) {
      YAML::Node r(YAML::NodeType::Map);
      r["from"] = from;
      r["action"] = action;
      rules.push_back(r);
    };
    for (const auto& prefix : split_list(s.value)) rule(prefix, "allow");
    rule("0.0.0.0/0", "refuse");
    rule("::/0", "refuse");
    root[k->section] = rules;
  } else if (k->list) {
    YAML::Node list(YAML::NodeType::Sequence);
    for (const auto& item : split_list(s.value)) list.push_back(item);
    root[k->section][k->key] = list;
  } else if (s.value.empty()) {
    root[k->section][k->key] = YAML::Node(YAML::NodeType::Null);
  } else {
    root[k->section][k->key] = s.value;
  }
  return true;
}

std::vector<EnvSetting> environment() {
  std::vector<EnvSetting> out;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    const std::string_view entry(*e);
    const auto eq = entry.find('=');
    if (eq == std::string_view::npos || !entry.starts_with("VIGIL_")) continue;
    out.push_back({std::string(entry.substr(0, eq)), std::string(entry.substr(eq + 1))});
  }
  return out;
}

}  // namespace vigil::config
