// Open TCP connections counted in total and per client address, shared by
// all workers (a client's connections land on different workers with
// SO_REUSEPORT). Touched on accept and close only, never per query.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <mutex>

#include "server/query_handler.h"

namespace vigil::server {

class ConnectionTable {
 public:
  enum class Admit : std::uint8_t { kOk, kTotalLimit, kClientLimit };

  Admit try_add(const Client& c, unsigned max_total, unsigned max_per_client) {
    std::lock_guard lock(mu_);
    if (total_ >= max_total) return Admit::kTotalLimit;
    unsigned& n = per_client_[key(c)];
    if (n >= max_per_client) return Admit::kClientLimit;
    ++n;
    ++total_;
    return Admit::kOk;
  }
  void remove(const Client& c) {
    std::lock_guard lock(mu_);
    auto it = per_client_.find(key(c));
    if (it == per_client_.end()) return;
    if (--it->second == 0) per_client_.erase(it);
    --total_;
  }
  unsigned total() const {
    std::lock_guard lock(mu_);
    return total_;
  }

 private:
  using Key = std::array<std::uint8_t, 17>;
  static Key key(const Client& c) {
    Key k{};
    k[0] = c.length;
    for (std::size_t i = 0; i < c.length && i < 16; ++i) k[i + 1] = c.address[i];
    return k;
  }
  mutable std::mutex mu_;
  unsigned total_ = 0;
  std::map<Key, unsigned> per_client_;
};

}  // namespace vigil::server
