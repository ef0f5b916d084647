#include "server/query_handler.h"

#include <vector>

#include <gtest/gtest.h>

#include "protocol/message.h"
#include "protocol/presentation.h"
#include "protocol/rdata.h"
#include "tests/support/corpus.h"

namespace vigil::server {
namespace {

using dns::Message;
using dns::Name;
using dns::Rcode;
using dns::RRClass;
using dns::RRType;

constexpr cache::Time kT0 = 1'700'000'000;

Client Loopback(Transport t = Transport::kUdp) {
  Client c;
  c.address = {127, 0, 0, 1};
  c.length = 4;
  c.port = 40000;
  c.transport = t;
  return c;
}

class QueryHandlerTest : public ::testing::Test {
 protected:
  QueryHandlerTest()
      : config_(WithLocalData()), local_(*LocalZones::build(config_)), handler_(config_, local_, cache_) {}

  static config::Config WithLocalData() {
    config::Config c = config::Config::defaults();
    c.server.identity = "vigil-test";
    c.local_zones = {{"lan.", config::LocalZoneType::kStatic, 1},
                     {"ads.example.", config::LocalZoneType::kRefuse, 2},
                     {"tracker.example.", config::LocalZoneType::kDeny, 3}};
    c.local_data = {{"printer.lan. 3600 IN A 192.168.1.20", 4}};
    return c;
  }

  // Sends a query; returns the parsed response (or nullopt when dropped).
  std::optional<Message> Ask(const std::vector<std::uint8_t>& wire, const Client& client = Loopback(),
                             cache::Time now = kT0, std::size_t* size = nullptr) {
    std::vector<std::uint8_t> out(65535);
    HandleResult r = handler_.handle(wire, client, out, now);
    last_ = r;
    if (size != nullptr) *size = r.size;
    if (r.size == 0) return std::nullopt;
    auto m = Message::parse({out.data(), r.size});
    EXPECT_TRUE(m.ok()) << dns::error_message(m.error());
    return m.ok() ? std::optional<Message>(*m) : std::nullopt;
  }
  std::optional<Message> Ask(const Message& q, const Client& client = Loopback(), cache::Time now = kT0) {
    return Ask(q.to_wire(), client, now);
  }
  static Message Query(const char* name, RRType type, std::uint16_t payload = 1232) {
    return dns::make_query(0xABCD, *Name::from_text(name), type, true, payload);
  }
  void CacheRecords(const std::string& text, cache::Rank rank = cache::Rank::kAuthAnswer) {
    auto rr = *dns::parse_record(text);
    dns::RRset set{rr.name, rr.type, rr.rclass, rr.ttl, {rr.rdata}};
    cache_.insert(set, rank, kT0);
  }

  config::Config config_;
  LocalZones local_;
  cache::RRsetCache cache_;
  QueryHandler handler_;
  HandleResult last_;
};

TEST_F(QueryHandlerTest, AnswersFromTheCacheWithTheClientsCaseAndACountingTtl) {
  CacheRecords("www.example. 300 IN A 192.0.2.7");
  Message q = Query("WwW.ExAmPlE.", RRType::A);
  q.header.cd = true;
  auto r = Ask(q, Loopback(), kT0 + 100);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(last_.outcome, Outcome::kAnswered);
  EXPECT_EQ(r->header.id, 0xABCD);
  EXPECT_TRUE(r->header.qr);
  EXPECT_TRUE(r->header.rd);
  EXPECT_TRUE(r->header.cd);
  EXPECT_TRUE(r->header.ra);
  EXPECT_FALSE(r->header.aa);  // never for cached data
  EXPECT_EQ(r->rcode(), Rcode::kNoError);
  ASSERT_EQ(r->questions.size(), 1u);
  EXPECT_TRUE(r->questions[0].name.exact_equals(*Name::from_text("WwW.ExAmPlE.")));
  ASSERT_EQ(r->answer.size(), 1u);
  EXPECT_TRUE(r->answer[0].name.exact_equals(*Name::from_text("WwW.ExAmPlE.")));
  EXPECT_EQ(r->answer[0].ttl, 200u);
  EXPECT_TRUE(r->edns.has_value());
}

TEST_F(QueryHandlerTest, NoEdnsInTheAnswerWhenTheQueryHadNone) {
  CacheRecords("www.example. 300 IN A 192.0.2.7");
  auto r = Ask(Query("www.example.", RRType::A, 0));
  ASSERT_TRUE(r.has_value());
  EXPECT_FALSE(r->edns.has_value());
  EXPECT_EQ(r->answer.size(), 1u);
}

TEST_F(QueryHandlerTest, NegativeAnswersCarryTheSoa) {
  auto soa = *dns::parse_record("example. 3600 IN SOA ns.example. h.example. 1 2 3 4 300");
  cache_.insert_negative(*Name::from_text("nope.example."), RRType::A, RRClass::IN,
                         cache::NegativeKind::kNxDomain, soa, cache::Rank::kAuthAuthority, kT0);
  auto r = Ask(Query("nope.example.", RRType::MX), Loopback(), kT0 + 50);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->rcode(), Rcode::kNXDomain);
  EXPECT_TRUE(r->answer.empty());
  ASSERT_EQ(r->authority.size(), 1u);
  EXPECT_EQ(r->authority[0].type, RRType::SOA);
  EXPECT_EQ(r->authority[0].ttl, 250u);
}

TEST_F(QueryHandlerTest, MissIsServfailWithAnExtendedError) {
  auto r = Ask(Query("uncached.example.", RRType::A));
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(last_.outcome, Outcome::kServFail);
  EXPECT_EQ(r->rcode(), Rcode::kServFail);
  auto ede = r->edns->extended_errors();
  ASSERT_EQ(ede.size(), 1u);
  EXPECT_EQ(ede[0].code, dns::EdeCode::kNotReady);
  EXPECT_NE(ede[0].text.find("not available"), std::string::npos);
}

TEST_F(QueryHandlerTest, AccessControl) {
  Client outsider = Loopback();
  outsider.address = {192, 0, 2, 1};
  auto r = Ask(Query("www.example.", RRType::A), outsider);  // default: refuse non-loopback
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->rcode(), Rcode::kRefused);
  EXPECT_EQ(r->questions.size(), 1u);
  EXPECT_EQ(last_.outcome, Outcome::kRefusedAcl);
  config_.access_control.insert(config_.access_control.begin(),
                                {*util::parse_cidr("192.0.2.0/24"), config::AclAction::kDeny});
  EXPECT_FALSE(Ask(Query("www.example.", RRType::A), outsider).has_value());
  EXPECT_EQ(last_.outcome, Outcome::kDroppedAcl);
  Client v6 = Loopback();
  v6.length = 16;
  v6.address = {};
  v6.address[15] = 1;                                                             // ::1
  EXPECT_EQ(Ask(Query("x.example.", RRType::A), v6)->rcode(), Rcode::kServFail);  // allowed through
}

