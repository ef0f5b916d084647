// Server selection: the plan a zone cut gives, and the order servers are
// tried in (RTT, the initial RTO for unknown ones, lame and failed ones
// out, exploration from the injected random source).
#include "resolver/server_selection.h"

#include <gtest/gtest.h>

#include "resolver/scripted_transport.h"

namespace vigil::resolver {
namespace {

const ServerAddress kFast = ServerAddress::v4({127, 8, 0, 1});
const ServerAddress kSlow = ServerAddress::v4({127, 8, 0, 2});
const ServerAddress kUnknown = ServerAddress::v4({127, 8, 0, 3});

dns::Name SelName(const char* s) {
  return *dns::Name::from_text(s);
}

class FixedRandom final : public Random {
 public:
  std::uint64_t next() override { return value; }
  std::uint64_t value = 1;
};

class ServerSelectionTest : public ::testing::Test {
 protected:
  ServerSelectionTest() {
    infra_.record_rtt(kFast, 20, clock_.wall());
    infra_.record_rtt(kSlow, 900, clock_.wall());
    cut_.ns.zone = SelName("example.");
  }
  std::vector<ServerAddress> Rank() { return selection_.rank(cut_, {kSlow, kUnknown, kFast}, budget_); }
  ManualClock clock_;
  ResolverLimits limits_ = [] {
    ResolverLimits l;
    l.explore_one_in = 0;
    return l;
  }();
  cache::InfraCache infra_;
  UpstreamStats stats_;
  ScriptedTransport transport_{&clock_};
  FixedRandom random_;
  ExchangeLadder ladder_{transport_, infra_, clock_, limits_, stats_, random_};
  ServerSelection selection_{infra_, clock_, limits_, stats_, ladder_, random_};
  Cut cut_;
  Budget budget_;
};

TEST_F(ServerSelectionTest, FastestFirstAndAnUnknownServerAtTheInitialRto) {
  // 20 ms, then the unknown one at 376 ms, then 900 ms.
  EXPECT_EQ(Rank(), (std::vector<ServerAddress>{kFast, kUnknown, kSlow}));
}

TEST_F(ServerSelectionTest, LameAndFailedServersAreLeftOut) {
  infra_.mark_lame(kFast, cut_.ns.zone, clock_.wall());
  budget_.failed.emplace_back(kUnknown, cut_.ns.zone);
  EXPECT_EQ(Rank(), (std::vector<ServerAddress>{kSlow}));
  // Lame for another zone only: still asked for this one.
  cut_.ns.zone = SelName("other.");
  EXPECT_EQ(Rank().size(), 3u);
}

TEST_F(ServerSelectionTest, ExplorationPutsAnotherServerFirst) {
  limits_.explore_one_in = 1;  // every choice explores
  random_.value = 1;           // ... the server at 1 + 1 % 2 = 2
  EXPECT_EQ(Rank(), (std::vector<ServerAddress>{kSlow, kUnknown, kFast}));
}

TEST_F(ServerSelectionTest, APlanSaysWhichNamesToResolveFirst) {
  cut_.fixed.clear();
  cut_.ns.servers = {{SelName("ns1.example."), {{127, 2, 0, 1}}, {}},
                     {SelName("ns2.example."), {}, {}},
                     {SelName("ns.hosting.lab."), {}, {}}};
  ServerPlan p = ServerSelection::plan(cut_);
  ASSERT_EQ(p.addresses.size(), 1u);
  EXPECT_EQ(p.addresses[0], ServerAddress::v4({127, 2, 0, 1}));
  EXPECT_EQ(p.resolve_first, (std::vector<dns::Name>{SelName("ns.hosting.lab.")}));
  EXPECT_EQ(p.need_glue, (std::vector<dns::Name>{SelName("ns2.example.")}));
}

}  // namespace
}  // namespace vigil::resolver
