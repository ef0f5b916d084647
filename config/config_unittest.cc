#include <array>

#include <gtest/gtest.h>

#include "config/load.h"

namespace vigil::config {
namespace {

Config Load(const std::string& yaml) {
  auto c = load_config_text(yaml, "test.yaml");
  EXPECT_TRUE(c.ok()) << (c.ok() ? "" : c.error().to_string());
  return c.ok() ? *c : Config{};
}

ConfigError Error(const std::string& yaml) {
  auto c = load_config_text(yaml, "test.yaml");
  EXPECT_FALSE(c.ok()) << yaml;
  return c.ok() ? ConfigError{} : c.error();
}

TEST(ConfigTest, EmptyFileGivesTheDefaults) {
  Config c = Load("");
  ASSERT_EQ(c.server.listen.size(), 2u);
  EXPECT_EQ(c.server.listen[0].to_string(), "127.0.0.1:53");
  EXPECT_EQ(c.server.listen[1].to_string(), "[::1]:53");
  EXPECT_EQ(c.server.threads, 0u);
  EXPECT_EQ(c.server.max_udp_payload, 1232);
  EXPECT_EQ(c.resolver.root_hints, "builtin");
  EXPECT_EQ(c.cache.options.max_bytes, std::size_t{256} << 20);
  EXPECT_EQ(c.cache.options.max_ttl, 86400u);
  EXPECT_EQ(c.cache.options.max_negative_ttl, 3600u);
  ASSERT_EQ(c.access_control.size(), 4u);
  EXPECT_EQ(c.access_control[0].action, AclAction::kAllow);
  EXPECT_EQ(c.access_control[2].action, AclAction::kRefuse);
  EXPECT_EQ(c.resolver.do_not_query[0].to_string(), "127.0.0.0/8");
}

TEST(ConfigTest, EveryKey) {
  Config c = Load(R"(
server:
  listen: ["127.0.0.1:5353", "[::1]:5353"]
  threads: 2
  max_udp_payload: 1400
  user: vigil
access_control:
  - {from: 10.0.0.0/8, action: allow}
  - {from: 192.168.1.66, action: deny}
  - {from: "::/0", action: refuse}
resolver:
  root_hints: /tmp/lab/root.hints
  do_not_query: []
  source_addresses: [127.0.0.1]
  ipv4: true
  ipv6: false
cache:
  size: 64MiB
  min_ttl: 10
  max_ttl: 3600
  max_negative_ttl: 600
  serve_stale: yes
  prefetch: off
  persist_path: /var/lib/vigil/cache.dump
metrics:
  listen: 127.0.0.1:9153
query_log:
  path: "-"
local_zones:
  - {name: lan., type: static}
  - {name: ads.example, type: refuse}
local_data:
  - "printer.lan. 3600 IN A 192.168.1.20"
control:
  socket: /tmp/vigil.sock
)");
  EXPECT_EQ(c.server.listen[0].port, 5353);
  EXPECT_TRUE(c.server.listen[1].ipv6);
  EXPECT_EQ(c.server.threads, 2u);
  EXPECT_EQ(c.server.max_udp_payload, 1400);
  EXPECT_EQ(c.server.user, "vigil");
  ASSERT_EQ(c.access_control.size(), 3u);
  EXPECT_EQ(c.access_control[1].action, AclAction::kDeny);
  EXPECT_EQ(c.access_control[1].from.prefix, 32);
  EXPECT_TRUE(c.resolver.do_not_query.empty());
  EXPECT_FALSE(c.resolver.ipv6);
  EXPECT_EQ(c.cache.options.max_bytes, std::size_t{64} << 20);
  EXPECT_TRUE(c.cache.options.serve_stale);
  EXPECT_FALSE(c.cache.options.prefetch);
  EXPECT_EQ(c.cache.persist_path, "/var/lib/vigil/cache.dump");
  EXPECT_EQ(c.metrics_listen, "127.0.0.1:9153");
  EXPECT_EQ(c.query_log_path, "-");
  ASSERT_EQ(c.local_zones.size(), 2u);
  EXPECT_EQ(c.local_zones[1].name, "ads.example.");
  EXPECT_EQ(c.local_zones[1].type, LocalZoneType::kRefuse);
  ASSERT_EQ(c.local_data.size(), 1u);
  EXPECT_EQ(c.local_data[0].text, "printer.lan. 3600 IN A 192.168.1.20");
  EXPECT_GT(c.local_data[0].line, 1);
  EXPECT_EQ(c.control_socket, "/tmp/vigil.sock");
}

TEST(ConfigTest, TcpLimitsTimeoutsAndIdentity) {
  Config c = Load(R"(
server:
  tcp_idle_timeout: 2s
  tcp_message_timeout: 750ms
  tcp_max_connections: 10
  tcp_max_connections_per_client: 2
  tcp_max_pipelined: 8
  shutdown_grace: 1m
  hide_version: true
  identity: ns1.example
local_zones:
  - {name: 10.in-addr.arpa., type: nodefault}
local_data_ptr: false
)");
  EXPECT_EQ(c.server.tcp_idle_timeout, std::chrono::milliseconds(2000));
  EXPECT_EQ(c.server.tcp_message_timeout, std::chrono::milliseconds(750));
  EXPECT_EQ(c.server.tcp_max_connections, 10u);
  EXPECT_EQ(c.server.tcp_max_connections_per_client, 2u);
  EXPECT_EQ(c.server.tcp_max_pipelined, 8u);
  EXPECT_EQ(c.server.shutdown_grace, std::chrono::milliseconds(60000));
  EXPECT_TRUE(c.server.hide_version);
  EXPECT_FALSE(c.server.hide_identity);
  EXPECT_EQ(c.server.identity, "ns1.example");
  ASSERT_EQ(c.local_zones.size(), 1u);
  EXPECT_EQ(c.local_zones[0].type, LocalZoneType::kNoDefault);
  EXPECT_EQ(c.local_zones[0].line, 12);  // the raw string starts with a newline
  EXPECT_FALSE(c.local_data_ptr);
}

TEST(ConfigTest, ResolutionAndTcpBounds) {
  Config d = Config::defaults();
  EXPECT_EQ(d.server.max_resolutions_per_thread, 1024u);
  EXPECT_EQ(d.server.max_resolutions_per_client, 128u);
  EXPECT_EQ(d.server.tcp_client_prefix_v4, 24u);
  EXPECT_EQ(d.server.tcp_client_prefix_v6, 56u);
  EXPECT_EQ(d.server.tcp_max_buffered, 256u * 1024u);
  EXPECT_EQ(d.server.tcp_write_timeout, std::chrono::milliseconds(2000));
  EXPECT_EQ(d.resolver.max_clients_per_question, 1000u);
  Config c = Load(R"(
server:
  max_resolutions_per_thread: 2000
  max_resolutions_per_client: 16
  tcp_client_prefix_v4: 32
  tcp_client_prefix_v6: 64
  tcp_max_buffered: 1MiB
  tcp_write_timeout: 500ms
resolver:
  max_clients_per_question: 10
)");
  EXPECT_EQ(c.server.max_resolutions_per_thread, 2000u);
  EXPECT_EQ(c.server.max_resolutions_per_client, 16u);
  EXPECT_EQ(c.server.tcp_client_prefix_v4, 32u);
  EXPECT_EQ(c.server.tcp_client_prefix_v6, 64u);
  EXPECT_EQ(c.server.tcp_max_buffered, 1024u * 1024u);
  EXPECT_EQ(c.server.tcp_write_timeout, std::chrono::milliseconds(500));
  EXPECT_EQ(c.resolver.max_clients_per_question, 10u);
  for (const char* bad :
       {"server:\n  max_resolutions_per_client: 0\n", "server:\n  tcp_client_prefix_v4: 33\n",
        "server:\n  tcp_max_buffered: 1000\n", "server:\n  tcp_write_timeout: 1ms\n",
        "resolver:\n  max_clients_per_question: 0\n"}) {
    auto r = load_config_text(bad, "bad.yaml");
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().line, 2) << bad;
  }
}

TEST(ConfigTest, UdpSocketBuffers) {
  const Config d = Config::defaults();
  EXPECT_EQ(d.server.udp_receive_buffer, 4u << 20);
  EXPECT_EQ(d.server.udp_send_buffer, 1u << 20);
  Config c = Load("server:\n  udp_receive_buffer: 16MiB\n  udp_send_buffer: 0\n");
  EXPECT_EQ(c.server.udp_receive_buffer, 16u << 20);
  EXPECT_EQ(c.server.udp_send_buffer, 0u);
  for (const char* bad : {"server:\n  udp_receive_buffer: 2GiB\n", "server:\n  udp_send_buffer: lots\n"}) {
    auto r = load_config_text(bad, "bad.yaml");
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().line, 2) << bad;
    EXPECT_NE(r.error().message.find("server.udp_"), std::string::npos) << r.error().message;
  }
}

