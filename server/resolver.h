// What the listeners call when the cache cannot answer: the iterative
// engine (resolver/, the next issue) behind an interface, so the listeners
// are tested with a scripted stand-in.
#pragma once

#include <optional>

#include <boost/asio/awaitable.hpp>

#include "protocol/name.h"
#include "protocol/types.h"
#include "server/query_handler.h"

namespace vigil::server {

class Resolver {
 public:
  virtual ~Resolver() = default;
  // Resolves the question into the cache. Returns nothing when the answer
  // (positive or negative) is now cached, else why it could not be found.
  // Runs on the calling worker's io_context.
  virtual boost::asio::awaitable<std::optional<ResolutionStatus>> resolve(dns::Name qname,
                                                                          dns::RRType qtype) = 0;
};

}  // namespace vigil::server
