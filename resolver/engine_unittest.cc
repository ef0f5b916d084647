// The engine against scripted authoritative servers (ScriptedTransport):
// a miniature tree with a root, TLD-like zones and a glueless delegation.
#include "resolver/engine.h"

#include <future>
#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <gtest/gtest.h>

#include "protocol/presentation.h"
#include "protocol/rdata.h"
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

// Who was asked what, in order: "127.2.0.1 www.example. A".
std::vector<std::string> Asked(const ScriptedTransport& t, std::size_t from = 0) {
  std::vector<std::string> out;
  for (std::size_t i = from; i < t.log().size(); ++i) {
    const auto& e = t.log()[i];
    std::string server = e.server.to_string();
    server = server.substr(0, server.rfind(':'));
    out.push_back(server + " " + e.qname.lowercased().to_text() + " " + dns::type_to_string(e.qtype));
  }
  return out;
}

const std::string kRootText = R"(
. 86400 IN SOA a.root.lab. admin.lab. 1 1800 900 604800 86400
. 518400 IN NS a.root.lab.
example. 172800 IN NS ns0.example.
example. 172800 IN NS ns1.example.
ns0.example. 172800 IN A 127.2.0.9
ns1.example. 172800 IN A 127.2.0.1
lab. 172800 IN NS ns1.lab.
ns1.lab. 172800 IN A 127.4.0.1
other. 172800 IN NS ns.hosting.lab.
)";

class EngineTest : public ::testing::Test {
 protected:
  EngineTest()
      : root_(".", kRootText),
        example_("example.", R"(
example. 3600 IN SOA ns1.example. admin.example. 1 3600 900 604800 300
example. 3600 IN NS ns1.example.
ns1.example. 3600 IN A 127.2.0.1
www.example. 300 IN A 127.0.0.80
alias.example. 300 IN CNAME www.other.
loop1.example. 300 IN CNAME loop2.example.
loop2.example. 300 IN CNAME loop1.example.
x.y.example. 300 IN A 127.0.0.82
chain.example. 300 IN CNAME www.example.
legacy.example. 3600 IN DNAME other.
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
    limits_.explore_one_in = 0;  // deterministic server order
    MakeEngine();
  }

