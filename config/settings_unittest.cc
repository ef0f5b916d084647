// The table of settings against docs/configuration.md and the model: a
// setting the documentation lacks, a documented key the table does not
// know, another default or another environment variable fails here.
#include "config/settings.h"

#include <fstream>
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "config/config.h"
#include "config/load.h"

namespace vigil::config {
namespace {

struct DocSetting {
  std::string default_text;
  std::string range;  // "100ms–1h", "1–64"; "" when the row shows none
  int line = 0;
};
struct DocVariable {
  std::string key;
  std::string value;
  int line = 0;
};
struct ConfigurationDoc {
  std::map<std::string, DocSetting> settings;
  std::map<std::string, DocVariable> variables;
};

std::string Trimmed(std::string s) {
  s.erase(0, s.find_first_not_of(' '));
  s.erase(s.find_last_not_of(' ') + 1);
  return s;
}

std::vector<std::string> Cells(const std::string& row) {
  std::vector<std::string> out;
  std::size_t start = 1;  // after the leading '|'
  for (std::size_t bar = row.find('|', start); bar != std::string::npos; bar = row.find('|', start)) {
    out.push_back(Trimmed(row.substr(start, bar - start)));
    start = bar + 1;
  }
  return out;
}

// "`a`, `b`" -> {"`a`", "`b`"}
std::vector<std::string> Quoted(const std::string& cell) {
  std::vector<std::string> out;
  for (std::size_t open = cell.find('`'); open != std::string::npos; open = cell.find('`', open)) {
    const std::size_t close = cell.find('`', open + 1);
    if (close == std::string::npos) break;
    out.push_back(cell.substr(open, close - open + 1));
    open = close + 1;
  }
  return out;
}

const std::string kEnDash = "\u2013";  // as in "1\u201364"

// The ranges a type cell shows, spaces removed: "duration, 100ms–1h" ->
// {"100ms–1h"}, "8–32, 16–128" -> {"8–32", "16–128"}.
std::vector<std::string> Ranges(const std::string& cell) {
  std::string compact;
  for (char c : cell) {
    if (c != ' ') compact += c;
  }
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= compact.size()) {
    const std::size_t comma = std::min(compact.find(',', start), compact.size());
    const std::string part = compact.substr(start, comma - start);
    const std::size_t digit = part.find_first_of("0123456789");
    if (part.find(kEnDash) != std::string::npos && digit != std::string::npos)
      out.push_back(part.substr(digit));
    start = comma + 1;
  }
  return out;
}

// The rows of the "| key | type | default | meaning |" tables and of the
// "| variable | key | value |" table.
ConfigurationDoc ReadConfigurationDoc(const std::string& path) {
  ConfigurationDoc doc;
  std::ifstream in(path);
  EXPECT_TRUE(in) << path;
  enum class Table { kNone, kSettings, kVariables } table = Table::kNone;
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    if (!line.starts_with("|")) {
      table = Table::kNone;
      continue;
    }
    if (line.starts_with("| key | type | default |")) table = Table::kSettings;
    if (line.starts_with("| variable | key | value |")) table = Table::kVariables;
    if (line.starts_with("|---") || line.starts_with("| key ") || line.starts_with("| variable ")) continue;
    const std::vector<std::string> cells = Cells(line);
    if (table == Table::kSettings && cells.size() >= 3) {
      const std::vector<std::string> names = Quoted(cells[0]);
      const std::vector<std::string> defaults = Quoted(cells[2]);
      const std::vector<std::string> ranges = Ranges(cells[1]);
      for (std::size_t i = 0; i < names.size(); ++i) {
        const std::string name = names[i].substr(1, names[i].size() - 2);
        const std::string def = names.size() > 1 && defaults.size() == names.size() ? defaults[i] : cells[2];
        const std::string range = ranges.size() == names.size() ? ranges[i]
                                  : ranges.size() == 1          ? ranges[0]
                                                                : "";
        EXPECT_TRUE(doc.settings.emplace(name, DocSetting{def, range, number}).second)
            << path << ":" << number << ": " << name << " documented twice";
      }
    } else if (table == Table::kVariables && cells.size() >= 3) {
      const std::string variable = cells[0].substr(1, cells[0].size() - 2);
      doc.variables[variable] = {cells[1].substr(1, cells[1].size() - 2), cells[2], number};
    }
  }
  return doc;
}

const std::string kConfigurationDoc = std::string(VIGIL_SOURCE_DIR) + "/docs/configuration.md";

