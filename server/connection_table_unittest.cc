#include "server/connection_table.h"

#include <gtest/gtest.h>

#include "server/tcp_connection.h"

namespace vigil::server {
namespace {

using namespace std::chrono_literals;
using Admit = ConnectionTable::Admit;

Client V4(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d) {
  Client x;
  x.length = 4;
  x.address[0] = a;
  x.address[1] = b;
  x.address[2] = c;
  x.address[3] = d;
  return x;
}

// 2001:0:0:XX00::last — XX is the 8th octet, outside a /56.
Client V6(std::uint8_t octet8, std::uint8_t last) {
  Client x;
  x.length = 16;
  x.address[0] = 0x20;
  x.address[1] = 0x01;
  x.address[7] = octet8;
  x.address[15] = last;
  return x;
}

TEST(ConnectionTableTest, ClientsAreCountedByPrefix) {
  // Issue 20 §4: 32 addresses (or one IPv6 /64) held all 1,024 slots.
  ConnectionTable t;  // /24 and /56 by default
  EXPECT_EQ(t.try_add(V4(192, 0, 2, 1), 100, 2), Admit::kOk);
  EXPECT_EQ(t.try_add(V4(192, 0, 2, 200), 100, 2), Admit::kOk);
  EXPECT_EQ(t.try_add(V4(192, 0, 2, 7), 100, 2), Admit::kClientLimit);  // the same /24
  EXPECT_EQ(t.try_add(V4(192, 0, 3, 7), 100, 2), Admit::kOk);           // another /24
  EXPECT_EQ(t.try_add(V6(0x00, 1), 100, 1), Admit::kOk);
  EXPECT_EQ(t.try_add(V6(0x00, 2), 100, 1), Admit::kClientLimit);  // the same /56, another /64 host
  EXPECT_EQ(t.try_add(V6(0x01, 1), 100, 1), Admit::kClientLimit);  // another /64 of the same /56
  EXPECT_EQ(t.total(), 4u);
  t.remove(V4(192, 0, 2, 1));
  EXPECT_EQ(t.try_add(V4(192, 0, 2, 9), 100, 2), Admit::kOk);
}

TEST(ConnectionTableTest, PrefixesAreConfigurable) {
  ConnectionTable t;
  t.set_prefixes(32, 128);
  EXPECT_EQ(t.try_add(V4(192, 0, 2, 1), 100, 1), Admit::kOk);
  EXPECT_EQ(t.try_add(V4(192, 0, 2, 2), 100, 1), Admit::kOk);
  EXPECT_EQ(t.try_add(V6(0x00, 1), 100, 1), Admit::kOk);
  EXPECT_EQ(t.try_add(V6(0x00, 2), 100, 1), Admit::kOk);
}

TEST(ConnectionTableTest, AFullTableGivesAnIdleSlotToANewClient) {
  ConnectionTable t;
  ASSERT_EQ(t.try_add(V4(192, 0, 2, 1), 2, 10), Admit::kOk);
  ASSERT_EQ(t.try_add(V4(198, 51, 100, 1), 2, 10), Admit::kOk);
  EXPECT_EQ(t.try_add(V4(203, 0, 113, 1), 2, 10), Admit::kTotalLimit);
  EXPECT_EQ(t.take_over(V4(192, 0, 2, 1), V4(203, 0, 113, 1), 10), Admit::kOk);
  EXPECT_EQ(t.total(), 2u);
  // The new client's own limit still holds.
  EXPECT_EQ(t.take_over(V4(198, 51, 100, 1), V4(203, 0, 113, 2), 1), Admit::kClientLimit);
  EXPECT_EQ(t.total(), 2u);
}

TEST(ConnectionTableTest, TheIdleTimeoutShrinksAsTheTableFills) {
  // RFC 7766 §6.2.3, Unbound's ladder: one query every 8 s kept a slot forever.
  EXPECT_EQ(effective_idle_timeout(10000ms, 0, 1000), 10000ms);
  EXPECT_EQ(effective_idle_timeout(10000ms, 500, 1000), 10000ms);   // half free
  EXPECT_EQ(effective_idle_timeout(60000ms, 501, 1000), 600ms);     // under half free: 1 %
  EXPECT_EQ(effective_idle_timeout(10000ms, 501, 1000), 200ms);     // ... but never under 200 ms
  EXPECT_EQ(effective_idle_timeout(3600000ms, 700, 1000), 7200ms);  // under 35 %: 0.2 %
  EXPECT_EQ(effective_idle_timeout(3600000ms, 900, 1000), 200ms);   // under 20 %: the floor
  EXPECT_EQ(effective_idle_timeout(10ms, 1000, 1000), 10ms);        // never longer than configured
}

}  // namespace
}  // namespace vigil::server
