// The RRset cache: positive RRsets keyed by (name, type, class), negative
// answers (RFC 2308), trust ranking, TTL clamps, serve-stale, prefetch
// signalling, zone-cut lookup, inspection and persistence.
//
// Concurrency: the key space is split into shards, each with its own
// reader/writer lock and eviction queues; lookups take a shard's shared
// lock only (hit bookkeeping is atomic), so readers on different threads
// never wait for each other. Memory: every shard has a byte budget and
// evicts with S3-FIFO (see docs/design/cache.md).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "cache/cache_options.h"
#include "cache/rank.h"
#include "protocol/message.h"
#include "protocol/name.h"
#include "protocol/rrset.h"
#include "protocol/types.h"

namespace vigil::cache {

enum class NegativeKind : std::uint8_t { kNxDomain, kNoData };

enum class InsertResult : std::uint8_t {
  kInserted,
  kReplaced,
  kRejectedRank,  // unexpired data of a higher rank is cached
  kTooBig,        // larger than a shard's whole budget
  kInvalid,       // malformed input (e.g. an SOA that does not parse)
};

// What a lookup may use.
struct LookupOptions {
  // Resolution (true) may use glue and referral data; answers to clients
  // (false) only answerable ranks (see rank.h).
  bool for_resolution = false;
  // Hand out expired data inside the stale window (when serve_stale is on).
  bool allow_stale = false;
};

// A cached RRset as seen inside a visit() callback; valid only there.
class RRsetView {
 public:
  const dns::Name& owner() const { return owner_; }
  dns::RRType type() const { return type_; }
  dns::RRClass rclass() const { return class_; }
  std::uint32_t ttl() const { return ttl_; }  // remaining (or the stale answer TTL)
  Rank rank() const { return rank_; }
  bool stale() const { return stale_; }
  std::size_t size() const { return count_; }
  // Iterates the RDATAs in stored order: fn(std::span<const uint8_t>).
  template <class Fn>
  void for_each_rdata(Fn&& fn) const {
    const std::uint8_t* p = rdatas_;
    for (std::size_t i = 0; i < count_; ++i) {
      std::size_t len = static_cast<std::size_t>((p[0] << 8) | p[1]);
      fn(std::span<const std::uint8_t>(p + 2, len));
      p += 2 + len;
    }
  }

 private:
  friend class RRsetCache;
  dns::Name owner_;
  dns::RRType type_{};
  dns::RRClass class_{};
  std::uint32_t ttl_ = 0;
  Rank rank_{};
  bool stale_ = false;
  std::size_t count_ = 0;
  const std::uint8_t* rdatas_ = nullptr;
};

// Owning results.
struct CachedRRset {
  dns::RRset rrset;  // TTL = remaining
  Rank rank{};
  bool stale = false;
};

struct CachedNegative {
  NegativeKind kind{};
  dns::ResourceRecord soa;  // to put in the authority section; TTL = remaining
  Rank rank{};
  bool stale = false;
};

// A lookup's outcome: nothing, a positive RRset, or a negative answer.
struct CacheAnswer {
  std::optional<CachedRRset> positive;
  std::optional<CachedNegative> negative;
  bool hit() const { return positive.has_value() || negative.has_value(); }
};

// The deepest delegation known for a name, with what the cache holds about
// its name servers' addresses.
struct ZoneCut {
  dns::Name zone;
  struct Server {
    dns::Name name;
    std::vector<std::vector<std::uint8_t>> ipv4;  // A RDATA
    std::vector<std::vector<std::uint8_t>> ipv6;  // AAAA RDATA
  };
  std::vector<Server> servers;
};

// One entry, for inspection (vigilctl cache-list).
struct EntryInfo {
  dns::Name owner;
  dns::RRType type{};  // for NXDOMAIN entries: the type is 0
  std::string kind;    // "positive", "nxdomain", "nodata"
  Rank rank{};
  std::int64_t ttl = 0;  // remaining; negative when expired (stale)
  std::uint32_t original_ttl = 0;
  std::vector<std::string> data;  // RDATA in presentation format
};

struct CacheStats {
  std::uint64_t hits = 0;
  std::uint64_t misses = 0;
  std::uint64_t stale_served = 0;
  std::uint64_t insertions = 0;
  std::uint64_t replacements = 0;
  std::uint64_t evictions = 0;
  std::uint64_t prefetch_signals = 0;
  std::uint64_t entries = 0;
  std::uint64_t bytes = 0;
};

struct DumpStats {
  std::size_t written = 0;
  std::string error;  // empty when the file was written completely
};
struct LoadStats {
  std::size_t loaded = 0;
  std::size_t expired = 0;   // dropped: their TTL ran out while saved
  std::size_t rejected = 0;  // lines that did not parse
  std::string first_error;   // "FILE:LINE: what", empty when none
};

class RRsetCache {
 public:
  explicit RRsetCache(CacheOptions options = {});
  ~RRsetCache();
  RRsetCache(const RRsetCache&) = delete;
  RRsetCache& operator=(const RRsetCache&) = delete;

