// What one resolution came to, as the engine tells the listeners.
#pragma once

#include <optional>
#include <string>
#include <utility>

#include "protocol/types.h"

namespace vigil::resolver {

struct ResolveOutcome {
  ResolveOutcome() = default;
  ResolveOutcome(bool ok_, dns::EdeCode ede_, std::string why_, unsigned upstream, bool coalesced_ = false)
      : ok(ok_), ede(ede_), why(std::move(why_)), upstream_queries(upstream), coalesced(coalesced_) {}

  bool ok = false;  // the answer (positive or negative) is in the cache now
  dns::EdeCode ede = dns::EdeCode::kNoReachableAuthority;
  std::string why;
  unsigned upstream_queries = 0;
  bool coalesced = false;  // answered by another caller's resolution
  // The answer is negative (NXDOMAIN, or NOERROR with no data) but could
  // not be cached (it came without a usable SOA): its RCODE, to answer
  // from. With `ok`: nothing else is in the cache for the last name.
  std::optional<dns::Rcode> negative_uncached;
};

}  // namespace vigil::resolver
