// The CSPRNG against the attack that recovered std::mt19937_64's state from
// its outputs (issue 20: query IDs and 0x20 bits predicted, the cache
// poisoned): the same recovery that predicts every later Mersenne Twister
// output predicts none of secure_random_u64's.
#include "protocol/secure_random.h"

#include <unistd.h>

#include <array>
#include <random>
#include <set>
#include <vector>

#include <gtest/gtest.h>
#include <sys/wait.h>

namespace vigil::dns {
namespace {

// MT19937-64's parameters (Matsumoto and Nishimura; the C++ standard's
// std::mt19937_64).
constexpr std::size_t kMtN = 312;
constexpr std::size_t kMtM = 156;
constexpr std::uint64_t kMtMatrixA = 0xB5026F5AA96619E9ULL;
constexpr std::uint64_t kMtUpper = 0xFFFFFFFF80000000ULL;
constexpr std::uint64_t kMtLower = 0x7FFFFFFFULL;

// Inverts y ^= (y >> shift) & mask.
std::uint64_t undo_right(std::uint64_t y, unsigned shift, std::uint64_t mask) {
  std::uint64_t x = y;
  for (unsigned i = 0; i < 64 / shift + 1; ++i) x = y ^ ((x >> shift) & mask);
  return x;
}
// Inverts y ^= (y << shift) & mask.
std::uint64_t undo_left(std::uint64_t y, unsigned shift, std::uint64_t mask) {
  std::uint64_t x = y;
  for (unsigned i = 0; i < 64 / shift + 1; ++i) x = y ^ ((x << shift) & mask);
  return x;
}
std::uint64_t untemper(std::uint64_t y) {
  y = undo_right(y, 43, ~0ULL);
  y = undo_left(y, 37, 0xFFF7EEE000000000ULL);
  y = undo_left(y, 17, 0x71D67FFFEDA60000ULL);
  y = undo_right(y, 29, 0x5555555555555555ULL);
  return y;
}
std::uint64_t temper(std::uint64_t y) {
  y ^= (y >> 29) & 0x5555555555555555ULL;
  y ^= (y << 17) & 0x71D67FFFEDA60000ULL;
  y ^= (y << 37) & 0xFFF7EEE000000000ULL;
  y ^= y >> 43;
  return y;
}

// The attacker: 312 consecutive outputs observed give the whole state;
// the twist then yields every later output.
class Mt64Predictor {
 public:
  explicit Mt64Predictor(const std::vector<std::uint64_t>& observed) {
    for (std::size_t i = 0; i < kMtN; ++i) state_[i] = untemper(observed[i]);
  }
  std::uint64_t next() {
    if (index_ == kMtN) twist();
    return temper(state_[index_++]);
  }

 private:
  void twist() {
    for (std::size_t i = 0; i < kMtN; ++i) {
      const std::uint64_t x = (state_[i] & kMtUpper) | (state_[(i + 1) % kMtN] & kMtLower);
      state_[i] = state_[(i + kMtM) % kMtN] ^ (x >> 1) ^ ((x & 1) != 0 ? kMtMatrixA : 0);
    }
    index_ = 0;
  }
  std::array<std::uint64_t, kMtN> state_{};
  std::size_t index_ = kMtN;
};

// How many of the next `n` outputs the attacker predicts after watching kMtN.
template <class Source>
std::size_t predicted(Source&& source, std::size_t n) {
  std::vector<std::uint64_t> seen;
  for (std::size_t i = 0; i < kMtN; ++i) seen.push_back(source());
  Mt64Predictor attacker(seen);
  std::size_t hits = 0;
  for (std::size_t i = 0; i < n; ++i) hits += attacker.next() == source() ? 1U : 0U;
  return hits;
}

TEST(SecureRandomTest, TheStateRecoveryPredictsTheMersenneTwister) {
  std::mt19937_64 mt{std::random_device{}()};
  EXPECT_EQ(predicted([&] { return mt(); }, 1000), 1000u);  // the attack works: every output known
}

TEST(SecureRandomTest, TheSameRecoveryPredictsNothingOfTheCsprng) {
  EXPECT_EQ(predicted([] { return secure_random_u64(); }, 1000), 0u);
}

TEST(SecureRandomTest, SixteenBitIdsAreNotPredictedEither) {
  // The query ID as the engine draws it, four to a 64-bit word for the attacker.
  auto ids = [] {
    std::uint64_t w = 0;
    for (int i = 0; i < 4; ++i) w = (w << 16) | secure_random_u16();
    return w;
  };
  EXPECT_EQ(predicted(ids, 1000), 0u);
}

TEST(SecureRandomTest, OutputsAreSpreadOverEveryBit) {
  // Not a statistical suite (OpenSSL's DRBG has its own): a stuck or
  // zeroed buffer would show here.
  std::set<std::uint16_t> ids;
  std::uint64_t ones = 0, zeros = 0;
  for (int i = 0; i < 20000; ++i) {
    ids.insert(secure_random_u16());
    const std::uint64_t v = secure_random_u64();
    ones |= v;
    zeros |= ~v;
  }
  EXPECT_GT(ids.size(), 17000u);  // about 17,300 distinct of 65,536 expected
  EXPECT_EQ(ones, ~0ULL);
  EXPECT_EQ(zeros, ~0ULL);
  std::array<std::uint8_t, 1000> big{};
  secure_random_bytes(big);
  EXPECT_NE(std::count(big.begin(), big.end(), 0), 1000);
}

TEST(SecureRandomTest, AForkedChildDoesNotRepeatTheParentsNumbers) {
  (void)secure_random_u64();  // the buffer is full of numbers not handed out yet
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    std::uint64_t v = secure_random_u64();
    const auto n = ::write(fds[1], &v, sizeof v);
    ::_exit(n == sizeof v ? 0 : 1);
  }
  const std::uint64_t mine = secure_random_u64();
  std::uint64_t child = 0;
  ASSERT_EQ(::read(fds[0], &child, sizeof child), static_cast<ssize_t>(sizeof child));
  int status = 0;
  ::waitpid(pid, &status, 0);
  ::close(fds[0]);
  ::close(fds[1]);
  EXPECT_NE(mine, child);
}

}  // namespace
}  // namespace vigil::dns
