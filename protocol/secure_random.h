// Random numbers for every security-relevant choice: upstream query IDs,
// the 0x20 letter case, zone-transfer IDs, tokens. They come from OpenSSL's
// CSPRNG (RAND_bytes: a DRBG seeded from the kernel, reseeded on fork),
// read 512 octets at a time into a per-thread buffer so the hot path costs
// a copy, not a call into OpenSSL per number.
//
// A linear generator (std::mt19937_64 and the like) must never make such a
// choice: its state is recovered from a few hundred outputs, and every later
// ID is then known to whoever watched them (secure_random_unittest.cc shows
// the attack). Choices that only spread load (which server to explore) may
// use a fast PRNG.
#pragma once

#include <cstdint>
#include <limits>
#include <span>

namespace vigil::dns {

void secure_random_bytes(std::span<std::uint8_t> out);
std::uint64_t secure_random_u64();
std::uint16_t secure_random_u16();

// A UniformRandomBitGenerator over the CSPRNG, for <random>'s distributions.
struct SecureRandom {
  using result_type = std::uint64_t;
  static constexpr result_type min() { return 0; }
  static constexpr result_type max() { return std::numeric_limits<result_type>::max(); }
  result_type operator()() const { return secure_random_u64(); }
};

}  // namespace vigil::dns
