#include "util/siphash.h"

#include <cstdint>
#include <random>
#include <vector>

#include <gtest/gtest.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

namespace vigil::util {
namespace {

SipKey PaperKey() {  // 00 01 .. 0f, little-endian halves
  return {0x0706050403020100ULL, 0x0f0e0d0c0b0a0908ULL};
}

std::vector<std::uint8_t> Counting(std::size_t n) {
  std::vector<std::uint8_t> m(n);
  for (std::size_t i = 0; i < n; ++i) m[i] = static_cast<std::uint8_t>(i);
  return m;
}

// The paper's test vectors (Aumasson and Bernstein 2012, appendix A, and
// its reference implementation's first vector): key 00..0f, message
// 00..0e and the empty message.
TEST(SipHashTest, MatchesThePapersVectors) {
  EXPECT_EQ(siphash24(PaperKey(), Counting(15)), 0xa129ca6149be45e5ULL);
  EXPECT_EQ(siphash24(PaperKey(), {}), 0x726fdb47dd0e0e31ULL);
}

// OpenSSL's SIPHASH MAC (8-octet output, 2-4 rounds by default) as the
// oracle: every length from 0 to 80 (each tail length, several blocks)
// under random keys.
TEST(SipHashTest, AgreesWithOpenSsl) {
  EVP_MAC* mac = EVP_MAC_fetch(nullptr, "SIPHASH", nullptr);
  ASSERT_NE(mac, nullptr);
  std::mt19937_64 rng(7);
  for (std::size_t n = 0; n <= 80; ++n) {
    const SipKey key{rng(), rng()};
    std::vector<std::uint8_t> msg(n);
    for (auto& b : msg) b = static_cast<std::uint8_t>(rng());
    std::uint8_t raw_key[16];
    for (int i = 0; i < 8; ++i) {
      raw_key[i] = static_cast<std::uint8_t>(key.k0 >> (8 * i));
      raw_key[8 + i] = static_cast<std::uint8_t>(key.k1 >> (8 * i));
    }
    unsigned size = 8;
    OSSL_PARAM params[] = {OSSL_PARAM_construct_uint(OSSL_MAC_PARAM_SIZE, &size), OSSL_PARAM_construct_end()};
    EVP_MAC_CTX* ctx = EVP_MAC_CTX_new(mac);
    ASSERT_NE(ctx, nullptr);
    ASSERT_EQ(EVP_MAC_init(ctx, raw_key, sizeof raw_key, params), 1);
    ASSERT_EQ(EVP_MAC_update(ctx, msg.data(), msg.size()), 1);
    std::uint8_t out[8];
    std::size_t out_len = 0;
    ASSERT_EQ(EVP_MAC_final(ctx, out, &out_len, sizeof out), 1);
    EVP_MAC_CTX_free(ctx);
    ASSERT_EQ(out_len, 8u);
    std::uint64_t expected = 0;
    for (int i = 7; i >= 0; --i) expected = (expected << 8) | out[i];
    EXPECT_EQ(siphash24(key, msg), expected) << "length " << n;
  }
  EVP_MAC_free(mac);
}

TEST(SipHashTest, TheKeyChangesTheHash) {
  const std::vector<std::uint8_t> msg = Counting(20);
  EXPECT_NE(siphash24({1, 2}, msg), siphash24({1, 3}, msg));
  EXPECT_NE(siphash24({1, 2}, msg), siphash24({2, 2}, msg));
}

}  // namespace
}  // namespace vigil::util