TEST(ConfigTest, ResolverKeys) {
  Config d = Config::defaults();
  EXPECT_EQ(d.resolver.qname_minimisation, QnameMinimisation::kRelaxed);
  EXPECT_TRUE(d.resolver.forward_zones.empty());
  Config c = Load(R"(
resolver:
  qname_minimisation: strict
  resolution_timeout: 4s
  max_attempt_timeout: 800ms
  max_upstream_queries: 50
  max_cname_chain: 8
  servfail_ttl: 0s
  forward_zones:
    - name: corp.example
      servers: ["10.0.0.53", "10.0.0.54:5353", "[2001:db8::1]:53"]
  stub_zones:
    - {name: lab., servers: [127.2.0.1]}
)");
  EXPECT_EQ(c.resolver.qname_minimisation, QnameMinimisation::kStrict);
  EXPECT_EQ(c.resolver.resolution_timeout, std::chrono::milliseconds(4000));
  EXPECT_EQ(c.resolver.max_attempt_timeout, std::chrono::milliseconds(800));
  EXPECT_EQ(c.resolver.max_upstream_queries, 50u);
  EXPECT_EQ(c.resolver.max_cname_chain, 8u);
  EXPECT_EQ(c.resolver.servfail_ttl, std::chrono::milliseconds(0));
  ASSERT_EQ(c.resolver.forward_zones.size(), 1u);
  EXPECT_EQ(c.resolver.forward_zones[0].name, "corp.example.");
  ASSERT_EQ(c.resolver.forward_zones[0].servers.size(), 3u);
  EXPECT_EQ(c.resolver.forward_zones[0].servers[0].port, 53);
  EXPECT_EQ(c.resolver.forward_zones[0].servers[1].port, 5353);
  EXPECT_TRUE(c.resolver.forward_zones[0].servers[2].ipv6);
  ASSERT_EQ(c.resolver.stub_zones.size(), 1u);
  EXPECT_EQ(c.resolver.stub_zones[0].servers[0].address, "127.2.0.1");
  EXPECT_EQ(c.resolver.stub_zones[0].line, 13);
}

