#include "protocol/rrset.h"

#include <gtest/gtest.h>

#include "protocol/presentation.h"

namespace vigil::dns {
namespace {

TEST(RRsetTest, GroupsByOwnerTypeAndClassWithMinimumTtl) {
  std::vector<ResourceRecord> rrs;
  for (const char* t :
       {"a.example. 300 IN A 127.0.0.1", "A.EXAMPLE. 100 IN A 127.0.0.2", "a.example. 300 IN AAAA ::1",
        "b.example. 300 IN A 127.0.0.1", "a.example. 50 IN A 127.0.0.1"}) {
    rrs.push_back(*parse_record(t));
  }
  auto sets = group_rrsets(rrs);
  ASSERT_EQ(sets.size(), 3u);
  EXPECT_EQ(sets[0].type, RRType::A);
  EXPECT_EQ(sets[0].ttl, 50u);
  EXPECT_EQ(sets[0].rdatas.size(), 2u);  // the duplicate 127.0.0.1 is dropped
  EXPECT_EQ(sets[1].type, RRType::AAAA);
  EXPECT_EQ(sets[2].name.to_text(), "b.example.");
  auto records = sets[0].to_records();
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[1].ttl, 50u);
}

}  // namespace
}  // namespace vigil::dns