TEST_F(QueryHandlerTest, ProtocolEdges) {
  // QR=1: dropped. Shorter than a header: dropped.
  Message resp = Query("www.example.", RRType::A);
  resp.header.qr = true;
  EXPECT_FALSE(Ask(resp).has_value());
  EXPECT_EQ(last_.outcome, Outcome::kDroppedResponse);
  EXPECT_FALSE(Ask(std::vector<std::uint8_t>{0x12, 0x34, 0x01}).has_value());
  // Opcode other than QUERY: NOTIMP.
  Message notify = Query("example.", RRType::SOA);
  notify.header.opcode = dns::Opcode::kNotify;
  EXPECT_EQ(Ask(notify)->rcode(), Rcode::kNotImp);
  // No question, two questions: FORMERR.
  Message none = Query("example.", RRType::A);
  none.questions.clear();
  EXPECT_EQ(Ask(none)->rcode(), Rcode::kFormErr);
  Message two = Query("example.", RRType::A);
  two.questions.push_back(two.questions[0]);
  EXPECT_EQ(Ask(two)->rcode(), Rcode::kFormErr);
  // EDNS version 1: BADVERS with an OPT of version 0.
  Message v1 = Query("example.", RRType::A);
  v1.edns->flags.version = 1;
  auto bad = Ask(v1);
  ASSERT_TRUE(bad.has_value());
  EXPECT_EQ(bad->rcode(), Rcode::kBadVers);
  ASSERT_TRUE(bad->edns.has_value());
  EXPECT_EQ(bad->edns->flags.version, 0);
  // Zone transfers: REFUSED.
  EXPECT_EQ(Ask(Query("example.", RRType::AXFR))->rcode(), Rcode::kRefused);
  EXPECT_EQ(Ask(Query("example.", RRType::IXFR))->rcode(), Rcode::kRefused);
}

TEST_F(QueryHandlerTest, MalformedCorpusGetsFormerrOrSilenceNeverACrash) {
  for (const auto& entry : vigil::testing::load_malformed_corpus()) {
    SCOPED_TRACE(entry.name);
    auto r = Ask(entry.bytes);
    if (entry.bytes.size() < dns::kHeaderSize) {
      EXPECT_FALSE(r.has_value());
    } else {
      ASSERT_TRUE(r.has_value());
      EXPECT_EQ(r->rcode(), Rcode::kFormErr);
      EXPECT_EQ(r->header.id, 0x1234);
    }
  }
}

TEST_F(QueryHandlerTest, ChaosIdentityQueries) {
  Message q = Query("version.bind.", RRType::TXT);
  q.questions[0].rclass = RRClass::CH;
  auto r = Ask(q);
  ASSERT_TRUE(r.has_value());
  ASSERT_EQ(r->answer.size(), 1u);
  EXPECT_EQ(r->answer[0].rclass, RRClass::CH);
  EXPECT_EQ(dns::rdata_to_text(RRType::TXT, r->answer[0].rdata).rfind("\"vigil ", 0), 0u);
  q.questions[0].name = *Name::from_text("id.server.");
  EXPECT_EQ(dns::rdata_to_text(RRType::TXT, Ask(q)->answer[0].rdata), "\"vigil-test\"");
  q.questions[0].name = *Name::from_text("other.bind.");
  EXPECT_EQ(Ask(q)->rcode(), Rcode::kRefused);
  config::Config hide = config_;
  hide.server.hide_version = true;
  QueryHandler hidden(hide, local_, cache_);
  std::vector<std::uint8_t> out(512);
  q.questions[0].name = *Name::from_text("version.bind.");
  auto w = q.to_wire();
  EXPECT_EQ(hidden.handle(w, Loopback(), out, kT0).outcome, Outcome::kRefusedClass);
  q.questions[0].name = *Name::from_text("hostname.bind.");
  w = q.to_wire();
  EXPECT_EQ(hidden.handle(w, Loopback(), out, kT0).outcome, Outcome::kChaos);
  Message hs = Query("example.", RRType::A);
  hs.questions[0].rclass = RRClass::HS;
  EXPECT_EQ(Ask(hs)->rcode(), Rcode::kRefused);
}

TEST_F(QueryHandlerTest, UdpSizeLimitsAndTruncation) {
  dns::RRset big{*Name::from_text("big.example."), RRType::TXT, RRClass::IN, 300, {}};
  for (int i = 0; i < 10; ++i) {
    std::vector<std::string> s = {std::string(200, static_cast<char>('a' + i))};
    big.rdatas.push_back(dns::make_txt_rdata(s));
  }
  cache_.insert(big, cache::Rank::kAuthAnswer, kT0);
  std::size_t size = 0;
  // No EDNS: 512 octets, TC=1, no partial RRset.
  auto r = Ask(Query("big.example.", RRType::TXT, 0).to_wire(), Loopback(), kT0, &size);
  ASSERT_TRUE(r.has_value());
  EXPECT_LE(size, 512u);
  EXPECT_TRUE(r->header.tc);
  EXPECT_TRUE(r->answer.empty());
  // The client offers 4096 but the server caps UDP at 1232.
  r = Ask(Query("big.example.", RRType::TXT, 4096).to_wire(), Loopback(), kT0, &size);
  EXPECT_LE(size, 1232u);
  EXPECT_TRUE(r->header.tc);
  // Over TCP the whole RRset fits.
  r = Ask(Query("big.example.", RRType::TXT, 0).to_wire(), Loopback(Transport::kTcp), kT0, &size);
  EXPECT_FALSE(r->header.tc);
  EXPECT_EQ(r->answer.size(), 10u);
}

