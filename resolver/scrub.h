// One pass over every reply the driver takes, before it is classified or
// cached (Unbound's iter_scrub.c, in the small): what is left is what the
// asked server may speak for.
//
//   - Names in lower case: servers echo the query's random 0x20 letter case
//     into every name that compresses to the question, owners and name
//     targets alike; lowercased here, no client ever sees our random case.
//   - Bailiwick: records about names outside the zone the server was asked
//     as (`bailiwick`: the zone cut's apex; the root for a forwarder) are
//     dropped from the additional section and, for NS sets, from the
//     authority section. A referral's glue is thereby limited to names
//     within the referring server's zone: the child's own (in-bailiwick)
//     and its siblings' (a root referral to com. with a.gtld-servers.net.'s
//     address: the root serves net. too).
//   - Kept: an SOA wherever it is from (it still says the answer is
//     negative; the cache writer does not cache a negative answer by an SOA
//     from outside the zone, RFC 2308 §5), and the answer section whole:
//     what a server put there is evidence about the server — a reply whose
//     answer holds only other zones' records is lame, not NODATA — so
//     classify() sees it, and ignores those records as the cache writer
//     does, by the same rule.
//
// in_bailiwick() is the one rule; classify() and the cache writer use it
// too, never a rule of their own.
#pragma once

#include "protocol/message.h"
#include "protocol/name.h"

namespace vigil::resolver {

// Whether a server for `zone` may speak for `name`.
inline bool in_bailiwick(const dns::Name& name, const dns::Name& zone) {
  return name.is_subdomain_of(zone);
}

struct ScrubCounts {
  unsigned dropped = 0;  // records removed as out of bailiwick
};

ScrubCounts scrub(dns::Message& reply, const dns::Name& bailiwick);

}  // namespace vigil::resolver
