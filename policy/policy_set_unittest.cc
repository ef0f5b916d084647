#include "policy/policy_set.h"

#include <gtest/gtest.h>

namespace vigil::policy {
namespace {

dns::Name N(const char* text) {
  return *dns::Name::from_text(text);
}

std::shared_ptr<const PolicyFeed> rpz(const char* body) {
  FeedOptions o;
  o.zone = N("rpz.");
  auto f = PolicyFeed::parse(std::string("@ SOA a. b. 1 2 3 4 5\n") + body, o);
  EXPECT_TRUE(f.ok()) << f.error().message;
  return *f;
}

TEST(PolicySetTest, TheFirstFeedWithAMatchDecides) {
  PolicySet set({{"first", FeedMode::kEnforce, rpz("a.test CNAME *.\n"), nullptr},
                 {"second", FeedMode::kEnforce, rpz("a.test CNAME .\nb.test CNAME .\n"), nullptr}},
                5, true);
  auto a = set.match_name(N("a.test."));
  ASSERT_TRUE(a.enforced);
  EXPECT_EQ(a.enforced->feed, 0);
  EXPECT_EQ(a.enforced->match.rule->action, PolicyAction::kNoData);
  auto b = set.match_name(N("b.test."));
  ASSERT_TRUE(b.enforced);
  EXPECT_EQ(b.enforced->feed, 1);
  EXPECT_FALSE(set.match_name(N("b.test."), 1).enforced);  // feeds before 1 only
  EXPECT_FALSE(set.match_name(N("c.test.")).enforced);
}

TEST(PolicySetTest, LogOnlyFeedsAreReportedAndPassedOver) {
  PolicySet set({{"watch", FeedMode::kLog, rpz("a.test CNAME .\nb.test CNAME .\n"), nullptr},
                 {"block", FeedMode::kEnforce, rpz("a.test CNAME rpz-drop.\n"), nullptr}},
                5, true);
  auto a = set.match_name(N("a.test."));
  ASSERT_TRUE(a.logged);
  EXPECT_EQ(a.logged->feed, 0);
  EXPECT_FALSE(a.logged->enforced);
  ASSERT_TRUE(a.enforced);
  EXPECT_EQ(a.enforced->feed, 1);
  EXPECT_EQ(a.enforced->match.rule->action, PolicyAction::kDrop);
  auto b = set.match_name(N("b.test."));
  EXPECT_TRUE(b.logged);
  EXPECT_FALSE(b.enforced);
}

TEST(PolicySetTest, AddressTriggersOnlyInFeedsBeforeTheNameMatch) {
  PolicySet set({{"names", FeedMode::kEnforce, rpz("a.test CNAME .\n"), nullptr},
                 {"ips", FeedMode::kEnforce, rpz("32.1.0.0.127.rpz-ip CNAME *.\n"), nullptr}},
                5, true);
  const std::uint8_t addr[] = {127, 0, 0, 1};
  EXPECT_FALSE(set.addresses_before(1));
  EXPECT_TRUE(set.addresses_before(2));
  EXPECT_FALSE(set.match_address(addr, 1).enforced);
  auto m = set.match_address(addr);
  ASSERT_TRUE(m.enforced);
  EXPECT_EQ(m.enforced->feed, 1);
  EXPECT_EQ(m.enforced->match.rule->action, PolicyAction::kNoData);
}

}  // namespace
}  // namespace vigil::policy
