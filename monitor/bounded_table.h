// A fixed-size table of per-key state for the intent detectors, keyed by a
// 64-bit hash (of a client, of a client and a domain, ...). Its memory is
// allocated once: a flood of new keys (random clients, random subdomains)
// evicts the least recently seen entry of the key's set and never grows
// the table. Set-associative, kWays entries per set.
//
//   BoundedTable<State> t(65536);
//   bool fresh = false;
//   State& s = t.touch(key, now_s, &fresh);  // fresh: new or evicted slot, reset to State{}
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "util/hash.h"

namespace vigil::monitor {

template <typename V>
class BoundedTable {
 public:
  static constexpr std::size_t kWays = 8;

  explicit BoundedTable(std::size_t capacity) {
    std::size_t sets = 1;
    while (sets * kWays < capacity) sets <<= 1;
    slots_.resize(sets * kWays);
    mask_ = sets - 1;
  }

  // The entry for `key`, created if absent (replacing the set's least
  // recently touched entry when the set is full).
  V& touch(std::uint64_t key, std::uint32_t now_s, bool* fresh) {
    Slot* set = &slots_[(util::mix64(key) & mask_) * kWays];
    Slot* victim = nullptr;
    for (std::size_t i = 0; i < kWays; ++i) {
      Slot& s = set[i];
      if (s.used && s.key == key) {
        s.last = now_s;
        *fresh = false;
        return s.value;
      }
      if (!s.used) {
        if (victim == nullptr || victim->used) victim = &s;
      } else if (victim == nullptr || (victim->used && s.last < victim->last)) {
        victim = &s;
      }
    }
    if (victim->used) {
      ++evictions_;
    } else {
      ++size_;
    }
    victim->used = true;
    victim->key = key;
    victim->last = now_s;
    victim->value = V{};
    *fresh = true;
    return victim->value;
  }

  V* find(std::uint64_t key) { return const_cast<V*>(static_cast<const BoundedTable&>(*this).find(key)); }
  const V* find(std::uint64_t key) const {
    const Slot* set = &slots_[(util::mix64(key) & mask_) * kWays];
    for (std::size_t i = 0; i < kWays; ++i) {
      if (set[i].used && set[i].key == key) return &set[i].value;
    }
    return nullptr;
  }

  // Visits every entry: f(key, last_seen_s, value).
  template <typename F>
  void for_each(F&& f) const {
    for (const Slot& s : slots_) {
      if (s.used) f(s.key, s.last, s.value);
    }
  }

  std::size_t size() const { return size_; }
  std::size_t capacity() const { return slots_.size(); }
  std::uint64_t evictions() const { return evictions_; }

 private:
  struct Slot {
    std::uint64_t key = 0;
    std::uint32_t last = 0;
    bool used = false;
    V value{};
  };
  std::vector<Slot> slots_;
  std::size_t mask_ = 0;
  std::size_t size_ = 0;
  std::uint64_t evictions_ = 0;
};

}  // namespace vigil::monitor