TEST(ConfigTest, QueryLogKeys) {
  Config c = Load(R"(
query_log:
  path: /var/log/vigil/queries.log
  max_size: 10MiB
  keep: 3
  client_ip: hash
  hash_secret: "0123456789abcdef-long-enough"
)");
  EXPECT_EQ(c.query_log_path, "/var/log/vigil/queries.log");
  EXPECT_EQ(c.query_log.max_size, std::uint64_t{10} << 20);
  EXPECT_EQ(c.query_log.keep, 3u);
  EXPECT_EQ(c.query_log.client_ip, ClientIpLogging::kHash);
  EXPECT_EQ(Config::defaults().query_log.client_ip, ClientIpLogging::kFull);
}

TEST(ConfigTest, DnstapKeys) {
  Config c = Load(R"(
dnstap:
  socket: /run/vigil/dnstap.sock
  identity: resolver-1
  client_queries: false
)");
  EXPECT_EQ(c.dnstap.socket, "/run/vigil/dnstap.sock");
  EXPECT_EQ(c.dnstap.identity, "resolver-1");
  EXPECT_FALSE(c.dnstap.client_queries);
  EXPECT_TRUE(c.dnstap.client_responses);
  EXPECT_TRUE(Config::defaults().dnstap.socket.empty());
}