  void MakeEngine(EngineOptions options = {}, UpstreamTransport* transport = nullptr) {
    RootHints hints = *parse_root_hints(". 1 NS a.root.lab.\na.root.lab. 1 A 127.1.0.1\n");
    engine_ = std::make_unique<Engine>(cache_, infra_, transport != nullptr ? *transport : transport_, clock_,
                                       hints, limits_, std::move(options));
  }
  Trace TraceOf(const char* name, RRType type = RRType::A) {
    boost::asio::io_context io;
    auto f = boost::asio::co_spawn(io, engine_->trace(N(name), type), boost::asio::use_future);
    io.run();
    return f.get();
  }
  bool Cached(const char* name, RRType type = RRType::A) {
    return cache_.lookup(N(name), type, dns::RRClass::IN, clock_.wall()).positive.has_value();
  }
  std::size_t Sent() const { return transport_.log().size(); }
  std::size_t CountTo(const ServerAddress& s, const char* name, RRType type = RRType::A) const {
    return static_cast<std::size_t>(std::count_if(
        transport_.log().begin(), transport_.log().end(),
        [&](const ScriptedExchange& e) { return e.server == s && e.qname == N(name) && e.qtype == type; }));
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
  ResolverLimits limits_;
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
  EXPECT_EQ(QueriesTo(kRoot), 2u);  // priming (. NS), then the referral to example.
  EXPECT_EQ(transport_.count(N("."), RRType::NS), 1u);
  // Again: from the cache, no query at all.
  const std::size_t before = transport_.log().size();
  EXPECT_TRUE(Resolve("www.example.").ok);
  EXPECT_EQ(transport_.log().size(), before);
  // A sibling starts at the cached zone cut, not at the root.
  EXPECT_TRUE(Resolve("nope.example.").ok);
  EXPECT_EQ(QueriesTo(kRoot), 2u);
}

TEST_F(EngineTest, ARefreshAsksAgainThoughTheAnswerIsCached) {
  ASSERT_TRUE(Resolve("www.example.").ok);
  const std::size_t before = transport_.count(N("www.example."), RRType::A);
  ASSERT_TRUE(Resolve("www.example.").ok);
  EXPECT_EQ(transport_.count(N("www.example."), RRType::A), before);  // from the cache
  boost::asio::io_context io;
  auto f = boost::asio::co_spawn(io, engine_->resolve(N("www.example."), RRType::A, /*refresh=*/true),
                                 boost::asio::use_future);
  io.run();
  EXPECT_TRUE(f.get().ok);
  EXPECT_EQ(transport_.count(N("www.example."), RRType::A), before + 1);  // prefetch: asked again
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

TEST_F(EngineTest, TheRandomLetterCaseNeverReachesTheCache) {
  for (int i = 0; i < 4; ++i) {
    // The CNAME's target compresses to the question's (randomly cased) name.
    ASSERT_TRUE(Resolve("chain.example.").ok);
    auto cname = cache_.lookup(N("chain.example."), RRType::CNAME, dns::RRClass::IN, clock_.wall());
    ASSERT_TRUE(cname.positive.has_value());
    EXPECT_EQ(cname.positive->rrset.name.to_text(), "chain.example.");
    EXPECT_EQ(dns::rdata_target_name(RRType::CNAME, cname.positive->rrset.rdatas[0])->to_text(),
              "www.example.");
    auto ns =
        cache_.lookup(N("example."), RRType::NS, dns::RRClass::IN, clock_.wall(), {.for_resolution = true});
    ASSERT_TRUE(ns.positive.has_value());
    EXPECT_EQ(ns.positive->rrset.name.to_text(), "example.");
    cache_.flush_all();
  }
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

TEST_F(EngineTest, AServerThatMissedOnceIsAskedAgainWithALongerTimeout) {
  // The only root server drops its first query (a stall under load): the
  // engine asks it again, with the backed-off timeout, instead of failing.
  int dropped = 0;
  transport_.serve(kRoot, [&](const dns::Message& q, bool tcp) -> std::optional<dns::Message> {
    if (dropped++ == 0) return std::nullopt;
    return root_.answer(q, tcp);
  });
  ResolveOutcome r = Resolve("www.example.");
  ASSERT_TRUE(r.ok) << r.why;
  std::vector<ScriptedExchange> to_root;
  for (const auto& e : transport_.log())
    if (e.server == kRoot) to_root.push_back(e);
  ASSERT_GE(to_root.size(), 2u);
  EXPECT_EQ(to_root[1].qname, to_root[0].qname);          // the same question, again
  EXPECT_EQ(to_root[1].timeout, 2 * to_root[0].timeout);  // 376 ms, then 752 ms
  EXPECT_EQ(transport_.log()[1].server, kRoot);
}

TEST_F(EngineTest, ADeadZoneIsAskedAFewTimesThenFails) {
  transport_.serve(kExample, [](const dns::Message&, bool) { return std::optional<dns::Message>{}; });
  ResolveOutcome r = Resolve("www.example.");
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.why.find("no server for example. answered"), std::string::npos) << r.why;
  // Both of example.'s servers, once per pass.
  EXPECT_EQ(CountTo(kExample, "www.example."), limits_.server_passes);
  EXPECT_EQ(CountTo(kExampleDead, "www.example."), limits_.server_passes);
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
  const UpstreamStats& st = engine_->upstream_stats();
  EXPECT_EQ(st.timeouts.get(), 1u);
  EXPECT_EQ(st.queries_udp.get(), Sent());  // the timed-out query counts as sent
  EXPECT_EQ(st.queries_tcp.get(), 0u);
  // Every reply taken is in the RTT histogram (the script answers in 1 ms).
  const auto rtt = st.rtt.snapshot();
  EXPECT_EQ(rtt.count(), Sent() - 1);
  EXPECT_EQ(rtt.buckets[util::latency_bucket(1'000'000)], Sent() - 1);
  EXPECT_EQ(rtt.sum_ns, (Sent() - 1) * 1'000'000);
  EXPECT_EQ(st.rcodes[0].get(), Sent() - 1);  // NOERROR
  // Now the live server is known to be fast and goes first.
  ASSERT_TRUE(Resolve("nope.example.").ok);
  EXPECT_EQ(QueriesTo(kExampleDead), 1u);
  EXPECT_EQ(QueriesTo(kExample), 2u);
}

// (OutOfBailiwickGlueIsNeverUsed had the root's glue for ns.hosting.lab.
// ignored; the root serves lab. too, so that is sibling glue and is now
// taken, as Unbound, BIND and Knot Resolver take it (issue 21 §1). Glue from
// outside the referring zone: GlueFromOutsideTheReferringZoneIsIgnored.)

TEST_F(EngineTest, ADelegationWhoseGlueIsGoneIsFetchedAgainFromTheParent) {
  // The NS set of a delegation can outlive its glue (shorter TTLs for the
  // addresses, eviction, a saved cache): its in-bailiwick servers cannot be
  // resolved through the zone itself, so the parent is asked again.
  ASSERT_TRUE(Resolve("www.example.").ok);
  ASSERT_GT(cache_.flush(N("ns0.example.")) + cache_.flush(N("ns1.example.")), 0u);
  cache_.flush(N("www.example."));
  auto cut = cache_.find_zone_cut(N("www.example."), dns::RRClass::IN, clock_.wall());
  ASSERT_TRUE(cut.has_value());
  ASSERT_EQ(cut->zone, N("example."));
  const std::size_t to_root = QueriesTo(kRoot);
  ResolveOutcome r = Resolve("www.example.");
  ASSERT_TRUE(r.ok) << r.why;
  EXPECT_TRUE(Cached("www.example."));
  EXPECT_EQ(QueriesTo(kRoot), to_root + 1);  // the referral again, with its glue
  EXPECT_EQ(CountTo(kRoot, "example.", RRType::NS), 1u);
  cut = cache_.find_zone_cut(N("www.example."), dns::RRClass::IN, clock_.wall());
  ASSERT_TRUE(cut.has_value());
  EXPECT_EQ(cut->zone, N("example."));
  EXPECT_TRUE(std::any_of(cut->servers.begin(), cut->servers.end(),
                          [](const auto& s) { return !s.ipv4.empty(); }));  // glue again
  // Then the zone's own servers are used directly again.
  cache_.flush(N("www.example."));
  ASSERT_TRUE(Resolve("www.example.").ok);
  EXPECT_EQ(QueriesTo(kRoot), to_root + 1);
}

TEST_F(EngineTest, AServerAddressThatExpiresBeforeItsNsSetIsNoDeadEnd) {
  // The zone's own, authoritative address for ns1.example. (3600 s) replaces
  // the root's glue (172800 s) and expires long before the NS set.
  ASSERT_TRUE(Resolve("ns1.example.").ok);
  clock_.advance(std::chrono::seconds(3601));
  const std::size_t before = CountTo(kRoot, "example.", RRType::NS);
  ResolveOutcome r = Resolve("www.example.");
  ASSERT_TRUE(r.ok) << r.why;
  EXPECT_TRUE(Cached("www.example."));
  // ns0.example. (its glue still cached) did not answer; ns1.example.'s
  // address came from the root's referral, asked again for the zone only.
  EXPECT_EQ(CountTo(kRoot, "example.", RRType::NS), before + 1);
  EXPECT_EQ(CountTo(kRoot, "www.example."), 0u);
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
  EXPECT_EQ(again.ede, dns::EdeCode::kCachedError);
  EXPECT_EQ(transport_.log().size(), sent);
  EXPECT_NE(again.why.find("cached failure"), std::string::npos);
  // Afterwards the engine tries again.
  clock_.advance(std::chrono::seconds(6));
  EXPECT_FALSE(Resolve("www.example.").ok);
  EXPECT_GT(transport_.log().size(), sent);
}

TEST_F(EngineTest, PrimingCachesTheRootNsSetWithAddresses) {
  root_ = AuthoritativeZone(".", R"(
. 86400 IN SOA a.root.lab. admin.lab. 1 1800 900 604800 86400
. 518400 IN NS a.root.lab.
. 518400 IN NS b.root.lab.
a.root.lab. 518400 IN A 127.1.0.1
b.root.lab. 518400 IN A 127.1.0.2
example. 172800 IN NS ns1.example.
ns1.example. 172800 IN A 127.2.0.1
)");
  boost::asio::io_context io;
  auto f = boost::asio::co_spawn(io, engine_->prime(), boost::asio::use_future);
  io.run();
  ASSERT_TRUE(f.get());
  auto ns = cache_.lookup(N("."), RRType::NS, dns::RRClass::IN, clock_.wall());
  ASSERT_TRUE(ns.positive.has_value());
  EXPECT_EQ(ns.positive->rrset.rdatas.size(), 2u);  // b.root.lab. was not in the hints
  auto cut = cache_.find_zone_cut(N("www.example."), dns::RRClass::IN, clock_.wall());
  ASSERT_TRUE(cut.has_value());
  EXPECT_TRUE(cut->zone.is_root());
  ASSERT_TRUE(Resolve("www.example.").ok);
  EXPECT_EQ(transport_.count(N("."), RRType::NS), 1u);  // primed once
}

TEST_F(EngineTest, FailedPrimingFallsBackToTheHints) {
  transport_.serve(kRoot, [this](const dns::Message& q, bool tcp) -> std::optional<dns::Message> {
    if (q.questions[0].type == RRType::NS && q.questions[0].name.is_root())
      return reply_to(q, dns::Rcode::kServFail);
    return root_.answer(q, tcp);
  });
  ResolveOutcome r = Resolve("www.example.");
  ASSERT_TRUE(r.ok) << r.why;
  EXPECT_GE(transport_.count(N("."), RRType::NS), 1u);
}

// A transport that takes a few milliseconds per query, so that resolutions
// really run side by side on the io_context.
class SlowTransport final : public UpstreamTransport {
 public:
  explicit SlowTransport(UpstreamTransport& inner) : inner_(inner) {}
  boost::asio::awaitable<UpstreamReply> exchange(UpstreamRequest request) override {
    std::vector<std::uint8_t> query(request.query.begin(), request.query.end());
    request.query = query;
    boost::asio::steady_timer t(co_await boost::asio::this_coro::executor, std::chrono::milliseconds(3));
    co_await t.async_wait(boost::asio::use_awaitable);
    co_return co_await inner_.exchange(request);
  }

 private:
  UpstreamTransport& inner_;
};

TEST_F(EngineTest, IdenticalQuestionsInFlightAreResolvedOnce) {
  SlowTransport slow(transport_);
  MakeEngine({}, &slow);
  boost::asio::io_context io;
  std::vector<std::future<ResolveOutcome>> results;
  for (int i = 0; i < 5; ++i) {
    results.push_back(
        boost::asio::co_spawn(io, engine_->resolve(N("www.example."), RRType::A), boost::asio::use_future));
  }
  io.poll();  // all five have started; the slow server has not answered
  EXPECT_EQ(engine_->inflight(), 1u);
  EXPECT_EQ(engine_->inflight_waiters(), 4u);
  io.run();
  EXPECT_EQ(engine_->inflight(), 0u);
  EXPECT_EQ(engine_->inflight_waiters(), 0u);
  unsigned coalesced = 0;
  for (auto& f : results) {
    ResolveOutcome r = f.get();
    EXPECT_TRUE(r.ok) << r.why;
    coalesced += r.coalesced ? 1U : 0U;
  }
  EXPECT_EQ(coalesced, 4u);
  EXPECT_EQ(engine_->coalesced_total(), 4u);
  // One resolution's queries: ns0.example. (silent), then ns1.example.
  EXPECT_EQ(CountTo(kExampleDead, "www.example."), 1u);
  EXPECT_EQ(CountTo(kExample, "www.example."), 1u);
}

TEST_F(EngineTest, WaitersOnOneQuestionAreBounded) {
  // Issue 20 §3: past max_clients_per_question, a client question is
  // answered at once as a failure instead of piling up behind the first.
  limits_.max_clients_per_question = 3;
  SlowTransport slow(transport_);
  MakeEngine({}, &slow);
  boost::asio::io_context io;
  std::vector<std::future<ResolveOutcome>> results;
  for (int i = 0; i < 6; ++i) {
    results.push_back(
        boost::asio::co_spawn(io, engine_->resolve(N("www.example."), RRType::A), boost::asio::use_future));
  }
  io.poll();
  EXPECT_EQ(engine_->inflight_waiters(), 3u);
  io.run();
  unsigned ok = 0, shed = 0;
  for (auto& f : results) {
    ResolveOutcome r = f.get();
    if (r.ok) ++ok;
    if (!r.ok && r.why.find("too many clients waiting") != std::string::npos) ++shed;
  }
  EXPECT_EQ(ok, 4u);  // the resolution and its three waiters
  EXPECT_EQ(shed, 2u);
  EXPECT_EQ(engine_->shed_waiters(), 2u);
}

TEST_F(EngineTest, NoAttemptOutlivesTheResolutionBudget) {
  // Issue 20 §4: with every server silent, SERVFAIL came at 12.2 s for a
  // 10 s budget (an attempt started at 9.x s ran its whole timeout).
  limits_.resolution_budget = std::chrono::milliseconds(10000);
  limits_.max_upstream_queries = 1000;
  limits_.server_passes = 20;  // more timeouts than the budget holds
  MakeEngine();
  ASSERT_TRUE(Resolve("www.example.").ok);  // the cut is known: only example.'s servers are asked below
  transport_.serve(kExample, [](const dns::Message&, bool) { return std::optional<dns::Message>(); });
  const auto t0 = clock_.monotonic();
  ResolveOutcome r = Resolve("nope.example.");
  EXPECT_FALSE(r.ok);
  EXPECT_LE(clock_.monotonic() - t0, std::chrono::milliseconds(10000));
  EXPECT_GE(clock_.monotonic() - t0, std::chrono::milliseconds(9000));  // it did use the budget
}

TEST_F(EngineTest, ReferralsAreCountedAsDocumented) {
  // Issue 20 §4: 39 referrals were followed where max_referrals said 30.
  // A chain of one-label delegations, each zone on its own server.
  limits_.max_referrals = 5;
  limits_.max_upstream_queries = 1000;
  MakeEngine(EngineOptions{QnameMinimisation::kOff, {}, {}, true});
  auto address = [](int i) { return "127.70.0." + std::to_string(i); };
  root_ = AuthoritativeZone(
      ".", kRootText + "deep. 172800 IN NS ns.deep.\nns.deep. 172800 IN A " + address(0) + "\n");
  std::vector<std::unique_ptr<AuthoritativeZone>> zones;
  std::string apex = "deep.";
  for (int i = 0; i < 8; ++i) {
    const std::string child = "d" + std::to_string(i + 1) + "." + apex;
    zones.push_back(std::make_unique<AuthoritativeZone>(
        apex, apex + " 3600 IN SOA ns." + apex + " admin." + apex + " 1 3600 900 604800 300\n" + apex +
                  " 3600 IN NS ns." + apex + "\n" + child + " 3600 IN NS ns." + child + "\nns." + child +
                  " 3600 IN A " + address(i + 1) + "\n"));
    transport_.serve(ServerAddress::v4({127, 70, 0, static_cast<std::uint8_t>(i)}), zones.back()->handler());
    apex = child;
  }
  // root → deep. (1), deep. → d1 (2), ... d4 → d5 (6): one over the limit.
  ResolveOutcome r = Resolve("www.d7.d6.d5.d4.d3.d2.d1.deep.");
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.why.find("too many referrals (over 5)"), std::string::npos) << r.why;
  EXPECT_EQ(engine_->upstream_stats().limits_hit[static_cast<std::size_t>(LimitHit::kReferrals)].get(), 1u);
  EXPECT_EQ(Sent(), 1u /* priming */ + 6u);
}

TEST_F(EngineTest, DifferentNamesWalkingTheSamePathShareTheirQueries) {
  SlowTransport slow(transport_);
  MakeEngine({}, &slow);
  boost::asio::io_context io;
  std::vector<std::future<ResolveOutcome>> results;
  for (const char* name : {"www.example.", "nope.example.", "alias.example.", "x.y.example."}) {
    results.push_back(
        boost::asio::co_spawn(io, engine_->resolve(N(name), RRType::A), boost::asio::use_future));
  }
  io.run();
  for (auto& f : results) EXPECT_TRUE(f.get().ok);
  // One referral query for example. and one priming query, whoever asked first.
  EXPECT_EQ(CountTo(kRoot, "example."), 1u);
  EXPECT_EQ(CountTo(kRoot, ".", RRType::NS), 1u);
  EXPECT_GE(engine_->coalesced_asks(), 3u);
}

TEST_F(EngineTest, CoalescedWaitersOnOtherThreadsGetTheResult) {
  SlowTransport slow(transport_);
  MakeEngine({}, &slow);
  boost::asio::io_context io1;
  boost::asio::io_context io2;
  auto a =
      boost::asio::co_spawn(io1, engine_->resolve(N("www.example."), RRType::A), boost::asio::use_future);
  io1.run_one();  // the first resolution is now waiting on its first query
  auto b =
      boost::asio::co_spawn(io2, engine_->resolve(N("www.example."), RRType::A), boost::asio::use_future);
  std::thread t([&] { io2.run(); });
  io1.run();
  t.join();
  EXPECT_TRUE(a.get().ok);
  ResolveOutcome rb = b.get();
  EXPECT_TRUE(rb.ok) << rb.why;
  EXPECT_TRUE(rb.coalesced);
}

TEST_F(EngineTest, DnameSynthesisesTheCname) {
  ResolveOutcome r = Resolve("www.legacy.example.");
  ASSERT_TRUE(r.ok) << r.why;
  auto cname = cache_.lookup(N("www.legacy.example."), RRType::CNAME, dns::RRClass::IN, clock_.wall());
  ASSERT_TRUE(cname.positive.has_value());
  EXPECT_EQ(dns::rdata_target_name(RRType::CNAME, cname.positive->rrset.rdatas[0]), N("www.other."));
  EXPECT_TRUE(Cached("www.other."));
  EXPECT_TRUE(Cached("legacy.example.", RRType::DNAME));
}

TEST_F(EngineTest, ADnameServersWrongCnameIsReplacedByTheSynthesisedOne) {
  transport_.serve(kExample, [this](const dns::Message& q, bool tcp) -> std::optional<dns::Message> {
    auto m = example_.answer(q, tcp);
    for (auto& rr : m->answer) {
      if (rr.type == RRType::CNAME) rr.rdata = dns::make_name_rdata(N("evil.lab."));
    }
    return m;
  });
  ASSERT_TRUE(Resolve("www.legacy.example.").ok);
  auto cname = cache_.lookup(N("www.legacy.example."), RRType::CNAME, dns::RRClass::IN, clock_.wall());
  ASSERT_TRUE(cname.positive.has_value());
  EXPECT_EQ(dns::rdata_target_name(RRType::CNAME, cname.positive->rrset.rdatas[0]), N("www.other."));
  EXPECT_FALSE(Cached("evil.lab."));
}

TEST_F(EngineTest, QnameMinimisationShowsEachServerOnlyTheNextLabel) {
  ASSERT_TRUE(Resolve("x.y.example.").ok);
  for (const auto& e : transport_.log()) {
    if (e.server == kRoot) {
      EXPECT_TRUE(e.qname == N("example.") || e.qname.is_root()) << e.qname.to_text();
    }
  }
  // y.example. is an empty non-terminal: NODATA, then the full name.
  EXPECT_EQ(CountTo(kExample, "y.example."), 1u);
  EXPECT_EQ(CountTo(kExample, "x.y.example."), 1u);
  EXPECT_TRUE(Cached("x.y.example."));
}

TEST_F(EngineTest, QnameMinimisationOffSendsTheFullName) {
  EngineOptions o;
  o.qname_minimisation = QnameMinimisation::kOff;
  MakeEngine(o);
  ASSERT_TRUE(Resolve("x.y.example.").ok);
  EXPECT_EQ(CountTo(kRoot, "x.y.example."), 1u);
  EXPECT_EQ(CountTo(kExample, "x.y.example."), 1u);
  EXPECT_EQ(transport_.count(N("y.example."), RRType::A), 0u);
}

// A server that says NXDOMAIN for empty non-terminals (a known breakage).
class BrokenEntTest : public EngineTest {
 protected:
  BrokenEntTest() {
    transport_.serve(kExample, [this](const dns::Message& q, bool tcp) -> std::optional<dns::Message> {
      auto m = example_.answer(q, tcp);
      if (q.questions[0].name == N("y.example.")) m->set_rcode(dns::Rcode::kNXDomain);
      return m;
    });
  }
};

TEST_F(BrokenEntTest, RelaxedMinimisationFallsBackToTheFullName) {
  ResolveOutcome r = Resolve("x.y.example.");
  ASSERT_TRUE(r.ok) << r.why;
  EXPECT_TRUE(Cached("x.y.example."));
}

TEST_F(BrokenEntTest, StrictMinimisationBelievesTheNxDomain) {
  EngineOptions o;
  o.qname_minimisation = QnameMinimisation::kStrict;
  MakeEngine(o);
  ASSERT_TRUE(Resolve("x.y.example.").ok);
  auto nx = cache_.lookup(N("x.y.example."), RRType::A, dns::RRClass::IN, clock_.wall());
  ASSERT_TRUE(nx.negative.has_value());
  EXPECT_EQ(nx.negative->kind, cache::NegativeKind::kNxDomain);
  EXPECT_EQ(transport_.count(N("x.y.example."), RRType::A), 0u);
}

TEST_F(EngineTest, ForwardZonesAskTheirServersWithRecursionDesired) {
  const ServerAddress fwd = ServerAddress::v4({127, 7, 0, 1}, 5353);
  transport_.serve(fwd, [](const dns::Message& q, bool) -> std::optional<dns::Message> {
    dns::Message m = reply_to(q);
    m.header.ra = true;
    m.answer.push_back(*dns::parse_record("www.corp. 60 IN CNAME web.elsewhere."));
    m.answer.push_back(*dns::parse_record("web.elsewhere. 60 IN A 127.0.7.7"));
    return m;
  });
  EngineOptions o;
  o.forward_zones = {{N("corp."), {fwd}}};
  MakeEngine(o);
  ResolveOutcome r = Resolve("www.corp.");
  ASSERT_TRUE(r.ok) << r.why;
  EXPECT_TRUE(Cached("web.elsewhere."));  // a forwarder's answer is taken whole
  EXPECT_EQ(QueriesTo(kRoot), 0u);
  ASSERT_EQ(QueriesTo(fwd), 1u);
  EXPECT_TRUE(transport_.log()[0].rd);
}

TEST_F(EngineTest, StubZonesAskTheirServersDirectly) {
  EngineOptions o;
  o.stub_zones = {{N("other."), {kOther}}};
  MakeEngine(o);
  ResolveOutcome r = Resolve("www.other.");
  ASSERT_TRUE(r.ok) << r.why;
  EXPECT_EQ(QueriesTo(kRoot), 0u);
  EXPECT_EQ(QueriesTo(kLab), 0u);
  EXPECT_FALSE(transport_.log()[0].rd);
}

TEST_F(EngineTest, TruncatedRepliesAreRetriedOverTcp) {
  transport_.serve(kExample, [this](const dns::Message& q, bool tcp) -> std::optional<dns::Message> {
    if (tcp) return example_.answer(q, tcp);
    dns::Message m = reply_to(q);
    m.header.tc = true;
    m.header.aa = true;
    return m;
  });
  ASSERT_TRUE(Resolve("www.example.").ok);
  EXPECT_TRUE(Cached("www.example."));
  ASSERT_FALSE(transport_.log().empty());
  EXPECT_TRUE(transport_.log().back().tcp);
  EXPECT_GE(transport_.log().back().timeout, std::chrono::milliseconds(1000));  // not the UDP round trip's
  EXPECT_FALSE(transport_.log()[transport_.log().size() - 2].tcp);
  EXPECT_EQ(engine_->upstream_stats().tcp_fallbacks.get(), 1u);
  EXPECT_EQ(engine_->upstream_stats().queries_tcp.get(), 1u);
}

TEST_F(EngineTest, FormErrToEdnsIsRetriedWithoutEdnsAndRemembered) {
  transport_.serve(kExample, [this](const dns::Message& q, bool tcp) -> std::optional<dns::Message> {
    if (q.edns) return reply_to(q, dns::Rcode::kFormErr);
    return example_.answer(q, tcp);
  });
  ASSERT_TRUE(Resolve("www.example.").ok);
  EXPECT_TRUE(Cached("www.example."));
  EXPECT_EQ(infra_.get(kExample, clock_.wall()).edns, cache::EdnsSupport::kUnsupported);
  EXPECT_EQ(engine_->upstream_stats().edns_fallbacks.get(), 1u);
  const std::size_t before = Sent();
  ASSERT_TRUE(Resolve("nope.example.").ok);
  EXPECT_EQ(Sent(), before + 1);  // straight without EDNS now
  EXPECT_FALSE(transport_.log().back().edns);
}

TEST_F(EngineTest, RepliesThatLoseTheLetterCaseAreAskedAgainOverTcp) {
  transport_.serve(kExample, [this](const dns::Message& q, bool tcp) -> std::optional<dns::Message> {
    auto m = example_.answer(q, tcp);
    m->questions[0].name = q.questions[0].name.lowercased();
    for (auto& rr : m->answer) rr.name = rr.name.lowercased();
    return m;
  });
  ASSERT_TRUE(Resolve("www.example.").ok);
  EXPECT_TRUE(Cached("www.example."));
  EXPECT_GE(engine_->case_mismatches(), 1u);
  EXPECT_TRUE(transport_.log().back().tcp);  // the retry: over TCP, taken whatever its case
  EXPECT_EQ(transport_.log().back().qname, N("www.example."));
}

// Inverts the letter case of a name: what a forger who guessed the ID and
// the port, but not the 0x20 bits, cannot help getting wrong.
Name InvertedCase(const Name& n) {
  std::string text = n.to_text();
  for (char& c : text) {
    if (c >= 'a' && c <= 'z') {
      c = static_cast<char>(c - 32);
    } else if (c >= 'A' && c <= 'Z') {
      c = static_cast<char>(c + 32);
    }
  }
  return *Name::from_text(text);
}

TEST_F(EngineTest, AForgedReplyWithTheRightIdButNotTheCaseNeverReachesTheCache) {
  // Issue 20 §2: every UDP reply for example. is a forgery with the right
  // ID and the wrong letter case, claiming www.example. is 6.6.6.6; the
  // real server answers over TCP.
  unsigned forged = 0;
  transport_.serve(kExample, [&](const dns::Message& q, bool tcp) -> std::optional<dns::Message> {
    if (tcp) return example_.answer(q, tcp);
    ++forged;
    dns::Message m = reply_to(q);
    m.header.aa = true;
    m.questions[0].name = InvertedCase(q.questions[0].name);
    dns::ResourceRecord rr;
    rr.name = m.questions[0].name;
    rr.type = RRType::A;
    rr.rclass = dns::RRClass::IN;
    rr.ttl = 86400;
    rr.rdata = {6, 6, 6, 6};
    m.answer.push_back(rr);
    return m;
  });
  ASSERT_TRUE(Resolve("www.example.").ok);
  ASSERT_GE(forged, 1u);
  auto a = cache_.lookup(N("www.example."), RRType::A, dns::RRClass::IN, clock_.wall());
  ASSERT_TRUE(a.positive.has_value());
  ASSERT_EQ(a.positive->rrset.rdatas.size(), 1u);
  EXPECT_EQ(a.positive->rrset.rdatas[0], (std::vector<std::uint8_t>{127, 0, 0, 80}));
  EXPECT_EQ(engine_->case_mismatches(), forged);
}

TEST_F(EngineTest, AnyQueriesNeverMakeAZonesServersLame) {
  // Issue 20 §1: an authoritative server answers ANY with the RRsets at the
  // name (AA); that is an answer, not a lame server.
  for (const char* name : {"www.example.", "example.", ".", "www.other."}) {
    ResolveOutcome r = Resolve(name, RRType::ANY);
    EXPECT_TRUE(r.ok) << name << ": " << r.why;
  }
  EXPECT_FALSE(infra_.is_lame(kExample, N("example."), clock_.wall()));
  EXPECT_FALSE(infra_.is_lame(kRoot, N("."), clock_.wall()));
  EXPECT_FALSE(infra_.is_lame(kOther, N("other."), clock_.wall()));
  EXPECT_TRUE(Cached("www.example."));  // the RRset the ANY answer carried, cached
  // Every other name in those zones still resolves, with any type.
  EXPECT_TRUE(Resolve("x.y.example.").ok);
  EXPECT_TRUE(Resolve("chain.example.").ok);
  EXPECT_TRUE(Resolve("nope.example.", RRType::MX).ok);
  EXPECT_TRUE(Resolve("nope.other.", RRType::AAAA).ok);
}

TEST_F(EngineTest, AnAnyReplyOfOnlyHinfoIsAnAnswer) {
  // RFC 8482 §4.2: a server that does not answer ANY in full sends HINFO.
  transport_.serve(kExample, [this](const dns::Message& q, bool tcp) -> std::optional<dns::Message> {
    if (q.questions[0].type != RRType::ANY) return example_.answer(q, tcp);
    dns::Message m = reply_to(q);
    m.header.aa = true;
    dns::ResourceRecord rr;
    rr.name = q.questions[0].name;
    rr.type = RRType::HINFO;
    rr.rclass = dns::RRClass::IN;
    rr.ttl = 3789;
    const std::vector<std::string> hinfo = {"RFC8482", ""};
    rr.rdata = dns::make_txt_rdata(hinfo);
    m.answer.push_back(rr);
    return m;
  });
  ASSERT_TRUE(Resolve("www.example.", RRType::ANY).ok);
  EXPECT_TRUE(Cached("www.example.", RRType::HINFO));
  EXPECT_FALSE(infra_.is_lame(kExample, N("example."), clock_.wall()));
  EXPECT_TRUE(Resolve("www.example.").ok);
}

TEST_F(EngineTest, ServfailSkipsTheServerForThisQueryWithoutMarkingItLame) {
  // ns0.example. (first in the referral) answers SERVFAIL: the next server
  // answers, and ns0 is asked again by the next resolution.
  transport_.serve(kExampleDead, [](const dns::Message& q, bool) {
    return std::optional(reply_to(q, dns::Rcode::kServFail));
  });
  ASSERT_TRUE(Resolve("www.example.").ok);
  EXPECT_FALSE(infra_.is_lame(kExampleDead, N("example."), clock_.wall()));
  EXPECT_EQ(CountTo(kExampleDead, "www.example."), 1u);
  ASSERT_TRUE(Resolve("nope.example.").ok);
  EXPECT_EQ(CountTo(kExampleDead, "nope.example."), 1u);
}

TEST_F(EngineTest, RememberedFailuresCanBeFlushed) {
  transport_.serve(kExample, [](const dns::Message&, bool) { return std::optional<dns::Message>(); });
  transport_.serve(kExampleDead, [](const dns::Message&, bool) { return std::optional<dns::Message>(); });
  EXPECT_FALSE(Resolve("www.example.").ok);
  const ResolveOutcome again = Resolve("www.example.");
  EXPECT_FALSE(again.ok);
  EXPECT_EQ(again.upstream_queries, 0u);  // the remembered failure
  EXPECT_EQ(engine_->flush_failures(), 1u);
  transport_.serve(kExample, example_.handler());
  EXPECT_TRUE(Resolve("www.example.").ok);
}

TEST_F(EngineTest, ALameServerIsSkippedForItsZone) {
  // ns0.example. (first in the referral) answers REFUSED instead of being silent.
  transport_.serve(kExampleDead, [](const dns::Message& q, bool) {
    return std::optional(reply_to(q, dns::Rcode::kRefused));
  });
  ASSERT_TRUE(Resolve("www.example.").ok);
  EXPECT_TRUE(infra_.is_lame(kExampleDead, N("example."), clock_.wall()));
  const std::size_t lame_queries = QueriesTo(kExampleDead);
  ASSERT_TRUE(Resolve("nope.example.").ok);
  EXPECT_EQ(QueriesTo(kExampleDead), lame_queries);
}

TEST_F(EngineTest, GluelessNameServerResolutionsAreBounded) {
  // A referral to 40 glueless name servers under one domain that does not
  // exist (NXNSAttack). The first name costs two queries to lab. (the
  // minimised one, NXDOMAIN, then the full name under relaxed
  // minimisation); that confirms victim.lab. does not exist, so the next
  // names are answered from the cache (RFC 8020), and after
  // max_ns_name_nxdomains of them the rest are not tried.
  std::string zone = kRootText + "attack. 172800 IN NS ns1.victim.lab.\n";
  for (int i = 2; i <= 40; ++i) zone += "attack. 172800 IN NS ns" + std::to_string(i) + ".victim.lab.\n";
  root_ = AuthoritativeZone(".", zone);
  ResolveOutcome r = Resolve("www.attack.");
  EXPECT_FALSE(r.ok);
  // The minimised victim.lab. once; then each name asked in full, once.
  EXPECT_EQ(CountTo(kLab, "victim.lab."), 1u);
  EXPECT_EQ(QueriesTo(kLab), 1u + limits_.max_ns_name_nxdomains);
  EXPECT_EQ(r.upstream_queries, 3u /* . NS, attack., lab. */ + 1u + limits_.max_ns_name_nxdomains);
}

TEST_F(EngineTest, NameServersThatDoNotExistStopTheirDelegationsLookups) {
  // The same attack with every name server in a different missing domain:
  // nothing to share, so max_ns_name_nxdomains (Unbound's MAX_TARGET_NX)
  // ends it.
  std::string zone = kRootText;
  for (int i = 1; i <= 40; ++i) zone += "attack. 172800 IN NS ns.victim" + std::to_string(i) + ".lab.\n";
  root_ = AuthoritativeZone(".", zone);
  ResolveOutcome r = Resolve("www.attack.");
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(QueriesTo(kLab), 2 * limits_.max_ns_name_nxdomains);
  EXPECT_LE(r.upstream_queries, limits_.max_upstream_queries);
  EXPECT_EQ(engine_->upstream_stats().limits_hit[static_cast<std::size_t>(LimitHit::kNsNxDomains)].get(), 1u);
}

TEST_F(EngineTest, ACachedNxDomainSkipsTheMinimisedStepsBelowIt) {
  // Relaxed minimisation: nope.example. is known NXDOMAIN, so a name below
  // it is asked in full at once — not nope.example. again, which a server
  // that answers NXDOMAIN for empty non-terminals would say again.
  ASSERT_TRUE(Resolve("nope.example.").ok);
  const std::size_t before = Sent();
  ASSERT_TRUE(Resolve("a.b.nope.example.").ok);
  EXPECT_EQ(Asked(transport_, before),
            (std::vector<std::string>{"127.2.0.1 a.b.nope.example. A"}));  // ns0 (dead) is slower now
  auto c = cache_.lookup(N("a.b.nope.example."), RRType::A, dns::RRClass::IN, clock_.wall());
  ASSERT_TRUE(c.negative.has_value());
  EXPECT_EQ(c.negative->kind, cache::NegativeKind::kNxDomain);
}

TEST_F(EngineTest, StrictMinimisationAnswersBelowACachedNxDomainWithoutAQuery) {
  // RFC 8020, which strict minimisation believes.
  MakeEngine(EngineOptions{QnameMinimisation::kStrict, {}, {}, true});
  ASSERT_TRUE(Resolve("nope.example.").ok);
  const std::size_t before = Sent();
  ASSERT_TRUE(Resolve("a.b.nope.example.").ok);
  EXPECT_EQ(Sent(), before);
  auto c = cache_.lookup(N("a.b.nope.example."), RRType::A, dns::RRClass::IN, clock_.wall());
  ASSERT_TRUE(c.negative.has_value());
  EXPECT_EQ(c.negative->kind, cache::NegativeKind::kNxDomain);
}

TEST_F(EngineTest, NameServerDependencyCyclesFailWithoutLooping) {
  root_ = AuthoritativeZone(".", kRootText + R"(
cycle-a. 172800 IN NS ns.cycle-b.
cycle-b. 172800 IN NS ns.cycle-a.
)");
  ResolveOutcome r = Resolve("www.cycle-a.");
  EXPECT_FALSE(r.ok);
  EXPECT_LT(r.upstream_queries, 20u);
}

TEST_F(EngineTest, NetworkErrorsEverywhereAreSaidSo) {
  transport_.unreachable(kRoot);
  ResolveOutcome r = Resolve("www.example.");
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.ede, dns::EdeCode::kNetworkError);
  EXPECT_NE(r.why.find("network error"), std::string::npos) << r.why;
}

