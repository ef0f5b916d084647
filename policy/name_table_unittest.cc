#include "policy/name_table.h"

#include <string>

#include <gtest/gtest.h>

namespace vigil::policy {
namespace {

dns::Name TableKey(const char* text) {
  return *dns::Name::from_text(text);
}

TEST(NameTableTest, FindsWhatWasInsertedIgnoringCase) {
  NameTable t;
  t.insert(TableKey("Bad.Example.").wire()) = 7;
  ASSERT_NE(t.find(TableKey("bad.example.").wire()), nullptr);
  EXPECT_EQ(*t.find(TableKey("BAD.EXAMPLE.").wire()), 7U);
  EXPECT_EQ(t.find(TableKey("example.").wire()), nullptr);
  EXPECT_EQ(t.find(TableKey("x.bad.example.").wire()), nullptr);
  EXPECT_EQ(t.size(), 1U);
}

TEST(NameTableTest, InsertKeepsTheFirstValueAndGrows) {
  NameTable t;
  for (int i = 0; i < 10000; ++i) {
    t.insert(TableKey(("h" + std::to_string(i) + ".example.").c_str()).wire(), static_cast<std::uint32_t>(i));
  }
  EXPECT_EQ(t.insert(TableKey("h5.example.").wire(), 99), 5U);
  EXPECT_EQ(t.size(), 10000U);
  for (int i = 0; i < 10000; i += 97) {
    const std::uint32_t* v = t.find(TableKey(("H" + std::to_string(i) + ".example.").c_str()).wire());
    ASSERT_NE(v, nullptr) << i;
    EXPECT_EQ(*v, static_cast<std::uint32_t>(i));
  }
}

TEST(NameTableTest, ASuffixOfAWireNameIsAKey) {
  NameTable t;
  t.insert(TableKey("example.").wire()) = 1;
  const dns::Name q = TableKey("www.example.");
  EXPECT_EQ(t.find(q.wire().subspan(4)), t.find(TableKey("example.").wire()));
  t.insert(dns::Name().wire()) = 2;
  EXPECT_EQ(*t.find(q.wire().subspan(q.wire_length() - 1)), 2U);
}

}  // namespace
}  // namespace vigil::policy
