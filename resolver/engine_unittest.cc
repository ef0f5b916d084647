// The engine against scripted authoritative servers (ScriptedTransport):
// a miniature tree with a root, TLD-like zones and a glueless delegation.
#include "resolver/engine.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <gtest/gtest.h>

#include "protocol/presentation.h"
#include "resolver/scripted_transport.h"

namespace vigil::resolver {
namespace {

using dns::Name;
using dns::RRType;

const ServerAddress kRoot = ServerAddress::v4({127, 1, 0, 1});
const ServerAddress kExample = ServerAddress::v4({127, 2, 0, 1});
const ServerAddress kExampleDead = ServerAddress::v4({127, 2, 0, 9});
const ServerAddress kLab = ServerAddress::v4({127, 4, 0, 1});
const ServerAddress kOther = ServerAddress::v4({127, 5, 0, 1});
const ServerAddress kEvil = ServerAddress::v4({127, 66, 0, 1});

Name N(const char* s) {
  return *Name::from_text(s);
}

class EngineTest : public ::testing::Test {
 protected:
  EngineTest()
      : root_(".", R"(
. 86400 IN SOA a.root.lab. admin.lab. 1 1800 900 604800 86400
. 518400 IN NS a.root.lab.
example. 172800 IN NS ns0.example.
example. 172800 IN NS ns1.example.
ns0.example. 172800 IN A 127.2.0.9
ns1.example. 172800 IN A 127.2.0.1
lab. 172800 IN NS ns1.lab.
ns1.lab. 172800 IN A 127.4.0.1
other. 172800 IN NS ns.hosting.lab.
)"),
        example_("example.", R"(
example. 3600 IN SOA ns1.example. admin.example. 1 3600 900 604800 300
example. 3600 IN NS ns1.example.
ns1.example. 3600 IN A 127.2.0.1
www.example. 300 IN A 127.0.0.80
alias.example. 300 IN CNAME www.other.
loop1.example. 300 IN CNAME loop2.example.
loop2.example. 300 IN CNAME loop1.example.
)"),
        lab_("lab.", R"(
lab. 3600 IN SOA ns1.lab. admin.lab. 1 3600 900 604800 300
lab. 3600 IN NS ns1.lab.
ns1.lab. 3600 IN A 127.4.0.1
ns.hosting.lab. 3600 IN A 127.5.0.1
)"),
        other_("other.", R"(
other. 3600 IN SOA ns.hosting.lab. admin.other. 1 3600 900 604800 300
other. 3600 IN NS ns.hosting.lab.
www.other. 300 IN A 127.0.0.81
)") {
    transport_.serve(kRoot, root_.handler());
    transport_.serve(kExample, example_.handler());
    transport_.serve(kLab, lab_.handler());
    transport_.serve(kOther, other_.handler());
    // kExampleDead and kEvil never answer.
    RootHints hints = *parse_root_hints(". 1 NS a.root.lab.\na.root.lab. 1 A 127.1.0.1\n");
    engine_ = std::make_unique<Engine>(cache_, infra_, transport_, clock_, hints);
  }

  ResolveOutcome Resolve(const char* name, RRType type = RRType::A) {
    boost::asio::io_context io;
    auto f = boost::asio::co_spawn(io, engine_->resolve(N(name), type), boost::asio::use_future);
    io.run();
    return f.get();
  }
  std::size_t QueriesTo(const ServerAddress& s) const {
    return static_cast<std::size_t>(std::count_if(transport_.log().begin(), transport_.log().end(),
                                                  [&](const ScriptedExchange& e) { return e.server == s; }));
  }

