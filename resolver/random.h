// Where the engine's random numbers come from, injectable so tests can
// make them known. vigild uses the defaults:
//   - query IDs and the 0x20 letter case: the CSPRNG
//     (protocol/secure_random.h) — never a linear generator;
//   - which non-fastest server to explore: a fast PRNG per thread, seeded
//     from the CSPRNG (it only spreads load).
#pragma once

#include <cstdint>

namespace vigil::resolver {

// next() is called from every thread that resolves: an injected source
// must be safe for that (the defaults are: a per-thread buffer of the
// CSPRNG, a per-thread PRNG).
class Random {
 public:
  virtual ~Random() = default;
  virtual std::uint64_t next() = 0;
};

// The CSPRNG.
class SecureRandomSource final : public Random {
 public:
  std::uint64_t next() override;
};

// A per-thread std::mt19937_64 seeded from the CSPRNG.
class ExplorationRandomSource final : public Random {
 public:
  std::uint64_t next() override;
};

}  // namespace vigil::resolver
