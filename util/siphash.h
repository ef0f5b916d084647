// SipHash-2-4 (Aumasson and Bernstein, 2012): a keyed 64-bit hash for
// tables whose keys an attacker chooses. With a secret key from the CSPRNG,
// nobody outside the process can make names that collide in a table's low
// bits, which an unkeyed hash (FNV-1a, util/hash.h) lets anyone do offline
// and so turn a hash table's lookups into long scans. The RRset cache keys
// its index with it (cache/hash_index.h): any zone's owner can make the
// resolver cache the names it likes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace vigil::util {

struct SipKey {
  std::uint64_t k0 = 0;
  std::uint64_t k1 = 0;
};

namespace siphash_detail {

constexpr std::uint64_t rotl(std::uint64_t x, int b) {
  return (x << b) | (x >> (64 - b));
}

struct State {
  std::uint64_t v0, v1, v2, v3;
  void round() {
    v0 += v1;
    v1 = rotl(v1, 13);
    v1 ^= v0;
    v0 = rotl(v0, 32);
    v2 += v3;
    v3 = rotl(v3, 16);
    v3 ^= v2;
    v0 += v3;
    v3 = rotl(v3, 21);
    v3 ^= v0;
    v2 += v1;
    v1 = rotl(v1, 17);
    v1 ^= v2;
    v2 = rotl(v2, 32);
  }
  void compress(std::uint64_t m) {
    v3 ^= m;
    round();
    round();
    v0 ^= m;
  }
};

inline std::uint64_t load_le64(const std::uint8_t* p) {
  std::uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

}  // namespace siphash_detail

inline std::uint64_t siphash24(const SipKey& key, std::span<const std::uint8_t> data) {
  siphash_detail::State s{key.k0 ^ 0x736f6d6570736575ULL, key.k1 ^ 0x646f72616e646f6dULL,
                          key.k0 ^ 0x6c7967656e657261ULL, key.k1 ^ 0x7465646279746573ULL};
  const std::size_t whole = data.size() / 8 * 8;
  for (std::size_t i = 0; i < whole; i += 8) s.compress(siphash_detail::load_le64(data.data() + i));
  // The last 0-7 octets, and the length's low octet in the top one.
  std::uint64_t last = std::uint64_t{data.size() & 0xFF} << 56;
  for (std::size_t i = whole; i < data.size(); ++i) last |= std::uint64_t{data[i]} << (8 * (i - whole));
  s.compress(last);
  s.v2 ^= 0xFF;
  for (int r = 0; r < 4; ++r) s.round();
  return s.v0 ^ s.v1 ^ s.v2 ^ s.v3;
}

}  // namespace vigil::util
