// One client query's resolution budget (resolver/limits.h says how large),
// the cycle guard for the name servers it resolves, what went wrong on the
// way (for the reason a failure gives), and the trace it writes when
// `vigilctl trace` asked for one. The driver starts one per resolution; the
// layers below it (server selection, the exchange ladder) spend it.
#pragma once

#include <chrono>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "protocol/name.h"
#include "resolver/upstream.h"

namespace vigil::resolver {

struct Budget {
  std::chrono::steady_clock::time_point deadline;
  unsigned queries_left = 0;
  unsigned link_start = 0;  // `used` when the current name of the CNAME chain was started
  unsigned ns_resolutions_left = 0;
  unsigned used = 0;
  std::set<std::string> resolving;  // names being resolved (cycle guard)
  unsigned not_allowed = 0;         // servers skipped: do_not_query or address family off
  unsigned network_errors = 0;      // sends or connections that failed
  unsigned timeouts = 0;            // queries that got no answer in time
  bool no_socket = false;           // a query was not sent: the socket budget was spent
  bool bypass_cache = false;        // trace / refresh: do not take the top name's answer from the cache
  // Servers that failed a question of this resolution (SERVFAIL and the
  // like): not asked again for that zone in it, not marked lame.
  std::vector<std::pair<ServerAddress, dns::Name>> failed;
  std::vector<std::string>* trace = nullptr;

  bool failed_for(const ServerAddress& s, const dns::Name& zone) const {
    for (const auto& [server, z] : failed) {
      if (server == s && z == zone) return true;
    }
    return false;
  }
  // Upstream queries left for the current name of the chain (its share of
  // max_upstream_queries_per_name) and in all.
  bool may_send(unsigned per_name_limit) const {
    return queries_left > 0 && used - link_start < per_name_limit;
  }
  // A query sent, or (`refund`) one counted that was not sent after all.
  void spend() {
    --queries_left;
    ++used;
  }
  void refund() {
    ++queries_left;
    --used;
  }
  // One step of the trace, indented by its nesting.
  void note(unsigned depth, std::string text) {
    if (trace != nullptr) trace->push_back(std::string(2 * depth, ' ') + std::move(text));
  }
};

}  // namespace vigil::resolver
