// The section loaders: one function per top-level key of the file, each
// reading its mapping through Fields, so that the keys, ranges and error
// names come from the table (config/settings.def). What the table cannot
// say stays here: the words of each choice, checks across keys (min_ttl ≤
// max_ttl, a feed's zone only for rpz), and values parsed further (names,
// records, addresses).
#include <string>

#include "config/loader.h"
#include "config/yaml_reader.h"
#include "protocol/name.h"
#include "protocol/presentation.h"

namespace vigil::config {
namespace {

namespace S = settings;

void load_server(const YAML::Node& n, ServerConfig& s) {
  const Fields f(n, "server");
  if (f.absent()) return;
  if (f.has(S::server_listen)) {
    s.listen.clear();
    for (const auto& e : get_list(f[S::server_listen], f.name(S::server_listen)))
      s.listen.push_back(get_endpoint(e, f.name(S::server_listen)));
  }
  f.read(S::server_threads, s.threads);
  f.read(S::server_max_udp_payload, s.max_udp_payload);
  f.read(S::server_user, s.user);
  f.read(S::server_tcp_idle_timeout, s.tcp_idle_timeout);
  f.read(S::server_tcp_message_timeout, s.tcp_message_timeout);
  f.read(S::server_tcp_max_connections, s.tcp_max_connections);
  f.read(S::server_tcp_max_connections_per_client, s.tcp_max_connections_per_client);
  f.read(S::server_tcp_max_pipelined, s.tcp_max_pipelined);
  f.read(S::server_max_resolutions_per_thread, s.max_resolutions_per_thread);
  f.read(S::server_tcp_client_prefix_v4, s.tcp_client_prefix_v4);
  f.read(S::server_tcp_client_prefix_v6, s.tcp_client_prefix_v6);
  if (const auto v = f[S::server_tcp_max_buffered]) {
    const Setting& k = S::server_tcp_max_buffered;
    auto text = scalar(v, f.name(k));
    auto size = parse_size(text);
    if (!size || static_cast<double>(*size) < k.min || static_cast<double>(*size) > k.max) {
      fail(v, f.name(k) + ": expected a size from 65537 (one answer and its length) to 1GiB, got \"" + text +
                  "\"");
    }
    s.tcp_max_buffered = *size;
  }
  for (const auto& [setting, out] : {std::pair{&S::server_udp_receive_buffer, &s.udp_receive_buffer},
                                     std::pair{&S::server_udp_send_buffer, &s.udp_send_buffer}}) {
    if (const auto v = f[*setting]) {
      auto text = scalar(v, f.name(*setting));
      auto size = parse_size(text);
      if (!size || static_cast<double>(*size) > setting->max) {
        fail(v, f.name(*setting) +
                    ": expected a size up to 1GiB such as 4MiB (0: the kernel's default), got \"" + text +
                    "\"");
      }
      *out = *size;
    }
  }
  f.read(S::server_tcp_write_timeout, s.tcp_write_timeout);
  f.read(S::server_max_resolutions_per_client, s.max_resolutions_per_client);
  f.read(S::server_shutdown_grace, s.shutdown_grace);
  f.read(S::server_hide_identity, s.hide_identity);
  f.read(S::server_hide_version, s.hide_version);
  f.read(S::server_identity, s.identity);
  f.read(S::server_version, s.version);
}

void load_acl(const YAML::Node& n, std::vector<AclRule>& out) {
  out.clear();
  for (const auto& item : get_list(n, std::string(S::access_control.name))) {
    const Fields rule(item, "access_control[]");
    if (!item.IsMap() || !rule.has(S::access_control_from) || !rule.has(S::access_control_action))
      fail(item, "access_control: each rule needs from: and action:");
    out.push_back(
        {get_cidr(rule[S::access_control_from], "access_control.from"),
         get_enum<AclAction>(
             rule[S::access_control_action], "access_control.action",
             {{"allow", AclAction::kAllow}, {"refuse", AclAction::kRefuse}, {"deny", AclAction::kDeny}})});
  }
}

// forward_zones / stub_zones: [{name: NAME, servers: [ADDR, ADDR:PORT, ...]}]
std::vector<ZoneServers> get_zone_servers(const Fields& resolver, const Setting& list,
                                          const Setting& name_row, const Setting& servers_row) {
  const std::string key = resolver.name(list);
  std::vector<ZoneServers> out;
  for (const auto& z : get_list(resolver[list], key)) {
    const Fields zone(z, name_row.section(), key + "[]");
    if (!z.IsMap() || !zone.has(name_row) || !zone.has(servers_row))
      fail(z, key + ": each zone needs name: and servers:");
    std::string name = scalar(zone[name_row], key + ".name");
    auto parsed = dns::Name::from_text(name);
    if (!parsed.ok()) {
      fail(zone[name_row], key + ".name: \"" + name + "\" is not a domain name (" +
                               std::string(dns::error_message(parsed.error())) + ")");
    }
    ZoneServers zs{parsed->lowercased().to_text(), {}, z.Mark().line + 1};
    for (const auto& a : get_list(zone[servers_row], key + ".servers")) {
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
  const Fields f(n, "resolver");
  if (f.absent()) return;
  if (const auto v = f[S::resolver_qname_minimisation]) {
    r.qname_minimisation = get_enum<QnameMinimisation>(v, f.name(S::resolver_qname_minimisation),
                                                       {{"off", QnameMinimisation::kOff},
                                                        {"relaxed", QnameMinimisation::kRelaxed},
                                                        {"strict", QnameMinimisation::kStrict}});
  }
  r.forward_zones = get_zone_servers(f, S::resolver_forward_zones, S::resolver_forward_zones_name,
                                     S::resolver_forward_zones_servers);
  r.stub_zones = get_zone_servers(f, S::resolver_stub_zones, S::resolver_stub_zones_name,
                                  S::resolver_stub_zones_servers);
  f.read(S::resolver_resolution_timeout, r.resolution_timeout);
  f.read(S::resolver_max_attempt_timeout, r.max_attempt_timeout);
  f.read(S::resolver_max_upstream_queries, r.max_upstream_queries);
  f.read(S::resolver_max_cname_chain, r.max_cname_chain);
  f.read(S::resolver_max_clients_per_question, r.max_clients_per_question);
  f.read(S::resolver_servfail_ttl, r.servfail_ttl);
  f.read(S::resolver_root_hints, r.root_hints);
  if (f.has(S::resolver_do_not_query)) {
    const std::string key = f.name(S::resolver_do_not_query);
    r.do_not_query.clear();
    for (const auto& c : get_list(f[S::resolver_do_not_query], key))
      r.do_not_query.push_back(get_cidr(c, key));
  }
  if (f.has(S::resolver_source_addresses)) {
    const std::string key = f.name(S::resolver_source_addresses);
    r.source_addresses.clear();
    for (const auto& a : get_list(f[S::resolver_source_addresses], key)) {
      auto c = parse_cidr(scalar(a, key));
      if (!c || c->prefix != c->length * 8)
        fail(a, key + ": expected an address, got \"" + a.Scalar() + "\"");
      r.source_addresses.push_back(a.Scalar());
    }
  }
  f.read(S::resolver_ipv4, r.ipv4);
  f.read(S::resolver_ipv6, r.ipv6);
  if (!r.ipv4 && !r.ipv6) fail(n, "resolver: ipv4 and ipv6 cannot both be false");
}

void load_cache(const YAML::Node& n, CacheConfig& c) {
  const Fields f(n, "cache");
  if (f.absent()) return;
  auto& o = c.options;
  if (const auto v = f[S::cache_size]) {
    auto size = parse_size(scalar(v, f.name(S::cache_size)));
    if (!size || static_cast<double>(*size) < S::cache_size.min) {
      fail(v, f.name(S::cache_size) + ": expected a size of at least 1MiB such as 256MiB, got \"" +
                  v.Scalar() + "\"");
    }
    o.max_bytes = *size;
  }
  f.read(S::cache_min_ttl, o.min_ttl);
  f.read(S::cache_max_ttl, o.max_ttl);
  f.read(S::cache_max_negative_ttl, o.max_negative_ttl);
  if (o.min_ttl > o.max_ttl) fail(n, "cache: min_ttl (" + std::to_string(o.min_ttl) + ") is above max_ttl");
  f.read(S::cache_serve_stale, o.serve_stale);
  f.read(S::cache_prefetch, o.prefetch);
  f.read(S::cache_persist_path, c.persist_path);
}

void load_metrics(const YAML::Node& n, Config& cfg) {
  const Fields f(n, "metrics");
  if (const auto v = f[S::metrics_listen]) {
    std::string l;
    f.read(S::metrics_listen, l);
    if (!l.empty()) get_endpoint(v, f.name(S::metrics_listen));
    cfg.metrics_listen = l;
  }
}

void load_query_log(const YAML::Node& n, Config& cfg) {
  const Fields f(n, "query_log");
  f.read(S::query_log_path, cfg.query_log_path);
  if (!f.node().IsMap()) return;
  auto& ql = cfg.query_log;
  if (const auto v = f[S::query_log_max_size]) {
    auto size = parse_size(scalar(v, f.name(S::query_log_max_size)));
    if (!size)
      fail(v, f.name(S::query_log_max_size) + ": expected a size such as 100MiB, got \"" + v.Scalar() + "\"");
    ql.max_size = *size;
  }
  f.read(S::query_log_keep, ql.keep);
  if (const auto v = f[S::query_log_client_ip]) {
    ql.client_ip = get_enum<ClientIpLogging>(v, f.name(S::query_log_client_ip),
                                             {{"full", ClientIpLogging::kFull},
                                              {"truncate", ClientIpLogging::kTruncate},
                                              {"hash", ClientIpLogging::kHash}});
  }
  f.read(S::query_log_hash_secret, ql.hash_secret);
  if (ql.client_ip == ClientIpLogging::kHash && ql.hash_secret.size() < 16) {
    fail(n, "query_log: client_ip: hash needs a hash_secret of at least 16 characters");
  }
}

void load_dnstap(const YAML::Node& n, DnstapConfig& d) {
  const Fields f(n, "dnstap");
  if (!f.node().IsMap()) return;
  if (const auto v = f[S::dnstap_socket]) {
    const Setting& k = S::dnstap_socket;
    d.socket = v.IsNull() ? "" : scalar(v, f.name(k));
    // sockaddr_un's sun_path holds 107 characters and the terminator.
    if (static_cast<double>(d.socket.size()) > k.max)
      fail(v, f.name(k) + ": a Unix socket path is at most 107 characters");
    if (!d.socket.empty() && d.socket.front() != '/')
      fail(v, f.name(k) + ": expected an absolute path, got \"" + d.socket + "\"");
  }
  f.read(S::dnstap_identity, d.identity);
  f.read(S::dnstap_client_queries, d.client_queries);
  f.read(S::dnstap_client_responses, d.client_responses);
}

bool get_action(const Fields& f, const Setting& s) {
  return get_enum<bool>(f[s], f.name(s), {{"log", false}, {"block", true}});
}

void load_intent(const YAML::Node& n, IntentConfig& c) {
  const Fields f(n, "intent");
  if (f.absent()) return;
  auto& o = c.options;
  f.read(S::intent_enabled, c.enabled);
  f.read(S::intent_model, c.model);
  f.read(S::intent_alerts, c.alerts_path);
  f.read(S::intent_recent_queries, c.recent_queries);
  f.read(S::intent_who_resolved_entries, c.who_resolved.entries);
  if (f.has(S::intent_who_resolved_window)) {
    std::uint64_t seconds = 0;
    f.read(S::intent_who_resolved_window, seconds);
    c.who_resolved.window_ns = static_cast<std::int64_t>(seconds) * 1'000'000'000;
  }
  f.read(S::intent_alert_suppress, o.alert_suppress_s);
  f.read(S::intent_max_clients, o.max_clients);
  f.read(S::intent_max_pairs, o.max_pairs);
  f.read(S::intent_max_alert_keys, o.max_alert_keys);
  if (const auto v = f[S::intent_block_rcode]) {
    o.block_rcode = get_enum<std::uint8_t>(
        v, f.name(S::intent_block_rcode),
        {{"nxdomain", std::uint8_t{3}}, {"refused", std::uint8_t{5}}, {"servfail", std::uint8_t{2}}});
  }
  f.read(S::intent_block_for, o.block_for_s);
  f.read(S::intent_max_blocked, o.max_blocked);
  // Domains the detectors never block (they and everything below them).
  const std::string allow = f.name(S::intent_allow);
  for (const auto& item : get_list(f[S::intent_allow], allow)) {
    const std::string text = scalar(item, allow);
    auto name = dns::Name::from_text(text.ends_with('.') ? text : text + ".");
    if (!name.ok() || name->is_root()) fail(item, allow + ": \"" + text + "\" is not a domain name");
    std::string lower = name->lowercased().to_text();
    lower.pop_back();  // no trailing dot: the form verdicts name domains in
    o.allow.push_back(std::move(lower));
  }
  if (const auto d = f.node()["dga"]) {
    const Fields dga(d, "intent.dga");
    if (d.IsMap()) {
      if (dga.has(S::intent_dga_action)) o.dga_block = get_action(dga, S::intent_dga_action);
      dga.read(S::intent_dga_window, o.dga_window_s);
      dga.read(S::intent_dga_nxdomain_domains, o.dga_nx_threshold);
      dga.read(S::intent_dga_plain_weight, o.dga_plain_weight);
    }
  }
  if (const auto t = f.node()["tunnel"]) {
    const Fields tunnel(t, "intent.tunnel");
    if (t.IsMap()) {
      if (tunnel.has(S::intent_tunnel_action)) o.tunnel_block = get_action(tunnel, S::intent_tunnel_action);
      tunnel.read(S::intent_tunnel_window, o.tunnel_window_s);
      tunnel.read(S::intent_tunnel_encoded_names, o.tunnel_encoded_names);
      tunnel.read(S::intent_tunnel_min_names, o.tunnel_min_names);
      tunnel.read(S::intent_tunnel_bits, o.tunnel_bits);
      tunnel.read(S::intent_tunnel_mean_bits, o.tunnel_mean_bits);
    }
  }
  if (const auto d = f.node()["new_domain"]) {
    const Fields nd(d, "intent.new_domain");
    if (d.IsMap()) {
      if (nd.has(S::intent_new_domain_action))
        o.new_domain_block = get_action(nd, S::intent_new_domain_action);
      nd.read(S::intent_new_domain_enabled, o.new_domain);
      nd.read(S::intent_new_domain_window, o.new_domain_days);
      nd.read(S::intent_new_domain_learning, o.new_domain_learning_days);
      nd.read(S::intent_new_domain_domains_per_day, o.new_domain_per_day);
      nd.read(S::intent_new_domain_state, c.new_domain_state);
    }
  }
  if (const auto s = f.node()["nxdomain_storm"]) {
    const Fields storm(s, "intent.nxdomain_storm");
    if (s.IsMap()) {
      storm.read(S::intent_nxdomain_storm_window, o.storm_window_s);
      storm.read(S::intent_nxdomain_storm_nxdomain, o.storm_nxdomain);
      storm.read(S::intent_nxdomain_storm_ratio, o.storm_ratio);
    }
  }
}

PolicyFeedConfig load_feed(const YAML::Node& item, const std::string& key,
                           const std::vector<PolicyFeedConfig>& before) {
  if (!item.IsMap()) fail(item, key + ": expected a mapping (name:, file:, ...), got " + describe(item));
  const Fields f(item, "policy.feeds[]", key);
  PolicyFeedConfig fc;
  fc.line = item.Mark().line + 1;
  if (!f.has(S::policy_feeds_name)) fail(item, key + ": every feed needs a name");
  if (!f.has(S::policy_feeds_file)) fail(item, key + ": every feed needs a file");
  f.read(S::policy_feeds_name, fc.name);
  if (fc.name.empty() || fc.name.size() > 64 ||
      fc.name.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") !=
          std::string::npos) {
    fail(f[S::policy_feeds_name],
         f.name(S::policy_feeds_name) + ": 1-64 letters, digits, '-', '_' or '.', got \"" + fc.name + "\"");
  }
  for (const auto& other : before) {
    if (other.name == fc.name)
      fail(f[S::policy_feeds_name], f.name(S::policy_feeds_name) + ": \"" + fc.name + "\" names two feeds");
  }
  f.read(S::policy_feeds_file, fc.file);
  if (fc.file.empty()) fail(f[S::policy_feeds_file], f.name(S::policy_feeds_file) + ": empty");
  if (const auto v = f[S::policy_feeds_format]) {
    fc.format = get_enum<policy::FeedFormat>(v, f.name(S::policy_feeds_format),
                                             {{"rpz", policy::FeedFormat::kRpz},
                                              {"hosts", policy::FeedFormat::kHosts},
                                              {"domains", policy::FeedFormat::kDomains}});
  }
  if (const auto v = f[S::policy_feeds_zone]) {
    const std::string name = f.name(S::policy_feeds_zone);
    if (fc.format != policy::FeedFormat::kRpz) fail(v, name + ": only an rpz feed has a zone");
    fc.zone = scalar(v, name);
    if (!dns::Name::from_text(fc.zone).ok()) fail(v, name + ": not a domain name");
  }
  if (const auto v = f[S::policy_feeds_mode]) {
    fc.mode = get_enum<policy::FeedMode>(
        v, f.name(S::policy_feeds_mode),
        {{"enforce", policy::FeedMode::kEnforce}, {"log", policy::FeedMode::kLog}});
  }
  if (const auto v = f[S::policy_feeds_action]) {
    const std::string name = f.name(S::policy_feeds_action);
    if (fc.format == policy::FeedFormat::kRpz) fail(v, name + ": an rpz feed's records are its actions");
    fc.action = get_enum<policy::PolicyAction>(v, name,
                                               {{"nxdomain", policy::PolicyAction::kNxDomain},
                                                {"nodata", policy::PolicyAction::kNoData},
                                                {"drop", policy::PolicyAction::kDrop},
                                                {"tcp-only", policy::PolicyAction::kTcpOnly},
                                                {"passthru", policy::PolicyAction::kPassthru}});
  }
  f.read(S::policy_feeds_max_rules, fc.max_rules);
  if (const auto v = f[S::policy_feeds_max_size]) {
    const std::string name = f.name(S::policy_feeds_max_size);
    auto size = parse_size(scalar(v, name));
    if (!size || static_cast<double>(*size) < S::policy_feeds_max_size.min)
      fail(v, name + ": expected a size such as 100MiB");
    fc.max_size = *size;
  }
  if (const auto v = f[S::policy_feeds_primary]) {
    const std::string name = f.name(S::policy_feeds_primary);
    if (fc.format != policy::FeedFormat::kRpz || fc.zone.empty()) {
      fail(v, name + ": only an rpz feed with its zone: is transferred from a primary");
    }
    fc.primary = get_endpoint(v, name);
  }
  if (const auto v = f[S::policy_feeds_refresh]) {
    if (!fc.primary) fail(v, f.name(S::policy_feeds_refresh) + ": only a feed with a primary: is refreshed");
    f.read(S::policy_feeds_refresh, fc.refresh);
  }
  return fc;
}

void load_policy(const YAML::Node& n, PolicyConfig& c) {
  if (absent(n)) return;
  const Fields f(n, "policy");
  f.read(S::policy_max_ttl, c.max_ttl);
  f.read(S::policy_add_soa, c.add_soa);
  f.read(S::policy_check_interval, c.check_interval);
  const auto feeds = get_list(f[S::policy_feeds], f.name(S::policy_feeds));
  if (feeds.size() > policy::kMaxPolicyFeeds) {
    fail(f[S::policy_feeds],
         f.name(S::policy_feeds) + ": at most " + std::to_string(policy::kMaxPolicyFeeds) + " feeds");
  }
  for (const auto& item : feeds) {
    const std::string key = f.name(S::policy_feeds) + "[" + std::to_string(c.feeds.size()) + "]";
    c.feeds.push_back(load_feed(item, key, c.feeds));
  }
}

void load_local(const Fields& root, Config& cfg) {
  for (const auto& z : get_list(root[S::local_zones], "local_zones")) {
    const Fields zone(z, "local_zones[]");
    if (!z.IsMap() || !zone.has(S::local_zones_name) || !zone.has(S::local_zones_type))
      fail(z, "local_zones: each zone needs name: and type:");
    std::string name = scalar(zone[S::local_zones_name], "local_zones.name");
    auto parsed = dns::Name::from_text(name);
    if (!parsed.ok()) {
      fail(zone[S::local_zones_name], "local_zones.name: \"" + name + "\" is not a domain name (" +
                                          std::string(dns::error_message(parsed.error())) + ")");
    }
    cfg.local_zones.push_back({parsed->to_text(),
                               get_enum<LocalZoneType>(zone[S::local_zones_type], "local_zones.type",
                                                       {{"static", LocalZoneType::kStatic},
                                                        {"transparent", LocalZoneType::kTransparent},
                                                        {"refuse", LocalZoneType::kRefuse},
                                                        {"deny", LocalZoneType::kDeny},
                                                        {"redirect", LocalZoneType::kRedirect},
                                                        {"nodefault", LocalZoneType::kNoDefault}}),
                               z.Mark().line + 1});
  }
  for (const auto& d : get_list(root[S::local_data], "local_data")) {
    std::string rr = scalar(d, "local_data");
    auto parsed = dns::parse_record(rr);
    if (!parsed.ok()) fail(d, "local_data: " + parsed.error().message);
    if (parsed->rclass != dns::RRClass::IN) fail(d, "local_data: only class IN records are served");
    cfg.local_data.push_back({rr, d.Mark().line + 1});
  }
  root.read(S::local_data_ptr, cfg.local_data_ptr);
}

}  // namespace

Config load_tree(const YAML::Node& root) {
  Config cfg = Config::defaults();
  if (absent(root)) return cfg;
  const Fields f(root, "");
  if (!root.IsMap()) fail(root, "expected a mapping of sections (server:, resolver:, ...)");
  load_server(root["server"], cfg.server);
  if (f.has(S::access_control)) load_acl(f[S::access_control], cfg.access_control);
  load_resolver(root["resolver"], cfg.resolver);
  load_cache(root["cache"], cfg.cache);
  if (const auto m = root["metrics"]) load_metrics(m, cfg);
  if (const auto q = root["query_log"]) load_query_log(q, cfg);
  if (const auto t = root["dnstap"]) load_dnstap(t, cfg.dnstap);
  load_intent(root["intent"], cfg.intent);
  load_policy(root["policy"], cfg.policy);
  if (const auto c = root["control"]) {
    const Fields control(c, "control");
    control.read(S::control_socket, cfg.control_socket);
  }
  load_local(f, cfg);
  return cfg;
}

}  // namespace vigil::config
