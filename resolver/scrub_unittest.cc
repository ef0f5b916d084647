// scrub(): one pass per reply — the 0x20 echoes lowercased, records the
// asked server may not speak for dropped, SOA kept — and classify() gives
// the same kind before and after it.
#include "resolver/scrub.h"

#include <gtest/gtest.h>

#include "protocol/presentation.h"
#include "protocol/rdata.h"
#include "resolver/classify.h"
#include "resolver/scripted_transport.h"

namespace vigil::resolver {
namespace {

using dns::Message;
using dns::Name;
using dns::RRType;

Name ScrubName(const char* s) {
  return *Name::from_text(s);
}

dns::ResourceRecord ScrubRr(const char* text) {
  auto rrs = dns::parse_zone_text(text, Name());
  EXPECT_TRUE(rrs.ok()) << text;
  return rrs->at(0);
}

Message ScrubReply(const char* qname, RRType qtype) {
  return reply_to(dns::make_query(1, ScrubName(qname), qtype, false));
}

TEST(ScrubTest, LowercasesOwnersAndNameTargets) {
  Message m = ScrubReply("WwW.ExAmPlE.", RRType::A);
  m.answer.push_back(ScrubRr("WwW.ExAmPlE. 300 IN CNAME HoSt.ExAmPlE."));
  m.answer.push_back(ScrubRr("HoSt.ExAmPlE. 300 IN A 127.0.0.1"));
  m.authority.push_back(ScrubRr("ExAmPlE. 300 IN NS Ns1.ExAmPlE."));
  EXPECT_EQ(scrub(m, ScrubName("example.")).dropped, 0u);
  EXPECT_EQ(m.answer[0].name.to_text(), "www.example.");
  EXPECT_EQ(dns::rdata_target_name(RRType::CNAME, m.answer[0].rdata)->to_text(), "host.example.");
  EXPECT_EQ(m.answer[1].name.to_text(), "host.example.");
  EXPECT_EQ(dns::rdata_target_name(RRType::NS, m.authority[0].rdata)->to_text(), "ns1.example.");
}

TEST(ScrubTest, DropsWhatTheServerMayNotSpeakFor) {
  Message m = ScrubReply("www.sub.example.", RRType::A);
  m.answer.push_back(ScrubRr("www.bank. 300 IN A 127.66.0.1"));  // another zone's name: kept, see below
  m.authority.push_back(ScrubRr("sub.example. 300 IN NS ns.sub.example."));
  m.authority.push_back(ScrubRr("sub.example. 300 IN NS ns.hosting.lab."));
  m.authority.push_back(ScrubRr("bank. 300 IN NS ns.evil."));               // an NS set for another zone
  m.additional.push_back(ScrubRr("ns.sub.example. 300 IN A 127.2.0.5"));    // the child's glue
  m.additional.push_back(ScrubRr("ns.other.example. 300 IN A 127.2.0.6"));  // a sibling's glue
  m.additional.push_back(ScrubRr("ns.hosting.lab. 300 IN A 127.66.0.2"));   // outside the zone
  EXPECT_EQ(scrub(m, ScrubName("example.")).dropped, 2u);
  EXPECT_EQ(m.answer.size(), 1u);
  ASSERT_EQ(m.authority.size(), 2u);
  for (const auto& rr : m.authority) EXPECT_EQ(rr.name.to_text(), "sub.example.");
  ASSERT_EQ(m.additional.size(), 2u);
  EXPECT_EQ(m.additional[0].name.to_text(), "ns.sub.example.");
  EXPECT_EQ(m.additional[1].name.to_text(), "ns.other.example.");
}

TEST(ScrubTest, KeepsAnSoaFromAnywhereAndEverythingForAForwarder) {
  Message m = ScrubReply("www.example.", RRType::A);
  m.authority.push_back(ScrubRr("other. 300 IN SOA ns.other. admin.other. 1 3600 900 604800 300"));
  EXPECT_EQ(scrub(m, ScrubName("example.")).dropped, 0u);
  EXPECT_EQ(m.authority.size(), 1u);
  Message f = ScrubReply("www.example.", RRType::A);
  f.answer.push_back(ScrubRr("www.example. 300 IN CNAME www.other."));
  f.answer.push_back(ScrubRr("www.other. 300 IN A 127.0.0.81"));
  EXPECT_EQ(scrub(f, Name()).dropped, 0u);  // a forwarder's bailiwick is the root
  EXPECT_EQ(f.answer.size(), 2u);
}

TEST(ScrubTest, TheAnswerSectionIsKeptForClassifyToJudge) {
  // Only another zone's records in the answer, AA and the zone's SOA: the
  // server is lame for the question, not saying NODATA (as before scrub()
  // existed); the cache writer ignores those records by in_bailiwick().
  Message m = ScrubReply("www.example.", RRType::A);
  m.header.aa = true;
  m.answer.push_back(ScrubRr("www.bank. 300 IN A 127.66.0.1"));
  m.authority.push_back(ScrubRr("example. 300 IN SOA ns1.example. admin.example. 1 3600 900 604800 300"));
  scrub(m, ScrubName("example."));
  ASSERT_EQ(m.answer.size(), 1u);
  EXPECT_EQ(classify(m, ScrubName("example."), ScrubName("www.example."), RRType::A, nullptr),
            ReplyKind::kLame);
}

TEST(ScrubTest, ClassifyGivesTheSameKindBeforeAndAfter) {
  struct Case {
    std::vector<const char*> answer, authority;
    bool aa;
  };
  const std::vector<Case> cases = {
      {{"www.example. 300 IN A 127.0.0.1", "www.bank. 300 IN A 127.66.0.1"}, {}, true},
      {{"www.bank. 300 IN A 127.66.0.1"}, {}, false},
      {{"www.bank. 300 IN A 127.66.0.1"}, {}, true},
      {{}, {"bank. 300 IN NS ns.evil."}, false},
      {{}, {". 300 IN NS a.root.lab."}, false},
      {{}, {"sub.example. 300 IN NS ns.sub.example.", "bank. 300 IN NS ns.evil."}, false},
      {{"www.example. 300 IN CNAME www.bank.", "www.bank. 300 IN A 127.66.0.1"}, {}, true},
  };
  for (const auto& c : cases) {
    Message m = ScrubReply("www.example.", RRType::A);
    m.header.aa = c.aa;
    for (const char* a : c.answer) m.answer.push_back(ScrubRr(a));
    for (const char* a : c.authority) m.authority.push_back(ScrubRr(a));
    const Name zone = ScrubName("example.");
    const ReplyKind before = classify(m, zone, ScrubName("www.example."), RRType::A, nullptr);
    scrub(m, zone);
    EXPECT_EQ(classify(m, zone, ScrubName("www.example."), RRType::A, nullptr), before)
        << (c.answer.empty() ? c.authority[0] : c.answer[0]);
  }
}

}  // namespace
}  // namespace vigil::resolver