TEST_F(QueryHandlerTest, LocalDataComesBeforeTheCache) {
  CacheRecords("printer.lan. 300 IN A 203.0.113.9");  // local data wins
  auto r = Ask(Query("printer.lan.", RRType::A));
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(last_.outcome, Outcome::kLocal);
  EXPECT_EQ(r->rcode(), Rcode::kNoError);
  EXPECT_FALSE(r->header.aa);
  ASSERT_EQ(r->answer.size(), 1u);
  EXPECT_EQ(r->answer[0].rdata, (std::vector<std::uint8_t>{192, 168, 1, 20}));
  EXPECT_EQ(r->answer[0].ttl, 3600u);

  r = Ask(Query("scanner.lan.", RRType::A));
  EXPECT_EQ(r->rcode(), Rcode::kNXDomain);
  ASSERT_EQ(r->authority.size(), 1u);
  EXPECT_EQ(r->authority[0].type, RRType::SOA);
  r = Ask(Query("printer.lan.", RRType::AAAA));
  EXPECT_EQ(r->rcode(), Rcode::kNoError);
  EXPECT_TRUE(r->answer.empty());
  EXPECT_EQ(r->authority.size(), 1u);
  r = Ask(Query("20.1.168.192.in-addr.arpa.", RRType::PTR));
  ASSERT_EQ(r->answer.size(), 1u);
  EXPECT_EQ(dns::rdata_to_text(RRType::PTR, r->answer[0].rdata), "printer.lan.");

  r = Ask(Query("x.ads.example.", RRType::A));
  EXPECT_EQ(r->rcode(), Rcode::kRefused);
  EXPECT_EQ(last_.outcome, Outcome::kRefusedLocal);
  EXPECT_FALSE(Ask(Query("x.tracker.example.", RRType::A)).has_value());
  EXPECT_EQ(last_.outcome, Outcome::kDroppedLocal);
  r = Ask(Query("localhost.", RRType::AAAA));
  ASSERT_EQ(r->answer.size(), 1u);
  EXPECT_EQ(last_.outcome, Outcome::kLocal);
}

TEST_F(QueryHandlerTest, AnyIsAnsweredMinimally) {
  CacheRecords("multi.example. 300 IN MX 10 mail.example.");
  CacheRecords("multi.example. 300 IN TXT \"v=spf1 -all\"");
  auto r = Ask(Query("multi.example.", RRType::ANY));
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->answer.size(), 1u);  // one RRset, not everything (RFC 8482 §4.1)
  EXPECT_EQ(r->answer[0].type, RRType::MX);
  r = Ask(Query("nothing.example.", RRType::ANY));
  EXPECT_EQ(last_.outcome, Outcome::kAnyMinimal);
  ASSERT_EQ(r->answer.size(), 1u);
  EXPECT_EQ(r->answer[0].type, RRType::HINFO);
  EXPECT_EQ(dns::rdata_to_text(RRType::HINFO, r->answer[0].rdata), "\"RFC8482\" \"\"");
  r = Ask(Query("printer.lan.", RRType::ANY));
  EXPECT_EQ(last_.outcome, Outcome::kLocal);
  ASSERT_EQ(r->answer.size(), 1u);
  EXPECT_EQ(r->answer[0].type, RRType::A);
}

TEST_F(QueryHandlerTest, TheIntentBlockListAnswersItsDomainsAndWhatIsBelowThem) {
  monitor::BlockListPublisher block;
  QueryHandler h(config_, local_, cache_, /*resolver_attached=*/true, &block);
  CacheRecords("www.bad-tunnel.example. 300 IN A 192.0.2.7");
  std::vector<std::uint8_t> out(1232);
  auto ask = [&](const char* name) {
    HandleResult r = h.handle(Query(name, RRType::A).to_wire(), Loopback(), out, kT0);
    return std::make_pair(r, Message::parse({out.data(), r.size}));
  };
  EXPECT_EQ(ask("www.bad-tunnel.example.").first.outcome, Outcome::kAnswered);  // nothing blocked yet
  block.publish(std::make_shared<const monitor::BlockList>(
      std::vector<Name>{*Name::from_text("bad-tunnel.example.")}, std::uint8_t{3}));
  for (const char* name : {"www.bad-tunnel.example.", "BAD-TUNNEL.example.", "a.b.c.bad-tunnel.example."}) {
    auto [r, m] = ask(name);
    EXPECT_EQ(r.outcome, Outcome::kBlocked) << name;
    ASSERT_TRUE(m.ok());
    EXPECT_EQ(m->rcode(), Rcode::kNXDomain);
    ASSERT_TRUE(m->edns.has_value());
    ASSERT_EQ(m->edns->extended_errors().size(), 1u);
    EXPECT_EQ(m->edns->extended_errors()[0].code, dns::EdeCode::kBlocked);
  }
  EXPECT_EQ(ask("good-tunnel.example.").first.outcome, Outcome::kNeedsResolution);
  EXPECT_EQ(ask("tunnel.example.").first.outcome, Outcome::kNeedsResolution);  // a parent is not blocked
  // Local data is the operator's word and comes first.
  block.publish(std::make_shared<const monitor::BlockList>(
      std::vector<Name>{*Name::from_text("printer.lan.")}, std::uint8_t{5}));
  EXPECT_EQ(ask("printer.lan.").first.outcome, Outcome::kLocal);
  block.publish(std::make_shared<const monitor::BlockList>());
  EXPECT_FALSE(block.active());
  EXPECT_EQ(ask("www.bad-tunnel.example.").first.outcome, Outcome::kAnswered);
}

