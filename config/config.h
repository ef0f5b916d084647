// vigild's configuration: the typed model of the YAML file (documented key
// by key in docs/configuration.md; the keys, ranges and variables are the
// table config/settings.def). Every value has a default, so an empty or
// absent file is a valid configuration. The loader is config/load.h. Only
// leaf headers are included: the model names other folders' vocabulary
// (cache options, intent limits, the feeds' enums, the engine's limits)
// without depending on their code.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cache/cache_options.h"
#include "monitor/intent_limits.h"
#include "policy/policy_limits.h"
#include "policy/policy_types.h"
#include "resolver/limits.h"
#include "util/net_address.h"

namespace vigil::config {

// The addresses (util/net_address.h), named here too: the model's fields
// and server/daemon.cc spell them config::Endpoint and config::Cidr.
using util::Cidr;
using util::Endpoint;
using util::parse_cidr;
using util::parse_endpoint;

enum class AclAction : std::uint8_t { kAllow, kRefuse, kDeny };
struct AclRule {
  Cidr from;
  AclAction action = AclAction::kAllow;
};

// Unbound's local zone types, plus nodefault (removes a built-in zone).
enum class LocalZoneType : std::uint8_t { kStatic, kTransparent, kRefuse, kDeny, kRedirect, kNoDefault };
std::string_view local_zone_type_name(LocalZoneType t);
struct LocalZone {
  std::string name;  // presentation format, validated
  LocalZoneType type = LocalZoneType::kStatic;
  int line = 0;  // where it was configured (0 = not from a file)
};
// One local_data record, as written, with where it was written.
struct LocalRecord {
  std::string text;
  int line = 0;
};

struct ServerConfig {
  std::vector<Endpoint> listen;
  unsigned threads = 0;  // 0 = one per core
  std::uint16_t max_udp_payload = 1232;
  std::string user;  // drop privileges to this user after binding ("" = stay)
  // TCP (RFC 7766): connections idle longer than this are closed; a message
  // whose first octet has arrived must be complete within message_timeout.
  std::chrono::milliseconds tcp_idle_timeout{10000};
  std::chrono::milliseconds tcp_message_timeout{5000};
  unsigned tcp_max_connections = 1024;           // in total
  unsigned tcp_max_connections_per_client = 32;  // per client address
  unsigned tcp_max_pipelined = 64;               // queries in flight on one connection
  // A TCP client, for the per-client limit: a prefix of its address.
  unsigned tcp_client_prefix_v4 = 24;
  unsigned tcp_client_prefix_v6 = 56;
  // Answers written but not yet read by the client, per connection: reading
  // pauses above this; and how long a write may wait for the client.
  std::uint64_t tcp_max_buffered = 256 * 1024;
  // Each listening UDP socket's kernel buffers (server/socket_buffers.h);
  // 0 leaves the kernel's default (net.core.rmem_default).
  std::uint64_t udp_receive_buffer = 4 << 20;
  std::uint64_t udp_send_buffer = 1 << 20;
  std::chrono::milliseconds tcp_write_timeout{2000};
  // Resolutions in flight on one worker thread, in all and per client
  // address (IPv6: per /64); misses past them are answered at once
  // (server/resolution_slots.h).
  unsigned max_resolutions_per_thread = 1024;
  unsigned max_resolutions_per_client = 128;
  // SIGTERM: stop accepting, then wait this long at most for in-flight queries.
  std::chrono::milliseconds shutdown_grace{3000};
  // CHAOS TXT identity answers.
  bool hide_identity = false;  // hostname.bind, id.server
  bool hide_version = false;   // version.bind, version.server
  std::string identity;        // "" = the host name
  std::string version;         // "" = "vigil <version>"
};

// The engine owns its vocabulary (resolver/limits.h); the model names it.
using QnameMinimisation = resolver::QnameMinimisation;

// A zone whose queries go to given servers instead of down from the root:
// forward zones ask recursive servers (RD=1), stub zones authoritative
// ones (RD=0), as Unbound's forward-zone and stub-zone do.
struct ZoneServers {
  std::string name;  // canonical text, "example.com."
  std::vector<Endpoint> servers;
  int line = 0;
  bool operator==(const ZoneServers& o) const { return name == o.name && servers == o.servers; }
};

struct ResolverConfig {
  std::string root_hints = "builtin";
  std::vector<Cidr> do_not_query;
  std::vector<std::string> source_addresses;
  bool ipv4 = true;
  bool ipv6 = true;
  QnameMinimisation qname_minimisation = QnameMinimisation::kRelaxed;
  std::vector<ZoneServers> forward_zones;
  std::vector<ZoneServers> stub_zones;
  // Limits of one client query's resolution: the engine's defaults
  // (resolver/limits.h), mapped into ResolverLimits by server/recursion.cc.
  // One differs from the engine's word for it: resolution_timeout is the
  // engine's resolution_budget.
  std::chrono::milliseconds resolution_timeout = resolver::ResolverLimits{}.resolution_budget;
  std::chrono::milliseconds max_attempt_timeout = resolver::ResolverLimits{}.max_attempt_timeout;
  unsigned max_upstream_queries = resolver::ResolverLimits{}.max_upstream_queries;
  unsigned max_cname_chain = resolver::ResolverLimits{}.max_cname_chain;
  std::chrono::milliseconds servfail_ttl = resolver::ResolverLimits{}.servfail_ttl;
  unsigned max_clients_per_question = resolver::ResolverLimits{}.max_clients_per_question;
  bool operator==(const ResolverConfig&) const = default;
};

enum class ClientIpLogging : std::uint8_t { kFull, kTruncate, kHash };

struct QueryLogConfig {
  std::uint64_t max_size = std::uint64_t{100} << 20;  // rotate above this; 0 = never
  unsigned keep = 10;                                 // rotated files kept
  ClientIpLogging client_ip = ClientIpLogging::kFull;
  std::string hash_secret;  // for client_ip: hash
  bool operator==(const QueryLogConfig&) const = default;
};

// dnstap: client queries and responses to a Frame Streams collector on a
// Unix socket (monitor/dnstap.h).
struct DnstapConfig {
  std::string socket;    // "" = off
  std::string identity;  // "" = the host name
  bool client_queries = true;
  bool client_responses = true;
  bool operator==(const DnstapConfig&) const = default;
};

// Intent detection (monitor/intent.h): on by default, verdicts in the
// query log and metrics; alerts to their own stream when `alerts_path` is
// set.
struct IntentConfig {
  bool enabled = true;
  std::string model;                   // the DGA model file; "" = the one installed with vigild
  std::string alerts_path;             // "" = no alert stream, "-" = standard output
  std::string new_domain_state;        // the domain history's file; "" = not kept across restarts
  std::size_t recent_queries = 32768;  // kept for vigilctl client / top; 0 = none
  // vigilctl who-resolved: (address, client, name) entries and how far back; entries 0 = none.
  monitor::ResolutionIndexOptions who_resolved;
  monitor::IntentOptions options;
  bool operator==(const IntentConfig&) const = default;
};

// Threat feeds (policy/policy_feed.h), enforced by the query handler in
// this order: the first feed with a match decides.
struct PolicyFeedConfig {
  std::string name;  // unique; labels metrics and log lines
  std::string file;  // relative paths are relative to the configuration file
  policy::FeedFormat format = policy::FeedFormat::kRpz;
  std::string zone;  // rpz: the zone's name; "" = the SOA's owner
  policy::FeedMode mode = policy::FeedMode::kEnforce;
  policy::PolicyAction action = policy::PolicyAction::kNxDomain;  // hosts, domains
  std::size_t max_rules = policy::kMaxPolicyRules;
  std::uint64_t max_size = policy::kMaxFeedBytes;
  // rpz: the primary the zone is transferred from (AXFR, IXFR when offered),
  // as BIND's secondary policy zones are; `file` then keeps the latest copy.
  std::optional<Endpoint> primary;
  std::uint32_t refresh = 0;  // seconds between checks; 0 = the zone's SOA refresh
  int line = 0;               // where the configuration names it (for errors)
  bool operator==(const PolicyFeedConfig& o) const {
    return name == o.name && file == o.file && format == o.format && zone == o.zone && mode == o.mode &&
           action == o.action && max_rules == o.max_rules && max_size == o.max_size && primary == o.primary &&
           refresh == o.refresh;
  }
};

struct PolicyConfig {
  std::vector<PolicyFeedConfig> feeds;
  std::uint32_t max_ttl = policy::kDefaultMaxPolicyTtl;  // seconds (BIND's max-policy-ttl)
  bool add_soa = true;  // the feed's SOA in the additional section of rewritten answers (BIND's add-soa)
  std::uint32_t check_interval = policy::kDefaultFeedCheckSeconds;  // 0 = files are not watched
};

struct CacheConfig {
  cache::CacheOptions options;
  std::string persist_path;  // "" = the cache is not persisted
};

struct Config {
  ServerConfig server;
  std::vector<AclRule> access_control;
  ResolverConfig resolver;
  CacheConfig cache;
  std::string metrics_listen;  // "" = off, else ADDR:PORT
  std::string query_log_path;  // "" = off, "-" = stdout
  QueryLogConfig query_log;    // the rest of query_log.*
  DnstapConfig dnstap;
  IntentConfig intent;
  PolicyConfig policy;
  std::vector<LocalZone> local_zones;
  std::vector<LocalRecord> local_data;  // RRs in presentation format, validated
  bool local_data_ptr = true;           // synthesise PTRs for local A/AAAA data
  std::string control_socket = "/run/vigil/control.sock";

  // The built-in defaults (what an empty file gives).
  static Config defaults();
};

struct ConfigError {
  std::string file;
  int line = 0;    // 1-based; 0 when not tied to a line
  int column = 0;  // 1-based
  std::string message;
  std::string to_string() const;  // "FILE:LINE:COL: message" (LINE, COL when known)
};

}  // namespace vigil::config
