// The feeds in force, in precedence order, as one immutable set the query
// handler consults (a reload or a changed feed file builds a new set):
//
//   1. the query name's triggers, feed by feed: the first feed with a match
//      decides (a log-only feed's match is reported and passed over);
//   2. when the name matched nothing, or matched in feed k, the addresses
//      of the answer against the response-IP triggers of the feeds before
//      k (a qname trigger beats an IP trigger of its own feed or a later
//      one, as in BIND: earlier feed first, then qname before IP).
//
// Hit counters live outside the set (PolicyCounters, one per feed name,
// kept by the daemon across reloads) so that a reload does not reset them.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "policy/policy_feed.h"
#include "policy/policy_types.h"

namespace vigil::policy {

struct PolicyCounters {
  std::array<std::atomic<std::uint64_t>, kPolicyActionCount> enforced{};
  std::array<std::atomic<std::uint64_t>, kPolicyActionCount> logged{};
};

struct PolicySource {
  std::string name;
  FeedMode mode = FeedMode::kEnforce;
  std::shared_ptr<const PolicyFeed> feed;
  PolicyCounters* counters = nullptr;  // null: not counted
};

// A match in one feed of the set.
struct PolicyHit {
  std::uint8_t feed = 0;  // index into PolicySet::feeds()
  FeedMatch match;
  bool enforced = false;  // false: a log-only feed's
};

struct PolicyLookup {
  std::optional<PolicyHit> enforced;  // what decides
  std::optional<PolicyHit> logged;    // a log-only feed's match before it
};

class PolicySet {
 public:
  PolicySet() = default;
  PolicySet(std::vector<PolicySource> feeds, std::uint32_t max_ttl, bool add_soa);

  bool empty() const { return feeds_.empty(); }
  const std::vector<PolicySource>& feeds() const { return feeds_; }
  std::uint32_t max_ttl() const { return max_ttl_; }
  bool add_soa() const { return add_soa_; }

  // Name triggers in feeds [0, limit).
  PolicyLookup match_name(const dns::Name& name, std::size_t limit = kAll) const;
  // Response-IP triggers in feeds [0, limit).
  PolicyLookup match_address(std::span<const std::uint8_t> address, std::size_t limit = kAll) const;
  // Whether any feed before `limit` has response-IP triggers.
  bool addresses_before(std::size_t limit) const;

  static constexpr std::size_t kAll = 0xFF;

 private:
  std::vector<PolicySource> feeds_;
  std::uint32_t max_ttl_ = 5;
  bool add_soa_ = true;
  std::size_t first_address_feed_ = kAll;  // the first feed with response-IP triggers
};

}  // namespace vigil::policy