TEST(ConfigTest, IntentKeys) {
  const Config d = Config::defaults();
  EXPECT_TRUE(d.intent.enabled);
  EXPECT_TRUE(d.intent.alerts_path.empty());
  EXPECT_EQ(d.intent.options.dga_window_s, 600u);
  const Config c = Load(R"(
intent:
  model: /usr/share/vigil/dga.model
  alerts: "-"
  alert_suppress: 30m
  max_clients: 1000
  recent_queries: 500
  who_resolved_entries: 4096
  who_resolved_window: 15m
  block_rcode: refused
  block_for: 10m
  dga: {window: 5m, nxdomain_domains: 12, plain_weight: 0.25}
  tunnel: {window: 2m, encoded_names: 3, min_names: 20, bits: 3000, mean_bits: 50, action: block}
  nxdomain_storm: {window: 30s, nxdomain: 40, ratio: 0.8}
  new_domain: {window: 7d, learning: 1d, domains_per_day: 50000, state: /var/lib/vigil/domains.history}
)");
  EXPECT_TRUE(c.intent.enabled);
  EXPECT_EQ(c.intent.model, "/usr/share/vigil/dga.model");
  EXPECT_EQ(c.intent.alerts_path, "-");
  EXPECT_EQ(c.intent.recent_queries, 500u);
  EXPECT_EQ(c.intent.options.block_rcode, 5);
  EXPECT_EQ(c.intent.options.block_for_s, 600u);
  EXPECT_FALSE(d.intent.options.tunnel_block);
  EXPECT_TRUE(c.intent.options.tunnel_block);
  EXPECT_FALSE(c.intent.options.dga_block);
  EXPECT_EQ(d.intent.recent_queries, 32768u);
  EXPECT_EQ(c.intent.who_resolved.entries, 4096u);
  EXPECT_EQ(c.intent.who_resolved.window_ns, std::int64_t{900} * 1'000'000'000);
  EXPECT_EQ(d.intent.who_resolved.entries, 131072u);
  EXPECT_EQ(d.intent.who_resolved.window_ns, std::int64_t{3600} * 1'000'000'000);
  const auto& o = c.intent.options;
  EXPECT_EQ(o.alert_suppress_s, 1800u);
  EXPECT_EQ(o.max_clients, 1000u);
  EXPECT_EQ(o.max_pairs, d.intent.options.max_pairs);
  EXPECT_EQ(o.dga_window_s, 300u);
  EXPECT_EQ(o.dga_nx_threshold, 12);
  EXPECT_EQ(o.dga_plain_weight, 0.25);
  EXPECT_EQ(o.tunnel_window_s, 120u);
  EXPECT_EQ(o.tunnel_encoded_names, 3u);
  EXPECT_EQ(o.tunnel_min_names, 20u);
  EXPECT_EQ(o.tunnel_bits, 3000);
  EXPECT_EQ(o.tunnel_mean_bits, 50);
  EXPECT_EQ(o.storm_window_s, 30u);
  EXPECT_EQ(o.storm_nxdomain, 40u);
  EXPECT_EQ(o.storm_ratio, 0.8);
  EXPECT_TRUE(o.new_domain);
  EXPECT_EQ(o.new_domain_days, 7u);
  EXPECT_EQ(o.new_domain_learning_days, 1u);
  EXPECT_EQ(o.new_domain_per_day, 50000u);
  EXPECT_EQ(c.intent.new_domain_state, "/var/lib/vigil/domains.history");
  EXPECT_FALSE(Load("intent:\n  new_domain: {enabled: false}\n").intent.options.new_domain);
  EXPECT_FALSE(Load("intent:\n  enabled: false\n").intent.enabled);
}

TEST(ConfigTest, PolicyFeeds) {
  Config c = Load(R"(policy:
  max_ttl: 30s
  add_soa: false
  check_interval: 0s
  feeds:
    - {name: malware, file: /etc/vigil/malware.rpz, zone: rpz.example.}
    - {name: ads, file: ads.hosts, format: hosts, mode: log, action: nodata}
    - {name: list, file: bad.txt, format: domains, action: drop, max_rules: 1000, max_size: 1MiB}
    - {name: xfr, file: xfr.rpz, zone: rpz.lab., primary: "127.0.60.1:53", refresh: 30s}
)");
  const auto& p = c.policy;
  EXPECT_EQ(p.max_ttl, 30u);
  EXPECT_FALSE(p.add_soa);
  EXPECT_EQ(p.check_interval, 0u);
  ASSERT_EQ(p.feeds.size(), 4u);
  ASSERT_TRUE(p.feeds[3].primary.has_value());
  EXPECT_EQ(p.feeds[3].primary->to_string(), "127.0.60.1:53");
  EXPECT_EQ(p.feeds[3].refresh, 30u);
  EXPECT_FALSE(p.feeds[0].primary.has_value());
  EXPECT_EQ(p.feeds[0].format, policy::FeedFormat::kRpz);
  EXPECT_EQ(p.feeds[0].zone, "rpz.example.");
  EXPECT_EQ(p.feeds[0].mode, policy::FeedMode::kEnforce);
  EXPECT_EQ(p.feeds[0].line, 6);
  EXPECT_EQ(p.feeds[1].format, policy::FeedFormat::kHosts);
  EXPECT_EQ(p.feeds[1].mode, policy::FeedMode::kLog);
  EXPECT_EQ(p.feeds[1].action, policy::PolicyAction::kNoData);
  EXPECT_EQ(p.feeds[2].action, policy::PolicyAction::kDrop);
  EXPECT_EQ(p.feeds[2].max_rules, 1000u);
  EXPECT_EQ(p.feeds[2].max_size, 1048576u);
  const Config d = Load("");
  EXPECT_TRUE(d.policy.feeds.empty());
  EXPECT_EQ(d.policy.max_ttl, 5u);  // BIND's max-policy-ttl
  EXPECT_TRUE(d.policy.add_soa);
}

TEST(ConfigTest, PolicyFeedErrors) {
  struct Case {
    const char* yaml;
    int line;
    const char* says;
  };
  const Case cases[] = {
      {"policy:\n  feeds:\n    - {file: a.rpz}\n", 3, "every feed needs a name"},
      {"policy:\n  feeds:\n    - {name: a}\n", 3, "every feed needs a file"},
      {"policy:\n  feeds:\n    - {name: a, file: x}\n    - {name: a, file: y}\n", 4, "names two feeds"},
      {"policy:\n  feeds:\n    - {name: \"a b\", file: x}\n", 3, "letters, digits"},
      {"policy:\n  feeds:\n    - {name: a, file: x, format: csv}\n", 3,
       "expected one of rpz, hosts, domains"},
      {"policy:\n  feeds:\n    - {name: a, file: x, format: hosts, zone: z.}\n", 3, "only an rpz feed"},
      {"policy:\n  feeds:\n    - {name: a, file: x, action: drop}\n", 3, "an rpz feed's records"},
      {"policy:\n  feeds:\n    - {name: a, file: x, format: domains, action: block}\n", 3, "expected one of"},
      {"policy:\n  feeds:\n    - {name: a, file: x, mode: audit}\n", 3, "expected one of enforce, log"},
      {"policy:\n  feeds:\n    - {name: a, file: x, colour: red}\n", 3, "unknown key"},
      {"policy:\n  feeds: a.rpz\n", 2, "policy.feeds: expected a list"},
      {"policy:\n  max_ttl: forever\n", 2, "expected a duration"},
      {"policy:\n  feeds:\n    - {name: a, file: x, primary: \"127.0.0.1:53\"}\n", 3, "with its zone:"},
      {"policy:\n  feeds:\n    - {name: a, file: x, zone: z., primary: ns.example}\n", 3, "ADDRESS:PORT"},
      {"policy:\n  feeds:\n    - {name: a, file: x, refresh: 1m}\n", 3, "only a feed with a primary"},
  };
  for (const auto& c : cases) {
    ConfigError e = Error(c.yaml);
    EXPECT_EQ(e.line, c.line) << c.yaml << " → " << e.to_string();
    EXPECT_NE(e.message.find(c.says), std::string::npos) << c.yaml << " → " << e.to_string();
  }
}

TEST(ConfigTest, ParsesDurations) {
  EXPECT_EQ(parse_duration("10"), std::chrono::milliseconds(10000));
  EXPECT_EQ(parse_duration("10s"), std::chrono::milliseconds(10000));
  EXPECT_EQ(parse_duration("250ms"), std::chrono::milliseconds(250));
  EXPECT_EQ(parse_duration("2m"), std::chrono::milliseconds(120000));
  EXPECT_EQ(parse_duration("1h"), std::chrono::milliseconds(3600000));
  EXPECT_EQ(parse_duration("30d"), std::chrono::milliseconds(std::int64_t{30} * 86400000));
  EXPECT_FALSE(parse_duration(""));
  EXPECT_FALSE(parse_duration("s"));
  EXPECT_FALSE(parse_duration("10 s"));
  EXPECT_FALSE(parse_duration("-1s"));
  EXPECT_FALSE(parse_duration("99999999999999999999s"));
}

TEST(ConfigTest, ErrorsNameFileLineAndWhatIsExpected) {
  struct Case {
    const char* yaml;
    int line;
    const char* says;
  };
  const Case cases[] = {
      {"server:\n  listne: [\"127.0.0.1:53\"]\n", 2, "unknown key \"server.listne\""},
      {"bogus: 1\n", 1, "unknown key \"bogus\""},
      {"server:\n  threads: many\n", 2, "server.threads: expected a whole number, got \"many\""},
      {"server:\n  threads: -1\n", 2, "expected a whole number"},
      {"server:\n  max_udp_payload: 100\n", 2, "out of range (512 to 4096)"},
      {"server:\n  listen: 127.0.0.1:53\n", 2, "server.listen: expected a list"},
      {"server:\n  listen: [\"localhost:53\"]\n", 2, "expected ADDRESS:PORT"},
      {"server:\n  listen: [\"127.0.0.1:70000\"]\n", 2, "expected ADDRESS:PORT"},
      {"access_control:\n  - {from: 10.0.0.0/33, action: allow}\n", 2,
       "expected an address or ADDRESS/PREFIX"},
      {"access_control:\n  - {from: 10.0.0.0/8, action: maybe}\n", 2, "expected one of allow, refuse, deny"},
      {"access_control:\n  - {from: 10.0.0.0/8}\n", 2, "each rule needs from: and action:"},
      {"cache:\n  size: lots\n", 2, "cache.size: expected a size of at least 1MiB"},
      {"cache:\n  serve_stale: perhaps\n", 2, "expected true or false"},
      {"cache:\n  min_ttl: 100\n  max_ttl: 10\n", 2, "min_ttl (100) is above max_ttl"},
      {"resolver:\n  ipv4: false\n  ipv6: false\n", 2, "cannot both be false"},
      {"resolver:\n  qname_minimisation: maybe\n", 2, "expected one of off, relaxed, strict"},
      {"resolver:\n  forward_zones:\n    - {name: a., servers: [dns.google]}\n", 3,
       "expected an address or ADDRESS:PORT"},
      {"resolver:\n  forward_zones:\n    - {name: a.}\n", 3, "each zone needs name: and servers:"},
      {"resolver:\n  stub_zones:\n    - {name: a., servers: []}\n", 3, "has no servers"},
      {"resolver:\n  stub_zones:\n    - {name: a., servers: [1.1.1.1]}\n    - {name: A., servers: "
       "[1.1.1.1]}\n",
       4, "listed twice"},
      {"resolver:\n  max_upstream_queries: 0\n", 2, "out of range"},
      {"query_log:\n  client_ip: hash\n", 2, "needs a hash_secret"},
      {"query_log:\n  client_ip: masked\n", 2, "expected one of full, truncate, hash"},
      {"query_log:\n  max_size: huge\n", 2, "query_log.max_size"},
      {"dnstap:\n  socket: dnstap.sock\n", 2, "dnstap.socket: expected an absolute path"},
      {"dnstap:\n  socket: "
       "/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
       "aaaaaaa\n",
       2, "at most 107 characters"},
      {"dnstap:\n  client_queries: sometimes\n", 2, "expected true or false"},
      {"dnstap:\n  sokcet: /x\n", 2, "unknown key \"dnstap.sokcet\""},
      {"intent:\n  dga:\n    windw: 5m\n", 3, "unknown key \"intent.dga.windw\""},
      {"intent:\n  nxdomain_storm:\n    ratio: 2\n", 3, "intent.nxdomain_storm.ratio: 2 is out of range"},
      {"intent:\n  tunnel:\n    bits: lots\n", 3, "intent.tunnel.bits: expected a number"},
      {"intent:\n  max_clients: 10\n", 2, "intent.max_clients: 10 is out of range"},
      {"intent:\n  who_resolved_window: 30d\n", 2, "intent.who_resolved_window: 30d is out of range"},
      {"intent:\n  new_domain:\n    window: 36h\n", 3, "intent.new_domain.window: expected whole days"},
      {"intent:\n  dga:\n    action: drop\n", 3, "intent.dga.action: expected one of log, block"},
      {"intent:\n  block_rcode: noerror\n", 2,
       "intent.block_rcode: expected one of nxdomain, refused, servfail"},
      {"intent:\n  new_domain:\n    window: 2000d\n", 3, "intent.new_domain.window: 2000d is out of range"},
      {"intent:\n  dga: {window: 500ms}\n", 2, "intent.dga.window: 500ms is out of range"},
      {"local_zones:\n  - {name: \"a..b\", type: static}\n", 2, "is not a domain name"},
      {"local_data:\n  - \"x. 1 IN A 999.1.1.1\"\n", 2, "local_data:"},
      {"local_data:\n  - \"x. 1 CH TXT hi\"\n", 2, "only class IN"},
      {"server:\n  tcp_idle_timeout: soon\n", 2, "expected a duration"},
      {"server:\n  tcp_idle_timeout: 1ms\n", 2, "out of range"},
      {"server:\n  tcp_max_pipelined: 0\n", 2, "out of range"},
      {"local_zones:\n  - {name: a., type: always_nxdomain}\n", 2, "nodefault"},
      {"server: [1, 2\n", 2, "YAML syntax"},
      {"- just\n- a list\n", 1, "expected a mapping"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.yaml);
    ConfigError e = Error(c.yaml);
    EXPECT_EQ(e.file, "test.yaml");
    EXPECT_EQ(e.line, c.line) << e.to_string();
    EXPECT_NE(e.message.find(c.says), std::string::npos) << e.to_string();
    EXPECT_EQ(e.to_string().rfind("test.yaml:" + std::to_string(c.line) + ":", 0), 0u) << e.to_string();
  }
  auto missing = load_config_file("/nonexistent/vigil.yaml");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().to_string(), "/nonexistent/vigil.yaml: cannot read the file");
}

TEST(ConfigTest, HostileNestingIsAnErrorNotACrash) {
  ConfigError e = Error("a: " + std::string(100000, '['));
  EXPECT_NE(e.message.find("YAML syntax"), std::string::npos) << e.to_string();
  std::string maps;
  for (int i = 0; i < 50000; ++i) maps += "{x: ";
  EXPECT_NE(Error("a: " + maps).message.find("YAML syntax"), std::string::npos);
}

TEST(ConfigTest, Parsers) {
  EXPECT_EQ(parse_size("256MiB"), std::uint64_t{256} << 20);
  EXPECT_EQ(parse_size("1G"), std::uint64_t{1} << 30);
  EXPECT_EQ(parse_size("4096"), 4096u);
  EXPECT_FALSE(parse_size("12 MiB").has_value());
  EXPECT_FALSE(parse_size("MiB").has_value());
  EXPECT_FALSE(parse_size("99999999999999999999G").has_value());
  // Endpoints and prefixes: util/net_address_unittest.cc.
}

}  // namespace
}  // namespace vigil::config

