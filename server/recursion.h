// The iterative engine (resolver/) behind the listeners' Resolver
// interface, put together from the configuration: the real clock, the real
// transport (do_not_query, address families, source addresses), the
// infrastructure cache, the root hints, the limits and the forward and stub
// zones. One per daemon, shared by every worker: identical questions are
// resolved once whichever worker received them.
#pragma once

#include <memory>
#include <optional>

#include "cache/infra_cache.h"
#include "cache/rrset_cache.h"
#include "config/config.h"
#include "resolver/asio_transport.h"
#include "resolver/clock.h"
#include "resolver/engine.h"
#include "resolver/root_hints.h"
#include "server/resolver.h"

namespace vigil::server {

// The engine's settings from the configuration's resolver section.
resolver::ResolverLimits limits_from(const config::ResolverConfig& r);
resolver::EngineOptions engine_options_from(const config::ResolverConfig& r);

class Recursion final : public Resolver {
 public:
  Recursion(const config::Config& config, resolver::RootHints hints, cache::RRsetCache& cache);

  boost::asio::awaitable<ResolveResult> resolve(dns::Name qname, dns::RRType qtype) override;

  resolver::Engine& engine() { return *engine_; }
  const resolver::AsioTransport& transport() const { return *transport_; }
  const cache::InfraCache& infra() const { return infra_; }
  cache::InfraCache& infra() { return infra_; }

 private:
  resolver::SystemClock clock_;
  cache::InfraCache infra_;
  std::unique_ptr<resolver::AsioTransport> transport_;
  std::unique_ptr<resolver::Engine> engine_;
};

}  // namespace vigil::server