TEST_F(QueryHandlerTest, WithAResolverAMissAsksForResolutionThenAnswers) {
  QueryHandler h(config_, local_, cache_, /*resolver_attached=*/true);
  auto wire = Query("later.example.", RRType::A).to_wire();
  std::vector<std::uint8_t> out(1232);
  HandleResult first = h.handle(wire, Loopback(), out, kT0);
  EXPECT_EQ(first.outcome, Outcome::kNeedsResolution);
  EXPECT_EQ(first.size, 0u);
  // Hits never need the resolver.
  EXPECT_EQ(h.handle(Query("printer.lan.", RRType::A).to_wire(), Loopback(), out, kT0).outcome,
            Outcome::kLocal);
  // The resolution failed: SERVFAIL with the resolution's reason.
  ResolutionStatus failed{dns::EdeCode::kNoReachableAuthority, "all servers timed out"};
  HandleResult second = h.handle_resolved(wire, Loopback(), out, kT0, failed);
  EXPECT_EQ(second.outcome, Outcome::kServFail);
  auto m = Message::parse({out.data(), second.size});
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->rcode(), Rcode::kServFail);
  ASSERT_TRUE(m->edns.has_value());
  auto edes = m->edns->extended_errors();
  ASSERT_EQ(edes.size(), 1u);
  const auto* ede = &edes[0];
  EXPECT_EQ(ede->code, dns::EdeCode::kNoReachableAuthority);
  EXPECT_EQ(ede->text, "all servers timed out");
  // It succeeded: the answer is in the cache now.
  CacheRecords("later.example. 60 IN A 192.0.2.44");
  EXPECT_EQ(h.handle_resolved(wire, Loopback(), out, kT0, failed).outcome, Outcome::kAnswered);
}

TEST_F(QueryHandlerTest, FinishAnswersFromWhatTheFirstPassLearned) {
  // Issue 23 §1: the miss path runs the handler once. finish() needs only
  // the pending query: not the octets (they are not parsed again), nor a
  // second look at the ACL (a client the configuration now refuses is
  // still answered: it was admitted when it asked).
  QueryHandler h(config_, local_, cache_, /*resolver_attached=*/true);
  std::vector<std::uint8_t> out(4096);
  Message q = Query("MiSs.ExAmPlE.", RRType::TXT, /*payload=*/1232);
  PendingQuery pending;
  ASSERT_EQ(h.handle(q.to_wire(), Loopback(), out, kT0, &pending).outcome, Outcome::kNeedsResolution);
  EXPECT_EQ(pending.resolve_name, *Name::from_text("miss.example."));
  EXPECT_EQ(pending.resolve_type, RRType::TXT);
  EXPECT_EQ(pending.client.port, 40000);
  pending.query.clear();
  pending.client.address = {203, 0, 113, 9};  // outside every access_control rule
  // The resolution left a TXT RRset too large for the client's 1,232 octets.
  dns::RRset big{*Name::from_text("miss.example."), RRType::TXT, dns::RRClass::IN, 300, {}};
  for (const char c : std::string("abcdefgh")) {
    const std::vector<std::string> strings = {std::string(200, c)};
    big.rdatas.push_back(dns::make_txt_rdata(strings));
  }
  cache_.insert(big, cache::Rank::kAuthAnswer, kT0);
  const ResolutionStatus ok{dns::EdeCode::kOther, "the answer was not cached"};
  HandleResult r = h.finish(pending, ok, out, kT0);
  EXPECT_EQ(r.outcome, Outcome::kAnswered);
  EXPECT_EQ(r.cache, monitor::CacheStatus::kMiss);
  EXPECT_TRUE(r.truncated);  // the first pass's EDNS sizing holds
  EXPECT_LE(r.size, 1232u);
  auto m = Message::parse({out.data(), r.size});
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->header.id, 0xABCD);
  ASSERT_EQ(m->questions.size(), 1u);
  EXPECT_EQ(m->questions[0].name.to_text(), "MiSs.ExAmPlE.");  // the client's case
  EXPECT_TRUE(m->edns.has_value());
  // A hit on the first pass says so.
  EXPECT_EQ(h.handle(q.to_wire(), Loopback(), out, kT0).cache, monitor::CacheStatus::kHit);
}

TEST_F(QueryHandlerTest, CnameChainsAreAnsweredWhole) {
  CacheRecords("www.shop.example. 300 IN CNAME shop.cdn.example.");
  CacheRecords("shop.cdn.example. 60 IN CNAME edge.cdn.example.");
  CacheRecords("edge.cdn.example. 20 IN A 192.0.2.9");
  auto r = Ask(Query("WWW.shop.example.", RRType::A));
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(last_.outcome, Outcome::kAnswered);
  EXPECT_EQ(r->rcode(), Rcode::kNoError);
  ASSERT_EQ(r->answer.size(), 3u);
  EXPECT_EQ(r->answer[0].name.to_text(), "WWW.shop.example.");  // the client's case
  EXPECT_EQ(r->answer[0].type, RRType::CNAME);
  EXPECT_EQ(r->answer[1].name.to_text(), "shop.cdn.example.");
  EXPECT_EQ(r->answer[2].name.to_text(), "edge.cdn.example.");
  EXPECT_EQ(r->answer[2].type, RRType::A);
  EXPECT_FALSE(r->header.aa);
  EXPECT_TRUE(r->header.ra);
  // Asked for the CNAME itself: just the CNAME.
  auto c = Ask(Query("www.shop.example.", RRType::CNAME));
  ASSERT_EQ(c->answer.size(), 1u);
}

