// The loader's parts, for config/*.cc only: the section loaders
// (sections.cc) and the environment overlay (environment.cc), which
// load.cc puts together behind config/load.h.
#pragma once

#include <yaml-cpp/yaml.h>

#include "config/config.h"
#include "config/load.h"

namespace vigil::config {

// The whole tree (a mapping of sections, or nothing) into the model, over
// Config::defaults(). Throws Invalid (config/yaml_reader.h).
Config load_tree(const YAML::Node& root);

// Sets what the variable names in `root`; false for an unknown variable.
bool apply_env(YAML::Node& root, const EnvSetting& s);

}  // namespace vigil::config
