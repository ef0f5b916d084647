#include "config/settings.h"

#include <algorithm>

namespace vigil::config {

std::vector<std::string> keys_of(std::string_view section) {
  std::vector<std::string> out;
  for (const Setting* s : kSettings) {
    std::string_view rest = s->name;
    if (!section.empty()) {
      if (!rest.starts_with(section) || rest.size() <= section.size() || rest[section.size()] != '.')
        continue;
      rest.remove_prefix(section.size() + 1);
    }
    out.emplace_back(rest.substr(0, rest.find_first_of(".[")));
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

const Setting* find_setting(std::string_view name) {
  for (const Setting* s : kSettings) {
    if (s->name == name) return s;
  }
  return nullptr;
}

}  // namespace vigil::config