// Issue 23 §5: resolver.max_cname_chain (12) links are answered from the
// cache, as the engine follows them (CnameChainLimitTest); a 13th is not.
TEST_F(QueryHandlerTest, TwelveCnameLinksAreAnsweredAndAThirteenthIsNot) {
  ASSERT_EQ(config_.resolver.max_cname_chain, 12u);
  for (int i = 0; i < 13; ++i) {
    CacheRecords("l" + std::to_string(i) + ".chain.example. 300 IN CNAME l" + std::to_string(i + 1) +
                 ".chain.example.");
  }
  CacheRecords("l13.chain.example. 300 IN A 192.0.2.13");
  auto r = Ask(Query("l1.chain.example.", RRType::A));
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->rcode(), Rcode::kNoError);
  ASSERT_EQ(r->answer.size(), 13u);  // 12 CNAMEs and the A
  EXPECT_EQ(r->answer[12].type, RRType::A);
  auto longer = Ask(Query("l0.chain.example.", RRType::A));
  ASSERT_TRUE(longer.has_value());
  for (const auto& rr : longer->answer) EXPECT_NE(rr.type, RRType::A) << rr.name.to_text();
}

TEST_F(QueryHandlerTest, ASynthesisedCnameGoesOutAfterItsDname) {
  CacheRecords("legacy.example. 3600 IN DNAME example.net.");
  CacheRecords("www.legacy.example. 3600 IN CNAME www.example.net.");
  CacheRecords("www.example.net. 300 IN A 192.0.2.10");
  auto r = Ask(Query("www.legacy.example.", RRType::A));
  ASSERT_TRUE(r.has_value());
  ASSERT_EQ(r->answer.size(), 3u);
  EXPECT_EQ(r->answer[0].type, RRType::DNAME);
  EXPECT_EQ(r->answer[0].name.to_text(), "legacy.example.");
  EXPECT_EQ(r->answer[1].type, RRType::CNAME);
  EXPECT_EQ(r->answer[2].type, RRType::A);
}

TEST_F(QueryHandlerTest, AChainEndingInNxDomainIsNxDomainWithTheChain) {
  CacheRecords("old.example. 300 IN CNAME gone.example.");
  auto soa = *dns::parse_record("example. 3600 IN SOA ns.example. h.example. 1 2 3 4 300");
  cache_.insert_negative(*Name::from_text("gone.example."), RRType::A, RRClass::IN,
                         cache::NegativeKind::kNxDomain, soa, cache::Rank::kAuthAuthority, kT0);
  auto r = Ask(Query("old.example.", RRType::A));
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->rcode(), Rcode::kNXDomain);  // RFC 6604
  ASSERT_EQ(r->answer.size(), 1u);
  EXPECT_EQ(r->answer[0].type, RRType::CNAME);
  ASSERT_EQ(r->authority.size(), 1u);
}

TEST_F(QueryHandlerTest, AnIncompleteChainNeedsResolutionAndALoopIsServfail) {
  QueryHandler h(config_, local_, cache_, /*resolver_attached=*/true);
  CacheRecords("half.example. 300 IN CNAME elsewhere.example.");
  std::vector<std::uint8_t> out(1232);
  auto wire = Query("half.example.", RRType::A).to_wire();
  EXPECT_EQ(h.handle(wire, Loopback(), out, kT0).outcome, Outcome::kNeedsResolution);
  CacheRecords("l1.example. 300 IN CNAME l2.example.");
  CacheRecords("l2.example. 300 IN CNAME l1.example.");
  ResolutionStatus failed{dns::EdeCode::kOther, "CNAME loop at l1.example."};
  EXPECT_EQ(
      h.handle_resolved(Query("l1.example.", RRType::A).to_wire(), Loopback(), out, kT0, failed).outcome,
      Outcome::kServFail);
}

TEST_F(QueryHandlerTest, ALoopIsServfailAfterTheChainFollowed) {
  // Issue 21 §7: the client sees where the chain loops, as Knot Resolver
  // and Unbound answer it; here a DNAME whose target leads back under it.
  QueryHandler h(config_, local_, cache_, /*resolver_attached=*/true);
  CacheRecords("d1.example. 300 IN DNAME d2.example.");
  CacheRecords("x.d1.example. 300 IN CNAME x.d2.example.");
  CacheRecords("d2.example. 300 IN DNAME d1.example.");
  CacheRecords("x.d2.example. 300 IN CNAME x.d1.example.");
  ResolutionStatus failed{dns::EdeCode::kOther, "CNAME loop at x.d1.example."};
  std::vector<std::uint8_t> out(1232);
  HandleResult r =
      h.handle_resolved(Query("x.d1.example.", RRType::A).to_wire(), Loopback(), out, kT0, failed);
  EXPECT_EQ(r.outcome, Outcome::kServFail);
  auto m = Message::parse({out.data(), r.size});
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->rcode(), dns::Rcode::kServFail);
  std::vector<std::string> answer;
  for (const auto& rr : m->answer) answer.push_back(rr.name.to_text() + " " + dns::type_to_string(rr.type));
  EXPECT_EQ(answer, (std::vector<std::string>{"d1.example. DNAME", "x.d1.example. CNAME", "d2.example. DNAME",
                                              "x.d2.example. CNAME"}));
  ASSERT_TRUE(m->edns.has_value());
  ASSERT_EQ(m->edns->extended_errors().size(), 1u);
}

TEST_F(QueryHandlerTest, ANegativeAnswerWithoutSoaIsAnsweredUncached) {
  // Issue 21 §3: the resolution ended in NXDOMAIN (or NODATA) without an
  // SOA, so nothing could be cached: the client gets the RCODE with no
  // records — no SOA, so no TTL for it to cache the answer by (RFC 2308 §5).
  QueryHandler h(config_, local_, cache_, /*resolver_attached=*/true);
  std::vector<std::uint8_t> out(1232);
  ResolutionStatus nx{dns::EdeCode::kOther, "the answer was not cached", dns::Rcode::kNXDomain};
  HandleResult r = h.handle_resolved(Query("gone.example.", RRType::A).to_wire(), Loopback(), out, kT0, nx);
  EXPECT_EQ(r.outcome, Outcome::kNegative);
  auto m = Message::parse({out.data(), r.size});
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->rcode(), dns::Rcode::kNXDomain);
  EXPECT_TRUE(m->answer.empty());
  EXPECT_TRUE(m->authority.empty());
  ASSERT_TRUE(m->edns.has_value());
  EXPECT_TRUE(m->edns->extended_errors().empty());  // an answer, not an error
  // NODATA after a cached CNAME: the chain, then NOERROR with nothing more.
  CacheRecords("alias.example. 300 IN CNAME target.example.");
  ResolutionStatus nodata{dns::EdeCode::kOther, "the answer was not cached", dns::Rcode::kNoError};
  r = h.handle_resolved(Query("alias.example.", RRType::AAAA).to_wire(), Loopback(), out, kT0, nodata);
  m = Message::parse({out.data(), r.size});
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->rcode(), dns::Rcode::kNoError);
  ASSERT_EQ(m->answer.size(), 1u);
  EXPECT_EQ(m->answer[0].type, RRType::CNAME);
}

