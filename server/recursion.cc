#include "server/recursion.h"

#include <algorithm>

#include <sys/resource.h>

namespace vigil::server {

resolver::ResolverLimits limits_from(const config::ResolverConfig& r) {
  resolver::ResolverLimits l;
  l.resolution_budget = r.resolution_timeout;
  l.max_attempt_timeout = r.max_attempt_timeout;
  l.max_upstream_queries = r.max_upstream_queries;
  l.max_cname_chain = r.max_cname_chain;
  l.servfail_ttl = r.servfail_ttl;
  l.max_clients_per_question = r.max_clients_per_question;
  return l;
}

namespace {

std::vector<resolver::ConfiguredZone> zones_from(const std::vector<config::ZoneServers>& zones) {
  std::vector<resolver::ConfiguredZone> out;
  for (const auto& z : zones) {
    resolver::ConfiguredZone c{*dns::Name::from_text(z.name), {}};
    for (const auto& e : z.servers) {
      auto cidr = util::parse_cidr(e.address);  // a bare address parses as a full-length prefix
      if (!cidr) continue;
      cache::ServerAddress a;
      std::copy(cidr->bytes.begin(), cidr->bytes.begin() + cidr->length, a.bytes.begin());
      a.length = cidr->length;
      a.port = e.port;
      c.servers.push_back(a);
    }
    out.push_back(std::move(c));
  }
  return out;
}

}  // namespace

resolver::EngineOptions engine_options_from(const config::ResolverConfig& r) {
  resolver::EngineOptions o;
  o.qname_minimisation = r.qname_minimisation;
  o.forward_zones = zones_from(r.forward_zones);
  o.stub_zones = zones_from(r.stub_zones);
  o.ipv4 = r.ipv4;
  return o;
}

std::size_t upstream_socket_budget(const config::Config& config, unsigned threads, std::string* note,
                                   unsigned* tcp_share) {
  rlimit lim{};
  if (::getrlimit(RLIMIT_NOFILE, &lim) != 0) return 0;
  if (lim.rlim_cur < lim.rlim_max) {
    rlimit raised = lim;
    raised.rlim_cur = lim.rlim_max == RLIM_INFINITY ? std::max<rlim_t>(lim.rlim_cur, 1 << 20) : lim.rlim_max;
    if (::setrlimit(RLIMIT_NOFILE, &raised) == 0) lim = raised;
  }
  const std::size_t limit = lim.rlim_cur == RLIM_INFINITY ? std::size_t{1} << 20 : lim.rlim_cur;
  constexpr std::size_t kReserve = 64;  // control, metrics, logs, dnstap, feeds, the cache file
  const std::size_t listeners =
      2 * std::size_t{threads} * std::max<std::size_t>(1, config.server.listen.size());
  const std::size_t fixed = kReserve + listeners;
  const std::size_t left = limit > fixed ? limit - fixed : 0;
  const std::size_t tcp = std::min<std::size_t>(config.server.tcp_max_connections, left / 2);
  const std::size_t budget = std::max<std::size_t>(16, left - tcp);
  if (tcp_share != nullptr) *tcp_share = static_cast<unsigned>(std::max<std::size_t>(1, tcp));
  if (note != nullptr) {
    *note = "descriptors: RLIMIT_NOFILE " + std::to_string(limit) + ", " + std::to_string(budget) +
            " for upstream sockets, " + std::to_string(tcp) + " for TCP clients";
    if (tcp < config.server.tcp_max_connections) {
      *note += " (below server.tcp_max_connections " + std::to_string(config.server.tcp_max_connections) +
               ": raise LimitNOFILE)";
    }
  }
  return budget;
}

Recursion::Recursion(const config::Config& config, resolver::RootHints hints, cache::RRsetCache& cache,
                     std::size_t max_sockets) {
  resolver::TransportPolicy policy{config.resolver.do_not_query, config.resolver.ipv4, config.resolver.ipv6,
                                   config.resolver.source_addresses, max_sockets};
  transport_ = std::make_unique<resolver::AsioTransport>(std::move(policy));
  engine_ =
      std::make_unique<resolver::Engine>(cache, infra_, *transport_, clock_, std::move(hints),
                                         limits_from(config.resolver), engine_options_from(config.resolver));
}

boost::asio::awaitable<ResolveResult> Recursion::resolve(dns::Name qname, dns::RRType qtype) {
  resolver::ResolveOutcome r = co_await engine_->resolve(std::move(qname), qtype);
  ResolveResult out;
  out.upstream_queries = r.upstream_queries;
  if (!r.ok) out.failure = ResolutionStatus{r.ede, r.why, std::nullopt};
  out.negative_uncached = r.negative_uncached;
  co_return out;
}

}  // namespace vigil::server
