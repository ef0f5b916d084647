#include "cache/infra_cache.h"

#include <algorithm>
#include <mutex>
#include <unordered_map>

#include <arpa/inet.h>

namespace vigil::cache {
namespace {

constexpr std::size_t kShards = 16;

std::size_t hash_server(const ServerAddress& s) {
  std::uint64_t h = 0xcbf29ce484222325ULL ^ s.port;
  for (std::size_t i = 0; i < s.length; ++i) {
    h ^= s.bytes[i];
    h *= 0x100000001b3ULL;
  }
  return h ^ (h >> 29);
}

struct ServerHash {
  std::size_t operator()(const ServerAddress& s) const { return hash_server(s); }
};

struct LameKey {
  ServerAddress server;
  dns::Name zone;  // lowercased
  bool operator==(const LameKey& o) const { return server == o.server && zone == o.zone; }
};
struct LameHash {
  std::size_t operator()(const LameKey& k) const { return hash_server(k.server) ^ (k.zone.hash() * 31); }
};

struct Record {
  ServerInfo info;
  Time expires = 0;
};

}  // namespace

struct InfraCache::Shard {
  mutable std::mutex mu;
  std::unordered_map<ServerAddress, Record, ServerHash> servers;
  std::unordered_map<LameKey, Time, LameHash> lame;
};

ServerAddress ServerAddress::v4(const std::array<std::uint8_t, 4>& a, std::uint16_t port) {
  ServerAddress s;
  std::copy(a.begin(), a.end(), s.bytes.begin());
  s.length = 4;
  s.port = port;
  return s;
}

ServerAddress ServerAddress::v6(const std::array<std::uint8_t, 16>& a, std::uint16_t port) {
  ServerAddress s;
  s.bytes = a;
  s.length = 16;
  s.port = port;
  return s;
}

std::string ServerAddress::to_string() const {
  char buf[INET6_ADDRSTRLEN] = {};
  inet_ntop(length == 4 ? AF_INET : AF_INET6, bytes.data(), buf, sizeof buf);
  return length == 4 ? std::string(buf) + ":" + std::to_string(port)
                     : "[" + std::string(buf) + "]:" + std::to_string(port);
}

InfraCache::InfraCache(InfraOptions options)
    : options_(options), shards_(std::make_unique<Shard[]>(kShards)) {}
InfraCache::~InfraCache() = default;

InfraCache::Shard& InfraCache::shard_for(std::size_t hash) const {
  return shards_[hash % kShards];
}

namespace {

// Finds or creates the live record for a server; enforces the size bound by
// dropping expired records first, then the one closest to expiry.
Record& touch(std::unordered_map<ServerAddress, Record, ServerHash>& servers, const ServerAddress& s,
              Time now, const InfraOptions& o) {
  auto it = servers.find(s);
  if (it != servers.end() && it->second.expires <= now) {
    servers.erase(it);
    it = servers.end();
  }
  if (it == servers.end()) {
    std::size_t limit = std::max<std::size_t>(1, o.max_hosts / kShards);
    if (servers.size() >= limit) {
      std::erase_if(servers, [now](const auto& kv) { return kv.second.expires <= now; });
      if (servers.size() >= limit) {
        auto oldest = std::min_element(servers.begin(), servers.end(), [](const auto& a, const auto& b) {
          return a.second.expires < b.second.expires;
        });
        servers.erase(oldest);
      }
    }
    Record r;
    r.info.rto_ms = o.initial_rto_ms;
    it = servers.emplace(s, r).first;
  }
  it->second.expires = now + o.host_ttl;
  return it->second;
}

}  // namespace

ServerInfo InfraCache::get(const ServerAddress& server, Time now) const {
  Shard& shard = shard_for(hash_server(server));
  std::lock_guard lock(shard.mu);
  auto it = shard.servers.find(server);
  if (it == shard.servers.end() || it->second.expires <= now) {
    ServerInfo unknown;
    unknown.rto_ms = options_.initial_rto_ms;
    return unknown;
  }
  return it->second.info;
}

void InfraCache::record_rtt(const ServerAddress& server, std::uint32_t rtt_ms, Time now) {
  Shard& shard = shard_for(hash_server(server));
  std::lock_guard lock(shard.mu);
  ServerInfo& i = touch(shard.servers, server, now, options_).info;
  if (!i.known) {
    // RFC 6298 §2.2: the first measurement.
    i.srtt_ms = rtt_ms;
    i.rttvar_ms = rtt_ms / 2;
  } else {
    // RFC 6298 §2.3: beta = 1/4, alpha = 1/8.
    std::uint32_t diff = i.srtt_ms > rtt_ms ? i.srtt_ms - rtt_ms : rtt_ms - i.srtt_ms;
    i.rttvar_ms = (3 * i.rttvar_ms + diff) / 4;
    i.srtt_ms = (7 * i.srtt_ms + rtt_ms) / 8;
  }
  i.known = true;
  i.timeouts = 0;
  i.rto_ms = std::clamp(i.srtt_ms + 4 * i.rttvar_ms, options_.min_rto_ms, options_.max_rto_ms);
}

void InfraCache::record_timeout(const ServerAddress& server, Time now) {
  Shard& shard = shard_for(hash_server(server));
  std::lock_guard lock(shard.mu);
  ServerInfo& i = touch(shard.servers, server, now, options_).info;
  ++i.timeouts;
  // RFC 6298 §5.5: back off by doubling.
  i.rto_ms = std::min<std::uint32_t>(std::max(i.rto_ms, options_.min_rto_ms) * 2, options_.max_rto_ms);
}

void InfraCache::set_edns(const ServerAddress& server, EdnsSupport support, Time now) {
  Shard& shard = shard_for(hash_server(server));
  std::lock_guard lock(shard.mu);
  touch(shard.servers, server, now, options_).info.edns = support;
}

void InfraCache::mark_lame(const ServerAddress& server, const dns::Name& zone, Time now) {
  Shard& shard = shard_for(hash_server(server));
  std::lock_guard lock(shard.mu);
  std::size_t limit = std::max<std::size_t>(1, options_.max_hosts / kShards);
  if (shard.lame.size() >= limit)
    std::erase_if(shard.lame, [now](const auto& kv) { return kv.second <= now; });
  if (shard.lame.size() >= limit) shard.lame.erase(shard.lame.begin());
  shard.lame[LameKey{server, zone.lowercased()}] = now + options_.lame_ttl;
}

bool InfraCache::is_lame(const ServerAddress& server, const dns::Name& zone, Time now) const {
  Shard& shard = shard_for(hash_server(server));
  std::lock_guard lock(shard.mu);
  auto it = shard.lame.find(LameKey{server, zone.lowercased()});
  return it != shard.lame.end() && it->second > now;
}

std::size_t InfraCache::size() const {
  std::size_t n = 0;
  for (std::size_t i = 0; i < kShards; ++i) {
    std::lock_guard lock(shards_[i].mu);
    n += shards_[i].servers.size();
  }
  return n;
}

std::size_t InfraCache::forget(const ServerAddress& server, std::uint16_t port) {
  auto same = [&](const ServerAddress& s) {
    return s.length == server.length &&
           std::equal(s.bytes.begin(), s.bytes.begin() + s.length, server.bytes.begin()) &&
           (port == 0 || s.port == port);
  };
  std::size_t n = 0;
  for (std::size_t i = 0; i < kShards; ++i) {
    std::lock_guard lock(shards_[i].mu);
    n += std::erase_if(shards_[i].servers, [&](const auto& kv) { return same(kv.first); });
    n += std::erase_if(shards_[i].lame, [&](const auto& kv) { return same(kv.first.server); });
  }
  return n;
}

void InfraCache::clear() {
  for (std::size_t i = 0; i < kShards; ++i) {
    std::lock_guard lock(shards_[i].mu);
    shards_[i].servers.clear();
    shards_[i].lame.clear();
  }
}

}  // namespace vigil::cache
