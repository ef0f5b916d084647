// Which of a zone's servers to ask, in what order, and how often
// (Knot Resolver's selection.c; Unbound's iter_utils server selection):
//
//   plan()    the addresses a zone cut gives (configured servers, glue,
//             cached addresses) and, when that is none, the name servers
//             to resolve first — "resolve this NS name first", for the
//             driver to do, instead of calling back into its walk
//   ask()     fastest first by smoothed RTT (an unknown server at the
//             infrastructure cache's initial RTO, so in between), one in
//             `explore_one_in` choices another server first so its
//             estimate stays current; lame servers and those that failed
//             this resolution skipped; each server through the exchange
//             ladder; while every server asked timed out, those are asked
//             again with their backed-off RTO, up to `server_passes`
//             passes. The reply taken is scrubbed (scrub.h) with the
//             cut's bailiwick before anyone reads it.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "cache/infra_cache.h"
#include "cache/rrset_cache.h"
#include "protocol/message.h"
#include "resolver/budget.h"
#include "resolver/clock.h"
#include "resolver/exchange.h"
#include "resolver/limits.h"
#include "resolver/random.h"
#include "resolver/upstream_stats.h"

namespace vigil::resolver {

// Where to ask: a zone cut's servers, or a configured zone's.
struct Cut {
  cache::ZoneCut ns;
  std::vector<ServerAddress> fixed;  // configured servers (forward or stub zone)
  bool recursive = false;            // a forward zone: RD=1, answers taken whole
  std::string source;                // for the trace: "cache", "root hints", "priming", "forward zone"

  // The zone the servers speak for: the cut's, or everything for a forwarder.
  dns::Name bailiwick() const { return recursive ? dns::Name() : ns.zone; }
};

// What one question to a zone's servers came to.
struct Asked {
  std::optional<dns::Message> reply;  // scrubbed
  ServerAddress server;
  std::string why;  // when no reply
  dns::EdeCode ede = dns::EdeCode::kNoReachableAuthority;
};

std::vector<ServerAddress> addresses_of(const cache::ZoneCut::Server& s);

struct ServerPlan {
  std::vector<ServerAddress> addresses;
  // Without an address: named outside the zone (to resolve) and inside it
  // (reachable only through the parent's glue).
  std::vector<dns::Name> resolve_first;
  std::vector<dns::Name> need_glue;
};

class ServerSelection {
 public:
  ServerSelection(cache::InfraCache& infra, const Clock& clock, const ResolverLimits& limits,
                  UpstreamStats& stats, ExchangeLadder& exchange, Random& explore)
      : infra_(infra),
        clock_(clock),
        limits_(limits),
        stats_(stats),
        exchange_(exchange),
        explore_(explore) {}

  static ServerPlan plan(const Cut& cut);

  // Asks `candidates` (addresses of `cut`'s servers) for (`name`, `type`).
  boost::asio::awaitable<Asked> ask(const Cut& cut, const std::vector<ServerAddress>& candidates,
                                    const dns::Name& name, dns::RRType type, Budget& b, unsigned depth);

  // The order ask() tries `candidates` in (lame and failed ones left out).
  std::vector<ServerAddress> rank(const Cut& cut, const std::vector<ServerAddress>& candidates,
                                  const Budget& b);

 private:
  cache::InfraCache& infra_;
  const Clock& clock_;
  const ResolverLimits& limits_;
  UpstreamStats& stats_;
  ExchangeLadder& exchange_;
  Random& explore_;
};

}  // namespace vigil::resolver
