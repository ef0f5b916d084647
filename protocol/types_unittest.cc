#include "protocol/types.h"

#include <gtest/gtest.h>

namespace vigil::dns {
namespace {

TEST(TypesTest, TypeMnemonics) {
  EXPECT_EQ(type_to_string(RRType::AAAA), "AAAA");
  EXPECT_EQ(type_to_string(RRType::NULL_), "NULL");
  EXPECT_EQ(type_to_string(static_cast<RRType>(65280)), "TYPE65280");
  EXPECT_EQ(type_from_string("https"), RRType::HTTPS);
  EXPECT_EQ(type_from_string("TYPE1"), RRType::A);
  EXPECT_EQ(type_from_string("type65535"), static_cast<RRType>(65535));
  EXPECT_FALSE(type_from_string("TYPE65536").has_value());
  EXPECT_FALSE(type_from_string("TYPE").has_value());
  EXPECT_FALSE(type_from_string("BOGUS").has_value());
  for (unsigned t = 0; t < 70000; t += 7) {
    if (t > 0xFFFF) break;
    auto type = static_cast<RRType>(t);
    EXPECT_EQ(type_from_string(type_to_string(type)), type);
  }
}

TEST(TypesTest, ClassesRcodesOpcodes) {
  EXPECT_EQ(class_to_string(RRClass::CH), "CH");
  EXPECT_EQ(class_from_string("chaos"), RRClass::CH);
  EXPECT_EQ(class_to_string(static_cast<RRClass>(42)), "CLASS42");
  EXPECT_EQ(class_from_string("CLASS42"), static_cast<RRClass>(42));
  EXPECT_EQ(rcode_to_string(Rcode::kNXDomain), "NXDOMAIN");
  EXPECT_EQ(rcode_to_string(Rcode::kBadVers), "BADVERS");
  EXPECT_EQ(rcode_to_string(static_cast<Rcode>(3000)), "RCODE3000");
  EXPECT_EQ(opcode_to_string(Opcode::kNotify), "NOTIFY");
  EXPECT_EQ(opcode_to_string(static_cast<Opcode>(3)), "OPCODE3");
  EXPECT_TRUE(is_meta_type(RRType::OPT));
  EXPECT_TRUE(is_meta_type(RRType::AXFR));
  EXPECT_FALSE(is_meta_type(RRType::A));
}

}  // namespace
}  // namespace vigil::dns
