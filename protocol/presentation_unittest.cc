#include "protocol/presentation.h"

#include <gtest/gtest.h>

namespace vigil::dns {
namespace {

TEST(PresentationTest, ParsesOneRecord) {
  auto rr = parse_record("printer.lan. 3600 IN A 192.168.1.20");
  ASSERT_TRUE(rr.ok()) << rr.error().message;
  EXPECT_EQ(rr->name.to_text(), "printer.lan.");
  EXPECT_EQ(rr->type, RRType::A);
  EXPECT_EQ(rr->ttl, 3600u);
  EXPECT_EQ(rr->rdata, (std::vector<std::uint8_t>{192, 168, 1, 20}));
}

TEST(PresentationTest, RelativeNamesAndDefaultTtl) {
  auto origin = Name::from_text("lan.");
  auto rr = parse_record("printer IN CNAME host", *origin, 77);
  ASSERT_TRUE(rr.ok()) << rr.error().message;
  EXPECT_EQ(rr->to_text(), "printer.lan.\t77\tIN\tCNAME\thost.lan.");
}

TEST(PresentationTest, ReportsErrors) {
  for (const char* bad : {"x. 1 IN A 300.1.1.1", "x. 1 IN NOSUCHTYPE 1", "x. 1 IN MX mail.", ""}) {
    auto rr = parse_record(bad);
    EXPECT_FALSE(rr.ok()) << bad;
    if (!rr.ok()) {
      EXPECT_FALSE(rr.error().message.empty());
    }
  }
}

TEST(PresentationTest, ZoneTextWithDirectives) {
  const char* zone =
      "$ORIGIN example.\n"
      "$TTL 120\n"
      "; a comment\n"
      "@   IN SOA ns1 hostmaster ( 1 7200 3600\n"
      "                             1209600 300 )\n"
      "    IN NS ns1\n"
      "\n"
      "ns1 IN A 127.0.0.53\n"
      "www 60 IN CNAME ns1\n";
  auto rrs = parse_zone_text(zone);
  ASSERT_TRUE(rrs.ok()) << rrs.error().line << ": " << rrs.error().message;
  ASSERT_EQ(rrs->size(), 4u);
  EXPECT_EQ((*rrs)[0].type, RRType::SOA);
  EXPECT_EQ((*rrs)[0].ttl, 120u);
  EXPECT_EQ((*rrs)[1].name.to_text(), "example.");
  EXPECT_EQ((*rrs)[2].to_text(), "ns1.example.\t120\tIN\tA\t127.0.0.53");
  EXPECT_EQ((*rrs)[3].ttl, 60u);
}

TEST(PresentationTest, ZoneTextErrorNamesTheLine) {
  auto rrs = parse_zone_text("a. 1 IN A 127.0.0.1\nb. 1 IN A 127.0.0.2\nc. 1 IN A not-an-address\n");
  ASSERT_FALSE(rrs.ok());
  EXPECT_EQ(rrs.error().line, 3u);
  auto inc = parse_zone_text("$INCLUDE /etc/passwd\n");
  ASSERT_FALSE(inc.ok());
  EXPECT_NE(inc.error().message.find("$INCLUDE"), std::string::npos);
}

}  // namespace
}  // namespace vigil::dns
