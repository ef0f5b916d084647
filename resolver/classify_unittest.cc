// classify(): what one reply means, by QTYPE class. A reply is judged by
// what it says, never by the QTYPE of the question alone: ANY and the other
// meta types are answered by any RRset at the name, records of another type
// are NODATA, and only real lame signals make a server lame (issue 20: one
// ANY query marked a zone's servers lame for 15 minutes).
#include <gtest/gtest.h>

#include "protocol/presentation.h"
#include "resolver/engine.h"
#include "resolver/scripted_transport.h"

namespace vigil::resolver {
namespace {

using dns::Message;
using dns::Name;
using dns::RRType;

Name Nm(const char* s) {
  return *Name::from_text(s);
}

dns::ResourceRecord Rr(const char* text) {
  auto rrs = dns::parse_zone_text(text, Name());
  EXPECT_TRUE(rrs.ok()) << text;
  return rrs->at(0);
}

Message Reply(const char* qname, RRType qtype, bool aa, std::initializer_list<const char*> answer,
              std::initializer_list<const char*> authority = {}, dns::Rcode rcode = dns::Rcode::kNoError) {
  Message q = dns::make_query(1, Nm(qname), qtype, false);
  Message m = reply_to(q, rcode);
  m.header.aa = aa;
  for (const char* a : answer) m.answer.push_back(Rr(a));
  for (const char* a : authority) m.authority.push_back(Rr(a));
  return m;
}

ReplyKind Kind(const Message& m, const char* zone = "example.") {
  Name child;
  return classify(m, Nm(zone), m.questions.at(0).name, m.questions.at(0).type, &child);
}

const char* kA = "mail.example. 300 IN A 127.0.0.25";
const char* kMx = "mail.example. 300 IN MX 10 mail.example.";
const char* kSoa = "example. 300 IN SOA ns1.example. admin.example. 1 3600 900 604800 300";

TEST(ClassifyTest, AnyIsAnsweredByAnyRRsetAtTheName) {
  EXPECT_EQ(Kind(Reply("mail.example.", RRType::ANY, true, {kA})), ReplyKind::kAnswer);
  EXPECT_EQ(Kind(Reply("mail.example.", RRType::ANY, true, {kA, kMx})), ReplyKind::kAnswer);
  // RFC 8482 §4.2: the synthesised HINFO is an answer too.
  EXPECT_EQ(Kind(Reply("mail.example.", RRType::ANY, true, {"mail.example. 3789 IN HINFO \"RFC8482\" \"\""})),
            ReplyKind::kAnswer);
  // A CNAME at the name is what ANY finds there.
  EXPECT_EQ(Kind(Reply("mail.example.", RRType::ANY, true, {"mail.example. 300 IN CNAME www.example."})),
            ReplyKind::kAnswer);
  // An empty non-terminal: NODATA, not lame.
  EXPECT_EQ(Kind(Reply("mail.example.", RRType::ANY, true, {}, {kSoa})), ReplyKind::kNoData);
  // The zone apex and the root: their NS, SOA ... at the name.
  EXPECT_EQ(Kind(Reply("example.", RRType::ANY, true, {kSoa})), ReplyKind::kAnswer);
  EXPECT_EQ(Kind(Reply(".", RRType::ANY, true, {". 518400 IN NS a.root.lab."}), "."), ReplyKind::kAnswer);
}

TEST(ClassifyTest, OtherMetaTypesAreAnsweredByAnyRRsetAtTheName) {
  // MAILA (254) and MAILB (253) ask for several types (RFC 1035 §3.2.3).
  EXPECT_EQ(Kind(Reply("mail.example.", static_cast<RRType>(254), true, {kMx})), ReplyKind::kAnswer);
  EXPECT_EQ(Kind(Reply("mail.example.", static_cast<RRType>(253), true, {kA})), ReplyKind::kAnswer);
}

TEST(ClassifyTest, RecordsOfAnotherTypeAreNoDataNotLame) {
  // An AAAA question answered with only the A RRset (AA or not): what was
  // not asked for is ignored; the name has no AAAA.
  EXPECT_EQ(Kind(Reply("mail.example.", RRType::AAAA, true, {kA})), ReplyKind::kNoData);
  EXPECT_EQ(Kind(Reply("mail.example.", RRType::AAAA, false, {kA})), ReplyKind::kNoData);
  // An unusual (private-use) type the same.
  EXPECT_EQ(Kind(Reply("mail.example.", static_cast<RRType>(65280), true, {kA})), ReplyKind::kNoData);
  // Out of bailiwick records say nothing about the name.
  EXPECT_EQ(Kind(Reply("mail.example.", RRType::AAAA, false, {"mail.other. 300 IN A 127.0.0.1"})),
            ReplyKind::kLame);
}

TEST(ClassifyTest, OrdinaryTypesKeepTheirMeaning) {
  EXPECT_EQ(Kind(Reply("mail.example.", RRType::A, true, {kA})), ReplyKind::kAnswer);
  EXPECT_EQ(Kind(Reply("mail.example.", RRType::MX, true, {kMx})), ReplyKind::kAnswer);
  EXPECT_EQ(Kind(Reply("mail.example.", RRType::A, true, {"mail.example. 300 IN CNAME www.example."})),
            ReplyKind::kCname);
  EXPECT_EQ(Kind(Reply("mail.example.", RRType::A, true, {}, {kSoa})), ReplyKind::kNoData);
  EXPECT_EQ(Kind(Reply("mail.example.", RRType::A, true, {}, {kSoa}, dns::Rcode::kNXDomain)),
            ReplyKind::kNxDomain);
  EXPECT_EQ(Kind(Reply("www.sub.example.", RRType::A, false, {}, {"sub.example. 300 IN NS ns.sub.example."})),
            ReplyKind::kReferral);
}

TEST(ClassifyTest, AReferralWithAaSetIsStillAReferral) {
  // Issue 21 §2: some servers and load balancers set AA on referrals.
  EXPECT_EQ(Kind(Reply("www.sub.example.", RRType::A, true, {}, {"sub.example. 300 IN NS ns.sub.example."})),
            ReplyKind::kReferral);
  // With the zone's SOA it is NODATA, not a referral (RFC 2308 §2.2).
  EXPECT_EQ(
      Kind(Reply("www.sub.example.", RRType::A, true, {}, {kSoa, "sub.example. 300 IN NS ns.sub.example."})),
      ReplyKind::kNoData);
  // NS for the zone itself with AA: NODATA (§2.2 type 3), not a referral.
  EXPECT_EQ(Kind(Reply("www.example.", RRType::A, true, {}, {"example. 300 IN NS ns1.example."})),
            ReplyKind::kNoData);
}

TEST(ClassifyTest, OnlyRealLameSignalsAreLame) {
  // REFUSED: the server does not serve the zone.
  EXPECT_EQ(Kind(Reply("mail.example.", RRType::A, false, {}, {}, dns::Rcode::kRefused)), ReplyKind::kLame);
  // A referral upwards or sideways.
  EXPECT_EQ(Kind(Reply("mail.example.", RRType::A, false, {}, {". 300 IN NS a.root.lab."})),
            ReplyKind::kLame);
  EXPECT_EQ(Kind(Reply("mail.example.", RRType::A, false, {}, {"other. 300 IN NS ns.other."})),
            ReplyKind::kLame);
  // Not authoritative, no answer, no referral, no SOA.
  EXPECT_EQ(Kind(Reply("mail.example.", RRType::A, false, {})), ReplyKind::kLame);
  // SERVFAIL (and other errors) fail this question at this server only.
  EXPECT_EQ(Kind(Reply("mail.example.", RRType::A, false, {}, {}, dns::Rcode::kServFail)),
            ReplyKind::kServerFailure);
  EXPECT_EQ(Kind(Reply("mail.example.", RRType::ANY, false, {}, {}, dns::Rcode::kNotImp)),
            ReplyKind::kServerFailure);
}

}  // namespace
}  // namespace vigil::resolver
