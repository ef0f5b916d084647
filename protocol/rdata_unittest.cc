#include "protocol/rdata.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "protocol/message.h"
#include "protocol/presentation.h"

namespace vigil::dns {
namespace {

using Bytes = std::vector<std::uint8_t>;

constexpr const char* kRootKsk =
    "AwEAAagAIKlVZrpC6Ia7gEzahOR+9W29euxhJhVVLOyQbSEW0O8gcCjFFVQUTf6v58fLjwBd0YI0EzrAcQqBGCzh/"
    "RStIoO8g0NfnfL2MTJRkxoXbfDaUeVPQuYEhg37"
    "NZWAJQ9VnMVDxP/VHL496M/QZxkjf5/"
    "Efucp2gaDX6RS6CXpoY68LsvPVjR0ZSwzz1apAzvN9dlzEheX7ICJBBtuA6G3LQpzW5hOA2hzCTMjJPJ8LbqF6dsV6DoBQzgul0"
    "sGIcGOYl7OyQdXfZ57relSQageu+ipAdTTJ25AsRTAoub8ONGcLmqrAmRLKBP1dfwhYB4N7knNnulqQxA+Uk1ihz0=";
constexpr const char* kSha256 = "49FD46E6C4B45C55D4AC69CBD3CD34AC1AFE51DE3F3B9C12C34D93A1B3C3E5F1";

// One record of every typed RR type, in presentation format.
std::vector<std::string> TypedRecords() {
  const std::string o = "a.example. 300 IN ";
  return {
      o + "A 192.0.2.1",
      o + "NS ns1.example.",
      o + "MD md.example.",
      o + "MF mf.example.",
      o + "CNAME target.example.",
      o + "SOA ns1.example. hostmaster.example. 2024010101 7200 3600 1209600 300",
      o + "MB mb.example.",
      o + "MG mg.example.",
      o + "MR mr.example.",
      o + "PTR host.example.",
      o + R"(HINFO "PC" "Linux 6")",
      o + "MINFO rmail.example. email.example.",
      o + "MX 10 mail.example.",
      o + R"(TXT "hello world" "quote\"d" "bin\255\000" "")",
      o + "RP mbox.example. txt.example.",
      o + "AFSDB 1 afs.example.",
      o + "RT 10 rt.example.",
      o + "AAAA 2001:db8::1",
      o + "SRV 10 20 443 srv.example.",
      o + R"(NAPTR 100 10 "S" "SIP+D2U" "" _sip._udp.example.)",
      o + "KX 10 kx.example.",
      o + "DNAME target.example.",
      o + "DS 12345 8 2 " + kSha256,
      o + "SSHFP 1 1 123456789ABCDEF67890123456789ABCDEF67890",
      o + "RRSIG A 8 2 300 20250101000000 20240101000000 12345 example. dGVzdHNpZ25hdHVyZQ==",
      o + "NSEC b.example. A NS SOA MX RRSIG NSEC DNSKEY TYPE65534",
      o + "DNSKEY 257 3 8 " + kRootKsk,
      o + "NSEC3 1 1 10 AABBCCDD 2vptu5timamqttgl4luu9kg21e0aor3s A RRSIG",
      o + "NSEC3 1 0 0 - 2vptu5timamqttgl4luu9kg21e0aor3s",
      o + "NSEC3PARAM 1 0 10 AABBCCDD",
      o + "TLSA 3 1 1 " + kSha256,
      o + "SMIMEA 3 1 1 " + kSha256,
      o + "CDS 12345 8 2 " + kSha256,
      o + "CDNSKEY 257 3 8 " + kRootKsk,
      o + "OPENPGPKEY " + kRootKsk,
      o + "SPF \"v=spf1 -all\"",
      o + "CAA 0 issue \"letsencrypt.org\"",
      o + "CAA 128 iodef \"mailto:sec@example.\"",
      o + "SVCB 1 svc.example. alpn=\"h2,h3\" port=8443 ipv4hint=192.0.2.1,192.0.2.2",
      o + "SVCB 0 alias.example.",
      o + "HTTPS 1 . alpn=h3 no-default-alpn ipv6hint=2001:db8::1 ech=AEX+DQBBpQAgACA=",
      o + "HTTPS 1 . mandatory=alpn,port alpn=h2 port=443",
      o + "TYPE65280 \\# 3 ABCDEF",
      o + "TYPE65281 \\# 0",
  };
}

TEST(RdataTest, EveryTypedRecordRoundTripsThroughTextAndWire) {
  for (const std::string& text : TypedRecords()) {
    SCOPED_TRACE(text);
    auto rr = parse_record(text);
    ASSERT_TRUE(rr.ok()) << rr.error().message;
    EXPECT_EQ(validate_stored_rdata(rr->type, rr->rdata), Error::kOk);

    // Our presentation format is read back by ldns to the same RDATA.
    std::string ours = rr->to_text();
    auto again = parse_record(ours);
    ASSERT_TRUE(again.ok()) << ours << ": " << again.error().message;
    EXPECT_EQ(again->rdata, rr->rdata) << ours;
    EXPECT_EQ(again->type, rr->type);

    // And through a message (with compression where allowed) and back.
    Message m;
    m.header.qr = true;
    m.answer.push_back(*rr);
    m.answer.push_back(*rr);  // twice: the second one compresses against the first
    auto wire = m.to_wire();
    auto parsed = Message::parse(wire);
    ASSERT_TRUE(parsed.ok()) << error_message(parsed.error());
    ASSERT_EQ(parsed->answer.size(), 2u);
    EXPECT_EQ(parsed->answer[1], *rr);
  }
}

TEST(RdataTest, PresentationOfCommonTypes) {
  auto text = [](const std::string& rr) {
    auto r = parse_record(rr);
    EXPECT_TRUE(r.ok()) << rr;
    return r.ok() ? rdata_to_text(r->type, r->rdata) : std::string();
  };
  EXPECT_EQ(text("x. 1 IN A 192.0.2.1"), "192.0.2.1");
  EXPECT_EQ(text("x. 1 IN A 0.10.100.255"), "0.10.100.255");  // every digit count
  EXPECT_EQ(text("x. 1 IN A 9.99.109.200"), "9.99.109.200");
  EXPECT_EQ(text("x. 1 IN AAAA 2001:DB8:0:0:0:0:0:1"), "2001:db8::1");
  EXPECT_EQ(text("x. 1 IN MX 10 Mail.Example."), "10 Mail.Example.");
  EXPECT_EQ(text("x. 1 IN SOA a. b. 1 2 3 4 5"), "a. b. 1 2 3 4 5");
  EXPECT_EQ(text("x. 1 IN TXT \"a\\\"b\" \"c\\\\d\" \"\\010\""), "\"a\\\"b\" \"c\\\\d\" \"\\010\"");
  EXPECT_EQ(text("x. 1 IN NSEC y. A MX TYPE1234"), "y. A MX TYPE1234");
  EXPECT_EQ(text("x. 1 IN NSEC3PARAM 1 0 0 -"), "1 0 0 -");
  EXPECT_EQ(text("x. 1 IN RRSIG A 8 2 300 20250101000000 20240101000000 1 e. AAAA"),
            "A 8 2 300 20250101000000 20240101000000 1 e. AAAA");
  EXPECT_EQ(text("x. 1 IN CAA 0 issue \"ca.example\""), "0 issue \"ca.example\"");
  EXPECT_EQ(text("x. 1 IN SVCB 1 . port=53"), "1 . port=53");
  EXPECT_EQ(text("x. 1 IN TYPE999 \\# 2 0102"), "\\# 2 0102");
}

TEST(RdataTest, RejectsMalformedRdata) {
  struct Case {
    RRType type;
    Bytes rdata;
  };
  const Case cases[] = {
      {RRType::A, {192, 0, 2}},
      {RRType::A, {192, 0, 2, 1, 0}},
      {RRType::AAAA, Bytes(15, 0)},
      {RRType::NS, {}},
      {RRType::NS, {3, 'a', 'b'}},      // name runs out
      {RRType::NS, {1, 'a', 0, 0}},     // octet left over
      {RRType::NS, {1, 'a', 0xC0, 0}},  // pointer in stored RDATA
      {RRType::MX, {0, 10}},            // no exchange
      {RRType::SOA, {0, 0, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4, 0, 0, 0}},  // 4 of 5 u32
      {RRType::TXT, {}},
      {RRType::TXT, {5, 'a'}},
      {RRType::DS, {0, 1, 8, 2}},                                    // empty digest
      {RRType::NSEC, {0, 0, 0}},                                     // window with length 0
      {RRType::NSEC, {0, 1, 0x40, 0, 1, 0x40}},                      // window repeated
      {RRType::NSEC, {0, 33}},                                       // bitmap longer than 32
      {RRType::NSEC3, {1, 0, 0, 0, 0, 0}},                           // empty hash
      {RRType::CAA, {0, 0}},                                         // empty tag
      {RRType::CAA, {0, 2, 'a', '-'}},                               // tag not alphanumeric
      {RRType::SVCB, {0, 1, 0, 0, 3, 0, 2, 0, 1, 0, 1, 0, 1, 'h'}},  // keys out of order
      {RRType::SVCB, {0, 1, 0, 0, 3, 0, 3, 0, 0, 0}},                // port of 3 octets
      {RRType::SVCB, {0, 1, 0, 0xFF, 0xFF, 0, 0}},                   // reserved key 65535
      {RRType::SVCB, {0, 1, 0, 0, 1, 0, 1, 0}},                      // empty alpn id
      {RRType::RRSIG, Bytes(17, 0)},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(type_to_string(c.type) + " of " + std::to_string(c.rdata.size()) + " octets");
    EXPECT_NE(validate_stored_rdata(c.type, c.rdata), Error::kOk);
    // Malformed RDATA still prints, in the generic form.
    EXPECT_EQ(rdata_to_text(c.type, c.rdata).rfind("\\# ", 0), 0u);
  }
  // Unknown types are opaque: any octets are fine.
  EXPECT_EQ(validate_stored_rdata(static_cast<RRType>(65280), Bytes{0xC0, 0x00, 0x41}), Error::kOk);
}

TEST(RdataTest, DecompressesNamesInsideMessages) {
  // Header, then "mail.example." at 12, then MX RDATA whose exchange is a
  // pointer to it, then SRV RDATA (not compressible on write, but old
  // servers did: RFC 3597 §4 says decompress it).
  Bytes m(12, 0);
  const Bytes name = {4, 'm', 'a', 'i', 'l', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0};
  m.insert(m.end(), name.begin(), name.end());
  std::size_t mx = m.size();
  m.insert(m.end(), {0, 10, 0xC0, 12});
  std::size_t srv = m.size();
  m.insert(m.end(), {0, 1, 0, 2, 0, 3, 0xC0, 12});
  Bytes out;
  ASSERT_EQ(read_rdata(m, mx, 4, RRType::MX, out), Error::kOk);
  Bytes want = {0, 10};
  want.insert(want.end(), name.begin(), name.end());
  EXPECT_EQ(out, want);
  out.clear();
  ASSERT_EQ(read_rdata(m, srv, 8, RRType::SRV, out), Error::kOk);
  EXPECT_EQ(out.size(), 6 + name.size());
  // An unknown type keeps the octets exactly (no decompression).
  out.clear();
  ASSERT_EQ(read_rdata(m, mx, 4, static_cast<RRType>(65280), out), Error::kOk);
  EXPECT_EQ(out, (Bytes{0, 10, 0xC0, 12}));
  // A pointer inside RDATA that points forward is rejected.
  Bytes f(12, 0);
  f.insert(f.end(), {0, 10, 0xC0, 16, 0});
  EXPECT_EQ(read_rdata(f, 12, 4, RRType::MX, out), Error::kBadPointer);
}

TEST(RdataTest, TypedHelpers) {
  auto soa = parse_record("x. 1 IN SOA ns.x. admin.x. 7 1 2 3 60");
  ASSERT_TRUE(soa.ok());
  auto decoded = SoaRdata::decode(soa->rdata);
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(decoded->mname.to_text(), "ns.x.");
  EXPECT_EQ(decoded->serial, 7u);
  EXPECT_EQ(decoded->minimum, 60u);
  EXPECT_EQ(decoded->encode(), soa->rdata);
  EXPECT_FALSE(SoaRdata::decode(Bytes{0, 0}).has_value());

  auto mx = parse_record("x. 1 IN MX 5 mx.x.");
  EXPECT_EQ(rdata_target_name(RRType::MX, mx->rdata)->to_text(), "mx.x.");
  auto srv = parse_record("x. 1 IN SRV 1 2 3 s.x.");
  EXPECT_EQ(rdata_target_name(RRType::SRV, srv->rdata)->to_text(), "s.x.");
  EXPECT_FALSE(rdata_target_name(RRType::A, Bytes{1, 2, 3, 4}).has_value());

  EXPECT_EQ(make_mx_rdata(5, *Name::from_text("mx.x.")), mx->rdata);
  std::vector<std::string> strings = {std::string(300, 'a'), "b"};
  Bytes txt = make_txt_rdata(strings);
  EXPECT_EQ(validate_stored_rdata(RRType::TXT, txt), Error::kOk);
  EXPECT_EQ(txt.size(), 1 + 255 + 1 + 45 + 1 + 1u);
  EXPECT_TRUE(is_typed(RRType::SVCB));
  EXPECT_FALSE(is_typed(static_cast<RRType>(65280)));
  EXPECT_TRUE(has_compressible_names(RRType::MX));
  EXPECT_FALSE(has_compressible_names(RRType::SRV));
  EXPECT_FALSE(has_compressible_names(RRType::DNAME));
}

}  // namespace
}  // namespace vigil::dns
