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

// Raises the soft RLIMIT_NOFILE to the hard limit (systemd's default soft
// limit is 1024), and returns the upstream socket budget within it: what is
// left after the listeners (a UDP socket and a TCP acceptor per address per
// thread), a fixed reserve for the control channel, metrics, logs and feed
// files, and the TCP clients (server.tcp_max_connections, but never more
// than half of what is left). `note` gets a line for the log.
// `tcp_share` gets the TCP clients' part, which the listeners enforce.
std::size_t upstream_socket_budget(const config::Config& config, unsigned threads, std::string* note,
                                   unsigned* tcp_share = nullptr);

// The engine's settings from the configuration's resolver section.
resolver::ResolverLimits limits_from(const config::ResolverConfig& r);
resolver::EngineOptions engine_options_from(const config::ResolverConfig& r);

class Recursion final : public Resolver {
 public:
  // `max_sockets`: the upstream socket budget (0 = none).
  Recursion(const config::Config& config, resolver::RootHints hints, cache::RRsetCache& cache,
            std::size_t max_sockets = 0);

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
