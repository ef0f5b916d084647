#include "protocol/wire_reader.h"

#include <vector>

#include <gtest/gtest.h>

namespace vigil::dns {
namespace {

// 12 octets of padding stand in for a header so that offsets look real.
std::vector<std::uint8_t> Msg(std::initializer_list<std::uint8_t> body) {
  std::vector<std::uint8_t> m(12 + body.size(), 0);
  std::copy(body.begin(), body.end(), m.begin() + 12);
  return m;
}

TEST(WireReaderTest, Integers) {
  const std::uint8_t data[] = {0x12, 0x34, 0xDE, 0xAD, 0xBE, 0xEF, 0x01};
  WireReader r(data);
  std::uint16_t a = 0;
  std::uint32_t b = 0;
  std::uint8_t c = 0;
  ASSERT_TRUE(r.read_u16(a));
  ASSERT_TRUE(r.read_u32(b));
  ASSERT_TRUE(r.read_u8(c));
  EXPECT_EQ(a, 0x1234);
  EXPECT_EQ(b, 0xDEADBEEFu);
  EXPECT_EQ(c, 1);
  EXPECT_FALSE(r.read_u8(c));
  EXPECT_FALSE(r.read_u16(a));
  EXPECT_EQ(r.pos(), 7u);
}

TEST(WireReaderTest, DecompressesBackwardPointers) {
  // 12: "example.com." 25: "www" + pointer to 12
  auto m = Msg({7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0, 3, 'w', 'w', 'w', 0xC0, 12});
  WireReader r(m, 12);
  Name a;
  Name b;
  ASSERT_EQ(r.read_name(a), Error::kOk);
  EXPECT_EQ(r.pos(), 25u);
  ASSERT_EQ(r.read_name(b), Error::kOk);
  EXPECT_EQ(b.to_text(), "www.example.com.");
  EXPECT_EQ(r.pos(), m.size());  // continues after the pointer, not after the target
}

TEST(WireReaderTest, RejectsPointerToItself) {
  auto m = Msg({0xC0, 12});
  WireReader r(m, 12);
  Name n;
  EXPECT_EQ(r.read_name(n), Error::kBadPointer);
  EXPECT_EQ(r.pos(), 12u);  // unchanged on failure
}

TEST(WireReaderTest, RejectsForwardPointer) {
  auto m = Msg({0xC0, 14, 1, 'a', 0});
  WireReader r(m, 12);
  Name n;
  EXPECT_EQ(r.read_name(n), Error::kBadPointer);
}

TEST(WireReaderTest, RejectsLoopThroughLabels) {
  // 12: "a" then pointer back to 12: a loop that only goes backwards once.
  auto m = Msg({1, 'a', 0xC0, 12});
  WireReader r(m, 14);
  Name n;
  EXPECT_EQ(r.read_name(n), Error::kBadPointer);
  // Two pointers pointing at each other's region.
  auto m2 = Msg({1, 'a', 0xC0, 16, 1, 'b', 0xC0, 12});
  WireReader r2(m2, 16);
  EXPECT_EQ(r2.read_name(n), Error::kBadPointer);
}

TEST(WireReaderTest, RejectsPointerOutOfBounds) {
  auto m = Msg({0xFF, 0xFF});
  WireReader r(m, 12);
  Name n;
  EXPECT_EQ(r.read_name(n), Error::kBadPointer);
  auto cut = Msg({0xC0});
  WireReader r2(cut, 12);
  EXPECT_EQ(r2.read_name(n), Error::kTruncated);
}

TEST(WireReaderTest, RejectsReservedLabelTypes) {
  Name n;
  auto m = Msg({0x41, 0});
  EXPECT_EQ(WireReader(m, 12).read_name(n), Error::kBadLabelType);
  auto m2 = Msg({0x80, 0});
  EXPECT_EQ(WireReader(m2, 12).read_name(n), Error::kBadLabelType);
}

TEST(WireReaderTest, RejectsNameLongerThan255ViaPointers) {
  // A 63-octet label chained through pointers 5 times: 320 octets.
  std::vector<std::uint8_t> m(12, 0);
  std::size_t prev = 0;
  for (int i = 0; i < 5; ++i) {
    std::size_t here = m.size();
    m.push_back(63);
    m.insert(m.end(), 63, 'x');
    if (i == 0) {
      m.push_back(0);
    } else {
      m.push_back(static_cast<std::uint8_t>(0xC0 | (prev >> 8)));
      m.push_back(static_cast<std::uint8_t>(prev));
    }
    prev = here;
  }
  WireReader r(m, prev);
  Name n;
  EXPECT_EQ(r.read_name(n), Error::kNameTooLong);
}

TEST(WireReaderTest, LimitBoundsInPlaceOctetsOnly) {
  // Name in "RDATA" ending at 17 whose pointer target lies before it.
  auto m = Msg({1, 'a', 0, 1, 'b', 0xC0, 12});
  WireReader r(m, 15);
  Name n;
  ASSERT_EQ(r.read_name(n, 19), Error::kOk);
  EXPECT_EQ(n.to_text(), "b.a.");
  WireReader r2(m, 15);
  EXPECT_EQ(r2.read_name(n, 18), Error::kTruncated);  // pointer crosses the limit
  WireReader r3(m, 15);
  EXPECT_EQ(r3.read_name(n, 19, /*allow_pointers=*/false), Error::kBadPointer);
}

TEST(WireReaderTest, SkipName) {
  auto m = Msg({1, 'a', 0, 0xC0, 12, 0x40});
  WireReader r(m, 12);
  ASSERT_EQ(r.skip_name(m.size()), Error::kOk);
  EXPECT_EQ(r.pos(), 15u);
  ASSERT_EQ(r.skip_name(m.size()), Error::kOk);
  EXPECT_EQ(r.pos(), 17u);
  EXPECT_EQ(r.skip_name(m.size()), Error::kBadLabelType);
}

}  // namespace
}  // namespace vigil::dns