TEST_F(EngineTest, TheUpstreamQueryBudgetEndsAResolution) {
  limits_.max_upstream_queries = 2;
  MakeEngine();
  ResolveOutcome r = Resolve("www.example.");
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.why.find("budget"), std::string::npos) << r.why;
  EXPECT_EQ(Sent(), 2u);
}

TEST_F(EngineTest, EachNameOfAChainHasItsOwnShareOfTheBudget) {
  // Issue 20 §4: 32 queries per name (Unbound's MAX_SENT_COUNT), within
  // the client query's total.
  limits_.max_upstream_queries_per_name = 2;
  MakeEngine();
  ResolveOutcome r = Resolve("www.example.");  // priming and the root's referral use up the share
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.why.find("budget"), std::string::npos) << r.why;
  EXPECT_EQ(Sent(), 2u);
  // With the cut cached, a chain of two names needs at most two queries each.
  limits_.max_upstream_queries_per_name = 3;
  MakeEngine();
  ASSERT_TRUE(Resolve("www.example.").ok);
  ASSERT_TRUE(Resolve("chain.example.").ok);
}

TEST_F(EngineTest, SiblingGlueIsUsedNotResolvedFirst) {
  // Issue 21 §1: the root refers sib. to ns1.lab. with ns1.lab.'s address
  // (the root serves lab. too: sibling glue). That address is used; lab.'s
  // servers are never asked for ns1.lab. first.
  root_ = AuthoritativeZone(".", kRootText + "sib. 172800 IN NS ns1.lab.\n");
  AuthoritativeZone sib("sib.", R"(
sib. 3600 IN SOA ns1.lab. admin.sib. 1 3600 900 604800 300
sib. 3600 IN NS ns1.lab.
www.sib. 300 IN A 127.0.0.90
)");
  transport_.serve(kLab, [&](const dns::Message& q, bool tcp) {
    return q.questions[0].name.is_subdomain_of(N("sib.")) ? sib.answer(q, tcp) : lab_.answer(q, tcp);
  });
  ResolveOutcome r = Resolve("www.sib.");
  ASSERT_TRUE(r.ok) << r.why;
  EXPECT_TRUE(Cached("www.sib."));
  EXPECT_EQ(CountTo(kLab, "ns1.lab."), 0u);
  EXPECT_EQ(CountTo(kRoot, "lab."), 0u);
  EXPECT_EQ(r.upstream_queries, 3u);  // . NS, the root's referral, www.sib. A
  // Glue is kept at glue rank: it reaches servers, never answers a client.
  auto glue = cache_.lookup(N("ns1.lab."), RRType::A, dns::RRClass::IN, clock_.wall(),
                            cache::LookupOptions{.for_resolution = true, .allow_stale = false});
  ASSERT_TRUE(glue.positive.has_value());
  EXPECT_EQ(glue.positive->rank, cache::Rank::kAdditional);
  EXPECT_FALSE(Cached("ns1.lab."));
  // An authoritative answer for the name replaces it.
  ASSERT_TRUE(Resolve("ns1.lab.").ok);
  auto auth = cache_.lookup(N("ns1.lab."), RRType::A, dns::RRClass::IN, clock_.wall());
  ASSERT_TRUE(auth.positive.has_value());
  EXPECT_EQ(auth.positive->rank, cache::Rank::kAuthAnswer);
}

