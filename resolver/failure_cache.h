// Recent failures (RFC 2308 §7.1): a question whose resolution failed is
// answered from here for `ttl`, so clients retrying a dead zone cost no
// upstream queries. Bounded: past `entries`, the oldest go first.
#pragma once

#include <chrono>
#include <cstddef>
#include <deque>
#include <map>
#include <mutex>
#include <optional>

#include "resolver/clock.h"
#include "resolver/outcome.h"
#include "resolver/question_key.h"

namespace vigil::resolver {

class FailureCache {
 public:
  FailureCache(const Clock& clock, std::chrono::milliseconds ttl, std::size_t entries)
      : clock_(clock), ttl_(ttl), entries_(entries) {}

  // The remembered failure, as a cached error (EDE 13, no upstream query).
  std::optional<ResolveOutcome> find(const QuestionKey& key) const;
  void remember(const QuestionKey& key, const ResolveOutcome& r);
  std::size_t flush();  // returns how many there were

 private:
  struct Failure {
    ResolveOutcome outcome;
    std::chrono::steady_clock::time_point until;
  };
  const Clock& clock_;
  std::chrono::milliseconds ttl_;
  std::size_t entries_;
  mutable std::mutex mu_;
  std::map<QuestionKey, Failure> failures_;
  std::deque<QuestionKey> order_;  // oldest first, for the bound
};

}  // namespace vigil::resolver