namespace vigil::config {
namespace {

// A YAML file in the test's temporary directory.
std::string WriteFile(const std::string& name, const std::string& text) {
  const std::string path = ::testing::TempDir() + name;
  std::FILE* f = std::fopen(path.c_str(), "w");
  std::fputs(text.c_str(), f);
  std::fclose(f);
  return path;
}

TEST(ConfigEnvironmentTest, VariablesSetKeysWithoutAFile) {
  auto c = load_config("", {{"VIGIL_LISTEN", "0.0.0.0:53, [::]:5353"},
                            {"VIGIL_THREADS", "2"},
                            {"VIGIL_METRICS_LISTEN", "0.0.0.0:9153"},
                            {"VIGIL_QUERY_LOG", "-"},
                            {"VIGIL_CACHE_SIZE", "64MiB"},
                            {"VIGIL_CACHE_PERSIST_PATH", "/var/lib/vigil/cache.dump"},
                            {"VIGIL_CONTROL_SOCKET", "/run/vigil/c.sock"},
                            {"VIGIL_ALLOW", "10.0.0.0/8,fd00::/8"}});
  ASSERT_TRUE(c.ok()) << c.error().to_string();
  ASSERT_EQ(c->server.listen.size(), 2u);
  EXPECT_EQ(c->server.listen[0].to_string(), "0.0.0.0:53");
  EXPECT_EQ(c->server.listen[1].to_string(), "[::]:5353");
  EXPECT_EQ(c->server.threads, 2u);
  EXPECT_EQ(c->metrics_listen, "0.0.0.0:9153");
  EXPECT_EQ(c->query_log_path, "-");
  EXPECT_EQ(c->cache.options.max_bytes, std::size_t{64} << 20);
  EXPECT_EQ(c->cache.persist_path, "/var/lib/vigil/cache.dump");
  EXPECT_EQ(c->control_socket, "/run/vigil/c.sock");
  ASSERT_EQ(c->access_control.size(), 4u);  // the two prefixes, then everyone else refused
  EXPECT_EQ(c->access_control[0].from.to_string(), "10.0.0.0/8");
  EXPECT_EQ(c->access_control[0].action, AclAction::kAllow);
  EXPECT_EQ(c->access_control[1].from.to_string(), "fd00::/8");
  EXPECT_EQ(c->access_control[2].action, AclAction::kRefuse);
  EXPECT_EQ(c->access_control[3].action, AclAction::kRefuse);
}

TEST(ConfigEnvironmentTest, VariablesOverrideTheFileAndKeepTheRest) {
  const std::string path = WriteFile(
      "env-override.yaml", "server:\n  threads: 4\n  identity: ns1\nmetrics:\n  listen: 127.0.0.1:9153\n");
  auto c = load_config(path, {{"VIGIL_THREADS", "1"}, {"VIGIL_METRICS_LISTEN", ""}});
  ASSERT_TRUE(c.ok()) << c.error().to_string();
  EXPECT_EQ(c->server.threads, 1u);
  EXPECT_EQ(c->server.identity, "ns1");  // not overridden
  EXPECT_EQ(c->metrics_listen, "");      // empty: switched off
  auto unchanged = load_config(path, {});
  ASSERT_TRUE(unchanged.ok());
  EXPECT_EQ(unchanged->server.threads, 4u);
}

TEST(ConfigEnvironmentTest, BadValuesAndUnknownNamesNameTheVariable) {
  auto bad = load_config("", {{"VIGIL_THREADS", "many"}});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().file, "environment");
  EXPECT_NE(bad.error().message.find("VIGIL_THREADS=\"many\""), std::string::npos) << bad.error().message;
  auto unknown = load_config("", {{"VIGIL_THREAD", "1"}});
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.error().message.find("VIGIL_THREAD is not a Vigil setting"), std::string::npos);
  EXPECT_NE(unknown.error().message.find("VIGIL_THREADS"), std::string::npos);  // the known ones listed
  auto listen = load_config("", {{"VIGIL_LISTEN", "127.0.0.1:99999"}});
  ASSERT_FALSE(listen.ok());
  EXPECT_NE(listen.error().message.find("VIGIL_LISTEN"), std::string::npos);
  // Checked together: hash needs its secret, from the file or the environment.
  auto hash = load_config("", {{"VIGIL_QUERY_LOG_CLIENT_IP", "hash"}});
  ASSERT_FALSE(hash.ok());
  EXPECT_NE(hash.error().message.find("hash_secret"), std::string::npos);
  auto hashed = load_config("", {{"VIGIL_QUERY_LOG_CLIENT_IP", "hash"},
                                 {"VIGIL_QUERY_LOG_HASH_SECRET", "0123456789abcdef-secret"}});
  EXPECT_TRUE(hashed.ok()) << hashed.error().to_string();
  // A broken file is still reported as the file's error.
  const std::string path = WriteFile("env-broken.yaml", "server:\n  threads: [\n");
  auto broken = load_config(path, {{"VIGIL_THREADS", "1"}});
  ASSERT_FALSE(broken.ok());
  EXPECT_EQ(broken.error().file, path);
}

