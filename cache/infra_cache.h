// The infrastructure cache: what Vigil has learned about upstream servers.
// Per server address: smoothed RTT and variance with the retransmission
// timeout derived from them (RFC 6298), consecutive timeouts with
// exponential back-off, and whether the server speaks EDNS. Per (server,
// zone): lameness. Everything expires (InfraOptions::host_ttl, lame_ttl),
// so a server that misbehaved gets another chance.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "cache/cache_options.h"
#include "protocol/name.h"

namespace vigil::cache {

// An upstream server: IPv4 or IPv6 address octets and a port.
struct ServerAddress {
  std::array<std::uint8_t, 16> bytes{};
  std::uint8_t length = 4;  // 4 or 16
  std::uint16_t port = 53;

  static ServerAddress v4(const std::array<std::uint8_t, 4>& a, std::uint16_t port = 53);
  static ServerAddress v6(const std::array<std::uint8_t, 16>& a, std::uint16_t port = 53);
  bool operator==(const ServerAddress& o) const = default;
  std::string to_string() const;
};

enum class EdnsSupport : std::uint8_t { kUnknown, kSupported, kUnsupported };

struct ServerInfo {
  bool known = false;  // false: never measured, or the record expired
  std::uint32_t srtt_ms = 0;
  std::uint32_t rttvar_ms = 0;
  std::uint32_t rto_ms = 0;    // the timeout to use for the next query
  std::uint32_t timeouts = 0;  // consecutive, reset by any answer
  EdnsSupport edns = EdnsSupport::kUnknown;
};

class InfraCache {
 public:
  explicit InfraCache(InfraOptions options = {});
  ~InfraCache();
  InfraCache(const InfraCache&) = delete;
  InfraCache& operator=(const InfraCache&) = delete;

  ServerInfo get(const ServerAddress& server, Time now) const;
  void record_rtt(const ServerAddress& server, std::uint32_t rtt_ms, Time now);
  // Doubles the RTO (up to max_rto_ms) and counts the timeout.
  void record_timeout(const ServerAddress& server, Time now);
  void set_edns(const ServerAddress& server, EdnsSupport support, Time now);

  void mark_lame(const ServerAddress& server, const dns::Name& zone, Time now);
  bool is_lame(const ServerAddress& server, const dns::Name& zone, Time now) const;

  const InfraOptions& options() const { return options_; }
  std::size_t size() const;  // server records held (expired ones included until evicted)
  void clear();
  // Forgets what was learned about one server address (its RTT, back-off,
  // EDNS support and lameness for every zone), on `port` or, when `port`
  // is 0, on any port (vigilctl flush-infra ADDR, as Unbound's
  // flush_infra). Returns the records removed.
  std::size_t forget(const ServerAddress& server, std::uint16_t port);

  struct Shard;  // defined in infra_cache.cc

 private:
  Shard& shard_for(std::size_t hash) const;
  InfraOptions options_;
  std::unique_ptr<Shard[]> shards_;
};

}  // namespace vigil::cache