TEST_F(QueryHandlerTest, ServeStaleAfterAFailedResolution) {
  config::Config cfg = WithLocalData();
  cfg.cache.options.serve_stale = true;
  cache::RRsetCache cache(cfg.cache.options);
  QueryHandler h(cfg, local_, cache, /*resolver_attached=*/true);
  auto rr = *dns::parse_record("www.example. 60 IN A 192.0.2.7");
  cache.insert({rr.name, rr.type, rr.rclass, rr.ttl, {rr.rdata}}, cache::Rank::kAuthAnswer, kT0);
  std::vector<std::uint8_t> out(1232);
  auto wire = Query("www.example.", RRType::A).to_wire();
  const cache::Time later = kT0 + 600;  // expired, inside the stale window
  EXPECT_EQ(h.handle(wire, Loopback(), out, later).outcome, Outcome::kNeedsResolution);
  ResolutionStatus failed{dns::EdeCode::kNoReachableAuthority, "all servers timed out"};
  HandleResult r = h.handle_resolved(wire, Loopback(), out, later, failed);
  EXPECT_EQ(r.outcome, Outcome::kAnswered);
  auto m = Message::parse({out.data(), r.size});
  ASSERT_TRUE(m.ok());
  ASSERT_EQ(m->answer.size(), 1u);
  EXPECT_EQ(m->answer[0].ttl, cfg.cache.options.stale_answer_ttl);
  auto edes = m->edns->extended_errors();
  ASSERT_EQ(edes.size(), 1u);
  EXPECT_EQ(edes[0].code, dns::EdeCode::kStaleAnswer);
  // Past the stale window: nothing to serve.
  EXPECT_EQ(
      h.handle_resolved(wire, Loopback(), out, kT0 + 60 + cfg.cache.options.stale_window + 1, failed).outcome,
      Outcome::kServFail);
}

// Threat feeds: a handler over a policy set, the cache filled as a
// resolution would leave it (tests/rpz_bind_test.py compares the same
// behaviour with BIND on the lab).
class PolicyHandlerTest : public QueryHandlerTest {
 protected:
  static std::shared_ptr<const policy::PolicyFeed> Rpz(const char* body) {
    policy::FeedOptions o;
    o.zone = *Name::from_text("rpz.test.");
    auto f = policy::PolicyFeed::parse(std::string("@ 300 SOA a. b. 9 2 3 4 60\n") + body, o);
    EXPECT_TRUE(f.ok()) << f.error().message;
    return *f;
  }
  void Use(std::vector<policy::PolicySource> feeds) {
    set_ = std::make_shared<const policy::PolicySet>(std::move(feeds), 5, true);
    policy_handler_ = std::make_unique<QueryHandler>(config_, local_, cache_, /*resolver_attached=*/true,
                                                     nullptr, set_.get());
  }
  std::optional<Message> AskP(const char* name, RRType type, Transport t = Transport::kUdp,
                              const ResolutionStatus* after = nullptr) {
    std::vector<std::uint8_t> out(65535);
    const auto wire = Query(name, type).to_wire();
    last_ = after != nullptr ? policy_handler_->handle_resolved(wire, Loopback(t), out, kT0, *after)
                             : policy_handler_->handle(wire, Loopback(t), out, kT0);
    if (last_.size == 0) return std::nullopt;
    auto m = Message::parse({out.data(), last_.size});
    EXPECT_TRUE(m.ok());
    return m.ok() ? std::optional<Message>(*m) : std::nullopt;
  }
  policy::PolicyCounters counters_;
  std::shared_ptr<const policy::PolicySet> set_;
  std::unique_ptr<QueryHandler> policy_handler_;
};

TEST_F(PolicyHandlerTest, AQnameTriggerAnswersNxDomainWithThePolicySoaAndEde) {
  Use({{"malware", policy::FeedMode::kEnforce, Rpz("bad.example CNAME .\n"), &counters_}});
  auto r = AskP("Bad.Example.", RRType::A);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(last_.outcome, Outcome::kPolicy);
  EXPECT_EQ(r->rcode(), Rcode::kNXDomain);
  EXPECT_TRUE(r->answer.empty());
  EXPECT_TRUE(r->authority.empty());
  ASSERT_EQ(r->additional.size(), 1u);
  EXPECT_EQ(r->additional[0].type, RRType::SOA);
  EXPECT_EQ(r->additional[0].name, *Name::from_text("rpz.test."));
  EXPECT_EQ(r->additional[0].ttl, 60u);
  auto edes = r->edns->extended_errors();
  ASSERT_EQ(edes.size(), 1u);
  EXPECT_EQ(edes[0].code, dns::EdeCode::kBlocked);
  EXPECT_EQ(edes[0].text, "policy malware");
  EXPECT_EQ(*last_.policy.feed_name, "malware");
  EXPECT_EQ(last_.policy.trigger, "bad.example.");
  EXPECT_TRUE(last_.policy.enforced);
  // Not resolved first: no upstream query for a name the feed answers.
  EXPECT_NE(last_.outcome, Outcome::kNeedsResolution);
}