TEST(ConfigEnvironmentTest, EveryDocumentedVariableIsAccepted) {
  for (const EnvironmentKey& k : kEnvironmentKeys) {
    std::string value = "1";
    const std::string name = k.variable;
    if (name == "VIGIL_LISTEN") value = "127.0.0.1:5300";
    if (name == "VIGIL_ALLOW") value = "192.168.0.0/16";
    if (name == "VIGIL_CACHE_SIZE") value = "32MiB";
    if (name == "VIGIL_METRICS_LISTEN") value = "127.0.0.1:9153";
    if (name == "VIGIL_QUERY_LOG_CLIENT_IP") value = "truncate";
    if (name.ends_with("_PATH") || name.ends_with("SOCKET") || name == "VIGIL_QUERY_LOG") value = "/tmp/x";
    if (name == "VIGIL_ROOT_HINTS") value = "builtin";
    if (name == "VIGIL_INTENT") value = "true";
    if (name == "VIGIL_INTENT_ALERTS") value = "-";
    auto c = load_config("", {{name, value}});
    EXPECT_TRUE(c.ok()) << name << ": " << c.error().to_string();
  }
}

}  // namespace
}  // namespace vigil::config

namespace vigil::config {
namespace {

TEST(ConfigTest, IntentAllowList) {
  Config c = Load("intent:\n  allow: [Example.COM., cdn.example.net]\n");
  EXPECT_EQ(c.intent.options.allow, (std::vector<std::string>{"example.com", "cdn.example.net"}));
  const ConfigError e = Error("intent:\n  allow:\n    - ok.example\n    - \"bad..name\"\n");
  EXPECT_EQ(e.line, 4);
  EXPECT_NE(e.to_string().find("intent.allow: \"bad..name\" is not a domain name"), std::string::npos)
      << e.to_string();
}

}  // namespace
}  // namespace vigil::config
