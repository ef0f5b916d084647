// A compact map from domain names to a 32-bit value, for feeds of millions
// of names: keys live once, lowercased, in one arena (a dns::Name is 256
// octets; a feed's names average ~20), slots in one open-addressing array.
// Lookups take any wire-form name (or a suffix of one: the tail of a wire
// name from a label boundary is itself a name) and ignore letter case.
//
//   NameTable t;
//   t.insert(name.wire()) = 7;               // a reference to the value
//   if (const std::uint32_t* v = t.find(qname.wire())) ...
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "protocol/name.h"
#include "util/hash.h"

namespace vigil::policy {

class NameTable {
 public:
  // Case-insensitive hash of a wire-form name.
  static std::uint64_t hash(std::span<const std::uint8_t> wire) {
    std::uint64_t h = util::kFnvOffset;
    for (std::uint8_t c : wire) {
      h ^= dns::ascii_lower(c);
      h *= 1099511628211ULL;
    }
    return util::mix64(h);
  }

  std::size_t size() const { return size_; }
  std::size_t memory_bytes() const { return slots_.capacity() * sizeof(Slot) + arena_.capacity(); }

  const std::uint32_t* find(std::span<const std::uint8_t> wire) const { return find(wire, hash(wire)); }
  const std::uint32_t* find(std::span<const std::uint8_t> wire, std::uint64_t h) const {
    if (slots_.empty()) return nullptr;
    const std::size_t mask = slots_.size() - 1;
    for (std::size_t i = h & mask;; i = (i + 1) & mask) {
      const Slot& s = slots_[i];
      if (s.length == 0) return nullptr;
      if (s.hash == h && equal(s, wire)) return &s.value;
    }
  }

  // The value for `wire`, inserted as `initial` when the name is new.
  std::uint32_t& insert(std::span<const std::uint8_t> wire, std::uint32_t initial = 0) {
    if ((size_ + 1) * 2 > slots_.size()) grow();
    const std::uint64_t h = hash(wire);
    const std::size_t mask = slots_.size() - 1;
    for (std::size_t i = h & mask;; i = (i + 1) & mask) {
      Slot& s = slots_[i];
      if (s.length == 0) {
        s.hash = h;
        s.offset = static_cast<std::uint32_t>(arena_.size());
        s.length = static_cast<std::uint16_t>(wire.size());
        s.value = initial;
        for (std::uint8_t c : wire) arena_.push_back(dns::ascii_lower(c));
        ++size_;
        return s.value;
      }
      if (s.hash == h && equal(s, wire)) return s.value;
    }
  }

  void shrink_to_fit() { arena_.shrink_to_fit(); }

 private:
  struct Slot {
    std::uint64_t hash = 0;
    std::uint32_t offset = 0;
    std::uint16_t length = 0;  // 0 = empty (a wire name is at least 1 octet)
    std::uint32_t value = 0;
  };

  bool equal(const Slot& s, std::span<const std::uint8_t> wire) const {
    if (s.length != wire.size()) return false;
    const std::uint8_t* k = arena_.data() + s.offset;
    for (std::size_t i = 0; i < wire.size(); ++i) {
      if (k[i] != dns::ascii_lower(wire[i])) return false;
    }
    return true;
  }

  void grow() {
    std::vector<Slot> old = std::move(slots_);
    slots_.assign(old.empty() ? 16 : old.size() * 2, Slot{});
    const std::size_t mask = slots_.size() - 1;
    for (const Slot& s : old) {
      if (s.length == 0) continue;
      std::size_t i = s.hash & mask;
      while (slots_[i].length != 0) i = (i + 1) & mask;
      slots_[i] = s;
    }
  }

  std::vector<Slot> slots_;
  std::vector<std::uint8_t> arena_;
  std::size_t size_ = 0;
};

}  // namespace vigil::policy
