#include "server/resolution_slots.h"

#include <gtest/gtest.h>

namespace vigil::server {
namespace {

Client ClientAt(std::uint8_t last, std::uint8_t length = 4) {
  Client c;
  c.length = length;
  c.address[0] = 127;
  c.address[length - 1] = last;
  return c;
}

using Admit = ResolutionSlots::Admit;

TEST(ResolutionSlotsTest, OneClientsFloodIsShedBeforeAnyoneElses) {
  ResolutionSlots s;
  const Client flooder = ClientAt(9);
  for (int i = 0; i < 8; ++i) EXPECT_EQ(s.try_admit(flooder, 100, 8), Admit::kOk);
  EXPECT_EQ(s.try_admit(flooder, 100, 8), Admit::kClientLimit);
  EXPECT_EQ(s.try_admit(ClientAt(1), 100, 8), Admit::kOk);  // another client is not shed
  s.release(flooder);
  EXPECT_EQ(s.try_admit(flooder, 100, 8), Admit::kOk);  // a slot freed is a slot again
  EXPECT_EQ(s.in_flight(), 9u);
  EXPECT_EQ(s.clients(), 2u);
}

TEST(ResolutionSlotsTest, AFullThreadKeepsAReserveForLightClients) {
  ResolutionSlots s;
  // 16 clients of 4 fill a thread of 64.
  for (std::uint8_t c = 0; c < 16; ++c) {
    for (int i = 0; i < 4; ++i) ASSERT_EQ(s.try_admit(ClientAt(c), 64, 100), Admit::kOk);
  }
  EXPECT_EQ(s.try_admit(ClientAt(0), 64, 100), Admit::kThreadLimit);  // a heavy client is shed
  // A light client gets one of the reserve's 8 slots, until it is spent.
  for (std::uint8_t c = 100; c < 108; ++c) EXPECT_EQ(s.try_admit(ClientAt(c), 64, 100), Admit::kOk);
  EXPECT_EQ(s.try_admit(ClientAt(200), 64, 100), Admit::kThreadLimit);
  EXPECT_EQ(s.in_flight(), 72u);
}

TEST(ResolutionSlotsTest, IPv6ClientsAreCountedByTheirSlash64) {
  ResolutionSlots s;
  Client a = ClientAt(1, 16);
  Client b = ClientAt(2, 16);  // the same /64, another interface identifier
  Client other = ClientAt(1, 16);
  other.address[7] = 1;  // another /64
  EXPECT_EQ(s.try_admit(a, 100, 2), Admit::kOk);
  EXPECT_EQ(s.try_admit(b, 100, 2), Admit::kOk);
  EXPECT_EQ(s.try_admit(a, 100, 2), Admit::kClientLimit);
  EXPECT_EQ(s.try_admit(other, 100, 2), Admit::kOk);
  s.release(a);
  s.release(b);
  s.release(other);
  EXPECT_EQ(s.in_flight(), 0u);
  EXPECT_EQ(s.clients(), 0u);
}

}  // namespace
}  // namespace vigil::server
