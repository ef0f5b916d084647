// The threat feeds' answers (policy/policy_set.h), in BIND's order of
// checks: the query name; then, while the chain is followed, each CNAME
// target and the answer's addresses in the feeds before the one the name
// matched. A matching rule rewrites the answer (NXDOMAIN, NODATA, local
// data or a redirect, TC=1 over UDP, or no answer); PASSTHRU, and TCP-only
// over TCP, let it through. With no rule waiting on the name and no
// response-IP trigger that could fire, a direct hit still takes the
// zero-copy path. tests/lab compares the answers with BIND's.
#pragma once

#include <vector>

#include "cache/rrset_cache.h"
#include "policy/policy_set.h"
#include "protocol/name.h"
#include "server/answer_types.h"
#include "server/cache_answer.h"
#include "server/response.h"

namespace vigil::server {

class PolicyAnswers {
 public:
  // Both must outlive it.
  PolicyAnswers(const policy::PolicySet& set, const CacheAnswers& cache) : set_(set), cache_(cache) {}

  HandleResult answer(AnswerContext& c) const;

 private:
  // The answer as `hit`'s rule says, for the name `at` (the query name, a
  // CNAME target, or the owner of a matching address) after `links`.
  HandleResult rewrite(AnswerContext& c, const policy::PolicyHit& hit, const dns::Name& at,
                       const std::vector<cache::CachedRRset>& links, PolicyNote& note) const;
  // Writes which rule of which feed met the query into `note`.
  void remember(PolicyNote& note, const policy::PolicyHit& hit, const dns::Name& at) const;

  const policy::PolicySet& set_;
  const CacheAnswers& cache_;
};

}  // namespace vigil::server
