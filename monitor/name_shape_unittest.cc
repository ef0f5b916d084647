#include "monitor/name_shape.h"

#include <string>

#include <gtest/gtest.h>

namespace vigil::monitor {
namespace {

const DgaModel& Model() {
  static const DgaModel model = [] {
    std::string error;
    auto m = DgaModel::load(VIGIL_DGA_MODEL, &error);
    EXPECT_TRUE(m) << error;
    return m ? std::move(*m) : DgaModel{};
  }();
  return model;
}

NameShape Shape(const char* text, std::size_t registered_labels) {
  auto name = dns::Name::from_text(text);
  EXPECT_TRUE(name) << text;
  return shape_of(*name, registered_labels, Model());
}

TEST(NameShapeTest, OrdinaryNamesAreNothing) {
  for (const char* n :
       {"www.example.com", "mail.google.com", "static.xx.fbcdn.net", "e70559.g.akamaiedge.net",
        "rr3---sn-08krzksd.googlevideo.com", "zy7ly6znwksd1jfdwjyypms5.blob.core.windows.net"}) {
    const NameShape s = Shape(n, 2);
    EXPECT_FALSE(s.strong) << n;
    EXPECT_FALSE(s.encoded) << n << " " << s.info_bits;
  }
}

TEST(NameShapeTest, IodineDataIsStrong) {
  // Base32 in 57-octet labels, and Base128 (octets above 0x7F).
  const NameShape b32 = Shape(
      "7xefgatabavixrd3icvxtdba0kxmnm2ch1iclosxx2ht22qz3m2wj41hm."
      "txvedb5lezln2yxn5d1htill0rjmm0knak402mvwu1xbqbxcpap."
      "t.dnsupd-cdn.net",
      2);
  EXPECT_TRUE(b32.strong);
  EXPECT_EQ(b32.max_label, 57u);
  EXPECT_GT(b32.info_bits, 160);
  const NameShape b128 = Shape("0021vU\\196\\212u\\195\\246U\\208\\202.tun.kfx-labs.org", 2);
  EXPECT_TRUE(b128.strong);
  EXPECT_GE(b128.non_ldh, 6u);
}

TEST(NameShapeTest, Dnscat2HexIsEncodedAndItsMarkerStrong) {
  const NameShape session = Shape("07f40153beec7c5a74.ns.update-check-svc.net", 2);
  EXPECT_EQ(session.odd_hex, 18u);
  EXPECT_TRUE(session.encoded);
  EXPECT_FALSE(session.strong);
  const NameShape longer = Shape("2ce7012e97af1a0556889aac0b0815d7b6.cdn-telemetry-sync.com", 2);
  EXPECT_TRUE(longer.strong);
  // Without a domain of its own: the "dnscat" label, and hex in the last label.
  const NameShape bare = Shape("dnscat.a3690169c0384dadca2b19d7076a02514f", 0);
  EXPECT_TRUE(bare.dnscat);
  EXPECT_EQ(bare.odd_hex, 34u);
  EXPECT_TRUE(bare.strong);
}

TEST(NameShapeTest, LookupServicesCarryNoCountedInformation) {
  // Hash reputation (MD5 and SHA-1 hex), DNSBL (a reversed address).
  for (const char* n : {"c651b0d3d26e3f1af51dbb92b7825de4.malware.hash.cymru.com",
                        "03c36302b5007ee8aaa8a43beac16430b8bd110b.malware.hash.cymru.com",
                        "0247006085f9ca50f4d9f6f99e870c0c.2.sophosxl.net", "4.3.2.1.zen.spamhaus.org"}) {
    const NameShape s = Shape(n, 2);
    EXPECT_TRUE(s.lookup) << n;
    EXPECT_FALSE(s.encoded) << n;
    EXPECT_EQ(s.odd_hex, 0u) << n;
  }
  // A DKIM selector (Amazon SES's are random Base32) and SRV service labels.
  for (const char* n : {"nnd4dxh2u2facr2jo4st5hvx2upkuhyi._domainkey.videocardz.com",
                        "_ldap._tcp.dc._msdcs.weather.us", "_services._dns-sd._udp.adblockplus.org"}) {
    const NameShape s = Shape(n, 2);
    EXPECT_TRUE(s.lookup) << n;
    EXPECT_FALSE(s.encoded) << n << " " << s.info_bits;
  }
}

TEST(NameShapeTest, OnlyTheLabelsBelowTheRegisteredDomainAreMeasured) {
  // A random-looking registered label is the DGA detector's business.
  const NameShape s = Shape("www.a1b2c3d4e5f6a7b8c9d0e1f2a3.com", 2);
  EXPECT_EQ(s.sub_labels, 1u);
  EXPECT_EQ(s.odd_hex, 0u);
  EXPECT_FALSE(s.encoded);
  EXPECT_EQ(Shape("com", 1).sub_labels, 0u);
}

}  // namespace
}  // namespace vigil::monitor