TEST(SettingsTableTest, EverySettingIsDocumentedWithItsDefault) {
  const ConfigurationDoc doc = ReadConfigurationDoc(kConfigurationDoc);
  ASSERT_GT(doc.settings.size(), 50u) << "no settings tables found in " << kConfigurationDoc;
  for (const Setting* s : kSettings) {
    const auto row = doc.settings.find(std::string(s->name));
    if (row == doc.settings.end()) {
      ADD_FAILURE() << kConfigurationDoc << ": no row for " << s->name << " (config/settings.def)";
      continue;
    }
    EXPECT_EQ(row->second.default_text, s->default_text)
        << kConfigurationDoc << ":" << row->second.line << ": the default of " << s->name
        << " differs from config/settings.def";
  }
  for (const auto& [name, row] : doc.settings) {
    EXPECT_NE(find_setting(name), nullptr)
        << kConfigurationDoc << ":" << row.line << ": " << name << " is not in config/settings.def";
  }
}

// A number's or a duration's range in the table is the one the row shows.
TEST(SettingsTableTest, RangesAreDocumented) {
  const ConfigurationDoc doc = ReadConfigurationDoc(kConfigurationDoc);
  for (const Setting* s : kSettings) {
    const bool number = s->kind == SettingKind::kUint || s->kind == SettingKind::kDouble;
    const bool duration = s->kind == SettingKind::kDuration || s->kind == SettingKind::kDays;
    const auto row = doc.settings.find(std::string(s->name));
    if ((!number && !duration) || row == doc.settings.end()) continue;
    const std::string& range = row->second.range;
    const std::string where =
        kConfigurationDoc + ":" + std::to_string(row->second.line) + ": " + std::string(s->name);
    const std::size_t dash = range.find(kEnDash);
    if (dash == std::string::npos) {
      ADD_FAILURE() << where << ": no range shown (config/settings.def: " << s->min << " to " << s->max
                    << ")";
      continue;
    }
    const std::string low = range.substr(0, dash);
    const std::string high = range.substr(dash + kEnDash.size());
    if (number) {
      EXPECT_EQ(low, std::to_string(static_cast<std::uint64_t>(s->min))) << where;
      EXPECT_EQ(high, std::to_string(static_cast<std::uint64_t>(s->max))) << where;
    } else {
      EXPECT_EQ(parse_duration(low), std::chrono::milliseconds(static_cast<std::int64_t>(s->min))) << where;
      EXPECT_EQ(parse_duration(high), std::chrono::milliseconds(static_cast<std::int64_t>(s->max))) << where;
    }
  }
}

TEST(SettingsTableTest, EveryVariableIsDocumented) {
  const ConfigurationDoc doc = ReadConfigurationDoc(kConfigurationDoc);
  std::size_t with_variable = 0;
  for (const Setting* s : kSettings) {
    if (s->env.empty()) continue;
    ++with_variable;
    const auto row = doc.variables.find(std::string(s->env));
    if (row == doc.variables.end()) {
      ADD_FAILURE() << kConfigurationDoc << ": no row for " << s->env << " (" << s->name << ")";
      continue;
    }
    EXPECT_EQ(row->second.key, s->name) << kConfigurationDoc << ":" << row->second.line;
    EXPECT_EQ(row->second.value, s->help) << kConfigurationDoc << ":" << row->second.line;
  }
  EXPECT_EQ(doc.variables.size(), with_variable) << "a documented variable is not in config/settings.def";
  EXPECT_EQ(kEnvironmentKeys.size(), with_variable);
}

// The table's documented default is what the model holds (the engine's
// limits come from resolver::ResolverLimits{}, so this also ties the
// documentation to resolver/limits.h).
std::string ShownNumber(std::uint64_t v) {
  return "`" + std::to_string(v) + "`";
}
std::string ShownDuration(std::chrono::milliseconds d) {
  const auto ms = static_cast<std::uint64_t>(d.count());
  if (ms % 3'600'000 == 0 && ms > 0) return "`" + std::to_string(ms / 3'600'000) + "h`";
  if (ms % 60'000 == 0 && ms > 0) return "`" + std::to_string(ms / 60'000) + "m`";
  if (ms % 1000 == 0) return "`" + std::to_string(ms / 1000) + "s`";
  return "`" + std::to_string(ms) + "ms`";
}