TEST_F(EngineTest, GlueFromOutsideTheReferringZoneIsIgnored) {
  // example.'s server refers sub.example. to ns.other. and adds an address
  // for it: not example.'s to give. ns.other. is resolved from other.'s
  // servers instead, and the offered address is never used or cached.
  AuthoritativeZone sub("sub.example.", R"(
sub.example. 3600 IN SOA ns.other. admin.sub.example. 1 3600 900 604800 300
sub.example. 3600 IN NS ns.other.
www.sub.example. 300 IN A 127.0.0.91
)");
  transport_.serve(kExample, [&](const dns::Message& q, bool tcp) -> std::optional<dns::Message> {
    if (!q.questions[0].name.is_subdomain_of(N("sub.example."))) return example_.answer(q, tcp);
    dns::Message m = reply_to(q);
    dns::ResourceRecord ns;
    ns.name = N("sub.example.");
    ns.type = RRType::NS;
    ns.rclass = dns::RRClass::IN;
    ns.ttl = 3600;
    ns.rdata = dns::make_name_rdata(N("ns.other."));
    m.authority.push_back(ns);
    dns::ResourceRecord glue;
    glue.name = N("ns.other.");
    glue.type = RRType::A;
    glue.rclass = dns::RRClass::IN;
    glue.ttl = 3600;
    glue.rdata = {127, 66, 0, 1};  // kEvil, which never answers
    m.additional.push_back(glue);
    return m;
  });
  other_ = AuthoritativeZone("other.", R"(
other. 3600 IN SOA ns.hosting.lab. admin.other. 1 3600 900 604800 300
other. 3600 IN NS ns.hosting.lab.
ns.other. 300 IN A 127.6.0.1
www.other. 300 IN A 127.0.0.81
)");
  transport_.serve(ServerAddress::v4({127, 6, 0, 1}), sub.handler());
  ResolveOutcome r = Resolve("www.sub.example.");
  ASSERT_TRUE(r.ok) << r.why;
  EXPECT_EQ(QueriesTo(kEvil), 0u);
  auto cached = cache_.lookup(N("ns.other."), RRType::A, dns::RRClass::IN, clock_.wall(),
                              cache::LookupOptions{.for_resolution = true, .allow_stale = false});
  ASSERT_TRUE(cached.positive.has_value());
  EXPECT_EQ(cached.positive->rrset.rdatas[0], (std::vector<std::uint8_t>{127, 6, 0, 1}));
}

