#include "protocol/message.h"

#include <gtest/gtest.h>

#include "protocol/presentation.h"
#include "tests/support/corpus.h"

namespace vigil::dns {
namespace {

ResourceRecord ParseRR(const std::string& text) {
  auto r = parse_record(text);
  EXPECT_TRUE(r.ok()) << text;
  return r.ok() ? *r : ResourceRecord{};
}

TEST(MessageTest, ParseWriteParseIsStable) {
  for (const auto& entry : vigil::testing::load_valid_messages()) {
    SCOPED_TRACE(entry.name);
    auto first = Message::parse(entry.bytes);
    ASSERT_TRUE(first.ok()) << error_message(first.error());
    auto wire = first->to_wire();
    auto second = Message::parse(wire);
    ASSERT_TRUE(second.ok()) << error_message(second.error());
    EXPECT_EQ(second->header, first->header);
    EXPECT_EQ(second->questions, first->questions);
    EXPECT_EQ(second->answer, first->answer);
    EXPECT_EQ(second->authority, first->authority);
    EXPECT_EQ(second->additional, first->additional);
    EXPECT_EQ(second->edns, first->edns);
    // Writing again gives the same octets.
    EXPECT_EQ(second->to_wire(), wire);
  }
}

TEST(MessageTest, UnknownTypesAreKeptOpaque) {
  Message m;
  m.header.qr = true;
  m.answer.push_back(ParseRR("x.example. 60 IN TYPE65280 \\# 4 C00C0001"));
  m.answer.push_back({*Name::from_text("x.example."), RRType::A, static_cast<RRClass>(42), 60, {1, 2, 3, 4}});
  auto parsed = Message::parse(m.to_wire());
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->answer[0].rdata, (std::vector<std::uint8_t>{0xC0, 0x0C, 0x00, 0x01}));
  EXPECT_EQ(parsed->answer[1].rclass, static_cast<RRClass>(42));
  EXPECT_EQ(parsed->answer[0].to_text(), "x.example.\t60\tIN\tTYPE65280\t\\# 4 C00C0001");
}

TEST(MessageTest, EdnsOptionsAndExtendedErrors) {
  Message m = make_query(7, *Name::from_text("example."), RRType::A);
  m.header.qr = true;
  m.set_rcode(Rcode::kServFail);
  m.edns->add_extended_error(EdeCode::kNoReachableAuthority, "all servers timed out");
  m.edns->options.push_back({static_cast<std::uint16_t>(EdnsOptionCode::kCookie), {1, 2, 3, 4, 5, 6, 7, 8}});
  auto parsed = Message::parse(m.to_wire());
  ASSERT_TRUE(parsed.ok());
  ASSERT_TRUE(parsed->edns.has_value());
  auto errors = parsed->edns->extended_errors();
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].code, EdeCode::kNoReachableAuthority);
  EXPECT_EQ(errors[0].text, "all servers timed out");
  ASSERT_NE(parsed->edns->find_option(EdnsOptionCode::kCookie), nullptr);
  EXPECT_EQ(parsed->rcode(), Rcode::kServFail);
  std::string text = parsed->to_text();
  EXPECT_NE(text.find("status: SERVFAIL"), std::string::npos) << text;
  EXPECT_NE(text.find("EDE: 22 (No Reachable Authority): (all servers timed out)"), std::string::npos)
      << text;
}

TEST(MessageTest, TextRendering) {
  Message m = make_query(42, *Name::from_text("www.example."), RRType::A, true, 0);
  m.header.qr = true;
  m.header.ra = true;
  m.answer.push_back(ParseRR("www.example. 300 IN A 192.0.2.7"));
  std::string text = m.to_text();
  EXPECT_NE(text.find("status: NOERROR, id: 42"), std::string::npos) << text;
  EXPECT_NE(text.find(";; flags: qr rd ra;"), std::string::npos) << text;
  EXPECT_NE(text.find("www.example.\t300\tIN\tA\t192.0.2.7"), std::string::npos) << text;
}

// A response of 20 TXT records of 100 characters: over 2 000 octets.
Message BigTxtResponse() {
  Message m = make_query(1, *Name::from_text("big.example."), RRType::TXT);
  m.header.qr = true;
  for (int i = 0; i < 20; ++i) {
    m.answer.push_back(
        ParseRR("big.example. 60 IN TXT \"" + std::string(100, static_cast<char>('a' + i)) + "\""));
  }
  return m;
}

TEST(MessageTest, WriteIntoSmallBufferTruncates) {
  const Message m = BigTxtResponse();
  auto wire = m.to_wire(512);
  ASSERT_LE(wire.size(), 512u);
  auto parsed = Message::parse(wire);
  ASSERT_TRUE(parsed.ok());
  EXPECT_TRUE(parsed->header.tc);
  EXPECT_LT(parsed->answer.size(), 20u);
  EXPECT_TRUE(parsed->edns.has_value());  // OPT survives truncation
}

// to_wire() writes into a buffer it reuses: a small message written after
// a large one is exactly its own octets, the right size, nothing of the
// large one's left in it; and the result holds no more than it needs.
TEST(MessageTest, ToWireAfterALargerMessageIsExactlyTheSmallerOne) {
  const Message big = BigTxtResponse();
  const std::vector<std::uint8_t> big_wire = big.to_wire();
  ASSERT_GT(big_wire.size(), 2000u);
  const Message small = make_query(0x4242, *Name::from_text("a.example."), RRType::A, false, 0);
  const std::vector<std::uint8_t> wire = small.to_wire();
  // 12 header octets, the name (11), type and class (4): no OPT record.
  const std::vector<std::uint8_t> expected = {0x42, 0x42, 0,   0,   0,   1,   0,   0,   0, 0, 0, 0, 1, 'a',
                                              7,    'e',  'x', 'a', 'm', 'p', 'l', 'e', 0, 0, 1, 0, 1};
  EXPECT_EQ(wire, expected);
  EXPECT_LE(wire.capacity(), 64u);
  EXPECT_EQ(big.to_wire(), big_wire);  // and the large one again, the same
}

}  // namespace
}  // namespace vigil::dns
