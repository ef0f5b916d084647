// Typed reads of a yaml-cpp tree, for the loader only (config/*.cc; the
// rest of vigild never sees YAML). Every read checks the value's type and
// range and, when they are wrong, throws Invalid with the node's mark and
// a message naming the setting ("server.threads: expected a whole number,
// got \"many\""); load.cc turns it into FILE:LINE:COL: message.
//
// Fields reads one mapping through the table of settings (settings.def):
// its keys are checked against the rows below it when it is made, and each
// value is read by its row, so a key's name and range are written once.
#pragma once

#include <chrono>
#include <concepts>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "config/config.h"
#include "config/settings.h"

namespace vigil::config {

// Thrown inside the loader only, turned into ConfigError at its boundary.
struct Invalid {
  YAML::Mark mark;
  std::string message;
};

[[noreturn]] void fail(const YAML::Node& n, const std::string& message);
// "a mapping", "a list", "nothing", "\"text\"".
std::string describe(const YAML::Node& n);
// A missing key on a const node is an invalid node in yaml-cpp (any method
// but operator bool throws), so every helper checks `!n` first.
bool absent(const YAML::Node& n);
// `n` is nothing or a mapping whose keys are those of `section` in the
// table (keys_of); `shown` is how errors name it ("policy.feeds[2]").
void expect_map(const YAML::Node& n, std::string_view section, const std::string& shown);

std::string scalar(const YAML::Node& n, const std::string& key);
bool get_bool(const YAML::Node& n, const std::string& key);
std::uint64_t get_uint(const YAML::Node& n, const std::string& key, std::uint64_t min, std::uint64_t max);
double get_double(const YAML::Node& n, const std::string& key, double min, double max);
std::chrono::milliseconds get_duration(const YAML::Node& n, const std::string& key,
                                       std::chrono::milliseconds min, std::chrono::milliseconds max);
std::vector<YAML::Node> get_list(const YAML::Node& n, const std::string& key);
Endpoint get_endpoint(const YAML::Node& n, const std::string& key);
Cidr get_cidr(const YAML::Node& n, const std::string& key);

template <class E>
E get_enum(const YAML::Node& n, const std::string& key,
           std::initializer_list<std::pair<const char*, E>> values) {
  std::string s = scalar(n, key);
  std::string list;
  for (const auto& [name, v] : values) {
    if (s == name) return v;
    list += (list.empty() ? "" : ", ") + std::string(name);
  }
  fail(n, key + ": expected one of " + list + ", got \"" + s + "\"");
}

class Fields {
 public:
  // `n`: the mapping of `section` ("server", "intent.dga", "" for the
  // top); nothing is allowed and reads as absent keys.
  Fields(const YAML::Node& n, std::string_view section);
  // An item of a list ("policy.feeds[]"), named `shown` in errors ("policy.feeds[2]").
  Fields(const YAML::Node& n, std::string_view section, std::string shown);

  const YAML::Node& node() const { return n_; }
  bool absent() const { return config::absent(n_); }
  // The value of `s`, or an undefined node (false) when it is not given.
  YAML::Node operator[](const Setting& s) const;
  bool has(const Setting& s) const { return static_cast<bool>((*this)[s]); }
  // How errors name `s` here: "server.threads", "policy.feeds[2].name".
  std::string name(const Setting& s) const;

  // Typed reads by the row's kind and range; `out` is left alone when `s`
  // is not given.
  void read(const Setting& s, bool& out) const;
  void read(const Setting& s, double& out) const;
  void read(const Setting& s, std::string& out) const;  // kText; kOptionalText: nothing is ""
  void read(const Setting& s, std::chrono::milliseconds& out) const;
  void read(const Setting& s, std::uint64_t& out) const;  // kUint; kDuration in seconds; kDays in days
  template <std::unsigned_integral T>
  requires(!std::same_as<T, bool> && !std::same_as<T, std::uint64_t>) void read(const Setting& s,
                                                                                T& out) const {
    std::uint64_t v = out;
    read(s, v);
    out = static_cast<T>(v);  // the row's range fits T
  }

 private:
  YAML::Node n_;
  std::string shown_;
};

}  // namespace vigil::config
