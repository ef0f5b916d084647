#include "protocol/secure_random.h"

#include <pthread.h>

#include <array>
#include <atomic>
#include <cstring>
#include <stdexcept>

#include <openssl/rand.h>
#include <sys/random.h>

namespace vigil::dns {
namespace {

constexpr std::size_t kBufferSize = 512;

// Bumped in a forked child: a buffer filled before the fork must not hand
// the child the numbers the parent goes on to use.
std::atomic<unsigned> fork_generation{0};

void fill(std::span<std::uint8_t> out) {
  if (out.empty()) return;
  if (RAND_bytes(out.data(), static_cast<int>(out.size())) == 1) return;
  // OpenSSL's DRBG could not be seeded: the kernel's CSPRNG directly.
  std::size_t done = 0;
  while (done < out.size()) {
    const ssize_t n = ::getrandom(out.data() + done, out.size() - done, 0);
    if (n <= 0) throw std::runtime_error("no cryptographically secure random numbers available");
    done += static_cast<std::size_t>(n);
  }
}

struct Buffer {
  std::array<std::uint8_t, kBufferSize> octets{};
  std::size_t used = kBufferSize;
  unsigned generation = 0;

  Buffer() {
    static const int registered =
        ::pthread_atfork(nullptr, nullptr, [] { fork_generation.fetch_add(1, std::memory_order_relaxed); });
    (void)registered;
  }
  void take(std::uint8_t* out, std::size_t n) {
    const unsigned g = fork_generation.load(std::memory_order_relaxed);
    if (g != generation) {
      generation = g;
      used = kBufferSize;
    }
    if (kBufferSize - used < n) {
      fill(octets);
      used = 0;
    }
    std::memcpy(out, octets.data() + used, n);
    // What was handed out is not kept.
    std::memset(octets.data() + used, 0, n);
    used += n;
  }
};

Buffer& buffer() {
  thread_local Buffer b;
  return b;
}

}  // namespace

void secure_random_bytes(std::span<std::uint8_t> out) {
  if (out.size() > kBufferSize / 4) {
    fill(out);
    return;
  }
  buffer().take(out.data(), out.size());
}

std::uint64_t secure_random_u64() {
  std::uint64_t v = 0;
  buffer().take(reinterpret_cast<std::uint8_t*>(&v), sizeof v);
  return v;
}

std::uint16_t secure_random_u16() {
  std::uint16_t v = 0;
  buffer().take(reinterpret_cast<std::uint8_t*>(&v), sizeof v);
  return v;
}

}  // namespace vigil::dns
