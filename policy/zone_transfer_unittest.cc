#include "policy/zone_transfer.h"

#include <gtest/gtest.h>

#include "protocol/presentation.h"

namespace vigil::policy {
namespace {

dns::ResourceRecord R(const char* text) {
  return *dns::parse_record(text);
}

TEST(ZoneTransferTest, ADifferenceSequenceDeletesAddsAndReplacesTheSoa) {
  std::vector<dns::ResourceRecord> zone = {R("rpz. 300 IN SOA a. b. 1 2 3 4 5"),
                                           R("x.test.rpz. 300 IN CNAME ."), R("y.test.rpz. 300 IN CNAME *."),
                                           R("Y.TEST.rpz. 300 IN A 192.0.2.1")};
  apply_difference(zone, {R("rpz. 300 IN SOA a. b. 1 2 3 4 5"), R("y.test.rpz. 300 IN A 192.0.2.1")},
                   {R("rpz. 300 IN SOA a. b. 2 2 3 4 5"), R("z.test.rpz. 300 IN CNAME .")});
  ASSERT_EQ(zone.size(), 4u);
  EXPECT_EQ(soa_serial(zone[0]), 2u);  // the new SOA first, the old one gone
  EXPECT_EQ(zone[1], R("x.test.rpz. 300 IN CNAME ."));
  EXPECT_EQ(zone[2], R("y.test.rpz. 300 IN CNAME *."));  // deletions match name (any case), type and data
  EXPECT_EQ(zone[3], R("z.test.rpz. 300 IN CNAME ."));
}

TEST(ZoneTransferTest, TheZoneTextParsesBackToTheSameRecords) {
  const std::vector<dns::ResourceRecord> zone = {R("rpz. 300 IN SOA a. b. 7 2 3 4 5"),
                                                 R("*.bad.test.rpz. 60 IN CNAME ."),
                                                 R("w.test.rpz. 60 IN TXT \"walled garden\"")};
  auto back = dns::parse_zone_text(zone_text(zone));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, zone);
  EXPECT_EQ(soa_serial(zone[0]), 7u);
  EXPECT_EQ(soa_serial(zone[1]), 0u);  // not a SOA
}

}  // namespace
}  // namespace vigil::policy
