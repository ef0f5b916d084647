// Every limit of the iterative engine, in one place, with where its value
// comes from. The engine reads these; tests and the configuration override
// them through ResolverLimits.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>

namespace vigil::resolver {

// RFC 9156 query-name minimisation: off, relaxed (fall back to the full
// name when a server mishandles a minimised query, as Unbound's default
// does) or strict (never; a failure is SERVFAIL).
enum class QnameMinimisation : std::uint8_t { kOff, kRelaxed, kStrict };

struct ResolverLimits {
  // CNAME/DNAME links followed for one client query (issue: "e.g. 12";
  // Unbound's max CNAME chain is 11, BIND's 16).
  unsigned max_cname_chain = 12;
  // Referrals followed for one name before giving up (a deeper tree than
  // any real one; PowerDNS stops at 40 levels, Unbound at 30 restarts).
  unsigned max_referrals = 30;
  // Name-server names without addresses the engine may resolve for one
  // client query: the NXNSAttack bound (PowerDNS: 10 NS address queries per
  // query; Unbound: a budget of target fetches).
  unsigned max_ns_name_resolutions = 10;
  // Name-server names of one delegation found not to exist (NXDOMAIN)
  // before its other names are given up (Unbound's MAX_TARGET_NX is 5).
  unsigned max_ns_name_nxdomains = 5;
  // Upstream queries one client query may cause in total, CNAME chain and
  // name-server lookups included (BIND's max-query-count is 200) ...
  unsigned max_upstream_queries = 100;
  // ... and for each name of its CNAME chain, the name servers' names
  // resolved for it included (Unbound's MAX_SENT_COUNT and BIND 9.18's
  // max-recursion-queries are 32). The lab's worst cold query takes 4.
  unsigned max_upstream_queries_per_name = 32;
  // Wall time one resolution may take before SERVFAIL (what stub resolvers
  // wait for in total is about 10 s: glibc 5 s × 2 attempts).
  std::chrono::milliseconds resolution_budget{10000};
  // Sub-resolutions nested inside one another (resolving an NS name that
  // needs resolving an NS name ...), also the cycle guard.
  unsigned max_nesting = 6;
  // EDNS(0) UDP payload advertised upstream (DNS Flag Day 2020).
  std::uint16_t edns_payload = 1232;
  // A SERVFAIL is remembered this long so a dead zone is not hammered
  // (RFC 2308 §7.1 allows up to 5 minutes; Unbound keeps 5 s per server).
  std::chrono::milliseconds servfail_ttl{5000};
  std::size_t servfail_cache_entries = 10000;  // bounded: the oldest go first
  // Per-attempt upstream timeouts are the infrastructure cache's RTO
  // (cache/infra_cache.h), clamped to these.
  std::chrono::milliseconds min_attempt_timeout{50};
  std::chrono::milliseconds max_attempt_timeout{3000};
  // A TCP attempt costs a handshake and may carry 64 KiB: its timeout is
  // this many UDP RTOs, and at least min_tcp_attempt_timeout (both within
  // max_attempt_timeout).
  unsigned tcp_attempt_rtos = 3;
  std::chrono::milliseconds min_tcp_attempt_timeout{1000};
  // Queries one server may be sent for one question: the fallback ladder
  // (UDP; TC or a 0x20 mismatch → TCP; FORMERR/NOTIMP to EDNS → without
  // EDNS, then TC → TCP again).
  unsigned max_attempts_per_server = 4;
  // A question that waits for an identical one in flight to the same zone
  // waits at most this many max_attempt_timeouts (one server's ladder),
  // then asks itself.
  unsigned ask_wait_attempts = 3;
  // A client question coalesced with a resolution in flight waits for it
  // at most resolution_budget and this grace (for scheduling).
  std::chrono::milliseconds coalesced_wait_grace{1000};
  // RFC 9156 §2.3: the first minimise_one_lab steps add one label each,
  // the rest of the labels are spread over at most max_minimise_count steps
  // (Unbound's MINIMISE_ONE_LAB and MAX_MINIMISE_COUNT).
  unsigned max_minimise_count = 10;
  unsigned minimise_one_lab = 4;
  // Passes over a zone's servers while every server asked timed out: the
  // later passes ask only those, each with its RTO doubled by the miss
  // (e.g. 50 ms, then 100 ms, then 200 ms). BIND and Unbound likewise
  // retry timed-out servers with backed-off timeouts within their time
  // limit; without it one stall of a loaded server meant SERVFAIL.
  unsigned server_passes = 3;
  // One in this many server choices goes to a server that is not the
  // fastest, so its RTT estimate stays current (Unbound explores within a
  // 400 ms band; PowerDNS decays speeds instead).
  unsigned explore_one_in = 20;
  // Client questions waiting on one resolution in flight (coalesced):
  // past this the question is answered at once as a failure (stale data if
  // the cache has it), so one popular name cannot pile up unbounded
  // waiters (BIND's max-clients-per-query is 100; waiting clients already
  // hold resolution slots, so the bound here is generous).
  unsigned max_clients_per_question = 1000;
  // After a failed priming (RFC 8109 §3), client queries start from the
  // root hints, and priming is tried again after this back-off, doubled by
  // each failure up to the ceiling, not on every query.
  std::chrono::milliseconds prime_retry_min{1000};
  std::chrono::milliseconds prime_retry_max{60000};
};

}  // namespace vigil::resolver
