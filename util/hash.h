// The hashes of the intent detectors and the threat feeds: FNV-1a over
// octets (keys for clients, domains, names), and a 64-bit finaliser
// (MurmurHash3's) to spread them over table sets and Bloom filter bits.
// Not for anything an attacker could turn into a collision that matters:
// the tables they key are bounded and evict, whatever the keys.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

namespace vigil::util {

inline constexpr std::uint64_t kFnvOffset = 14695981039346656037ULL;

inline std::uint64_t fnv1a(std::span<const std::uint8_t> data, std::uint64_t h = kFnvOffset) {
  for (std::uint8_t c : data) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return h;
}

inline std::uint64_t fnv1a(std::string_view s, std::uint64_t h = kFnvOffset) {
  return fnv1a(std::span(reinterpret_cast<const std::uint8_t*>(s.data()), s.size()), h);
}

inline std::uint64_t mix64(std::uint64_t k) {
  k ^= k >> 33;
  k *= 0xff51afd7ed558ccdULL;
  k ^= k >> 33;
  k *= 0xc4ceb9fe1a85ec53ULL;
  k ^= k >> 33;
  return k;
}

}  // namespace vigil::util
