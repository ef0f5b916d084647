// Counters of the upstream side — what went out, how it came back and
// which limit stopped a resolution — written from every thread that
// resolves (relaxed atomics), read by the metrics scrape and vigilctl.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "util/histogram.h"

namespace vigil::resolver {

using util::AtomicCounter;  // util/counter.h
using util::LatencyHistogram;

// The engine's limits (resolver/limits.h), for counting when each is hit.
enum class LimitHit : std::uint8_t {
  kUpstreamQueries,  // max_upstream_queries or max_upstream_queries_per_name
  kTimeBudget,       // resolution_budget
  kReferrals,        // max_referrals
  kCnameChain,       // max_cname_chain
  kNsResolutions,    // max_ns_name_resolutions or max_nesting
  kNsNxDomains,      // max_ns_name_nxdomains
};
inline constexpr std::size_t kLimitHitCount = 6;

constexpr std::string_view limit_hit_name(LimitHit l) {
  switch (l) {
    case LimitHit::kUpstreamQueries: return "upstream_queries";
    case LimitHit::kTimeBudget: return "time_budget";
    case LimitHit::kReferrals: return "referrals";
    case LimitHit::kCnameChain: return "cname_chain";
    case LimitHit::kNsResolutions: return "ns_resolutions";
    case LimitHit::kNsNxDomains: return "ns_nxdomains";
  }
  return "?";
}

struct UpstreamStats {
  AtomicCounter queries_udp;
  AtomicCounter queries_tcp;
  AtomicCounter timeouts;
  AtomicCounter network_errors;                          // the send or the connection failed
  AtomicCounter no_socket;                               // not sent: the upstream socket budget was spent
  AtomicCounter tcp_fallbacks;                           // TC=1 replies, asked again over TCP
  AtomicCounter edns_fallbacks;                          // FORMERR/NOTIMP to EDNS, asked again without it
  AtomicCounter case_mismatches;                         // UDP replies without the query's 0x20 case
  std::array<AtomicCounter, 16> rcodes;                  // replies taken, by RCODE
  LatencyHistogram<AtomicCounter> rtt;                   // round trip of replies taken
  std::array<AtomicCounter, kLimitHitCount> limits_hit;  // by LimitHit
  void hit(LimitHit l) { limits_hit[static_cast<std::size_t>(l)].inc(); }
};

}  // namespace vigil::resolver
