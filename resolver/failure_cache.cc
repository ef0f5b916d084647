#include "resolver/failure_cache.h"

namespace vigil::resolver {

std::optional<ResolveOutcome> FailureCache::find(const QuestionKey& key) const {
  std::lock_guard lock(mu_);
  auto it = failures_.find(key);
  if (it == failures_.end() || clock_.monotonic() >= it->second.until) return std::nullopt;
  ResolveOutcome r = it->second.outcome;
  r.upstream_queries = 0;
  r.ede = dns::EdeCode::kCachedError;
  r.why = "cached failure: " + r.why;
  return r;
}

std::size_t FailureCache::flush() {
  std::lock_guard lock(mu_);
  const std::size_t n = failures_.size();
  failures_.clear();
  order_.clear();
  return n;
}

void FailureCache::remember(const QuestionKey& key, const ResolveOutcome& r) {
  if (ttl_.count() == 0 || entries_ == 0) return;
  std::lock_guard lock(mu_);
  if (failures_.count(key) == 0) order_.push_back(key);
  failures_[key] = Failure{r, clock_.monotonic() + ttl_};
  while (failures_.size() > entries_ && !order_.empty()) {
    failures_.erase(order_.front());
    order_.pop_front();
  }
  if (order_.size() > 2 * entries_) {  // drop keys already erased
    std::deque<QuestionKey> live;
    for (const auto& k : order_) {
      if (failures_.count(k) != 0) live.push_back(k);
    }
    order_.swap(live);
  }
}

}  // namespace vigil::resolver
