// Admission of resolutions, one table per worker thread (touched by that
// thread only, no lock). Every cache miss holds a slot until its answer is
// written; a miss that gets no slot is answered at once (stale data if the
// cache has it, else SERVFAIL with an Extended DNS Error) and counted. So a
// flood of uncached names costs a bounded amount of memory, sockets and
// descriptors, and it is the flooding client's own queries that are shed:
//
//   - a client (an IPv4 address, an IPv6 /64) holds at most `per_client`
//     slots on a thread: one client's flood is shed before anyone else's;
//   - a thread holds at most `per_thread` slots (Unbound's
//     num-queries-per-thread: 1024); past that a reserve of per_thread / 8
//     more is kept for light clients, those with fewer than kLightClient
//     slots, so a many-client flood still leaves room for the clients who
//     ask little (BIND's recursive-clients soft quota, without cancelling
//     work already started).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <unordered_map>

#include "server/query_handler.h"

namespace vigil::server {

class ResolutionSlots {
 public:
  enum class Admit : std::uint8_t { kOk, kClientLimit, kThreadLimit };
  static constexpr unsigned kLightClient = 4;

  Admit try_admit(const Client& c, unsigned per_thread, unsigned per_client) {
    const Key k = key(c);
    auto it = per_client_.find(k);
    const unsigned mine = it == per_client_.end() ? 0 : it->second;
    if (mine >= per_client) return Admit::kClientLimit;
    if (total_ >= per_thread && (mine >= kLightClient || total_ >= per_thread + per_thread / 8))
      return Admit::kThreadLimit;
    if (it == per_client_.end()) it = per_client_.emplace(k, 0).first;
    ++it->second;
    ++total_;
    return Admit::kOk;
  }
  void release(const Client& c) {
    auto it = per_client_.find(key(c));
    if (it == per_client_.end()) return;
    if (--it->second == 0) per_client_.erase(it);
    --total_;
  }
  std::size_t in_flight() const { return total_; }
  std::size_t clients() const { return per_client_.size(); }

 private:
  // The address family and the address: all of an IPv4 address, the first
  // 64 bits of an IPv6 one (a host's usual allocation).
  using Key = std::array<std::uint8_t, 9>;
  struct KeyHash {
    std::size_t operator()(const Key& k) const {
      std::size_t h = 0xcbf29ce484222325ULL;
      for (std::uint8_t b : k) h = (h ^ b) * 0x100000001b3ULL;
      return h ^ (h >> 32);
    }
  };
  static Key key(const Client& c) {
    Key k{};
    k[0] = c.length;
    const std::size_t n = c.length == 16 ? 8 : 4;
    for (std::size_t i = 0; i < n; ++i) k[i + 1] = c.address[i];
    return k;
  }
  std::unordered_map<Key, unsigned, KeyHash> per_client_;
  std::size_t total_ = 0;
};

}  // namespace vigil::server