  const CacheOptions& options() const { return options_; }

  InsertResult insert(const dns::RRset& rrset, Rank rank, Time now);
  // Caches "name does not exist" (kNxDomain, for every type) or "name has no
  // data of this type" (kNoData). `soa` is the SOA from the authority
  // section; the TTL is min(SOA TTL, SOA MINIMUM), capped (RFC 2308 §5).
  InsertResult insert_negative(const dns::Name& name, dns::RRType type, dns::RRClass rclass,
                               NegativeKind kind, const dns::ResourceRecord& soa, Rank rank, Time now);

  // Positive or negative answer for a question (NXDOMAIN for the name wins
  // over per-type entries). Copies out.
  CacheAnswer lookup(const dns::Name& name, dns::RRType type, dns::RRClass rclass, Time now,
                     LookupOptions options = {});
  // The hot path: calls fn(const RRsetView&) under the shard's shared lock
  // when a usable positive RRset is cached; returns whether it did. No
  // allocation.
  template <class Fn>
  bool visit(const dns::Name& name, dns::RRType type, dns::RRClass rclass, Time now, LookupOptions options,
             Fn&& fn);

  // The deepest zone cut (NS RRset) at or above `name`, or nullopt.
  std::optional<ZoneCut> find_zone_cut(const dns::Name& name, dns::RRClass rclass, Time now);

  // Called (outside any lock) when a lookup finds a popular entry close to
  // expiry; at most once per entry until it is replaced.
  using PrefetchHook = std::function<void(const dns::Name&, dns::RRType, dns::RRClass)>;
  void set_prefetch_hook(PrefetchHook hook);

  // Inspection and control.
  std::vector<EntryInfo> list(const dns::Name& name, Time now) const;
  std::size_t flush(const dns::Name& name);
  std::size_t flush_subtree(const dns::Name& name);
  void flush_all();
  // Persistence: entries keep their absolute expiry, so they keep their
  // remaining TTL across a restart; expired ones are dropped on load.
  DumpStats dump(const std::string& path, Time now) const;
  LoadStats load(const std::string& path, Time now);

  CacheStats stats() const;

  // Implementation types, defined in rrset_cache.cc.
  struct Entry;
  struct Shard;

 private:
  Shard& shard_for(std::uint64_t hash) const;
  // `count` = whether this lookup counts as a client hit/miss.
  bool visit_positive(const dns::Name& name, dns::RRType type, dns::RRClass rclass, Time now,
                      LookupOptions options, const std::function<void(const RRsetView&)>* fn,
                      CachedRRset* out, bool count);
  void fire_prefetch(const dns::Name& name, dns::RRType type, dns::RRClass rclass);
  // One line per entry of shard i, in the dump format (cache_file.cc).
  std::vector<std::string> dump_shard(std::size_t i) const;

  CacheOptions options_;
  std::unique_ptr<Shard[]> shards_;
  PrefetchHook prefetch_hook_;
};

template <class Fn>
bool RRsetCache::visit(const dns::Name& name, dns::RRType type, dns::RRClass rclass, Time now,
                       LookupOptions options, Fn&& fn) {
  const std::function<void(const RRsetView&)> f = std::ref(fn);
  return visit_positive(name, type, rclass, now, options, &f, nullptr, true);
}

}  // namespace vigil::cache