// Issue 21: scenarios that each cost a SERVFAIL or extra queries; every test
// asserts the answer and the upstream queries sent.

TEST_F(EngineTest, AReferralWithAaSetIsFollowed) {
  // Issue 21 §2: example.'s server sets AA on its referral to sub.example.
  AuthoritativeZone sub("sub.example.", R"(
sub.example. 3600 IN SOA ns.sub.example. admin.sub.example. 1 3600 900 604800 300
sub.example. 3600 IN NS ns.sub.example.
ns.sub.example. 3600 IN A 127.6.0.1
www.sub.example. 300 IN A 127.0.0.92
)");
  example_ = AuthoritativeZone("example.", R"(
example. 3600 IN SOA ns1.example. admin.example. 1 3600 900 604800 300
example. 3600 IN NS ns1.example.
ns1.example. 3600 IN A 127.2.0.1
sub.example. 3600 IN NS ns.sub.example.
ns.sub.example. 3600 IN A 127.6.0.1
)");
  transport_.serve(kExample, [&](const dns::Message& q, bool tcp) {
    auto m = example_.answer(q, tcp);
    if (m && !m->authority.empty() && m->authority[0].type == RRType::NS) m->header.aa = true;
    return m;
  });
  transport_.serve(ServerAddress::v4({127, 6, 0, 1}), sub.handler());
  ResolveOutcome r = Resolve("www.sub.example.");
  ASSERT_TRUE(r.ok) << r.why;
  EXPECT_TRUE(Cached("www.sub.example."));
  EXPECT_EQ(Asked(transport_),
            (std::vector<std::string>{"127.1.0.1 . NS", "127.1.0.1 example. A", "127.2.0.9 sub.example. A",
                                      "127.2.0.1 sub.example. A", "127.6.0.1 www.sub.example. A"}));
}

