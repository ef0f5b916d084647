// The cache writer: what a classified reply leaves in the cache, and what
// it tells the driver it learned (so the driver never reads it back).
#include "resolver/cache_writer.h"

#include <gtest/gtest.h>

#include "protocol/presentation.h"
#include "protocol/rdata.h"
#include "resolver/scripted_transport.h"

namespace vigil::resolver {
namespace {

using dns::Message;
using dns::Name;
using dns::RRClass;
using dns::RRType;

Name WriterName(const char* s) {
  return *Name::from_text(s);
}

dns::ResourceRecord WriterRr(const char* text) {
  auto rrs = dns::parse_zone_text(text, Name());
  EXPECT_TRUE(rrs.ok()) << text;
  return rrs->at(0);
}

class CacheWriterTest : public ::testing::Test {
 protected:
  Message Reply(const char* qname, RRType qtype, bool aa = true) {
    Message m = reply_to(dns::make_query(1, WriterName(qname), qtype, false));
    m.header.aa = aa;
    return m;
  }
  cache::CacheAnswer Lookup(const char* name, RRType type) {
    return cache_.lookup(WriterName(name), type, RRClass::IN, clock_.wall());
  }
  ManualClock clock_;
  cache::RRsetCache cache_;
  CacheWriter writer_{cache_, clock_};
};

TEST_F(CacheWriterTest, AnAnswerIsCachedAndItsDataReturned) {
  Message m = Reply("www.example.", RRType::A);
  m.answer.push_back(WriterRr("www.example. 300 IN A 127.0.0.80"));
  Learned l =
      writer_.write(m, ReplyKind::kAnswer, WriterName("example."), WriterName("www.example."), RRType::A);
  ASSERT_EQ(l.rdatas.size(), 1u);
  EXPECT_EQ(l.rdatas[0], (std::vector<std::uint8_t>{127, 0, 0, 80}));
  EXPECT_FALSE(l.alias);
  auto a = Lookup("www.example.", RRType::A);
  ASSERT_TRUE(a.positive);
  EXPECT_EQ(a.positive->rank, cache::Rank::kAuthAnswer);
}

TEST_F(CacheWriterTest, AnAliasReturnsItsTargetAndADnameSynthesisesIt) {
  Message m = Reply("alias.example.", RRType::A);
  m.answer.push_back(WriterRr("alias.example. 300 IN CNAME www.other."));
  Learned l =
      writer_.write(m, ReplyKind::kCname, WriterName("example."), WriterName("alias.example."), RRType::A);
  ASSERT_TRUE(l.alias);
  EXPECT_EQ(l.alias->to_text(), "www.other.");
  // Under a DNAME the server's CNAME is not taken: the writer makes its own.
  Message d = Reply("www.legacy.example.", RRType::A);
  d.answer.push_back(WriterRr("legacy.example. 3600 IN DNAME other."));
  d.answer.push_back(WriterRr("www.legacy.example. 3600 IN CNAME forged.evil."));
  Learned ld = writer_.write(d, ReplyKind::kCname, WriterName("example."), WriterName("www.legacy.example."),
                             RRType::A);
  ASSERT_TRUE(ld.alias);
  EXPECT_EQ(ld.alias->to_text(), "www.other.");
  auto c = Lookup("www.legacy.example.", RRType::CNAME);
  ASSERT_TRUE(c.positive);
  EXPECT_EQ(dns::rdata_target_name(RRType::CNAME, c.positive->rrset.rdatas[0])->to_text(), "www.other.");
}

TEST_F(CacheWriterTest, NegativeAnswersAreCachedOnlyWithAUsableSoaOfTheZone) {
  Message m = Reply("nope.example.", RRType::A);
  m.set_rcode(dns::Rcode::kNXDomain);
  m.authority.push_back(WriterRr("example. 300 IN SOA ns1.example. admin.example. 1 3600 900 604800 300"));
  Learned l =
      writer_.write(m, ReplyKind::kNxDomain, WriterName("example."), WriterName("nope.example."), RRType::A);
  EXPECT_EQ(l.negative_cached, cache::NegativeKind::kNxDomain);
  EXPECT_TRUE(Lookup("nope.example.", RRType::A).negative);
  // An SOA of another zone: not cached (RFC 2308 §5).
  Message o = Reply("gone.example.", RRType::A);
  o.set_rcode(dns::Rcode::kNXDomain);
  o.authority.push_back(WriterRr("other. 300 IN SOA ns.other. admin.other. 1 3600 900 604800 300"));
  EXPECT_FALSE(
      writer_.write(o, ReplyKind::kNxDomain, WriterName("example."), WriterName("gone.example."), RRType::A)
          .negative_cached);
}

TEST_F(CacheWriterTest, AReferralLeavesTheChildsNsSetAndGlueAtGlueRank) {
  Message m = Reply("www.sub.example.", RRType::A, false);
  m.authority.push_back(WriterRr("sub.example. 3600 IN NS ns.sub.example."));
  m.additional.push_back(WriterRr("ns.sub.example. 3600 IN A 127.2.0.5"));
  m.additional.push_back(WriterRr("unnamed.example. 3600 IN A 127.2.0.6"));  // no NS names it
  writer_.write(m, ReplyKind::kReferral, WriterName("example."), WriterName("www.sub.example."), RRType::A);
  const cache::LookupOptions resolution{.for_resolution = true, .allow_stale = false};
  auto ns = cache_.lookup(WriterName("sub.example."), RRType::NS, RRClass::IN, clock_.wall(), resolution);
  ASSERT_TRUE(ns.positive);
  auto glue = cache_.lookup(WriterName("ns.sub.example."), RRType::A, RRClass::IN, clock_.wall(), resolution);
  ASSERT_TRUE(glue.positive);
  EXPECT_EQ(glue.positive->rank, cache::Rank::kAdditional);
  EXPECT_FALSE(Lookup("ns.sub.example.", RRType::A).positive);  // never an answer to a client
  EXPECT_FALSE(
      cache_.lookup(WriterName("unnamed.example."), RRType::A, RRClass::IN, clock_.wall(), resolution)
          .positive);
}

TEST_F(CacheWriterTest, OtherZonesAnswerRecordsAreNotCached) {
  Message m = Reply("www.example.", RRType::A);
  m.answer.push_back(WriterRr("www.example. 300 IN CNAME www.bank."));
  m.answer.push_back(WriterRr("www.bank. 300 IN A 127.66.0.1"));  // example.'s server may not say this
  Learned l =
      writer_.write(m, ReplyKind::kCname, WriterName("example."), WriterName("www.example."), RRType::A);
  EXPECT_EQ(l.alias->to_text(), "www.bank.");
  EXPECT_TRUE(Lookup("www.example.", RRType::CNAME).positive);
  EXPECT_FALSE(Lookup("www.bank.", RRType::A).positive);
}

TEST_F(CacheWriterTest, WhatTheCacheRefusedIsNotLearnedWhatItHoldsIs) {
  Message auth = Reply("alias.example.", RRType::A);
  auth.answer.push_back(WriterRr("alias.example. 300 IN CNAME www.other."));
  writer_.write(auth, ReplyKind::kCname, WriterName("example."), WriterName("alias.example."), RRType::A);
  Message weaker = Reply("alias.example.", RRType::A, /*aa=*/false);
  weaker.answer.push_back(WriterRr("alias.example. 300 IN CNAME www.example."));
  Learned l = writer_.write(weaker, ReplyKind::kCname, WriterName("example."), WriterName("alias.example."),
                            RRType::A);
  ASSERT_TRUE(l.alias);
  EXPECT_EQ(l.alias->to_text(), "www.other.");  // the authoritative one the cache kept
}

}  // namespace
}  // namespace vigil::resolver
