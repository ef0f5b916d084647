#include "server/local_zones.h"

#include <gtest/gtest.h>

#include "protocol/rdata.h"

namespace vigil::server {
namespace {

using config::Config;
using config::LocalZoneType;
using dns::Name;
using dns::RRType;

Name N(const char* text) {
  return *Name::from_text(text);
}

LocalZones Build(const std::vector<config::LocalZone>& zones, const std::vector<std::string>& data,
                 bool ptr = true) {
  Config cfg = Config::defaults();
  cfg.local_zones = zones;
  int line = 1;
  for (const auto& d : data) cfg.local_data.push_back({d, line++});
  cfg.local_data_ptr = ptr;
  auto lz = LocalZones::build(cfg, "test.yaml");
  EXPECT_TRUE(lz.ok()) << (lz.ok() ? "" : lz.error().to_string());
  return lz.ok() ? std::move(*lz) : *LocalZones::build(Config::defaults());
}

std::string Error(const std::vector<config::LocalZone>& zones, const std::vector<std::string>& data) {
  Config cfg = Config::defaults();
  cfg.local_zones = zones;
  int line = 10;
  for (const auto& d : data) cfg.local_data.push_back({d, line++});
  auto lz = LocalZones::build(cfg, "test.yaml");
  return lz.ok() ? "" : lz.error().to_string();
}

TEST(LocalZonesTest, LocalhostAnswersLoopback) {
  LocalZones lz = Build({}, {});
  auto a = lz.lookup(N("localhost."), RRType::A);
  ASSERT_EQ(a.kind, LocalKind::kAnswer);
  ASSERT_EQ(a.rrset->rdatas.size(), 1u);
  EXPECT_EQ(a.rrset->rdatas[0], (std::vector<std::uint8_t>{127, 0, 0, 1}));
  EXPECT_EQ(lz.lookup(N("LOCALHOST."), RRType::AAAA).kind, LocalKind::kAnswer);
  // RFC 6761 §6.3: names below localhost. are loopback too, here NXDOMAIN
  // (as Unbound); never sent upstream.
  auto below = lz.lookup(N("foo.localhost."), RRType::A);
  EXPECT_EQ(below.kind, LocalKind::kNxDomain);
  ASSERT_NE(below.soa, nullptr);
  EXPECT_EQ(below.soa->type, RRType::SOA);
  EXPECT_EQ(lz.lookup(N("localhost."), RRType::MX).kind, LocalKind::kNoData);
  auto ptr = lz.lookup(N("1.0.0.127.in-addr.arpa."), RRType::PTR);
  ASSERT_EQ(ptr.kind, LocalKind::kAnswer);
  EXPECT_EQ(ptr.rrset->rdatas[0], dns::make_name_rdata(N("localhost.")));
  EXPECT_EQ(
      lz.lookup(N("1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.ip6.arpa."), RRType::PTR)
          .kind,
      LocalKind::kAnswer);
}

TEST(LocalZonesTest, PrivateReverseZonesAreNxDomainAndPublicNamesAreNotLocal) {
  LocalZones lz = Build({}, {});
  EXPECT_EQ(lz.lookup(N("5.1.168.192.in-addr.arpa."), RRType::PTR).kind, LocalKind::kNxDomain);
  EXPECT_EQ(lz.lookup(N("1.0.0.10.in-addr.arpa."), RRType::PTR).kind, LocalKind::kNxDomain);
  EXPECT_EQ(lz.lookup(N("9.9.20.172.in-addr.arpa."), RRType::PTR).kind, LocalKind::kNxDomain);
  EXPECT_EQ(lz.lookup(N("9.9.64.100.in-addr.arpa."), RRType::PTR).kind, LocalKind::kNxDomain);
  EXPECT_EQ(lz.lookup(N("x.invalid."), RRType::A).kind, LocalKind::kNxDomain);
  EXPECT_EQ(lz.lookup(N("abc.onion."), RRType::A).kind, LocalKind::kNxDomain);
  // Outside the private ranges: not local.
  EXPECT_EQ(lz.lookup(N("9.9.32.172.in-addr.arpa."), RRType::PTR).kind, LocalKind::kNone);
  EXPECT_EQ(lz.lookup(N("8.8.8.8.in-addr.arpa."), RRType::PTR).kind, LocalKind::kNone);
  EXPECT_EQ(lz.lookup(N("www.example.com."), RRType::A).kind, LocalKind::kNone);
  EXPECT_EQ(lz.lookup(N("."), RRType::NS).kind, LocalKind::kNone);
  // test. is left to resolution (the lab delegates under it).
  EXPECT_EQ(lz.lookup(N("zone-1.test."), RRType::A).kind, LocalKind::kNone);
  // The apex of a built-in zone has SOA and NS.
  EXPECT_EQ(lz.lookup(N("10.in-addr.arpa."), RRType::SOA).kind, LocalKind::kAnswer);
  EXPECT_EQ(lz.lookup(N("10.in-addr.arpa."), RRType::NS).kind, LocalKind::kAnswer);
}

TEST(LocalZonesTest, StaticZoneAnswersFromDataElseNxDomainOrNoData) {
  LocalZones lz = Build({{"lan.", LocalZoneType::kStatic, 1}},
                        {"printer.lan. 3600 IN A 192.168.1.20", "printer.lan. 3600 IN A 192.168.1.21",
                         "a.b.lan. 60 IN TXT hello"});
  auto a = lz.lookup(N("Printer.LAN."), RRType::A);
  ASSERT_EQ(a.kind, LocalKind::kAnswer);
  EXPECT_EQ(a.rrset->rdatas.size(), 2u);
  EXPECT_EQ(a.rrset->ttl, 3600u);
  auto nodata = lz.lookup(N("printer.lan."), RRType::AAAA);
  EXPECT_EQ(nodata.kind, LocalKind::kNoData);
  ASSERT_NE(nodata.soa, nullptr);
  EXPECT_EQ(nodata.soa->name, N("lan."));
  EXPECT_EQ(lz.lookup(N("scanner.lan."), RRType::A).kind, LocalKind::kNxDomain);
  // b.lan. is an empty non-terminal: it exists, without data.
  EXPECT_EQ(lz.lookup(N("b.lan."), RRType::A).kind, LocalKind::kNoData);
  EXPECT_EQ(lz.lookup(N("lan."), RRType::SOA).kind, LocalKind::kAnswer);
}

TEST(LocalZonesTest, PtrRecordsForLocalAddresses) {
  LocalZones lz = Build({{"lan.", LocalZoneType::kStatic, 1}},
                        {"printer.lan. 3600 IN A 192.168.1.20", "nas.lan. 3600 IN AAAA fd00::1"});
  auto ptr = lz.lookup(N("20.1.168.192.in-addr.arpa."), RRType::PTR);
  ASSERT_EQ(ptr.kind, LocalKind::kAnswer);
  EXPECT_EQ(ptr.rrset->rdatas[0], dns::make_name_rdata(N("printer.lan.")));
  auto ptr6 =
      lz.lookup(N("1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.f.ip6.arpa."), RRType::PTR);
  ASSERT_EQ(ptr6.kind, LocalKind::kAnswer);
  EXPECT_EQ(ptr6.rrset->rdatas[0], dns::make_name_rdata(N("nas.lan.")));
  // Other addresses in the private range stay NXDOMAIN.
  EXPECT_EQ(lz.lookup(N("21.1.168.192.in-addr.arpa."), RRType::PTR).kind, LocalKind::kNxDomain);

  LocalZones off =
      Build({{"lan.", LocalZoneType::kStatic, 1}}, {"printer.lan. 3600 IN A 192.168.1.20"}, false);
  EXPECT_EQ(off.lookup(N("20.1.168.192.in-addr.arpa."), RRType::PTR).kind, LocalKind::kNxDomain);
}

TEST(LocalZonesTest, TransparentZoneAndDataOutsideZonesResolveWhatIsNotLocal) {
  LocalZones lz = Build({{"corp.example.", LocalZoneType::kTransparent, 1}},
                        {"wiki.corp.example. 300 IN A 10.0.0.5", "override.example.org. 300 IN A 10.0.0.6"});
  EXPECT_EQ(lz.lookup(N("wiki.corp.example."), RRType::A).kind, LocalKind::kAnswer);
  EXPECT_EQ(lz.lookup(N("wiki.corp.example."), RRType::AAAA).kind, LocalKind::kNoData);
  EXPECT_EQ(lz.lookup(N("mail.corp.example."), RRType::A).kind, LocalKind::kNone);
  EXPECT_EQ(lz.lookup(N("override.example.org."), RRType::A).kind, LocalKind::kAnswer);
  EXPECT_EQ(lz.lookup(N("override.example.org."), RRType::TXT).kind, LocalKind::kNoData);
  EXPECT_EQ(lz.lookup(N("example.org."), RRType::A).kind, LocalKind::kNone);
  EXPECT_EQ(lz.lookup(N("other.example.org."), RRType::A).kind, LocalKind::kNone);
}

TEST(LocalZonesTest, RefuseDenyAndRedirect) {
  LocalZones lz = Build({{"ads.example.", LocalZoneType::kRefuse, 1},
                         {"tracker.example.", LocalZoneType::kDeny, 2},
                         {"portal.example.", LocalZoneType::kRedirect, 3}},
                        {"ok.ads.example. 60 IN A 10.1.1.1", "portal.example. 60 IN A 10.9.9.9"});
  EXPECT_EQ(lz.lookup(N("x.ads.example."), RRType::A).kind, LocalKind::kRefuse);
  EXPECT_EQ(lz.lookup(N("ok.ads.example."), RRType::A).kind, LocalKind::kAnswer);
  EXPECT_EQ(lz.lookup(N("a.b.tracker.example."), RRType::A).kind, LocalKind::kDeny);
  auto r = lz.lookup(N("any.thing.portal.example."), RRType::A);
  ASSERT_EQ(r.kind, LocalKind::kAnswer);
  EXPECT_EQ(r.rrset->rdatas[0], (std::vector<std::uint8_t>{10, 9, 9, 9}));
  EXPECT_EQ(lz.lookup(N("x.portal.example."), RRType::AAAA).kind, LocalKind::kNoData);
}

TEST(LocalZonesTest, CnameAndAny) {
  LocalZones lz = Build({{"lan.", LocalZoneType::kStatic, 1}},
                        {"www.lan. 60 IN CNAME printer.lan.", "printer.lan. 60 IN A 192.168.1.20",
                         "printer.lan. 60 IN TXT hi"});
  auto c = lz.lookup(N("www.lan."), RRType::A);
  ASSERT_EQ(c.kind, LocalKind::kAnswer);
  EXPECT_EQ(c.rrset->type, RRType::CNAME);
  auto any = lz.lookup(N("printer.lan."), RRType::ANY);
  ASSERT_EQ(any.kind, LocalKind::kAnswer);  // one RRset (RFC 8482)
  EXPECT_EQ(any.rrset->type, RRType::A);
}

TEST(LocalZonesTest, ConfigurationOverridesBuiltins) {
  // A configured zone replaces the built-in one; nodefault removes it.
  LocalZones t = Build({{"10.in-addr.arpa.", LocalZoneType::kTransparent, 1},
                        {"168.192.in-addr.arpa.", LocalZoneType::kNoDefault, 2}},
                       {});
  EXPECT_EQ(t.lookup(N("1.0.0.10.in-addr.arpa."), RRType::PTR).kind, LocalKind::kNone);
  EXPECT_EQ(t.lookup(N("1.1.168.192.in-addr.arpa."), RRType::PTR).kind, LocalKind::kNone);
  EXPECT_EQ(t.lookup(N("1.1.16.172.in-addr.arpa."), RRType::PTR).kind, LocalKind::kNxDomain);
}

TEST(LocalZonesTest, BadDataIsAnErrorWithItsLine) {
  EXPECT_EQ(
      Error({{"lan.", LocalZoneType::kStatic, 1}},
            {"www.lan. 60 IN CNAME a.lan.", "www.lan. 60 IN A 10.0.0.1"}),
      "test.yaml:11: local_data: www.lan. has a CNAME, which must be the only record of its name (RFC 1034 "
      "§3.6.2)");
  EXPECT_NE(Error({{"p.example.", LocalZoneType::kRedirect, 1}}, {"x.p.example. 60 IN A 10.0.0.1"})
                .find("test.yaml:10: local_data: x.p.example. is below the redirect zone"),
            std::string::npos);
  EXPECT_NE(Error({}, {"x.example. 60 IN SOA a. b. 1 2 3 4 5"}).find("belongs at the apex"),
            std::string::npos);
  EXPECT_NE(Error({{"lan.", LocalZoneType::kNoDefault, 7}}, {})
                .find("test.yaml:7: local_zones: lan. is not a built-in"),
            std::string::npos);
  EXPECT_NE(Error({{"lan.", LocalZoneType::kStatic, 3}, {"LAN.", LocalZoneType::kDeny, 4}}, {})
                .find("configured twice"),
            std::string::npos);
}

}  // namespace
}  // namespace vigil::server