TEST_F(PolicyHandlerTest, AnyIsAnsweredAsWithoutFeeds) {
  // Issue 23 §4: ANY is answered in one place. With feeds loaded it used to
  // get an empty NOERROR where the handler without feeds synthesises the
  // RFC 8482 HINFO, and a cached NXDOMAIN went unanswered.
  Use({{"f", policy::FeedMode::kEnforce, Rpz("bad.example CNAME .\n"), nullptr}});
  auto soa = *dns::parse_record("example. 300 IN SOA ns.example. h.example. 1 2 3 4 60");
  cache_.insert_negative(*Name::from_text("gone.example."), RRType::A, dns::RRClass::IN,
                         cache::NegativeKind::kNxDomain, soa, cache::Rank::kAuthAuthority, kT0);
  auto r = AskP("gone.example.", RRType::ANY);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->rcode(), Rcode::kNXDomain);
  EXPECT_EQ(last_.outcome, Outcome::kNegative);
  EXPECT_EQ(AskP("nothing.example.", RRType::ANY), std::nullopt);
  EXPECT_EQ(last_.outcome, Outcome::kNeedsResolution);
  const ResolutionStatus failed{dns::EdeCode::kNoReachableAuthority, "all servers timed out"};
  r = AskP("nothing.example.", RRType::ANY, Transport::kUdp, &failed);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(last_.outcome, Outcome::kAnyMinimal);
  ASSERT_EQ(r->answer.size(), 1u);
  EXPECT_EQ(r->answer[0].type, RRType::HINFO);
  // The feed still answers for its name first.
  r = AskP("bad.example.", RRType::ANY);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(last_.outcome, Outcome::kPolicy);
}

TEST_F(PolicyHandlerTest, LocalDataIsCappedAtTheMaximumPolicyTtlAndMissingTypesAreNoData) {
  Use({{"garden", policy::FeedMode::kEnforce, Rpz("*.adnet.example 3600 A 192.0.2.99\n"), nullptr}});
  auto r = AskP("x.adnet.example.", RRType::A);
  ASSERT_TRUE(r.has_value());
  ASSERT_EQ(r->answer.size(), 1u);
  EXPECT_EQ(r->answer[0].ttl, 5u);
  EXPECT_EQ(r->answer[0].name, *Name::from_text("x.adnet.example."));
  auto n = AskP("x.adnet.example.", RRType::AAAA);
  ASSERT_TRUE(n.has_value());
  EXPECT_EQ(n->rcode(), Rcode::kNoError);
  EXPECT_TRUE(n->answer.empty());
  EXPECT_EQ(last_.policy.trigger, "*.adnet.example.");
}

TEST_F(PolicyHandlerTest, DropSendsNothingAndTcpOnlyTruncatesUdpOnly) {
  Use({{"f", policy::FeedMode::kEnforce,
        Rpz("drop.example CNAME rpz-drop.\ntcp.example CNAME rpz-tcp-only.\n"), nullptr}});
  EXPECT_FALSE(AskP("drop.example.", RRType::A).has_value());
  EXPECT_EQ(last_.outcome, Outcome::kDroppedPolicy);
  auto udp = AskP("tcp.example.", RRType::A);
  ASSERT_TRUE(udp.has_value());
  EXPECT_TRUE(udp->header.tc);
  EXPECT_TRUE(udp->answer.empty());
  CacheRecords("tcp.example. 300 IN A 192.0.2.8");
  auto tcp = AskP("tcp.example.", RRType::A, Transport::kTcp);
  ASSERT_TRUE(tcp.has_value());
  EXPECT_FALSE(tcp->header.tc);
  ASSERT_EQ(tcp->answer.size(), 1u);
  EXPECT_EQ(last_.outcome, Outcome::kAnswered);
}

TEST_F(PolicyHandlerTest, AResponseIpTriggerRewritesTheAnswerThatCarriesTheAddress) {
  Use({{"ips", policy::FeedMode::kEnforce, Rpz("24.0.2.0.192.rpz-ip CNAME .\n"), nullptr}});
  // Not cached yet: resolve first, then look at the addresses.
  EXPECT_FALSE(AskP("www.example.", RRType::A).has_value());
  EXPECT_EQ(last_.outcome, Outcome::kNeedsResolution);
  CacheRecords("www.example. 300 IN A 192.0.2.7");
  auto r = AskP("www.example.", RRType::A);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->rcode(), Rcode::kNXDomain);
  EXPECT_EQ(last_.policy.trigger, "192.0.2.0/24");
  EXPECT_TRUE(last_.policy.address);
  CacheRecords("ok.example. 300 IN A 198.51.100.1");
  auto ok = AskP("ok.example.", RRType::A);
  ASSERT_TRUE(ok.has_value());
  EXPECT_EQ(ok->answer.size(), 1u);
  EXPECT_EQ(last_.outcome, Outcome::kAnswered);
  EXPECT_EQ(last_.policy.feed_name, nullptr);
}

TEST_F(PolicyHandlerTest, ACnameTargetIsCheckedAndTheChainKept) {
  Use({{"f", policy::FeedMode::kEnforce, Rpz("bad.example CNAME *.\n"), nullptr}});
  CacheRecords("alias.example. 300 IN CNAME bad.example.");
  CacheRecords("bad.example. 300 IN A 192.0.2.66");
  auto r = AskP("alias.example.", RRType::A);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->rcode(), Rcode::kNoError);
  ASSERT_EQ(r->answer.size(), 1u);
  EXPECT_EQ(r->answer[0].type, RRType::CNAME);
  EXPECT_EQ(last_.policy.trigger, "bad.example.");
  EXPECT_EQ(last_.policy.action, policy::PolicyAction::kNoData);
}