TEST_F(EngineTest, ANegativeAnswerWithoutSoaIsAnsweredUncached) {
  // Issue 21 §3: NXDOMAIN and NODATA without an SOA cannot be cached (RFC
  // 2308 §5) but are the answer all the same.
  transport_.serve(kExample, [this](const dns::Message& q, bool tcp) {
    auto m = example_.answer(q, tcp);
    if (m) m->authority.clear();  // no SOA
    return m;
  });
  ResolveOutcome nx = Resolve("nope.example.");
  ASSERT_TRUE(nx.ok) << nx.why;
  ASSERT_TRUE(nx.negative_uncached.has_value());
  EXPECT_EQ(*nx.negative_uncached, dns::Rcode::kNXDomain);
  ResolveOutcome nodata = Resolve("www.example.", RRType::TXT);
  ASSERT_TRUE(nodata.ok) << nodata.why;
  ASSERT_TRUE(nodata.negative_uncached.has_value());
  EXPECT_EQ(*nodata.negative_uncached, dns::Rcode::kNoError);
  // With the SOA, it is cached instead.
  transport_.serve(kExample, example_.handler());
  ResolveOutcome cached = Resolve("gone.example.");
  ASSERT_TRUE(cached.ok);
  EXPECT_FALSE(cached.negative_uncached.has_value());
}

TEST_F(EngineTest, EveryServerOfTheZoneIsTriedAfterALameSelfReferral) {
  // Issue 21 §4: tld4. has two servers; the first (with glue) answers every
  // query with a referral to tld4. itself, the second has no glue.
  root_ = AuthoritativeZone(".", kRootText + R"(
tld4. 172800 IN NS ns1.tld4.
tld4. 172800 IN NS ns2.lab.
ns1.tld4. 172800 IN A 127.7.0.1
)");
  lab_ = AuthoritativeZone("lab.", R"(
lab. 3600 IN SOA ns1.lab. admin.lab. 1 3600 900 604800 300
lab. 3600 IN NS ns1.lab.
ns1.lab. 3600 IN A 127.4.0.1
ns2.lab. 3600 IN A 127.7.0.2
)");
  AuthoritativeZone tld4("tld4.", R"(
tld4. 3600 IN SOA ns2.lab. admin.tld4. 1 3600 900 604800 300
tld4. 3600 IN NS ns1.tld4.
tld4. 3600 IN NS ns2.lab.
ns1.tld4. 3600 IN A 127.7.0.1
www.tld4. 300 IN A 127.0.0.94
mail.tld4. 300 IN A 127.0.0.95
)");
  transport_.serve(ServerAddress::v4({127, 7, 0, 1}), [](const dns::Message& q, bool) {
    dns::Message m = reply_to(q);
    dns::ResourceRecord ns;
    ns.name = *Name::from_text("tld4.");
    ns.type = RRType::NS;
    ns.rclass = dns::RRClass::IN;
    ns.ttl = 3600;
    ns.rdata = dns::make_name_rdata(*Name::from_text("ns1.tld4."));
    m.authority.push_back(ns);
    return std::optional(m);
  });
  transport_.serve(ServerAddress::v4({127, 7, 0, 2}), tld4.handler());
  ResolveOutcome r = Resolve("www.tld4.");
  ASSERT_TRUE(r.ok) << r.why;
  EXPECT_TRUE(Cached("www.tld4."));
  EXPECT_EQ(Asked(transport_),
            (std::vector<std::string>{"127.1.0.1 . NS", "127.1.0.1 tld4. A", "127.7.0.1 www.tld4. A",
                                      "127.1.0.1 lab. A", "127.4.0.1 ns2.lab. A", "127.7.0.2 www.tld4. A"}));
  // The NS set is intact and the lameness remembered: the next name goes
  // straight to the second server.
  const std::size_t before = Sent();
  ASSERT_TRUE(Resolve("mail.tld4.").ok);
  EXPECT_EQ(Asked(transport_, before), (std::vector<std::string>{"127.7.0.2 mail.tld4. A"}));
}

TEST_F(EngineTest, RecordsOfAnotherTypeInANonAaReplyAreNoData) {
  // Issue 21 §6: an AAAA question answered (AA clear) with only the A RRset:
  // NODATA for AAAA, and the server is not lame.
  transport_.serve(kExample, [this](const dns::Message& q, bool tcp) -> std::optional<dns::Message> {
    if (q.questions[0].type != RRType::AAAA) return example_.answer(q, tcp);
    dns::Message a = dns::make_query(q.header.id, q.questions[0].name, RRType::A, false);
    auto m = example_.answer(a, tcp);
    m->questions = q.questions;
    m->header.aa = false;
    return m;
  });
  ResolveOutcome r = Resolve("www.example.", RRType::AAAA);
  ASSERT_TRUE(r.ok) << r.why;
  EXPECT_FALSE(infra_.is_lame(kExample, N("example."), clock_.wall()));
  EXPECT_FALSE(Cached("www.example.", RRType::AAAA));
  EXPECT_EQ(Asked(transport_),
            (std::vector<std::string>{"127.1.0.1 . NS", "127.1.0.1 example. A", "127.2.0.9 www.example. AAAA",
                                      "127.2.0.1 www.example. AAAA"}));
}