  ManualClock clock_;
  cache::RRsetCache cache_;
  cache::InfraCache infra_;
  ScriptedTransport transport_{&clock_};
  AuthoritativeZone root_, example_, lab_, other_;
  std::unique_ptr<Engine> engine_;
};

TEST_F(EngineTest, WalksFromTheRootAndCaches) {
  ResolveOutcome r = Resolve("www.example.");
  ASSERT_TRUE(r.ok) << r.why;
  auto a = cache_.lookup(N("www.example."), RRType::A, dns::RRClass::IN, clock_.wall());
  ASSERT_TRUE(a.positive.has_value());
  EXPECT_EQ(a.positive->rrset.rdatas[0], (std::vector<std::uint8_t>{127, 0, 0, 80}));
  EXPECT_EQ(a.positive->rank, cache::Rank::kAuthAnswer);
  EXPECT_EQ(QueriesTo(kRoot), 1u);
  // Again: from the cache, no query at all.
  const std::size_t before = transport_.log().size();
  EXPECT_TRUE(Resolve("www.example.").ok);
  EXPECT_EQ(transport_.log().size(), before);
  // A sibling starts at the cached zone cut, not at the root.
  EXPECT_TRUE(Resolve("nope.example.").ok);
  EXPECT_EQ(QueriesTo(kRoot), 1u);
}

TEST_F(EngineTest, QueriesCarryRandomIdsAndCase) {
  ASSERT_TRUE(Resolve("www.example.").ok);
  bool mixed = false;
  for (const auto& e : transport_.log()) {
    const std::string t = e.qname.to_text();
    mixed = mixed || t != e.qname.lowercased().to_text();
    EXPECT_TRUE(e.edns);
  }
  EXPECT_TRUE(mixed);  // 0x20: some letter went upper case (2^-20 chance of a false failure)
}

TEST_F(EngineTest, NxDomainAndNoDataAreCachedWithTheSoa) {
  ASSERT_TRUE(Resolve("nope.example.").ok);
  auto nx = cache_.lookup(N("nope.example."), RRType::A, dns::RRClass::IN, clock_.wall());
  ASSERT_TRUE(nx.negative.has_value());
  EXPECT_EQ(nx.negative->kind, cache::NegativeKind::kNxDomain);
  ASSERT_TRUE(Resolve("www.example.", RRType::AAAA).ok);
  auto nodata = cache_.lookup(N("www.example."), RRType::AAAA, dns::RRClass::IN, clock_.wall());
  ASSERT_TRUE(nodata.negative.has_value());
  EXPECT_EQ(nodata.negative->kind, cache::NegativeKind::kNoData);
}

TEST_F(EngineTest, CnameAcrossZonesThroughAGluelessDelegation) {
  ResolveOutcome r = Resolve("alias.example.");
  ASSERT_TRUE(r.ok) << r.why;
  EXPECT_TRUE(cache_.lookup(N("alias.example."), RRType::CNAME, dns::RRClass::IN, clock_.wall()).positive);
  auto a = cache_.lookup(N("www.other."), RRType::A, dns::RRClass::IN, clock_.wall());
  ASSERT_TRUE(a.positive.has_value());
  // other.'s server name had no glue: the engine resolved it under lab.
  EXPECT_GE(QueriesTo(kLab), 1u);
  EXPECT_GE(QueriesTo(kOther), 1u);
}

TEST_F(EngineTest, CnameLoopsFail) {
  ResolveOutcome r = Resolve("loop1.example.");
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.why.find("CNAME loop"), std::string::npos) << r.why;
}

TEST_F(EngineTest, ATimeoutMovesOnToTheNextServerAndIsRemembered) {
  ASSERT_TRUE(Resolve("www.example.").ok);
  // ns0.example. comes first in the referral and is dead: one timeout, then ns1.
  EXPECT_EQ(QueriesTo(kExampleDead), 1u);
  EXPECT_EQ(QueriesTo(kExample), 1u);
  EXPECT_EQ(infra_.get(kExampleDead, clock_.wall()).timeouts, 1u);
  // Now the live server is known to be fast and goes first.
  ASSERT_TRUE(Resolve("nope.example.").ok);
  EXPECT_EQ(QueriesTo(kExampleDead), 1u);
  EXPECT_EQ(QueriesTo(kExample), 2u);
}

TEST_F(EngineTest, OutOfBailiwickGlueIsNeverUsed) {
  // A root that hands out glue for a name outside the delegated zone.
  transport_.serve(kRoot, [](const dns::Message& q, bool) -> std::optional<dns::Message> {
    dns::Message m = reply_to(q);
    m.authority.push_back(*dns::parse_record("other. 172800 IN NS ns.hosting.lab."));
    m.additional.push_back(*dns::parse_record("ns.hosting.lab. 172800 IN A 127.66.0.1"));
    if (q.questions[0].name.is_subdomain_of(*Name::from_text("lab."))) {
      m.authority = {*dns::parse_record("lab. 172800 IN NS ns1.lab.")};
      m.additional = {*dns::parse_record("ns1.lab. 172800 IN A 127.4.0.1")};
    }
    return m;
  });
  ResolveOutcome r = Resolve("www.other.");
  ASSERT_TRUE(r.ok) << r.why;
  EXPECT_EQ(QueriesTo(kEvil), 0u);
  auto glue = cache_.lookup(N("ns.hosting.lab."), RRType::A, dns::RRClass::IN, clock_.wall());
  ASSERT_TRUE(glue.positive.has_value());  // learned from lab.'s servers, not from the root's glue
  EXPECT_EQ(glue.positive->rrset.rdatas[0], (std::vector<std::uint8_t>{127, 5, 0, 1}));
}

TEST_F(EngineTest, NoReachableAuthorityIsRememberedBriefly) {
  transport_.serve(kRoot, [](const dns::Message&, bool) { return std::optional<dns::Message>(); });
  ResolveOutcome r = Resolve("www.example.");
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.ede, dns::EdeCode::kNoReachableAuthority);
  EXPECT_GT(r.upstream_queries, 0u);
  // Clients retrying a dead zone cost nothing upstream for servfail_ttl (5 s).
  const std::size_t sent = transport_.log().size();
  ResolveOutcome again = Resolve("WWW.example.");
  EXPECT_FALSE(again.ok);
  EXPECT_EQ(again.ede, dns::EdeCode::kNoReachableAuthority);
  EXPECT_EQ(transport_.log().size(), sent);
  EXPECT_NE(again.why.find("cached failure"), std::string::npos);
  // Afterwards the engine tries again.
  clock_.advance(std::chrono::seconds(6));
  EXPECT_FALSE(Resolve("www.example.").ok);
  EXPECT_GT(transport_.log().size(), sent);
}

}  // namespace
}  // namespace vigil::resolver
