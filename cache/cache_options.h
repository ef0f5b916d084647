// Every tunable and limit of the cache, in one place, with its default.
#pragma once

#include <cstddef>
#include <cstdint>

namespace vigil::cache {

// Time as the cache sees it: whole seconds of the real-time (Unix) clock.
// Every cache operation takes `now` as a parameter, so tests control time.
using Time = std::int64_t;

struct CacheOptions {
  // Memory bound of the RRset cache, counted as the entries really use it
  // (entry, key, payload, hash-table node). Filling past it evicts.
  std::size_t max_bytes = std::size_t{256} << 20;
  // TTL clamps (RFC 8767 §4 and common practice). min_ttl applies to
  // positive data; negative TTLs are min(SOA TTL, SOA MINIMUM) capped at
  // max_negative_ttl (RFC 2308 §5).
  std::uint32_t min_ttl = 0;
  std::uint32_t max_ttl = 86400;
  std::uint32_t max_negative_ttl = 3600;
  // Serve-stale (RFC 8767): expired data is kept this long past its TTL and
  // handed out with stale_answer_ttl when fresh resolution fails.
  bool serve_stale = false;
  std::uint32_t stale_window = 86400;
  std::uint32_t stale_answer_ttl = 30;
  // Prefetch: report a popular entry (hit at least prefetch_min_hits times)
  // once its remaining TTL drops below prefetch_percent of its original TTL.
  bool prefetch = true;
  std::uint32_t prefetch_percent = 10;
  std::uint8_t prefetch_min_hits = 2;
  // Independent shards, each with its own lock and eviction queues (a power
  // of two). Each shard gets max_bytes / shards.
  std::size_t shards = 64;
  // S3-FIFO: share of a shard's bytes given to the probationary small queue.
  std::uint32_t small_queue_percent = 10;
};

// Infrastructure (upstream server) cache.
struct InfraOptions {
  std::uint32_t host_ttl = 900;        // seconds a server's RTT/EDNS record is kept (Unbound: 900)
  std::uint32_t lame_ttl = 900;        // seconds a (server, zone) stays marked lame
  std::size_t max_hosts = 10000;       // bounded: the oldest records go first
  std::uint32_t initial_rto_ms = 376;  // an unknown server's retransmission timeout (Unbound's value)
  std::uint32_t min_rto_ms = 50;
  std::uint32_t max_rto_ms = 120000;  // back-off ceiling after repeated timeouts
};

}  // namespace vigil::cache
