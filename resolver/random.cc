#include "resolver/random.h"

#include <random>

#include "protocol/secure_random.h"

namespace vigil::resolver {

std::uint64_t SecureRandomSource::next() {
  return dns::secure_random_u64();
}

std::uint64_t ExplorationRandomSource::next() {
  thread_local std::mt19937_64 g{dns::secure_random_u64()};
  return g();
}

}  // namespace vigil::resolver
