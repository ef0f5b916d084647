// The configuration's resolver.* limits as the engine gets them.
#include "server/recursion.h"

#include <gtest/gtest.h>

namespace vigil::server {
namespace {

using namespace std::chrono_literals;

TEST(RecursionLimitsTest, TheDefaultsAreTheEnginesOwn) {
  const resolver::ResolverLimits engine;
  const resolver::ResolverLimits mapped = limits_from(config::Config::defaults().resolver);
  EXPECT_EQ(mapped.resolution_budget, engine.resolution_budget);
  EXPECT_EQ(mapped.max_attempt_timeout, engine.max_attempt_timeout);
  EXPECT_EQ(mapped.max_upstream_queries, engine.max_upstream_queries);
  EXPECT_EQ(mapped.max_cname_chain, engine.max_cname_chain);
  EXPECT_EQ(mapped.servfail_ttl, engine.servfail_ttl);
  EXPECT_EQ(mapped.max_clients_per_question, engine.max_clients_per_question);
}

TEST(RecursionLimitsTest, EverySettingReachesTheEngine) {
  config::ResolverConfig r = config::Config::defaults().resolver;
  r.resolution_timeout = 4s;
  r.max_attempt_timeout = 700ms;
  r.max_upstream_queries = 77;
  r.max_cname_chain = 3;
  r.servfail_ttl = 500ms;  // was truncated to whole seconds: 0, the failure cache off
  r.max_clients_per_question = 9;
  const resolver::ResolverLimits l = limits_from(r);
  EXPECT_EQ(l.resolution_budget, 4s);
  EXPECT_EQ(l.max_attempt_timeout, 700ms);
  EXPECT_EQ(l.max_upstream_queries, 77u);
  EXPECT_EQ(l.max_cname_chain, 3u);
  EXPECT_EQ(l.servfail_ttl, 500ms);
  EXPECT_EQ(l.max_clients_per_question, 9u);
}

}  // namespace
}  // namespace vigil::server
