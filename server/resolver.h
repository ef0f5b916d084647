// What the listeners call when the cache cannot answer: the iterative
// engine (resolver/, put behind it by server/recursion.h) behind an
// interface, so the listeners are tested with a scripted stand-in.
#pragma once

#include <optional>

#include <boost/asio/awaitable.hpp>

#include "protocol/name.h"
#include "protocol/types.h"
#include "server/query_handler.h"

namespace vigil::server {

// How a resolution went: no failure means the answer (positive or
// negative) is in the cache now.
struct ResolveResult {
  ResolveResult() = default;
  ResolveResult(std::optional<ResolutionStatus> f, unsigned upstream,
                std::optional<dns::Rcode> negative = std::nullopt)
      : failure(std::move(f)), upstream_queries(upstream), negative_uncached(negative) {}

  std::optional<ResolutionStatus> failure;
  unsigned upstream_queries = 0;
  // A negative answer the cache could not take (no SOA): its RCODE.
  std::optional<dns::Rcode> negative_uncached;
};

class Resolver {
 public:
  virtual ~Resolver() = default;
  // Resolves the question into the cache. Runs on the calling worker's
  // io_context.
  virtual boost::asio::awaitable<ResolveResult> resolve(dns::Name qname, dns::RRType qtype) = 0;
};

}  // namespace vigil::server
