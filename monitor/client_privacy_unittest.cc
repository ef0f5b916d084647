#include "monitor/client_privacy.h"

#include <array>

#include <gtest/gtest.h>

namespace vigil::monitor {
namespace {

const std::array<std::uint8_t, 4> kV4 = {192, 0, 2, 133};
const std::array<std::uint8_t, 16> kV6 = {0x20, 0x01, 0x0d, 0xb8, 0x12, 0x34, 0x56, 0x78,
                                          0,    0,    0,    0,    0,    0,    0,    1};

TEST(ClientPrivacyTest, FullShowsTheAddress) {
  ClientPrivacy p;
  EXPECT_EQ(p.show(kV4), "192.0.2.133");
  EXPECT_EQ(p.show(kV6), "2001:db8:1234:5678::1");
  EXPECT_EQ(address_text(std::array<std::uint8_t, 4>{0, 10, 100, 255}), "0.10.100.255");
  EXPECT_EQ(address_text(std::array<std::uint8_t, 4>{9, 99, 109, 200}), "9.99.109.200");
  EXPECT_EQ(address_text(std::array<std::uint8_t, 3>{1, 2, 3}), "");
}

TEST(ClientPrivacyTest, TruncateKeepsTheNetwork) {
  ClientPrivacy p(ClientIpMode::kTruncate, "");
  EXPECT_EQ(p.show(kV4), "192.0.2.0");
  EXPECT_EQ(p.show(kV6), "2001:db8:1234:5600::");  // /56
}

TEST(ClientPrivacyTest, HashIsStableKeyedAndOpaque) {
  ClientPrivacy a(ClientIpMode::kHash, "secret-one");
  ClientPrivacy b(ClientIpMode::kHash, "secret-two");
  const std::string h = a.show(kV4);
  EXPECT_EQ(h.size(), 32u);
  EXPECT_EQ(h, a.show(kV4));  // the same client, the same token
  EXPECT_NE(h, b.show(kV4));  // another secret, another token
  EXPECT_NE(h, a.show(kV6));
  EXPECT_EQ(h.find("192"), std::string::npos);
}

}  // namespace
}  // namespace vigil::monitor
