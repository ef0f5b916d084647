// What a classified, scrubbed reply leaves in the cache, and what the
// driver learned from it — so that the driver acts on the return value and
// never reads back what was just stored.
//
//   answer / alias  the answer's RRsets at authoritative or
//                   non-authoritative rank; under a DNAME the CNAME is
//                   synthesised here (the server's is ignored); an NS
//                   answer's addresses (priming, RFC 8109 §3.3)
//   NXDOMAIN/NODATA with the zone's SOA (RFC 2308); without one, nothing
//                   (the answer is still the answer: the driver says so)
//   referral        the child's NS set, and glue for the names it lists,
//                   at glue rank: it reaches servers, never answers a
//                   client, and an authoritative answer replaces it
//
// The validator (issue 25) goes between classify() and write(): it decides
// which of these records are secure, and the rank they are written at.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "cache/rrset_cache.h"
#include "protocol/message.h"
#include "resolver/classify.h"
#include "resolver/clock.h"

namespace vigil::resolver {

struct Learned {
  // The name the alias at the name points to (a DNAME's synthesised
  // target), when the name has no RRset of the type asked; what the cache
  // holds when it refused the reply's (a higher rank is cached).
  // `alias_invalid` when the record had no usable target.
  std::optional<dns::Name> alias;
  bool alias_invalid = false;
  // kAnswer: the rdata of the RRset asked for (addresses, for a name
  // server's A or AAAA), or the cache's when it refused the reply's. Used
  // by this resolution whatever the TTL: a TTL of 0 is for "the
  // transaction in progress" (RFC 1035 §3.2.1).
  std::vector<std::vector<std::uint8_t>> rdatas;
  // kNxDomain / kNoData: the cache answers the question negatively now
  // (else the driver answers it uncached).
  std::optional<cache::NegativeKind> negative_cached;
};

class CacheWriter {
 public:
  CacheWriter(cache::RRsetCache& cache, const Clock& clock) : cache_(cache), clock_(clock) {}

  // `reply` answers (`name`, `type`) from a server for `zone` (its
  // bailiwick; scrub() has run with it).
  Learned write(const dns::Message& reply, ReplyKind kind, const dns::Name& zone, const dns::Name& name,
                dns::RRType type);

 private:
  std::vector<std::vector<std::uint8_t>> held(const dns::Name& name, dns::RRType type);

  cache::RRsetCache& cache_;
  const Clock& clock_;
};

}  // namespace vigil::resolver
