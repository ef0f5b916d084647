#include "policy/policy_set.h"

#include <algorithm>

namespace vigil::policy {

PolicySet::PolicySet(std::vector<PolicySource> feeds, std::uint32_t max_ttl, bool add_soa)
    : feeds_(std::move(feeds)), max_ttl_(max_ttl), add_soa_(add_soa) {
  for (std::size_t i = 0; i < feeds_.size(); ++i) {
    if (feeds_[i].feed && feeds_[i].feed->has_address_triggers()) {
      first_address_feed_ = i;
      break;
    }
  }
}

bool PolicySet::addresses_before(std::size_t limit) const {
  return first_address_feed_ < limit;
}

namespace {

template <class MatchOne>
PolicyLookup first_match(const std::vector<PolicySource>& feeds, std::size_t limit, MatchOne&& one) {
  PolicyLookup out;
  const std::size_t end = std::min(limit, feeds.size());
  for (std::size_t i = 0; i < end; ++i) {
    if (!feeds[i].feed) continue;
    std::optional<FeedMatch> m = one(*feeds[i].feed);
    if (!m) continue;
    PolicyHit hit{static_cast<std::uint8_t>(i), *m, feeds[i].mode == FeedMode::kEnforce};
    if (!hit.enforced) {
      if (!out.logged) out.logged = hit;
      continue;
    }
    out.enforced = hit;
    break;
  }
  return out;
}

}  // namespace

PolicyLookup PolicySet::match_name(const dns::Name& name, std::size_t limit) const {
  if (feeds_.empty()) return {};
  const NameSuffixes suffixes(name);
  return first_match(feeds_, limit, [&](const PolicyFeed& f) { return f.match_name(name, suffixes); });
}

PolicyLookup PolicySet::match_address(std::span<const std::uint8_t> address, std::size_t limit) const {
  if (first_address_feed_ >= std::min(limit, feeds_.size())) return {};
  return first_match(feeds_, limit, [&](const PolicyFeed& f) { return f.match_address(address); });
}

}  // namespace vigil::policy
