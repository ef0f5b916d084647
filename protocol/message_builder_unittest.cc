#include "protocol/message_builder.h"

#include <array>
#include <vector>

#include <gtest/gtest.h>

#include "protocol/message.h"
#include "protocol/message_view.h"
#include "protocol/presentation.h"
#include "protocol/rdata.h"

namespace vigil::dns {
namespace {

Name N(const char* t) {
  return *Name::from_text(t);
}
ResourceRecord RR(const std::string& text) {
  return *parse_record(text);
}

Message Parse(std::span<const std::uint8_t> wire) {
  auto m = Message::parse(wire);
  EXPECT_TRUE(m.ok()) << error_message(m.error());
  return m.ok() ? *m : Message{};
}

TEST(MessageBuilderTest, CompressesOwnerNamesAgainstEarlierNames) {
  std::array<std::uint8_t, 512> buf{};
  MessageBuilder b(buf);
  ASSERT_EQ(b.add_question(N("www.example.com."), RRType::A, RRClass::IN), Error::kOk);
  std::size_t after_question = b.size();
  ASSERT_EQ(b.add_record(Section::kAnswer, N("www.example.com."), RRType::A, RRClass::IN, 60,
                         std::vector<std::uint8_t>{127, 0, 0, 1}),
            Error::kOk);
  // Owner is a 2-octet pointer to offset 12.
  EXPECT_EQ(b.size() - after_question, 2u + 10u + 4u);
  EXPECT_EQ(buf[after_question], 0xC0);
  EXPECT_EQ(buf[after_question + 1], 12);
  // A sibling shares the "example.com." suffix: "mail" + pointer.
  std::size_t before = b.size();
  ASSERT_EQ(b.add_record(Section::kAnswer, N("mail.EXAMPLE.com."), RRType::A, RRClass::IN, 60,
                         std::vector<std::uint8_t>{127, 0, 0, 2}),
            Error::kOk);
  EXPECT_EQ(b.size() - before, 5u + 2u + 10u + 4u);
  std::size_t n = b.finish();
  Message m = Parse({buf.data(), n});
  ASSERT_EQ(m.answer.size(), 2u);
  EXPECT_EQ(m.answer[1].name.to_text(), "mail.example.com.");  // case of the first occurrence
}

TEST(MessageBuilderTest, CompressesRdataNamesOnlyWhereAllowed) {
  std::array<std::uint8_t, 512> buf{};
  MessageBuilder b(buf);
  ASSERT_EQ(b.add_question(N("example.com."), RRType::ANY, RRClass::IN), Error::kOk);
  auto mx = RR("example.com. 60 IN MX 10 mail.example.com.");
  auto srv = RR("example.com. 60 IN SRV 1 1 1 mail.example.com.");
  std::size_t before = b.size();
  ASSERT_EQ(b.add_record(Section::kAnswer, mx.name, mx.type, mx.rclass, 60, mx.rdata), Error::kOk);
  // owner pointer (2) + fixed (10) + preference (2) + "mail" (5) + pointer (2)
  EXPECT_EQ(b.size() - before, 21u);
  before = b.size();
  ASSERT_EQ(b.add_record(Section::kAnswer, srv.name, srv.type, srv.rclass, 60, srv.rdata), Error::kOk);
  // SRV target is written in full (RFC 2782, RFC 3597 §4).
  EXPECT_EQ(b.size() - before, 2u + 10u + srv.rdata.size());
  Message m = Parse({buf.data(), b.finish()});
  EXPECT_EQ(m.answer[0].rdata, mx.rdata);
  EXPECT_EQ(m.answer[1].rdata, srv.rdata);
}

TEST(MessageBuilderTest, PreservesQuestionCase) {
  std::array<std::uint8_t, 512> buf{};
  MessageBuilder b(buf);
  ASSERT_EQ(b.add_question(N("wWw.ExAmPlE.cOm."), RRType::A, RRClass::IN), Error::kOk);
  MessageView v;
  ASSERT_EQ(v.parse({buf.data(), b.finish()}), Error::kOk);
  EXPECT_TRUE(v.question_name().exact_equals(N("wWw.ExAmPlE.cOm.")));
}

TEST(MessageBuilderTest, TruncationDropsWholeRecordsAndSetsTc) {
  std::array<std::uint8_t, 4096> buf{};
  MessageBuilder b(buf, 512);
  Header h;
  h.qr = true;
  b.set_header(h);
  ASSERT_EQ(b.set_edns({1232, 0, false, {}}), Error::kOk);
  ASSERT_EQ(b.add_question(N("big.example."), RRType::TXT, RRClass::IN), Error::kOk);
  std::vector<std::uint8_t> txt(101, 'x');
  txt[0] = 100;
  int added = 0;
  for (int i = 0; i < 10; ++i) {
    if (b.add_record(Section::kAnswer, N("big.example."), RRType::TXT, RRClass::IN, 60, txt) == Error::kOk)
      ++added;
  }
  EXPECT_EQ(added, 4);  // 12 + 17 + 4*(2+10+101) = 481; a fifth would pass 512 - 11 (OPT)
  EXPECT_TRUE(b.truncated());
  // After truncation the message is closed, even to small records.
  EXPECT_EQ(
      b.add_record(Section::kAdditional, N("a."), RRType::A, RRClass::IN, 1, std::vector<std::uint8_t>(4)),
      Error::kNoSpace);
  std::size_t n = b.finish();
  EXPECT_LE(n, 512u);
  Message m = Parse({buf.data(), n});
  EXPECT_TRUE(m.header.tc);
  EXPECT_EQ(m.answer.size(), 4u);
  EXPECT_TRUE(m.edns.has_value());
}

TEST(MessageBuilderTest, AdditionalThatDoesNotFitIsDroppedWithoutTc) {
  std::array<std::uint8_t, 4096> buf{};
  MessageBuilder b(buf, 100);
  ASSERT_EQ(b.add_question(N("example."), RRType::NS, RRClass::IN), Error::kOk);
  ASSERT_EQ(
      b.add_record(Section::kAnswer, N("example."), RRType::NS, RRClass::IN, 60, N("ns.example.").wire()),
      Error::kOk);
  std::vector<std::uint8_t> big(80, 0);
  EXPECT_EQ(b.add_record(Section::kAdditional, N("ns.example."), RRType::TXT, RRClass::IN, 60, big),
            Error::kNoSpace);
  EXPECT_TRUE(b.additional_dropped());
  EXPECT_FALSE(b.truncated());
  EXPECT_EQ(b.add_record(Section::kAdditional, N("ns.example."), RRType::A, RRClass::IN, 60,
                         std::vector<std::uint8_t>{127, 0, 0, 1}),
            Error::kOk);
  Message m = Parse({buf.data(), b.finish()});
  EXPECT_FALSE(m.header.tc);
  EXPECT_EQ(m.additional.size(), 1u);
}

TEST(MessageBuilderTest, CheckpointRollsBackAPartialRRset) {
  std::array<std::uint8_t, 512> buf{};
  MessageBuilder b(buf);
  ASSERT_EQ(b.add_question(N("x.example."), RRType::A, RRClass::IN), Error::kOk);
  auto mark = b.mark();
  for (std::uint8_t i = 1; i <= 3; ++i) {
    ASSERT_EQ(b.add_record(Section::kAnswer, N("x.example."), RRType::A, RRClass::IN, 60,
                           std::vector<std::uint8_t>{127, 0, 0, i}),
              Error::kOk);
  }
  b.rollback(mark);
  EXPECT_EQ(b.count(Section::kAnswer), 0);
  // Compression targets registered after the mark are forgotten too.
  ASSERT_EQ(b.add_record(Section::kAnswer, N("y.x.example."), RRType::A, RRClass::IN, 60,
                         std::vector<std::uint8_t>{127, 0, 0, 9}),
            Error::kOk);
  Message m = Parse({buf.data(), b.finish()});
  ASSERT_EQ(m.answer.size(), 1u);
  EXPECT_EQ(m.answer[0].name.to_text(), "y.x.example.");
}

TEST(MessageBuilderTest, SectionsMustBeFilledInOrder) {
  std::array<std::uint8_t, 512> buf{};
  MessageBuilder b(buf);
  ASSERT_EQ(
      b.add_record(Section::kAuthority, N("a."), RRType::A, RRClass::IN, 1, std::vector<std::uint8_t>(4)),
      Error::kOk);
  EXPECT_NE(b.add_record(Section::kAnswer, N("a."), RRType::A, RRClass::IN, 1, std::vector<std::uint8_t>(4)),
            Error::kOk);
  EXPECT_NE(b.add_question(N("a."), RRType::A, RRClass::IN), Error::kOk);
}

TEST(MessageBuilderTest, QuestionThatDoesNotFit) {
  std::array<std::uint8_t, 20> buf{};
  MessageBuilder b(buf);
  EXPECT_EQ(b.add_question(N("a-long-name.example."), RRType::A, RRClass::IN), Error::kNoSpace);
  EXPECT_EQ(b.finish(), kHeaderSize);
}

TEST(MessageBuilderTest, PaddingToBlock) {
  std::array<std::uint8_t, 4096> buf{};
  MessageBuilder b(buf);
  ASSERT_EQ(b.set_edns({1232, 0, false, {}}), Error::kOk);
  b.set_padding_block(468);
  ASSERT_EQ(b.add_question(N("example."), RRType::A, RRClass::IN), Error::kOk);
  std::size_t n = b.finish();
  EXPECT_EQ(n, 468u);
  Message m = Parse({buf.data(), n});
  ASSERT_TRUE(m.edns.has_value());
  const EdnsOption* pad = m.edns->find_option(EdnsOptionCode::kPadding);
  ASSERT_NE(pad, nullptr);
  EXPECT_EQ(pad->data, std::vector<std::uint8_t>(pad->data.size(), 0));
}

TEST(MessageBuilderTest, ManyNamesDoNotOverflowTheCompressionTable) {
  std::vector<std::uint8_t> buf(65535);
  MessageBuilder b(buf);
  ASSERT_EQ(b.add_question(N("example."), RRType::A, RRClass::IN), Error::kOk);
  for (int i = 0; i < 1000; ++i) {
    auto name = Name::from_text("n" + std::to_string(i) + ".sub" + std::to_string(i % 7) + ".example.");
    ASSERT_EQ(b.add_record(Section::kAnswer, *name, RRType::A, RRClass::IN, 1, std::vector<std::uint8_t>(4)),
              Error::kOk);
  }
  Message m = Parse({buf.data(), b.finish()});
  ASSERT_EQ(m.answer.size(), 1000u);
  EXPECT_EQ(m.answer[999].name.to_text(), "n999.sub5.example.");
}

}  // namespace
}  // namespace vigil::dns