TEST(SettingsTableTest, DocumentedDefaultsAreTheModels) {
  const Config c = Config::defaults();
  using namespace settings;
  const std::pair<const Setting*, std::string> shown[] = {
      {&server_threads, ShownNumber(c.server.threads)},
      {&server_max_udp_payload, ShownNumber(c.server.max_udp_payload)},
      {&server_tcp_idle_timeout, ShownDuration(c.server.tcp_idle_timeout)},
      {&server_tcp_message_timeout, ShownDuration(c.server.tcp_message_timeout)},
      {&server_tcp_max_connections, ShownNumber(c.server.tcp_max_connections)},
      {&server_tcp_max_connections_per_client, ShownNumber(c.server.tcp_max_connections_per_client)},
      {&server_tcp_client_prefix_v4, ShownNumber(c.server.tcp_client_prefix_v4)},
      {&server_tcp_client_prefix_v6, ShownNumber(c.server.tcp_client_prefix_v6)},
      {&server_tcp_max_pipelined, ShownNumber(c.server.tcp_max_pipelined)},
      {&server_tcp_write_timeout, ShownDuration(c.server.tcp_write_timeout)},
      {&server_max_resolutions_per_thread, ShownNumber(c.server.max_resolutions_per_thread)},
      {&server_max_resolutions_per_client, ShownNumber(c.server.max_resolutions_per_client)},
      {&server_shutdown_grace, ShownDuration(c.server.shutdown_grace)},
      {&resolver_resolution_timeout, ShownDuration(c.resolver.resolution_timeout)},
      {&resolver_max_attempt_timeout, ShownDuration(c.resolver.max_attempt_timeout)},
      {&resolver_max_upstream_queries, ShownNumber(c.resolver.max_upstream_queries)},
      {&resolver_max_clients_per_question, ShownNumber(c.resolver.max_clients_per_question)},
      {&resolver_max_cname_chain, ShownNumber(c.resolver.max_cname_chain)},
      {&resolver_servfail_ttl, ShownDuration(c.resolver.servfail_ttl)},
      {&cache_min_ttl, ShownNumber(c.cache.options.min_ttl)},
      {&cache_max_ttl, ShownNumber(c.cache.options.max_ttl)},
      {&cache_max_negative_ttl, ShownNumber(c.cache.options.max_negative_ttl)},
      {&query_log_keep, ShownNumber(c.query_log.keep)},
      {&intent_recent_queries, ShownNumber(c.intent.recent_queries)},
      {&intent_who_resolved_entries, ShownNumber(c.intent.who_resolved.entries)},
      {&intent_max_clients, ShownNumber(c.intent.options.max_clients)},
      {&intent_max_pairs, ShownNumber(c.intent.options.max_pairs)},
      {&intent_max_alert_keys, ShownNumber(c.intent.options.max_alert_keys)},
      {&intent_max_blocked, ShownNumber(c.intent.options.max_blocked)},
      {&intent_new_domain_domains_per_day, ShownNumber(c.intent.options.new_domain_per_day)},
      {&policy_feeds_max_rules, ShownNumber(PolicyFeedConfig{}.max_rules)},
      {&control_socket, "`" + c.control_socket + "`"},
  };
  for (const auto& [s, text] : shown) EXPECT_EQ(s->default_text, text) << s->name;
}

TEST(SettingsTableTest, KeysOfAMappingComeFromItsRows) {
  EXPECT_EQ(keys_of("policy.feeds[]"),
            (std::vector<std::string>{"action", "file", "format", "max_rules", "max_size", "mode", "name",
                                      "primary", "refresh", "zone"}));
  EXPECT_EQ(keys_of(""), (std::vector<std::string>{"access_control", "cache", "control", "dnstap", "intent",
                                                   "local_data", "local_data_ptr", "local_zones", "metrics",
                                                   "policy", "query_log", "resolver", "server"}));
  EXPECT_EQ(keys_of("intent.nxdomain_storm"), (std::vector<std::string>{"nxdomain", "ratio", "window"}));
  EXPECT_TRUE(keys_of("nothing.here").empty());
  ASSERT_NE(find_setting("resolver.max_cname_chain"), nullptr);
  EXPECT_EQ(find_setting("resolver.max_cname_chain")->key(), "max_cname_chain");
  EXPECT_EQ(find_setting("policy.feeds[].name")->section(), "policy.feeds[]");
  EXPECT_EQ(find_setting("local_data_ptr")->section(), "");
}

}  // namespace
}  // namespace vigil::config
