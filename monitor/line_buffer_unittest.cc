#include "monitor/line_buffer.h"

#include <string>

#include <gtest/gtest.h>

namespace vigil::monitor {
namespace {

TEST(LineBufferTest, EmptyPiecesOnAFreshBufferAreFine) {
  LineBuffer b;  // nothing allocated yet: no pointer to copy into or from
  b.put(std::string_view());
  LineBuffer other;
  b.put(other.view());
  EXPECT_TRUE(b.empty());
  EXPECT_EQ(b.view(), "");
}

TEST(LineBufferTest, GrowsAndKeepsWhatItHolds) {
  LineBuffer b;
  std::string expected;
  for (int i = 0; i < 5000; ++i) {
    const std::string piece = std::to_string(i) + ",";
    b.put(piece);
    expected += piece;
  }
  b.put('x');
  b.put("yz");
  expected += "xyz";
  EXPECT_EQ(b.view(), expected);
  b.clear();
  EXPECT_TRUE(b.empty());
  char* p = b.reserve(3);
  p[0] = 'a';
  p[1] = 'b';
  b.set_end(p + 2);
  EXPECT_EQ(b.view(), "ab");
}

}  // namespace
}  // namespace vigil::monitor
