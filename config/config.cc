#include "config/config.h"

#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <fstream>
#include <limits>
#include <set>
#include <sstream>

#include <yaml-cpp/yaml.h>

#include "protocol/name.h"
#include "protocol/presentation.h"

namespace vigil::config {
namespace {

// Thrown inside the loader only, turned into ConfigError at its boundary.
struct Invalid {
  YAML::Mark mark;
  std::string message;
};

[[noreturn]] void fail(const YAML::Node& n, const std::string& message) {
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

// A missing key on a const node is an invalid node in yaml-cpp (any method
// but operator bool throws), so every helper checks `!n` first.
bool absent(const YAML::Node& n) {
  return !n || n.IsNull();
}

void expect_map(const YAML::Node& n, const std::string& key, const std::set<std::string>& allowed) {
  if (absent(n)) return;
  if (!n.IsMap()) fail(n, key + ": expected a mapping, got " + describe(n));
  for (const auto& kv : n) {
    std::string k = kv.first.as<std::string>();
    if (allowed.count(k) == 0) {
      std::string list;
      for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
      fail(kv.first,
           "unknown key \"" + (key.empty() ? k : key + "." + k) + "\" (expected one of: " + list + ")");
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

std::uint32_t get_seconds(const YAML::Node& n, const std::string& key, std::uint32_t max_s) {
  using std::chrono::milliseconds;
  const auto d = get_duration(n, key, milliseconds(1000), milliseconds(std::int64_t{max_s} * 1000));
  return static_cast<std::uint32_t>(d.count() / 1000);
}

void load_intent(const YAML::Node& n, IntentConfig& c) {
  expect_map(n, "intent",
             {"enabled", "model", "alerts", "alert_suppress", "max_clients", "max_pairs", "max_alert_keys",
              "dga", "tunnel", "nxdomain_storm", "new_domain", "recent_queries", "block_rcode", "block_for",
              "max_blocked", "who_resolved_entries", "who_resolved_window", "allow"});
  if (absent(n)) return;
  auto& o = c.options;
  if (n["enabled"]) c.enabled = get_bool(n["enabled"], "intent.enabled");
  if (n["model"]) c.model = n["model"].IsNull() ? "" : scalar(n["model"], "intent.model");
  if (n["alerts"]) c.alerts_path = n["alerts"].IsNull() ? "" : scalar(n["alerts"], "intent.alerts");
  auto action = [&](const YAML::Node& a, const std::string& key) {
    return get_enum<bool>(a, key, {{"log", false}, {"block", true}});
  };
  if (n["recent_queries"])
    c.recent_queries = get_uint(n["recent_queries"], "intent.recent_queries", 0, 1U << 24);
  constexpr std::uint32_t kWeek = 7 * 86400;
  if (n["who_resolved_entries"])
    c.who_resolved.entries = get_uint(n["who_resolved_entries"], "intent.who_resolved_entries", 0, 1U << 26);
  if (n["who_resolved_window"]) {
    c.who_resolved.window_ns =
        std::int64_t{get_seconds(n["who_resolved_window"], "intent.who_resolved_window", kWeek)} *
        1'000'000'000;
  }
  if (n["alert_suppress"])
    o.alert_suppress_s = get_seconds(n["alert_suppress"], "intent.alert_suppress", kWeek);
  constexpr std::uint64_t kMaxEntries = 1U << 24;
  if (n["max_clients"]) o.max_clients = get_uint(n["max_clients"], "intent.max_clients", 64, kMaxEntries);
  if (n["max_pairs"]) o.max_pairs = get_uint(n["max_pairs"], "intent.max_pairs", 64, kMaxEntries);
  if (n["max_alert_keys"])
    o.max_alert_keys = get_uint(n["max_alert_keys"], "intent.max_alert_keys", 64, kMaxEntries);
  if (n["block_rcode"]) {
    o.block_rcode = get_enum<std::uint8_t>(
        n["block_rcode"], "intent.block_rcode",
        {{"nxdomain", std::uint8_t{3}}, {"refused", std::uint8_t{5}}, {"servfail", std::uint8_t{2}}});
  }
  if (n["block_for"]) o.block_for_s = get_seconds(n["block_for"], "intent.block_for", kWeek);
  if (n["max_blocked"]) o.max_blocked = get_uint(n["max_blocked"], "intent.max_blocked", 64, kMaxEntries);
  // Domains the detectors never block (they and everything below them).
  for (const auto& item : get_list(n["allow"], "intent.allow")) {
    const std::string text = scalar(item, "intent.allow");
    auto name = dns::Name::from_text(text.ends_with('.') ? text : text + ".");
    if (!name.ok() || name->is_root()) fail(item, "intent.allow: \"" + text + "\" is not a domain name");
    std::string lower = name->lowercased().to_text();
    lower.pop_back();  // no trailing dot: the form verdicts name domains in
    o.allow.push_back(std::move(lower));
  }
  if (const auto d = n["dga"]) {
    expect_map(d, "intent.dga", {"window", "nxdomain_domains", "plain_weight", "action"});
    if (d.IsMap()) {
      if (d["action"]) o.dga_block = action(d["action"], "intent.dga.action");
      if (d["window"]) o.dga_window_s = get_seconds(d["window"], "intent.dga.window", kWeek);
      if (d["nxdomain_domains"])
        o.dga_nx_threshold = get_double(d["nxdomain_domains"], "intent.dga.nxdomain_domains", 1, 1000);
      if (d["plain_weight"])
        o.dga_plain_weight = get_double(d["plain_weight"], "intent.dga.plain_weight", 0, 1);
    }
  }
  if (const auto t = n["tunnel"]) {
    expect_map(t, "intent.tunnel", {"window", "encoded_names", "min_names", "bits", "mean_bits", "action"});
    if (t.IsMap()) {
      if (t["action"]) o.tunnel_block = action(t["action"], "intent.tunnel.action");
      if (t["window"]) o.tunnel_window_s = get_seconds(t["window"], "intent.tunnel.window", kWeek);
      if (t["encoded_names"])
        o.tunnel_encoded_names = static_cast<std::uint32_t>(
            get_uint(t["encoded_names"], "intent.tunnel.encoded_names", 1, 100000));
      if (t["min_names"])
        o.tunnel_min_names =
            static_cast<std::uint32_t>(get_uint(t["min_names"], "intent.tunnel.min_names", 1, 100000));
      if (t["bits"]) o.tunnel_bits = get_double(t["bits"], "intent.tunnel.bits", 0, 1e9);
      if (t["mean_bits"]) o.tunnel_mean_bits = get_double(t["mean_bits"], "intent.tunnel.mean_bits", 0, 1e6);
    }
  }
  if (const auto d = n["new_domain"]) {
    expect_map(d, "intent.new_domain",
               {"enabled", "window", "learning", "domains_per_day", "state", "action"});
    if (d.IsMap()) {
      if (d["action"]) o.new_domain_block = action(d["action"], "intent.new_domain.action");
      constexpr std::uint32_t kYear = 366 * 86400;
      if (d["enabled"]) o.new_domain = get_bool(d["enabled"], "intent.new_domain.enabled");
      // Whole days from min_days to a year ("30d").
      auto days = [&](const YAML::Node& v, const std::string& key, std::int64_t min_days) {
        constexpr std::int64_t kDayMs = 86400000;
        const auto t = get_duration(v, key, std::chrono::milliseconds(min_days * kDayMs),
                                    std::chrono::milliseconds(std::int64_t{kYear} * 1000));
        if (t.count() % kDayMs != 0) fail(v, key + ": expected whole days, such as 30d");
        return static_cast<std::uint32_t>(t.count() / kDayMs);
      };
      if (d["window"]) o.new_domain_days = days(d["window"], "intent.new_domain.window", 1);
      if (d["learning"]) o.new_domain_learning_days = days(d["learning"], "intent.new_domain.learning", 0);
      if (d["domains_per_day"])
        o.new_domain_per_day =
            get_uint(d["domains_per_day"], "intent.new_domain.domains_per_day", 1024, 100000000);
      if (d["state"])
        c.new_domain_state = d["state"].IsNull() ? "" : scalar(d["state"], "intent.new_domain.state");
    }
  }
  if (const auto s = n["nxdomain_storm"]) {
    expect_map(s, "intent.nxdomain_storm", {"window", "nxdomain", "ratio"});
    if (s.IsMap()) {
      if (s["window"]) o.storm_window_s = get_seconds(s["window"], "intent.nxdomain_storm.window", 86400);
      if (s["nxdomain"])
        o.storm_nxdomain = static_cast<std::uint32_t>(
            get_uint(s["nxdomain"], "intent.nxdomain_storm.nxdomain", 1, 1U << 30));
      if (s["ratio"]) o.storm_ratio = get_double(s["ratio"], "intent.nxdomain_storm.ratio", 0, 1);
    }
  }
}

void load_policy(const YAML::Node& n, PolicyConfig& c) {
  if (absent(n)) return;
  expect_map(n, "policy", {"feeds", "max_ttl", "add_soa", "check_interval"});
  using std::chrono::milliseconds;
  if (n["max_ttl"]) {
    const auto d =
        get_duration(n["max_ttl"], "policy.max_ttl", milliseconds(0), milliseconds(7LL * 86400 * 1000));
    c.max_ttl = static_cast<std::uint32_t>(d.count() / 1000);
  }
  if (n["add_soa"]) c.add_soa = get_bool(n["add_soa"], "policy.add_soa");
  if (n["check_interval"]) {
    const auto d = get_duration(n["check_interval"], "policy.check_interval", milliseconds(0),
                                milliseconds(86400 * 1000));
    c.check_interval = static_cast<std::uint32_t>(d.count() / 1000);
  }
  const auto feeds = get_list(n["feeds"], "policy.feeds");
  if (feeds.size() > monitor::kMaxPolicyFeeds) {
    fail(n["feeds"], "policy.feeds: at most " + std::to_string(monitor::kMaxPolicyFeeds) + " feeds");
  }
  for (const auto& f : feeds) {
    const std::string key = "policy.feeds[" + std::to_string(c.feeds.size()) + "]";
    if (!f.IsMap()) fail(f, key + ": expected a mapping (name:, file:, ...), got " + describe(f));
    expect_map(
        f, key,
        {"name", "file", "format", "zone", "mode", "action", "max_rules", "max_size", "primary", "refresh"});
    PolicyFeedConfig fc;
    fc.line = f.Mark().line + 1;
    if (!f["name"]) fail(f, key + ": every feed needs a name");
    if (!f["file"]) fail(f, key + ": every feed needs a file");
    fc.name = scalar(f["name"], key + ".name");
    if (fc.name.empty() || fc.name.size() > 64 ||
        fc.name.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") !=
            std::string::npos) {
      fail(f["name"], key + ".name: 1-64 letters, digits, '-', '_' or '.', got \"" + fc.name + "\"");
    }
    for (const auto& other : c.feeds) {
      if (other.name == fc.name) fail(f["name"], key + ".name: \"" + fc.name + "\" names two feeds");
    }
    fc.file = scalar(f["file"], key + ".file");
    if (fc.file.empty()) fail(f["file"], key + ".file: empty");
    if (f["format"]) {
      fc.format = get_enum<monitor::FeedFormat>(f["format"], key + ".format",
                                                {{"rpz", monitor::FeedFormat::kRpz},
                                                 {"hosts", monitor::FeedFormat::kHosts},
                                                 {"domains", monitor::FeedFormat::kDomains}});
    }
    if (f["zone"]) {
      if (fc.format != monitor::FeedFormat::kRpz) fail(f["zone"], key + ".zone: only an rpz feed has a zone");
      fc.zone = scalar(f["zone"], key + ".zone");
      if (!dns::Name::from_text(fc.zone).ok()) fail(f["zone"], key + ".zone: not a domain name");
    }
    if (f["mode"]) {
      fc.mode = get_enum<monitor::FeedMode>(
          f["mode"], key + ".mode",
          {{"enforce", monitor::FeedMode::kEnforce}, {"log", monitor::FeedMode::kLog}});
    }
    if (f["action"]) {
      if (fc.format == monitor::FeedFormat::kRpz) {
        fail(f["action"], key + ".action: an rpz feed's records are its actions");
      }
      fc.action = get_enum<monitor::PolicyAction>(f["action"], key + ".action",
                                                  {{"nxdomain", monitor::PolicyAction::kNxDomain},
                                                   {"nodata", monitor::PolicyAction::kNoData},
                                                   {"drop", monitor::PolicyAction::kDrop},
                                                   {"tcp-only", monitor::PolicyAction::kTcpOnly},
                                                   {"passthru", monitor::PolicyAction::kPassthru}});
    }
    if (f["max_rules"]) fc.max_rules = get_uint(f["max_rules"], key + ".max_rules", 1, 100'000'000);
    if (f["max_size"]) {
      auto v = parse_size(scalar(f["max_size"], key + ".max_size"));
      if (!v || *v == 0) fail(f["max_size"], key + ".max_size: expected a size such as 100MiB");
      fc.max_size = *v;
    }
    if (f["primary"]) {
      if (fc.format != monitor::FeedFormat::kRpz || fc.zone.empty()) {
        fail(f["primary"], key + ".primary: only an rpz feed with its zone: is transferred from a primary");
      }
      fc.primary = get_endpoint(f["primary"], key + ".primary");
    }
    if (f["refresh"]) {
      if (!fc.primary) fail(f["refresh"], key + ".refresh: only a feed with a primary: is refreshed");
      fc.refresh = get_seconds(f["refresh"], key + ".refresh", 7 * 86400);
    }
    c.feeds.push_back(std::move(fc));
  }
}

void load_server(const YAML::Node& n, ServerConfig& s) {
  using std::chrono::milliseconds;
  expect_map(n, "server",
             {"listen",
              "threads",
              "max_udp_payload",
              "user",
              "tcp_idle_timeout",
              "tcp_message_timeout",
              "tcp_max_connections",
              "tcp_max_connections_per_client",
              "tcp_max_pipelined",
              "shutdown_grace",
              "max_resolutions_per_thread",
              "max_resolutions_per_client",
              "tcp_client_prefix_v4",
              "tcp_client_prefix_v6",
              "tcp_max_buffered",
              "tcp_write_timeout",
              "hide_identity",
              "hide_version",
              "identity",
              "version"});
  if (absent(n)) return;
  if (n["listen"]) {
    s.listen.clear();
    for (const auto& e : get_list(n["listen"], "server.listen"))
      s.listen.push_back(get_endpoint(e, "server.listen"));
  }
  if (n["threads"]) s.threads = static_cast<unsigned>(get_uint(n["threads"], "server.threads", 0, 1024));
  if (n["max_udp_payload"]) {
    s.max_udp_payload =
        static_cast<std::uint16_t>(get_uint(n["max_udp_payload"], "server.max_udp_payload", 512, 4096));
  }
  if (n["user"]) s.user = scalar(n["user"], "server.user");
  if (n["tcp_idle_timeout"]) {
    s.tcp_idle_timeout = get_duration(n["tcp_idle_timeout"], "server.tcp_idle_timeout", milliseconds(100),
                                      milliseconds(3600000));
  }
  if (n["tcp_message_timeout"]) {
    s.tcp_message_timeout = get_duration(n["tcp_message_timeout"], "server.tcp_message_timeout",
                                         milliseconds(100), milliseconds(600000));
  }
  auto count = [&](const char* k, unsigned& out, std::uint64_t max) {
    if (n[k]) out = static_cast<unsigned>(get_uint(n[k], std::string("server.") + k, 1, max));
  };
  count("tcp_max_connections", s.tcp_max_connections, 1000000);
  count("tcp_max_connections_per_client", s.tcp_max_connections_per_client, 1000000);
  count("tcp_max_pipelined", s.tcp_max_pipelined, 65535);
  count("max_resolutions_per_thread", s.max_resolutions_per_thread, 1000000);
  if (n["tcp_client_prefix_v4"]) {
    s.tcp_client_prefix_v4 =
        static_cast<unsigned>(get_uint(n["tcp_client_prefix_v4"], "server.tcp_client_prefix_v4", 8, 32));
  }
  if (n["tcp_client_prefix_v6"]) {
    s.tcp_client_prefix_v6 =
        static_cast<unsigned>(get_uint(n["tcp_client_prefix_v6"], "server.tcp_client_prefix_v6", 16, 128));
  }
  if (n["tcp_max_buffered"]) {
    auto text = scalar(n["tcp_max_buffered"], "server.tcp_max_buffered");
    auto size = parse_size(text);
    if (!size || *size < 65537 || *size > (std::uint64_t{1} << 30)) {
      fail(n["tcp_max_buffered"],
           "server.tcp_max_buffered: expected a size from 65537 (one answer and its length) to 1GiB, got \"" +
               text + "\"");
    }
    s.tcp_max_buffered = *size;
  }
  if (n["tcp_write_timeout"]) {
    s.tcp_write_timeout = get_duration(n["tcp_write_timeout"], "server.tcp_write_timeout", milliseconds(100),
                                       milliseconds(600000));
  }
  count("max_resolutions_per_client", s.max_resolutions_per_client, 1000000);
  if (n["shutdown_grace"]) {
    s.shutdown_grace =
        get_duration(n["shutdown_grace"], "server.shutdown_grace", milliseconds(0), milliseconds(600000));
  }
  if (n["hide_identity"]) s.hide_identity = get_bool(n["hide_identity"], "server.hide_identity");
  if (n["hide_version"]) s.hide_version = get_bool(n["hide_version"], "server.hide_version");
  auto text = [&](const char* k, std::string& out) {
    if (!n[k]) return;
    out = n[k].IsNull() ? "" : scalar(n[k], std::string("server.") + k);
    if (out.size() > 255) fail(n[k], std::string("server.") + k + ": at most 255 characters");
  };
  text("identity", s.identity);
  text("version", s.version);
}

void load_acl(const YAML::Node& n, std::vector<AclRule>& out) {
  out.clear();
  for (const auto& rule : get_list(n, "access_control")) {
    expect_map(rule, "access_control[]", {"from", "action"});
    if (!rule.IsMap() || !rule["from"] || !rule["action"])
      fail(rule, "access_control: each rule needs from: and action:");
    out.push_back(
        {get_cidr(rule["from"], "access_control.from"),
         get_enum<AclAction>(
             rule["action"], "access_control.action",
             {{"allow", AclAction::kAllow}, {"refuse", AclAction::kRefuse}, {"deny", AclAction::kDeny}})});
  }
}

// forward_zones / stub_zones: [{name: NAME, servers: [ADDR, ADDR:PORT, ...]}]
std::vector<ZoneServers> get_zone_servers(const YAML::Node& n, const std::string& key) {
  std::vector<ZoneServers> out;
  for (const auto& z : get_list(n, key)) {
    expect_map(z, key + "[]", {"name", "servers"});
    if (!z.IsMap() || !z["name"] || !z["servers"]) fail(z, key + ": each zone needs name: and servers:");
    std::string name = scalar(z["name"], key + ".name");
    auto parsed = dns::Name::from_text(name);
    if (!parsed.ok()) {
      fail(z["name"], key + ".name: \"" + name + "\" is not a domain name (" +
                          std::string(dns::error_message(parsed.error())) + ")");
    }
    ZoneServers zs{parsed->lowercased().to_text(), {}, z.Mark().line + 1};
    for (const auto& a : get_list(z["servers"], key + ".servers")) {
      const std::string text = scalar(a, key + ".servers");
      auto e = parse_endpoint(text);
      if (!e) {
        // A bare address means port 53.
        auto c = parse_cidr(text);
        if (!c || c->prefix != c->length * 8) {
          fail(a, key + ".servers: expected an address or ADDRESS:PORT, got \"" + text + "\"");
        }
        e = Endpoint{text, c->length == 16, 53};
      }
      zs.servers.push_back(*e);
    }
    if (zs.servers.empty()) fail(z, key + ": zone " + zs.name + " has no servers");
    for (const auto& other : out) {
      if (other.name == zs.name) fail(z, key + ": zone " + zs.name + " is listed twice");
    }
    out.push_back(std::move(zs));
  }
  return out;
}

void load_resolver(const YAML::Node& n, ResolverConfig& r) {
  using std::chrono::milliseconds;
  expect_map(n, "resolver",
             {"root_hints", "do_not_query", "source_addresses", "ipv4", "ipv6", "qname_minimisation",
              "forward_zones", "stub_zones", "resolution_timeout", "max_attempt_timeout",
              "max_upstream_queries", "max_cname_chain", "servfail_ttl", "max_clients_per_question"});
  if (absent(n)) return;
  if (n["qname_minimisation"]) {
    r.qname_minimisation = get_enum<QnameMinimisation>(n["qname_minimisation"], "resolver.qname_minimisation",
                                                       {{"off", QnameMinimisation::kOff},
                                                        {"relaxed", QnameMinimisation::kRelaxed},
                                                        {"strict", QnameMinimisation::kStrict}});
  }
  r.forward_zones = get_zone_servers(n["forward_zones"], "resolver.forward_zones");
  r.stub_zones = get_zone_servers(n["stub_zones"], "resolver.stub_zones");
  if (n["resolution_timeout"]) {
    r.resolution_timeout = get_duration(n["resolution_timeout"], "resolver.resolution_timeout",
                                        milliseconds(100), milliseconds(60000));
  }
  if (n["max_attempt_timeout"]) {
    r.max_attempt_timeout = get_duration(n["max_attempt_timeout"], "resolver.max_attempt_timeout",
                                         milliseconds(50), milliseconds(30000));
  }
  if (n["max_upstream_queries"]) {
    r.max_upstream_queries =
        static_cast<unsigned>(get_uint(n["max_upstream_queries"], "resolver.max_upstream_queries", 1, 1000));
  }
  if (n["max_cname_chain"]) {
    r.max_cname_chain =
        static_cast<unsigned>(get_uint(n["max_cname_chain"], "resolver.max_cname_chain", 1, 64));
  }
  if (n["max_clients_per_question"]) {
    r.max_clients_per_question = static_cast<unsigned>(
        get_uint(n["max_clients_per_question"], "resolver.max_clients_per_question", 1, 100000));
  }
  if (n["servfail_ttl"]) {
    r.servfail_ttl =
        get_duration(n["servfail_ttl"], "resolver.servfail_ttl", milliseconds(0), milliseconds(300000));
  }
  if (n["root_hints"]) r.root_hints = scalar(n["root_hints"], "resolver.root_hints");
  if (n["do_not_query"]) {
    r.do_not_query.clear();
    for (const auto& c : get_list(n["do_not_query"], "resolver.do_not_query")) {
      r.do_not_query.push_back(get_cidr(c, "resolver.do_not_query"));
    }
  }
  if (n["source_addresses"]) {
    r.source_addresses.clear();
    for (const auto& a : get_list(n["source_addresses"], "resolver.source_addresses")) {
      auto c = parse_cidr(scalar(a, "resolver.source_addresses"));
      if (!c || c->prefix != c->length * 8)
        fail(a, "resolver.source_addresses: expected an address, got \"" + a.Scalar() + "\"");
      r.source_addresses.push_back(a.Scalar());
    }
  }
  if (n["ipv4"]) r.ipv4 = get_bool(n["ipv4"], "resolver.ipv4");
  if (n["ipv6"]) r.ipv6 = get_bool(n["ipv6"], "resolver.ipv6");
  if (!r.ipv4 && !r.ipv6) fail(n, "resolver: ipv4 and ipv6 cannot both be false");
}

void load_cache(const YAML::Node& n, CacheConfig& c) {
  expect_map(n, "cache",
             {"size", "min_ttl", "max_ttl", "max_negative_ttl", "serve_stale", "prefetch", "persist_path"});
  if (absent(n)) return;
  auto& o = c.options;
  if (n["size"]) {
    auto v = parse_size(scalar(n["size"], "cache.size"));
    if (!v || *v < (std::uint64_t{1} << 20)) {
      fail(n["size"],
           "cache.size: expected a size of at least 1MiB such as 256MiB, got \"" + n["size"].Scalar() + "\"");
    }
    o.max_bytes = *v;
  }
  constexpr std::uint64_t kWeek = 7 * 86400;
  if (n["min_ttl"]) o.min_ttl = static_cast<std::uint32_t>(get_uint(n["min_ttl"], "cache.min_ttl", 0, kWeek));
  if (n["max_ttl"]) o.max_ttl = static_cast<std::uint32_t>(get_uint(n["max_ttl"], "cache.max_ttl", 1, kWeek));
  if (n["max_negative_ttl"]) {
    o.max_negative_ttl =
        static_cast<std::uint32_t>(get_uint(n["max_negative_ttl"], "cache.max_negative_ttl", 0, kWeek));
  }
  if (o.min_ttl > o.max_ttl) fail(n, "cache: min_ttl (" + std::to_string(o.min_ttl) + ") is above max_ttl");
  if (n["serve_stale"]) o.serve_stale = get_bool(n["serve_stale"], "cache.serve_stale");
  if (n["prefetch"]) o.prefetch = get_bool(n["prefetch"], "cache.prefetch");
  if (n["persist_path"]) c.persist_path = scalar(n["persist_path"], "cache.persist_path");
}

void load_local(const YAML::Node& root, Config& cfg) {
  for (const auto& z : get_list(root["local_zones"], "local_zones")) {
    expect_map(z, "local_zones[]", {"name", "type"});
    if (!z.IsMap() || !z["name"] || !z["type"]) fail(z, "local_zones: each zone needs name: and type:");
    std::string name = scalar(z["name"], "local_zones.name");
    auto parsed = dns::Name::from_text(name);
    if (!parsed.ok()) {
      fail(z["name"], "local_zones.name: \"" + name + "\" is not a domain name (" +
                          std::string(dns::error_message(parsed.error())) + ")");
    }
    cfg.local_zones.push_back({parsed->to_text(),
                               get_enum<LocalZoneType>(z["type"], "local_zones.type",
                                                       {{"static", LocalZoneType::kStatic},
                                                        {"transparent", LocalZoneType::kTransparent},
                                                        {"refuse", LocalZoneType::kRefuse},
                                                        {"deny", LocalZoneType::kDeny},
                                                        {"redirect", LocalZoneType::kRedirect},
                                                        {"nodefault", LocalZoneType::kNoDefault}}),
                               z.Mark().line + 1});
  }
  for (const auto& d : get_list(root["local_data"], "local_data")) {
    std::string rr = scalar(d, "local_data");
    auto parsed = dns::parse_record(rr);
    if (!parsed.ok()) fail(d, "local_data: " + parsed.error().message);
    if (parsed->rclass != dns::RRClass::IN) fail(d, "local_data: only class IN records are served");
    cfg.local_data.push_back({rr, d.Mark().line + 1});
  }
  if (root["local_data_ptr"]) cfg.local_data_ptr = get_bool(root["local_data_ptr"], "local_data_ptr");
}

Config load(const YAML::Node& root) {
  Config cfg = Config::defaults();
  if (absent(root)) return cfg;
  expect_map(root, "",
             {"server", "access_control", "resolver", "cache", "metrics", "query_log", "dnstap", "intent",
              "policy", "local_zones", "local_data", "local_data_ptr", "control"});
  if (!root.IsMap()) fail(root, "expected a mapping of sections (server:, resolver:, ...)");
  load_server(root["server"], cfg.server);
  if (root["access_control"]) load_acl(root["access_control"], cfg.access_control);
  load_resolver(root["resolver"], cfg.resolver);
  load_cache(root["cache"], cfg.cache);
  if (const auto m = root["metrics"]) {
    expect_map(m, "metrics", {"listen"});
    if (m.IsMap() && m["listen"]) {
      std::string l = m["listen"].IsNull() ? "" : scalar(m["listen"], "metrics.listen");
      if (!l.empty()) get_endpoint(m["listen"], "metrics.listen");
      cfg.metrics_listen = l;
    }
  }
  if (const auto q = root["query_log"]) {
    expect_map(q, "query_log", {"path", "max_size", "keep", "client_ip", "hash_secret"});
    if (q.IsMap() && q["path"])
      cfg.query_log_path = q["path"].IsNull() ? "" : scalar(q["path"], "query_log.path");
    if (q.IsMap()) {
      auto& ql = cfg.query_log;
      if (q["max_size"]) {
        auto v = parse_size(scalar(q["max_size"], "query_log.max_size"));
        if (!v)
          fail(q["max_size"],
               "query_log.max_size: expected a size such as 100MiB, got \"" + q["max_size"].Scalar() + "\"");
        ql.max_size = *v;
      }
      if (q["keep"]) ql.keep = static_cast<unsigned>(get_uint(q["keep"], "query_log.keep", 0, 1000));
      if (q["client_ip"]) {
        ql.client_ip = get_enum<ClientIpLogging>(q["client_ip"], "query_log.client_ip",
                                                 {{"full", ClientIpLogging::kFull},
                                                  {"truncate", ClientIpLogging::kTruncate},
                                                  {"hash", ClientIpLogging::kHash}});
      }
      if (q["hash_secret"]) ql.hash_secret = scalar(q["hash_secret"], "query_log.hash_secret");
      if (ql.client_ip == ClientIpLogging::kHash && ql.hash_secret.size() < 16) {
        fail(q, "query_log: client_ip: hash needs a hash_secret of at least 16 characters");
      }
    }
  }
  if (const auto t = root["dnstap"]) {
    expect_map(t, "dnstap", {"socket", "identity", "client_queries", "client_responses"});
    if (t.IsMap()) {
      auto& d = cfg.dnstap;
      if (t["socket"]) d.socket = t["socket"].IsNull() ? "" : scalar(t["socket"], "dnstap.socket");
      // sockaddr_un's sun_path holds 107 characters and the terminator.
      if (d.socket.size() > 107)
        fail(t["socket"], "dnstap.socket: a Unix socket path is at most 107 characters");
      if (!d.socket.empty() && d.socket.front() != '/')
        fail(t["socket"], "dnstap.socket: expected an absolute path, got \"" + d.socket + "\"");
      if (t["identity"]) d.identity = scalar(t["identity"], "dnstap.identity");
      if (t["client_queries"]) d.client_queries = get_bool(t["client_queries"], "dnstap.client_queries");
      if (t["client_responses"])
        d.client_responses = get_bool(t["client_responses"], "dnstap.client_responses");
    }
  }
  load_intent(root["intent"], cfg.intent);
  load_policy(root["policy"], cfg.policy);
  if (const auto c = root["control"]) {
    expect_map(c, "control", {"socket"});
    if (c.IsMap() && c["socket"]) cfg.control_socket = scalar(c["socket"], "control.socket");
  }
  load_local(root, cfg);
  return cfg;
}

}  // namespace

std::string ConfigError::to_string() const {
  std::string out = file;
  if (line > 0) out += ":" + std::to_string(line);
  if (line > 0 && column > 0) out += ":" + std::to_string(column);
  return out + ": " + message;
}

Config Config::defaults() {
  Config c;
  c.server.listen = {*parse_endpoint("127.0.0.1:53"), *parse_endpoint("[::1]:53")};
  // Loopback may use the resolver; everyone else is refused.
  c.access_control = {{*parse_cidr("127.0.0.0/8"), AclAction::kAllow},
                      {*parse_cidr("::1/128"), AclAction::kAllow},
                      {*parse_cidr("0.0.0.0/0"), AclAction::kRefuse},
                      {*parse_cidr("::/0"), AclAction::kRefuse}};
  c.resolver.do_not_query = {*parse_cidr("127.0.0.0/8"), *parse_cidr("::1/128"), *parse_cidr("0.0.0.0/8"),
                             *parse_cidr("::/128")};
  return c;
}

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

std::string_view local_zone_type_name(LocalZoneType t) {
  switch (t) {
    case LocalZoneType::kStatic: return "static";
    case LocalZoneType::kTransparent: return "transparent";
    case LocalZoneType::kRefuse: return "refuse";
    case LocalZoneType::kDeny: return "deny";
    case LocalZoneType::kRedirect: return "redirect";
    case LocalZoneType::kNoDefault: return "nodefault";
  }
  return "unknown";
}

const std::vector<EnvironmentKey> kEnvironmentKeys = {
    {"VIGIL_LISTEN", "server", "listen", true, "addresses to serve, ADDR[:PORT], comma-separated"},
    {"VIGIL_THREADS", "server", "threads", false, "worker threads (0 = one per core)"},
    {"VIGIL_IDENTITY", "server", "identity", false, "the id.server / hostname.bind answer"},
    {"VIGIL_ALLOW", "", "", true, "client prefixes allowed, comma-separated; all others refused"},
    {"VIGIL_ROOT_HINTS", "resolver", "root_hints", false, "\"builtin\" or a root hints file"},
    {"VIGIL_CACHE_SIZE", "cache", "size", false, "cache memory, e.g. 256MiB"},
    {"VIGIL_CACHE_PERSIST_PATH", "cache", "persist_path", false, "where the cache is saved at exit"},
    {"VIGIL_METRICS_LISTEN", "metrics", "listen", false, "Prometheus /metrics address, ADDR:PORT"},
    {"VIGIL_QUERY_LOG", "query_log", "path", false, "query log file, - for stdout, empty for off"},
    {"VIGIL_QUERY_LOG_CLIENT_IP", "query_log", "client_ip", false, "full, truncate or hash"},
    {"VIGIL_QUERY_LOG_HASH_SECRET", "query_log", "hash_secret", false, "secret for client_ip: hash"},
    {"VIGIL_DNSTAP_SOCKET", "dnstap", "socket", false, "dnstap collector's Unix socket"},
    {"VIGIL_INTENT", "intent", "enabled", false, "intent detection on (true) or off (false)"},
    {"VIGIL_INTENT_ALERTS", "intent", "alerts", false, "alert stream file, - for stdout, empty for off"},
    {"VIGIL_CONTROL_SOCKET", "control", "socket", false, "vigilctl's control socket"},
};

namespace {

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

// Sets what `s` names in the YAML tree; false for an unknown variable.
bool apply_env(YAML::Node& root, const EnvSetting& s) {
  const auto k = std::find_if(kEnvironmentKeys.begin(), kEnvironmentKeys.end(),
                              [&](const EnvironmentKey& e) { return s.name == e.variable; });
  if (k == kEnvironmentKeys.end()) return false;
  if (s.name == "VIGIL_ALLOW") {
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
    root["access_control"] = rules;
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

}  // namespace

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
      for (const auto& k : kEnvironmentKeys) known += std::string(known.empty() ? "" : ", ") + k.variable;
      return ConfigError{"environment", 0, 0, s.name + " is not a Vigil setting (known: " + known + ")"};
    }
    try {
      (void)load(alone);
    } catch (const Invalid& e) {
      // Keys that are only checked together (client_ip: hash and its secret)
      // are left to the whole configuration below.
      if (s.name != "VIGIL_QUERY_LOG_CLIENT_IP") {
        return ConfigError{"environment", 0, 0, s.name + "=\"" + s.value + "\": " + e.message};
      }
    }
    apply_env(root, s);
  }
  try {
    return load(root);
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
    return load(YAML::Load(std::string(yaml)));
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
