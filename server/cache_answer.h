// Answers from the cache, for the handler's last step (and the threat
// feeds' rewrite, which reads the same chains): the direct hit written
// straight from the cache entry (the hot path: no copy), CNAME and DNAME
// chains followed to their answer or negative answer, ANY answered
// minimally (RFC 8482), and SERVFAIL with the resolution's Extended DNS
// Error when nothing usable is cached.
#pragma once

#include <functional>
#include <optional>
#include <vector>

#include "cache/rrset_cache.h"
#include "protocol/name.h"
#include "protocol/types.h"
#include "server/answer_types.h"
#include "server/response.h"

namespace vigil::server {

// A chain of cached CNAMEs from a name, and what is at its end.
struct Chain {
  std::vector<cache::CachedRRset> links;  // CNAMEs (each after its DNAME, if any), in answer order
  std::optional<cache::CachedRRset> positive;
  std::optional<cache::CachedNegative> negative;
  bool stale() const;
};

class CacheAnswers {
 public:
  // `max_cname_chain`: CNAMEs followed for one query (resolver.max_cname_chain).
  CacheAnswers(cache::RRsetCache& cache, unsigned max_cname_chain)
      : cache_(cache), max_links_(max_cname_chain) {}

  // The whole path without threat feeds: ANY, the direct hit, the chain,
  // then "needs resolution" or SERVFAIL.
  HandleResult answer(AnswerContext& c) const;

  // A positive answer for the name and type written under the cache
  // shard's read lock, the entry's octets straight into the response;
  // nullopt on a miss.
  std::optional<HandleResult> direct_hit(AnswerContext& c) const;
  // ANY (RFC 8482 §4.1): one cached RRset, the types a client most likely
  // wants first; a cached NXDOMAIN; else "needs resolution", or after one
  // a synthesised HINFO (§4.2).
  HandleResult any(AnswerContext& c) const;
  // Follows cached CNAMEs from `start` to the answer or negative answer at
  // the chain's end; `stop(target)` true ends it at that target.
  Chain follow(const dns::Name& start, dns::RRType qtype, const AnswerContext& c,
               const std::function<bool(const dns::Name&)>& stop = {}) const;
  // A chain with an end: its links, then the answer or the negative answer
  // (EDE 3 when any of it is stale).
  HandleResult chain(AnswerContext& c, const Chain& chain) const;
  // SERVFAIL with the resolution's Extended DNS Error, after the CNAMEs
  // and DNAMEs followed so far (a loop shows the client where it loops, as
  // Knot Resolver and Unbound answer it); a negative answer the cache
  // could not take is answered with its RCODE instead.
  HandleResult servfail(AnswerContext& c, const std::vector<cache::CachedRRset>& links = {}) const;

 private:
  cache::RRsetCache& cache_;
  unsigned max_links_;
};

}  // namespace vigil::server