// Issue 21 §5: tld5. is served by ns.srv5.lab., whose address only lab.
// knows, as glue in its referral for srv5.lab. The server itself answers any
// question about its own name with a lame referral: `downward` refers
// ns.srv5.lab. to a server that does not exist (followed, it ends in
// NXDOMAIN), otherwise it refers srv5.lab. to itself.
class ChildLameForItsNameTest : public EngineTest {
 protected:
  void SetUp() override {
    root_ = AuthoritativeZone(".", kRootText + "tld5. 172800 IN NS ns.srv5.lab.\n");
    lab_ = AuthoritativeZone("lab.", R"(
lab. 3600 IN SOA ns1.lab. admin.lab. 1 3600 900 604800 300
lab. 3600 IN NS ns1.lab.
ns1.lab. 3600 IN A 127.4.0.1
srv5.lab. 3600 IN NS ns.srv5.lab.
ns.srv5.lab. 3600 IN A 127.7.1.1
)");
    transport_.serve(ServerAddress::v4({127, 7, 1, 1}), [this](const dns::Message& q, bool tcp) {
      if (q.questions[0].name == N("ns.srv5.lab.")) {
        dns::Message m = reply_to(q);
        dns::ResourceRecord ns;
        ns.name = N(downward ? "ns.srv5.lab." : "srv5.lab.");
        ns.type = RRType::NS;
        ns.rclass = dns::RRClass::IN;
        ns.ttl = 3600;
        ns.rdata = dns::make_name_rdata(N(downward ? "ns.gone.lab." : "ns.srv5.lab."));
        m.authority.push_back(ns);
        return std::optional(m);
      }
      return (q.questions[0].name.is_subdomain_of(N("tld5.")) ? tld5_ : srv5_).answer(q, tcp);
    });
  }
  bool downward = false;
  AuthoritativeZone tld5_{"tld5.", R"(
tld5. 3600 IN SOA ns.srv5.lab. admin.tld5. 1 3600 900 604800 300
tld5. 3600 IN NS ns.srv5.lab.
www.tld5. 300 IN A 127.0.0.96
)"};
  AuthoritativeZone srv5_{"srv5.lab.", R"(
srv5.lab. 3600 IN SOA ns.srv5.lab. admin.srv5.lab. 1 3600 900 604800 300
srv5.lab. 3600 IN NS ns.srv5.lab.
www.srv5.lab. 300 IN A 127.0.0.95
)"};
};

TEST_F(ChildLameForItsNameTest, TheParentsGlueReachesTheZoneAfterASelfReferral) {
  ResolveOutcome r = Resolve("www.tld5.");
  ASSERT_TRUE(r.ok) << r.why;
  EXPECT_TRUE(Cached("www.tld5."));
  EXPECT_EQ(Asked(transport_),
            (std::vector<std::string>{"127.1.0.1 . NS", "127.1.0.1 tld5. A", "127.1.0.1 lab. A",
                                      "127.4.0.1 srv5.lab. A", "127.7.1.1 ns.srv5.lab. A",
                                      "127.7.1.1 www.tld5. A"}));
  EXPECT_TRUE(infra_.is_lame(ServerAddress::v4({127, 7, 1, 1}), N("srv5.lab."), clock_.wall()));
  EXPECT_FALSE(infra_.is_lame(ServerAddress::v4({127, 7, 1, 1}), N("tld5."), clock_.wall()));
  // The glue was not an answer: the client asking for the name still gets
  // nothing from it.
  EXPECT_FALSE(Cached("ns.srv5.lab."));
}

TEST_F(ChildLameForItsNameTest, TheParentsGlueReachesTheZoneAfterAReferralIntoNxdomain) {
  downward = true;
  ResolveOutcome r = Resolve("www.tld5.");
  ASSERT_TRUE(r.ok) << r.why;
  EXPECT_TRUE(Cached("www.tld5."));
  EXPECT_EQ(
      Asked(transport_),
      (std::vector<std::string>{"127.1.0.1 . NS", "127.1.0.1 tld5. A", "127.1.0.1 lab. A",
                                "127.4.0.1 srv5.lab. A", "127.7.1.1 ns.srv5.lab. A", "127.4.0.1 gone.lab. A",
                                "127.4.0.1 ns.gone.lab. A", "127.7.1.1 www.tld5. A"}));
}

TEST_F(ChildLameForItsNameTest, CachedGlueFillsAReferralThatCarriedNone) {
  // Once lab.'s referral has been seen, the glue it carried reaches tld5.
  // at once: no question about the server's name at all (Unbound's
  // cache_fill_missing).
  ASSERT_TRUE(Resolve("www.srv5.lab.").ok);
  const std::size_t before = Sent();
  ResolveOutcome r = Resolve("www.tld5.");
  ASSERT_TRUE(r.ok) << r.why;
  EXPECT_EQ(Asked(transport_, before),
            (std::vector<std::string>{"127.1.0.1 tld5. A", "127.7.1.1 www.tld5. A"}));
}

TEST_F(EngineTest, AFailedPrimingIsRetriedWithBackOffNotPerQuery) {
  // Issue 21 §8 (RFC 8109 §3): the root answers referrals but not . NS.
  transport_.serve(kRoot, [this](const dns::Message& q, bool tcp) -> std::optional<dns::Message> {
    if (q.questions[0].name.is_root() && q.questions[0].type == RRType::NS) return std::nullopt;
    return root_.answer(q, tcp);
  });
  ASSERT_TRUE(Resolve("www.example.").ok);  // from the hints
  const std::size_t primings = transport_.count(N("."), RRType::NS);
  EXPECT_GE(primings, 1u);
  ASSERT_TRUE(Resolve("www.other.").ok);
  ASSERT_TRUE(Resolve("x.y.example.").ok);
  EXPECT_EQ(transport_.count(N("."), RRType::NS), primings);  // not again within the back-off
  EXPECT_EQ(engine_->priming_failures(), 1u);
  clock_.advance(limits_.prime_retry_min + std::chrono::milliseconds(1));
  ASSERT_TRUE(Resolve("nope.nowhere.").ok);                   // a TLD with no cached cut: the root is needed
  EXPECT_GT(transport_.count(N("."), RRType::NS), primings);  // tried again after it
  EXPECT_EQ(engine_->priming_failures(), 2u);
}

TEST_F(EngineTest, TraceBypassesTheCacheAndRecordsEveryStep) {
  ASSERT_TRUE(Resolve("www.example.").ok);
  const std::size_t before = Sent();
  Trace t = TraceOf("www.example.");
  ASSERT_TRUE(t.outcome.ok) << t.outcome.why;
  EXPECT_GT(Sent(), before);  // asked again, not answered from the cache
  std::string all;
  for (const auto& s : t.steps) all += s + "\n";
  EXPECT_NE(all.find("cache: zone cut example."), std::string::npos) << all;
  EXPECT_NE(all.find("ask 127.2.0.1"), std::string::npos) << all;
  EXPECT_NE(all.find("answer"), std::string::npos) << all;
}

TEST_F(EngineTest, TraceShowsReferralsFromTheRoot) {
  Trace t = TraceOf("alias.example.");
  ASSERT_TRUE(t.outcome.ok) << t.outcome.why;
  std::string all;
  for (const auto& s : t.steps) all += s + "\n";
  EXPECT_NE(all.find("priming"), std::string::npos) << all;
  EXPECT_NE(all.find("referral to example."), std::string::npos) << all;
  EXPECT_NE(all.find("is an alias for www.other."), std::string::npos) << all;
  EXPECT_NE(all.find("resolving the name server ns.hosting.lab."), std::string::npos) << all;
}

// Issue 23 §5: max_cname_chain is the number of links followed, by the
// engine as by the handler answering from the cache; the engine used to
// fail on the max-th link (a 12-link chain was SERVFAIL).
class CnameChainLimitTest : public EngineTest {
 protected:
  CnameChainLimitTest() {
    root_ = AuthoritativeZone(".",
                              kRootText + "chain. 172800 IN NS ns.chain.\nns.chain. 172800 IN A 127.6.0.1\n");
    std::string text =
        "chain. 3600 IN SOA ns.chain. admin.chain. 1 3600 900 604800 300\n"
        "chain. 3600 IN NS ns.chain.\nns.chain. 3600 IN A 127.6.0.1\n";
    for (int i = 0; i < 13; ++i) {
      text += "l" + std::to_string(i) + ".chain. 300 IN CNAME l" + std::to_string(i + 1) + ".chain.\n";
    }
    text += "l13.chain. 300 IN A 127.0.0.13\n";
    chain_ = std::make_unique<AuthoritativeZone>("chain.", text);
    transport_.serve(ServerAddress::v4({127, 6, 0, 1}), chain_->handler());
  }
  std::uint64_t ChainLimitHits() const {
    return engine_->upstream_stats().limits_hit[static_cast<std::size_t>(LimitHit::kCnameChain)].get();
  }
  std::unique_ptr<AuthoritativeZone> chain_;
};

