#include "config/yaml_reader.h"

#include <algorithm>
#include <charconv>

#include "config/load.h"

namespace vigil::config {

void fail(const YAML::Node& n, const std::string& message) {
  throw Invalid{n.Mark(), message};
}

std::string describe(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Map: return "a mapping";
    case YAML::NodeType::Sequence: return "a list";
    case YAML::NodeType::Null: return "nothing";
    case YAML::NodeType::Scalar: return "\"" + n.Scalar() + "\"";
    default: return "an undefined value";
  }
}

bool absent(const YAML::Node& n) {
  return !n || n.IsNull();
}

void expect_map(const YAML::Node& n, std::string_view section, const std::string& shown) {
  if (absent(n)) return;
  if (!n.IsMap()) fail(n, shown + ": expected a mapping, got " + describe(n));
  const std::vector<std::string> allowed = keys_of(section);
  for (const auto& kv : n) {
    std::string k = kv.first.as<std::string>();
    if (!std::binary_search(allowed.begin(), allowed.end(), k)) {
      std::string list;
      for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
      fail(kv.first,
           "unknown key \"" + (shown.empty() ? k : shown + "." + k) + "\" (expected one of: " + list + ")");
    }
  }
}

std::string scalar(const YAML::Node& n, const std::string& key) {
  if (!n.IsScalar()) fail(n, key + ": expected a single value, got " + describe(n));
  return n.Scalar();
}

bool get_bool(const YAML::Node& n, const std::string& key) {
  std::string s = scalar(n, key);
  if (s == "true" || s == "yes" || s == "on") return true;
  if (s == "false" || s == "no" || s == "off") return false;
  fail(n, key + ": expected true or false, got \"" + s + "\"");
}

std::uint64_t get_uint(const YAML::Node& n, const std::string& key, std::uint64_t min, std::uint64_t max) {
  std::string s = scalar(n, key);
  std::uint64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size())
    fail(n, key + ": expected a whole number, got \"" + s + "\"");
  if (v < min || v > max) {
    fail(n, key + ": " + s + " is out of range (" + std::to_string(min) + " to " + std::to_string(max) + ")");
  }
  return v;
}

std::vector<YAML::Node> get_list(const YAML::Node& n, const std::string& key) {
  if (absent(n)) return {};
  if (!n.IsSequence()) fail(n, key + ": expected a list, got " + describe(n));
  return {n.begin(), n.end()};
}

Endpoint get_endpoint(const YAML::Node& n, const std::string& key) {
  auto e = parse_endpoint(scalar(n, key));
  if (!e)
    fail(n, key + ": expected ADDRESS:PORT such as 127.0.0.1:53 or [::1]:53, got \"" + n.Scalar() + "\"");
  return *e;
}

Cidr get_cidr(const YAML::Node& n, const std::string& key) {
  auto c = parse_cidr(scalar(n, key));
  if (!c)
    fail(n, key + ": expected an address or ADDRESS/PREFIX such as 10.0.0.0/8, got \"" + n.Scalar() + "\"");
  return *c;
}

std::chrono::milliseconds get_duration(const YAML::Node& n, const std::string& key,
                                       std::chrono::milliseconds min, std::chrono::milliseconds max) {
  std::string s = scalar(n, key);
  auto d = parse_duration(s);
  if (!d) fail(n, key + ": expected a duration such as 10s or 500ms, got \"" + s + "\"");
  if (*d < min || *d > max) {
    fail(n, key + ": " + s + " is out of range (" + std::to_string(min.count()) + "ms to " +
                std::to_string(max.count()) + "ms)");
  }
  return *d;
}

double get_double(const YAML::Node& n, const std::string& key, double min, double max) {
  std::string s = scalar(n, key);
  double v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) fail(n, key + ": expected a number, got \"" + s + "\"");
  if (!(v >= min && v <= max)) {
    fail(n, key + ": " + s + " is out of range (" + std::to_string(min) + " to " + std::to_string(max) + ")");
  }
  return v;
}

Fields::Fields(const YAML::Node& n, std::string_view section) : Fields(n, section, std::string(section)) {}

Fields::Fields(const YAML::Node& n, std::string_view section, std::string shown)
    : n_(n), shown_(std::move(shown)) {
  expect_map(n_, section, shown_);
}

YAML::Node Fields::operator[](const Setting& s) const {
  if (!n_ || !n_.IsMap()) return YAML::Node(YAML::NodeType::Undefined);
  return n_[std::string(s.key())];
}

std::string Fields::name(const Setting& s) const {
  return shown_.empty() ? std::string(s.key()) : shown_ + "." + std::string(s.key());
}

namespace {

std::chrono::milliseconds ms(double v) {
  return std::chrono::milliseconds(static_cast<std::int64_t>(v));
}

}  // namespace

void Fields::read(const Setting& s, bool& out) const {
  if (const auto v = (*this)[s]) out = get_bool(v, name(s));
}

void Fields::read(const Setting& s, double& out) const {
  if (const auto v = (*this)[s]) out = get_double(v, name(s), s.min, s.max);
}

void Fields::read(const Setting& s, std::string& out) const {
  const auto v = (*this)[s];
  if (!v) return;
  out = s.kind == SettingKind::kOptionalText && v.IsNull() ? "" : scalar(v, name(s));
  if (s.kind == SettingKind::kOptionalText && s.max > 0 && static_cast<double>(out.size()) > s.max) {
    fail(v, name(s) + ": at most " + std::to_string(static_cast<unsigned>(s.max)) + " characters");
  }
}

void Fields::read(const Setting& s, std::chrono::milliseconds& out) const {
  if (const auto v = (*this)[s]) out = get_duration(v, name(s), ms(s.min), ms(s.max));
}

void Fields::read(const Setting& s, std::uint64_t& out) const {
  const auto v = (*this)[s];
  if (!v) return;
  switch (s.kind) {
    case SettingKind::kDuration:
      out = static_cast<std::uint64_t>(get_duration(v, name(s), ms(s.min), ms(s.max)).count() / 1000);
      return;
    case SettingKind::kDays: {
      constexpr std::int64_t kDayMs = 86400000;
      const auto t = get_duration(v, name(s), ms(s.min), ms(s.max));
      if (t.count() % kDayMs != 0) fail(v, name(s) + ": expected whole days, such as 30d");
      out = static_cast<std::uint64_t>(t.count() / kDayMs);
      return;
    }
    default:
      out = get_uint(v, name(s), static_cast<std::uint64_t>(s.min), static_cast<std::uint64_t>(s.max));
      return;
  }
}

}  // namespace vigil::config