TEST_F(PolicyHandlerTest, ARedirectResolvesItsTarget) {
  Use({{"f", policy::FeedMode::kEnforce, Rpz("bad.example CNAME walled.example.\n"), nullptr}});
  const auto wire = Query("bad.example.", RRType::A).to_wire();
  PendingQuery pending;
  std::vector<std::uint8_t> first(1232);
  ASSERT_EQ(policy_handler_->handle(wire, Loopback(), first, kT0, &pending).outcome,
            Outcome::kNeedsResolution);
  EXPECT_EQ(pending.resolve_name, *Name::from_text("walled.example."));  // not bad.example
  CacheRecords("walled.example. 300 IN A 192.0.2.80");
  auto r = AskP("bad.example.", RRType::A);
  ASSERT_TRUE(r.has_value());
  ASSERT_EQ(r->answer.size(), 2u);
  EXPECT_EQ(r->answer[0].type, RRType::CNAME);
  EXPECT_EQ(r->answer[0].ttl, 5u);
  EXPECT_EQ(r->answer[1].name, *Name::from_text("walled.example."));
}

TEST_F(PolicyHandlerTest, LogOnlyFeedsLeaveTheAnswerAndAnEarlierPassthruWins) {
  Use({{"watch", policy::FeedMode::kLog, Rpz("www.example CNAME .\n"), nullptr},
       {"allow", policy::FeedMode::kEnforce, Rpz("*.example CNAME rpz-passthru.\n"), nullptr},
       {"block", policy::FeedMode::kEnforce, Rpz("*.example CNAME .\n"), nullptr}});
  CacheRecords("www.example. 300 IN A 192.0.2.7");
  auto r = AskP("www.example.", RRType::A);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->answer.size(), 1u);
  EXPECT_EQ(last_.outcome, Outcome::kAnswered);
  EXPECT_EQ(*last_.policy.feed_name, "allow");  // the rule that decided
  EXPECT_EQ(last_.policy.action, policy::PolicyAction::kPassthru);
}

TEST_F(PolicyHandlerTest, APassthruRuleBeatsTheIntentDetectorsBlock) {
  // Issue 22: the operator's allow list (a PASSTHRU feed) lifts a block.
  Use({{"allow", policy::FeedMode::kEnforce, Rpz("cdn.example CNAME rpz-passthru.\n"), nullptr}});
  monitor::BlockListPublisher block;
  block.publish(std::make_shared<const monitor::BlockList>(
      std::vector<Name>{*Name::from_text("cdn.example."), *Name::from_text("bad.example.")},
      std::uint8_t{3}));
  policy_handler_ =
      std::make_unique<QueryHandler>(config_, local_, cache_, /*resolver_attached=*/true, &block, set_.get());
  CacheRecords("cdn.example. 300 IN A 192.0.2.9");
  auto r = AskP("cdn.example.", RRType::A);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->answer.size(), 1u);
  EXPECT_EQ(last_.outcome, Outcome::kAnswered);
  (void)AskP("bad.example.", RRType::A);
  EXPECT_EQ(last_.outcome, Outcome::kBlocked);  // no rule for it: still blocked
}

TEST_F(PolicyHandlerTest, ANameRuleWaitsForAnEarlierFeedsAddressRule) {
  Use({{"ips", policy::FeedMode::kEnforce, Rpz("32.7.2.0.192.rpz-ip CNAME rpz-passthru.\n"), nullptr},
       {"names", policy::FeedMode::kEnforce, Rpz("*.example CNAME .\n"), nullptr}});
  EXPECT_FALSE(AskP("www.example.", RRType::A).has_value());
  EXPECT_EQ(last_.outcome, Outcome::kNeedsResolution);  // BIND's qname-wait-recurse
  CacheRecords("www.example. 300 IN A 192.0.2.7");
  EXPECT_EQ(AskP("www.example.", RRType::A)->answer.size(), 1u);  // the earlier feed's passthru
  CacheRecords("mail.example. 300 IN A 192.0.2.8");
  EXPECT_EQ(AskP("mail.example.", RRType::A)->rcode(), Rcode::kNXDomain);
  // Resolution failed: the name's rule still applies.
  ResolutionStatus failed{dns::EdeCode::kNoReachableAuthority, "timeout"};
  EXPECT_EQ(AskP("gone.example.", RRType::A, Transport::kUdp, &failed)->rcode(), Rcode::kNXDomain);
}

TEST_F(PolicyHandlerTest, ADirectCacheHitKeepsALogOnlyFeedsNote) {
  // Names only (no rpz-ip anywhere): a cached answer takes the hot path, and
  // the log-only feed's match is still reported with it.
  Use({{"watch", policy::FeedMode::kLog, Rpz("www.example CNAME .\n"), nullptr},
       {"block", policy::FeedMode::kEnforce, Rpz("bad.example CNAME .\n"), nullptr}});
  CacheRecords("www.example. 300 IN A 192.0.2.7");
  auto r = AskP("www.example.", RRType::A);
  ASSERT_TRUE(r.has_value());
  ASSERT_EQ(r->answer.size(), 1u);
  EXPECT_EQ(r->answer[0].rdata, (std::vector<std::uint8_t>{192, 0, 2, 7}));
  EXPECT_EQ(last_.outcome, Outcome::kAnswered);
  ASSERT_NE(last_.policy.feed_name, nullptr);
  EXPECT_EQ(*last_.policy.feed_name, "watch");
  EXPECT_FALSE(last_.policy.enforced);
  EXPECT_EQ(last_.policy.trigger, "www.example.");
}

TEST_F(PolicyHandlerTest, ANameRuleWaitingOnAddressesStillAppliesToOtherCachedTypes) {
  // The name's rule waits for an earlier feed's address rules; a cached TXT
  // carries no address, so the name's rule decides.
  Use({{"ips", policy::FeedMode::kEnforce, Rpz("32.7.2.0.192.rpz-ip CNAME rpz-passthru.\n"), nullptr},
       {"names", policy::FeedMode::kEnforce, Rpz("*.example CNAME .\n"), nullptr}});
  CacheRecords("www.example. 300 IN TXT \"hello\"");
  auto r = AskP("www.example.", RRType::TXT);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->rcode(), Rcode::kNXDomain);
  EXPECT_TRUE(r->answer.empty());
  ASSERT_NE(last_.policy.feed_name, nullptr);
  EXPECT_EQ(*last_.policy.feed_name, "names");
}

}  // namespace
}  // namespace vigil::server
