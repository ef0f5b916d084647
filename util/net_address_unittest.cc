#include "util/net_address.h"

#include <array>

#include <gtest/gtest.h>

namespace vigil::util {
namespace {

TEST(NetAddressTest, Endpoints) {
  EXPECT_FALSE(parse_endpoint("::1:53").has_value());  // IPv6 needs brackets
  EXPECT_EQ(parse_endpoint("[::1]:53")->address, "::1");
  EXPECT_EQ(parse_endpoint("[::1]:53")->to_string(), "[::1]:53");
  EXPECT_EQ(parse_endpoint("127.0.0.1:5300")->port, 5300);
  EXPECT_FALSE(parse_endpoint("127.0.0.1:0").has_value());
  EXPECT_FALSE(parse_endpoint("localhost:53").has_value());
}

TEST(NetAddressTest, Prefixes) {
  auto net = *parse_cidr("192.168.0.0/23");
  EXPECT_TRUE(net.contains(std::array<std::uint8_t, 4>{192, 168, 1, 200}));
  EXPECT_FALSE(net.contains(std::array<std::uint8_t, 4>{192, 168, 2, 1}));
  EXPECT_FALSE(net.contains(std::array<std::uint8_t, 16>{}));  // other family
  EXPECT_TRUE(parse_cidr("::/0")->contains(std::array<std::uint8_t, 16>{0x20, 0x01}));
  EXPECT_FALSE(parse_cidr("10.0.0.1/-1").has_value());
  EXPECT_EQ(parse_cidr("10.0.0.1")->to_string(), "10.0.0.1/32");
}

}  // namespace
}  // namespace vigil::util
