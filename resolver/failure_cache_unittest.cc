// The failure cache (RFC 2308 §7.1): remembered for its TTL on the
// injected clock, answered as a cached error, bounded, flushable.
#include "resolver/failure_cache.h"

#include <gtest/gtest.h>

namespace vigil::resolver {
namespace {

using namespace std::chrono_literals;

QuestionKey FailureKey(const char* name) {
  return question_key(*dns::Name::from_text(name), dns::RRType::A);
}

TEST(FailureCacheTest, RemembersForItsTtlAsACachedError) {
  ManualClock clock;
  FailureCache failures(clock, 5s, 10);
  failures.remember(FailureKey("dead.example."),
                    ResolveOutcome{false, dns::EdeCode::kNoReachableAuthority, "no server answered", 7});
  auto r = failures.find(FailureKey("DEAD.example."));  // the key is case-blind
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->ok);
  EXPECT_EQ(r->ede, dns::EdeCode::kCachedError);
  EXPECT_EQ(r->upstream_queries, 0u);
  EXPECT_EQ(r->why, "cached failure: no server answered");
  clock.advance(4999ms);
  EXPECT_TRUE(failures.find(FailureKey("dead.example.")));
  clock.advance(1ms);
  EXPECT_FALSE(failures.find(FailureKey("dead.example.")));
}

TEST(FailureCacheTest, IsBoundedOldestFirstAndFlushes) {
  ManualClock clock;
  FailureCache failures(clock, 5s, 2);
  for (const char* n : {"a.example.", "b.example.", "c.example."}) failures.remember(FailureKey(n), {});
  EXPECT_FALSE(failures.find(FailureKey("a.example.")));
  EXPECT_TRUE(failures.find(FailureKey("b.example.")));
  EXPECT_TRUE(failures.find(FailureKey("c.example.")));
  EXPECT_EQ(failures.flush(), 2u);
  EXPECT_FALSE(failures.find(FailureKey("c.example.")));
}

TEST(FailureCacheTest, ATtlOfZeroRemembersNothing) {
  ManualClock clock;
  FailureCache failures(clock, 0s, 10);
  failures.remember(FailureKey("dead.example."), {});
  EXPECT_FALSE(failures.find(FailureKey("dead.example.")));
}

}  // namespace
}  // namespace vigil::resolver