TEST_F(CnameChainLimitTest, TwelveLinksAreFollowed) {
  ASSERT_EQ(limits_.max_cname_chain, 12u);
  ResolveOutcome r = Resolve("l1.chain.");  // l1 → l2 → ... → l13: 12 links
  EXPECT_TRUE(r.ok) << r.why;
  EXPECT_TRUE(Cached("l13.chain."));
  EXPECT_EQ(ChainLimitHits(), 0u);
}

TEST_F(CnameChainLimitTest, AThirteenthLinkIsTooMany) {
  ResolveOutcome r = Resolve("l0.chain.");  // 13 links
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.why.find("too many CNAMEs (over 12)"), std::string::npos) << r.why;
  EXPECT_NE(r.why.find("resolver.max_cname_chain"), std::string::npos) << r.why;
  EXPECT_EQ(ChainLimitHits(), 1u);
}

TEST_F(CnameChainLimitTest, TheLimitIsTheConfiguredOne) {
  limits_.max_cname_chain = 2;
  MakeEngine();
  EXPECT_TRUE(Resolve("l11.chain.").ok);   // l11 → l12 → l13
  EXPECT_FALSE(Resolve("l10.chain.").ok);  // three links
}

// The engine's random numbers come from where EngineOptions say: query IDs
// and the 0x20 case from `ids_and_case`, which vigild leaves to the CSPRNG.
class CountingRandom final : public Random {
 public:
  explicit CountingRandom(std::uint64_t v) : value_(v) {}
  std::uint64_t next() override {
    ++calls_;
    return value_;
  }
  unsigned calls() const { return calls_; }

 private:
  std::uint64_t value_;
  unsigned calls_ = 0;
};

class WireRecorder final : public UpstreamTransport {
 public:
  explicit WireRecorder(UpstreamTransport& inner) : inner_(inner) {}
  boost::asio::awaitable<UpstreamReply> exchange(UpstreamRequest request) override {
    wires_.emplace_back(request.query.begin(), request.query.end());
    co_return co_await inner_.exchange(request);
  }
  std::vector<std::vector<std::uint8_t>> wires_;

 private:
  UpstreamTransport& inner_;
};

TEST_F(EngineTest, QueryIdsAndLetterCaseComeFromTheInjectedRandomSource) {
  WireRecorder recorder(transport_);
  CountingRandom all_ones(~std::uint64_t{0});
  EngineOptions o;
  o.ids_and_case = &all_ones;
  MakeEngine(std::move(o), &recorder);
  ASSERT_TRUE(Resolve("www.example.").ok);
  ASSERT_FALSE(recorder.wires_.empty());
  for (const auto& w : recorder.wires_) {
    ASSERT_GE(w.size(), dns::kHeaderSize);
    EXPECT_EQ(w[0], 0xFF);  // ID 0xFFFF
    EXPECT_EQ(w[1], 0xFF);
  }
  // Every letter of every query name upper case: each bit was a 1.
  for (const auto& e : transport_.log()) {
    const std::string t = e.qname.to_text();
    for (char c : t) EXPECT_FALSE(c >= 'a' && c <= 'z') << t;
  }
  // An ID per query, and case bits for every query with letters (not ". NS").
  EXPECT_GT(all_ones.calls(), recorder.wires_.size());
  // Still never cached in our case.
  auto a = cache_.lookup(N("www.example."), RRType::A, dns::RRClass::IN, clock_.wall());
  ASSERT_TRUE(a.positive.has_value());
  EXPECT_EQ(a.positive->rrset.name.to_text(), "www.example.");
}

// Found by an independent review of the split (issue 23 §2): each case
// behaves as the engine before it did.
class EngineSplitTest : public EngineTest {
 protected:
  ResolveOutcome Refresh(const char* name, RRType type = RRType::A) {
    boost::asio::io_context io;
    auto f = boost::asio::co_spawn(io, engine_->resolve(N(name), type, true), boost::asio::use_future);
    io.run();
    return f.get();
  }
  static dns::ResourceRecord R(const char* t) { return *dns::parse_record(t); }
  // example.'s server answers `name` with `make(query)`, everything else from its zone.
  void Answer(const char* name, std::function<dns::Message(const dns::Message&)> make) {
    transport_.serve(kExample, [this, n = N(name), make](const dns::Message& q, bool tcp) {
      return q.questions[0].name == n ? std::optional<dns::Message>(make(q)) : example_.answer(q, tcp);
    });
  }
};

TEST_F(EngineSplitTest, AMetaQtypeAnsweredByACnameFollowsIt) {
  Answer("alias.example.", [](const dns::Message& q) {
    dns::Message m = reply_to(q);
    m.header.aa = true;
    m.answer.push_back(R("alias.example. 300 IN CNAME www.other."));
    return m;
  });
  ASSERT_TRUE(Resolve("alias.example.", RRType::MAILB).ok);
  EXPECT_EQ(CountTo(kOther, "www.other.", RRType::MAILB), 1u);
}

TEST_F(EngineSplitTest, ADnameAboveANameWithTheDataIsNotFollowed) {
  Answer("www.legacy.example.", [](const dns::Message& q) {
    dns::Message m = reply_to(q);
    m.header.aa = true;
    m.answer.push_back(R("legacy.example. 300 IN DNAME other."));
    m.answer.push_back(R("www.legacy.example. 300 IN A 127.0.0.99"));
    return m;
  });
  ASSERT_TRUE(Resolve("www.legacy.example.").ok);
  EXPECT_EQ(CountTo(kOther, "www.other."), 0u);
  EXPECT_TRUE(Cached("www.legacy.example."));
}

TEST_F(EngineSplitTest, ARefusedAliasIsNotFollowedTheCachedOneIs) {
  ASSERT_TRUE(Resolve("alias.example.").ok);  // alias.example. CNAME www.other., authoritative
  const std::size_t to_other = CountTo(kOther, "www.other.");
  Answer("alias.example.", [](const dns::Message& q) {
    dns::Message m = reply_to(q);  // not authoritative: the cache keeps its own
    m.answer.push_back(R("alias.example. 300 IN CNAME www.example."));
    return m;
  });
  ASSERT_TRUE(Refresh("alias.example.").ok);
  EXPECT_EQ(CountTo(kExample, "www.example."), 0u);        // the refused target is not resolved
  EXPECT_EQ(CountTo(kOther, "www.other."), to_other + 1);  // the cached one is refreshed
}

TEST_F(EngineSplitTest, ANegativeAnswerWithoutSoaIsCachedWhenTheCacheHasOne) {
  ResolveOutcome first = Resolve("nx.example.");
  ASSERT_TRUE(first.ok);
  EXPECT_FALSE(first.negative_uncached);
  transport_.serve(kExample, [](const dns::Message& q, bool) {
    dns::Message m = reply_to(q, dns::Rcode::kNXDomain);  // no SOA this time
    m.header.aa = true;
    return std::optional<dns::Message>(m);
  });
  ResolveOutcome again = Refresh("nx.example.");
  ASSERT_TRUE(again.ok);
  EXPECT_FALSE(again.negative_uncached);  // the cache still answers it
}

TEST_F(EngineSplitTest, AnAnswerOfOtherZonesRecordsOnlyIsLameNotNoData) {
  Answer("odd.example.", [](const dns::Message& q) {
    dns::Message m = reply_to(q);
    m.answer.push_back(R("www.other. 300 IN A 127.0.0.81"));
    m.authority.push_back(R("example. 300 IN SOA ns1.example. admin.example. 1 3600 900 604800 300"));
    return m;
  });
  EXPECT_FALSE(Resolve("odd.example.").ok);
  EXPECT_FALSE(cache_.lookup(N("odd.example."), RRType::A, dns::RRClass::IN, clock_.wall()).negative);
  EXPECT_TRUE(infra_.is_lame(kExample, N("example."), clock_.wall()));
}

TEST_F(EngineSplitTest, StrictMinimisationAnswersAnNxDomainWithoutSoaUncached) {
  // Found by the same review, and older than the split: a strict NXDOMAIN
  // for a minimised name without a usable SOA said "cached" and left the
  // client nothing to be answered from.
  EngineOptions o;
  o.qname_minimisation = QnameMinimisation::kStrict;
  MakeEngine(std::move(o));
  transport_.serve(kExample, [](const dns::Message& q, bool) {
    dns::Message m = reply_to(q, dns::Rcode::kNXDomain);
    m.header.aa = true;
    return std::optional<dns::Message>(m);
  });
  ResolveOutcome r = Resolve("a.b.c.example.");
  ASSERT_TRUE(r.ok) << r.why;
  EXPECT_EQ(r.negative_uncached, dns::Rcode::kNXDomain);
}

}  // namespace
}  // namespace vigil::resolver
