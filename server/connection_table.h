// Open TCP connections counted in total and per client, shared by all
// workers (a client's connections land on different workers with
// SO_REUSEPORT). Locked on accept and close only; the total is read
// lock-free (each TCP read sizes its idle timeout by it).
//
// A client is a prefix, not an address (server.tcp_client_prefix_v4, /24,
// and server.tcp_client_prefix_v6, /56, by default): one host with a
// routed /64 or a few neighbouring addresses cannot take every slot.
#pragma once

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>

#include "server/query_handler.h"

namespace vigil::server {

class ConnectionTable {
 public:
  enum class Admit : std::uint8_t { kOk, kTotalLimit, kClientLimit };

  // How clients are grouped; set at start-up, before any connection is
  // added (changing it on a reload would miscount the open ones: the keys
  // would change under them).
  void set_prefixes(unsigned v4, unsigned v6) {
    std::lock_guard lock(mu_);
    prefix_v4_ = v4;
    prefix_v6_ = v6;
  }

  Admit try_add(const Client& c, unsigned max_total, unsigned max_per_client) {
    std::lock_guard lock(mu_);
    if (total_.load(std::memory_order_relaxed) >= max_total) return Admit::kTotalLimit;
    return add_locked(key(c), max_per_client);
  }
  // The table is full and `idle`'s connection is closed to make room: its
  // slot goes to `c` (within c's own per-client limit) at once, not when
  // the closed connection is gone.
  Admit take_over(const Client& idle, const Client& c, unsigned max_per_client) {
    std::lock_guard lock(mu_);
    const Key k = key(c);
    auto it = per_client_.find(k);
    if (it != per_client_.end() && it->second >= max_per_client) return Admit::kClientLimit;
    remove_locked(key(idle));
    return add_locked(k, max_per_client);
  }
  void remove(const Client& c) {
    std::lock_guard lock(mu_);
    remove_locked(key(c));
  }
  unsigned total() const { return total_.load(std::memory_order_relaxed); }

 private:
  using Key = std::array<std::uint8_t, 17>;
  Admit add_locked(const Key& k, unsigned max_per_client) {
    unsigned& n = per_client_[k];
    if (n >= max_per_client) return Admit::kClientLimit;
    ++n;
    ++total_;
    return Admit::kOk;
  }
  void remove_locked(const Key& k) {
    auto it = per_client_.find(k);
    if (it == per_client_.end()) return;
    if (--it->second == 0) per_client_.erase(it);
    --total_;
  }
  Key key(const Client& c) const {
    Key k{};
    k[0] = c.length;
    const unsigned bits = c.length == 16 ? prefix_v6_ : prefix_v4_;
    for (unsigned i = 0; i < c.length && i < 16; ++i) {
      const unsigned keep = bits > 8 * i ? std::min(8U, bits - 8 * i) : 0;
      const auto mask = static_cast<std::uint8_t>(keep == 0 ? 0 : 0xFF << (8 - keep));
      k[i + 1] = static_cast<std::uint8_t>(c.address[i] & mask);
    }
    return k;
  }
  mutable std::mutex mu_;
  std::atomic<unsigned> total_{0};  // written under mu_
  unsigned prefix_v4_ = 24;
  unsigned prefix_v6_ = 56;
  std::map<Key, unsigned> per_client_;
};

}  // namespace vigil::server
