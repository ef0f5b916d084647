// One question to one server, through the fallback ladder for servers that
// misbehave (Chromium's DnsAttempt under a DnsTransaction; Knot Resolver's
// explicit ladder):
//
//   UDP, with EDNS unless the server is known not to speak it, a random ID
//   and a random 0x20 letter case (Random: the CSPRNG in vigild)
//     TC=1, or a datagram larger than the payload offered   → again over TCP
//     the ID but not our letter case (a possible forgery)   → again over TCP
//     FORMERR / NOTIMP to EDNS (not to a meta QTYPE)        → again without
//                                                              EDNS (remembered)
//     timeout                                               → give up on the
//                                                              server (its RTO
//                                                              doubled)
//
// Every attempt is one query of the resolution's budget and no attempt
// outlives its deadline. What the server showed — RTT, timeouts, EDNS
// support — goes to the infrastructure cache.
#pragma once

#include <optional>

#include <boost/asio/awaitable.hpp>

#include "cache/infra_cache.h"
#include "protocol/name.h"
#include "protocol/types.h"
#include "resolver/budget.h"
#include "resolver/clock.h"
#include "resolver/limits.h"
#include "resolver/random.h"
#include "resolver/upstream.h"
#include "resolver/upstream_stats.h"

namespace vigil::resolver {

class ExchangeLadder {
 public:
  ExchangeLadder(UpstreamTransport& transport, cache::InfraCache& infra, const Clock& clock,
                 const ResolverLimits& limits, UpstreamStats& stats, Random& random)
      : transport_(transport),
        infra_(infra),
        clock_(clock),
        limits_(limits),
        stats_(stats),
        random_(random) {}

  // The reply taken (its RCODE counted), or nothing: the server timed out,
  // could not be reached, may not be asked, or the budget is spent.
  // `rd`: a forward zone's recursive server.
  boost::asio::awaitable<std::optional<UpstreamReply>> ask(const ServerAddress& server, const dns::Name& name,
                                                           dns::RRType type, bool rd, Budget& b,
                                                           unsigned depth);

 private:
  void randomise_case(std::vector<std::uint8_t>& wire);

  UpstreamTransport& transport_;
  cache::InfraCache& infra_;
  const Clock& clock_;
  const ResolverLimits& limits_;
  UpstreamStats& stats_;
  Random& random_;
};

}  // namespace vigil::resolver
