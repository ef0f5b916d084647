#include "protocol/message_view.h"

#include <vector>

#include <gtest/gtest.h>

#include "protocol/ldns_include.h"
#include "protocol/message.h"
#include "tests/support/corpus.h"

namespace vigil::dns {
namespace {

TEST(MessageViewTest, MalformedCorpusGivesTheExpectedError) {
  auto corpus = vigil::testing::load_malformed_corpus();
  ASSERT_GE(corpus.size(), 20u);
  for (const auto& entry : corpus) {
    SCOPED_TRACE(entry.name + ": " + entry.description);
    MessageView v;
    Error e = v.parse(entry.bytes);
    EXPECT_EQ(error_name(e), entry.expect);
    EXPECT_FALSE(Message::parse(entry.bytes).ok());
  }
}

TEST(MessageViewTest, ValidCorpusParsesAndAgreesWithLdns) {
  for (const auto& entry : vigil::testing::load_valid_messages()) {
    SCOPED_TRACE(entry.name);
    MessageView v;
    ASSERT_EQ(v.parse(entry.bytes), Error::kOk);
    // ldns reads the same record counts from the same octets.
    ldns_pkt* pkt = nullptr;
    ASSERT_EQ(ldns_wire2pkt(&pkt, entry.bytes.data(), entry.bytes.size()), LDNS_STATUS_OK);
    EXPECT_EQ(v.count(Section::kAnswer), ldns_pkt_ancount(pkt));
    EXPECT_EQ(v.count(Section::kAuthority), ldns_pkt_nscount(pkt));
    EXPECT_EQ(v.has_edns(), ldns_pkt_edns(pkt));
    ldns_pkt_free(pkt);
  }
}

TEST(MessageViewTest, EveryTruncationIsACleanError) {
  for (const auto& entry : vigil::testing::load_valid_messages()) {
    SCOPED_TRACE(entry.name);
    for (std::size_t len = 0; len < entry.bytes.size(); ++len) {
      std::vector<std::uint8_t> cut(entry.bytes.begin(),
                                    entry.bytes.begin() + static_cast<std::ptrdiff_t>(len));
      MessageView v;
      EXPECT_NE(v.parse(cut), Error::kOk) << "length " << len;
    }
  }
}

TEST(MessageViewTest, HeaderQuestionAndRecords) {
  Message m = make_query(0xBEEF, *Name::from_text("WwW.Example.com."), RRType::AAAA);
  m.header.qr = true;
  m.header.ra = true;
  m.answer.push_back({*Name::from_text("www.example.com."), RRType::AAAA, RRClass::IN, 300,
                      std::vector<std::uint8_t>(16, 1)});
  m.authority.push_back({*Name::from_text("example.com."), RRType::NS, RRClass::IN, 3600,
                         std::vector<std::uint8_t>{2, 'n', 's', 0}});
  m.edns->flags.dnssec_ok = true;
  auto wire = m.to_wire();

  MessageView v;
  ASSERT_EQ(v.parse(wire), Error::kOk);
  EXPECT_EQ(v.header().id, 0xBEEF);
  EXPECT_TRUE(v.header().qr);
  EXPECT_TRUE(v.header().rd);
  EXPECT_EQ(v.count(Section::kQuestion), 1);
  EXPECT_TRUE(v.question_name().exact_equals(*Name::from_text("WwW.Example.com.")));
  EXPECT_EQ(v.question_type(), RRType::AAAA);
  EXPECT_EQ(v.question_class(), RRClass::IN);
  ASSERT_TRUE(v.has_edns());
  EXPECT_EQ(v.edns().udp_payload, kDefaultEdnsPayload);
  EXPECT_TRUE(v.edns().flags.dnssec_ok);

  auto cursor = v.records();
  RecordRef r;
  std::vector<RRType> types;
  std::vector<Section> sections;
  while (cursor.next(r)) {
    types.push_back(r.type);
    sections.push_back(r.section);
  }
  EXPECT_EQ(types, (std::vector<RRType>{RRType::AAAA, RRType::NS, RRType::OPT}));
  EXPECT_EQ(sections, (std::vector<Section>{Section::kAnswer, Section::kAuthority, Section::kAdditional}));
}

TEST(MessageViewTest, EveryPrefixOfAValidMessageKeepsItsQuestionAndWholeRecords) {
  // parse_prefix: every cut of every valid corpus message past its question
  // parses; the records kept are whole (re-walkable), never more than the
  // message has, and a cut inside the question is still an error.
  for (const auto& entry : vigil::testing::load_valid_messages()) {
    SCOPED_TRACE(entry.name);
    MessageView whole;
    ASSERT_EQ(whole.parse(entry.bytes), Error::kOk);
    const std::size_t all = std::size_t{whole.count(Section::kAnswer)} + whole.count(Section::kAuthority) +
                            whole.count(Section::kAdditional);
    for (std::size_t len = 0; len <= entry.bytes.size(); ++len) {
      std::vector<std::uint8_t> cut(entry.bytes.begin(),
                                    entry.bytes.begin() + static_cast<std::ptrdiff_t>(len));
      MessageView v;
      const Error e = v.parse_prefix(cut);
      if (len < whole.question_end()) {
        EXPECT_NE(e, Error::kOk) << "length " << len;
        continue;
      }
      ASSERT_EQ(e, Error::kOk) << "length " << len;
      EXPECT_EQ(v.question_type(), whole.question_type());
      EXPECT_EQ(v.declared(Section::kAnswer), whole.count(Section::kAnswer));
      std::size_t kept = 0;
      auto cursor = v.records();
      RecordRef r;
      while (cursor.next(r)) {
        ++kept;
        EXPECT_LE(std::size_t{r.rdata_pos} + r.rdlength, len);
      }
      EXPECT_LE(kept, all);
      if (len == entry.bytes.size()) {
        EXPECT_EQ(kept, all);
      }
    }
  }
}

TEST(MessageViewTest, APrefixStopsAtTheFirstRecordCutShort) {
  Message m = make_query(7, *Name::from_text("many.example."), RRType::A);
  m.header.qr = true;
  for (std::uint8_t k = 1; k <= 3; ++k) {
    m.answer.push_back({*Name::from_text("many.example."), RRType::A, RRClass::IN, 300,
                        std::vector<std::uint8_t>{127, 0, 0, k}});
  }
  auto wire = m.to_wire();  // ... 3 x 16-octet answers, then the OPT record (11)
  wire.resize(wire.size() - 11 - 5);
  MessageView v;
  EXPECT_NE(v.parse(wire), Error::kOk);
  ASSERT_EQ(v.parse_prefix(wire), Error::kOk);
  EXPECT_EQ(v.header().id, 7);
  EXPECT_EQ(v.count(Section::kAnswer), 2);
  EXPECT_EQ(v.declared(Section::kAnswer), 3);
  EXPECT_EQ(v.count(Section::kAdditional), 0);
  EXPECT_EQ(v.declared(Section::kAdditional), 1);
  EXPECT_FALSE(v.has_edns());
}

TEST(MessageViewTest, NoQuestion) {
  const std::uint8_t header_only[12] = {0x12, 0x34, 0x81, 0x80};
  MessageView v;
  ASSERT_EQ(v.parse(header_only), Error::kOk);
  EXPECT_EQ(v.count(Section::kQuestion), 0);
  EXPECT_TRUE(v.question_name().is_root());
  auto cursor = v.records();
  RecordRef r;
  EXPECT_FALSE(cursor.next(r));
}

TEST(MessageViewTest, ExtendedRcode) {
  Message m = make_query(1, Name(), RRType::NS);
  m.header.qr = true;
  m.set_rcode(Rcode::kBadVers);
  auto wire = m.to_wire();
  MessageView v;
  ASSERT_EQ(v.parse(wire), Error::kOk);
  EXPECT_EQ(v.rcode(), Rcode::kBadVers);
  EXPECT_EQ(v.header().rcode, 0);  // 16 = upper bits 1, header bits 0
  EXPECT_EQ(v.edns().flags.extended_rcode, 1);
}

}  // namespace
}  // namespace vigil::dns
