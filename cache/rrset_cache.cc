#include "cache/rrset_cache.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <cstring>
#include <deque>
#include <mutex>
#include <shared_mutex>
#include <string_view>
#include <unordered_set>

#include "cache/hash_index.h"
#include "protocol/rdata.h"
#include "protocol/secure_random.h"
#include "protocol/text_codec.h"
#include "protocol/wire_reader.h"
#include "util/siphash.h"

namespace vigil::cache {

using dns::Name;
using dns::RRClass;
using dns::RRType;

namespace {

// NXDOMAIN entries are keyed by type 0, which is never a real query type.
constexpr std::uint16_t kNxDomainType = 0;
// Per-entry memory beyond sizeof(Entry) and its key+payload octets: its
// slot in the shard's hash index (16 octets, the index between a quarter
// and half full: 32-64 octets an entry) and malloc's chunk header and
// rounding on the two allocations (~16 each). Measured: bench/cache_bench
// BM_BytesPerARRset, and checked against mallinfo2 in the unit tests.
constexpr std::size_t kTableOverhead = 72;
constexpr std::uint8_t kMaxFreq = 3;

enum class Kind : std::uint8_t { kPositive, kNxDomain, kNoData };

// Keyed (SipHash-2-4 under a key from the CSPRNG, one per process): the
// low bits place an entry in its shard's index and the top bits pick the
// shard, so with an unkeyed hash a zone's owner could make the resolver
// cache names crafted offline to share them, and every lookup near them
// would scan the run they make (as a std::unordered_map's bucket chain
// would before).
const util::SipKey& hash_key() {
  static const util::SipKey key{dns::secure_random_u64(), dns::secure_random_u64()};
  return key;
}

std::uint64_t hash_bytes(std::span<const std::uint8_t> b) {
  return util::siphash24(hash_key(), b);
}

// The lookup key: lowercased owner wire form, type, class.
struct KeyBuf {
  std::array<std::uint8_t, dns::kMaxNameLength + 4> bytes;
  std::size_t len = 0;
  std::uint64_t hash = 0;

  KeyBuf(const Name& name, std::uint16_t type, std::uint16_t rclass) {
    auto w = name.wire();
    for (std::size_t i = 0; i < w.size(); ++i) bytes[i] = dns::ascii_lower(w[i]);
    len = w.size();
    dns::store_u16(&bytes[len], type);
    dns::store_u16(&bytes[len + 2], rclass);
    len += 4;
    hash = hash_bytes({bytes.data(), len});
  }
  std::string_view view() const { return {reinterpret_cast<const char*>(bytes.data()), len}; }
};

}  // namespace

struct RRsetCache::Entry {
  // Intrusive S3-FIFO queue links.
  Entry* prev = nullptr;
  Entry* next = nullptr;
  std::uint8_t queue = 0;  // 1 small, 2 main
  std::atomic<std::uint8_t> freq{0};
  std::atomic<bool> prefetch_pending{false};
  Kind kind = Kind::kPositive;
  Rank rank = Rank::kAdditional;
  std::uint16_t type = 0;
  std::uint16_t rclass = 0;
  std::uint32_t original_ttl = 0;
  Time expires = 0;
  std::uint64_t hash = 0;
  // key (owner wire, type, class) followed by the payload:
  //   positive: u16 count, then per RDATA u16 length + octets
  //   negative: SOA owner wire, u32 SOA TTL as received, u16 length + SOA RDATA
  std::unique_ptr<std::uint8_t[]> data;
  std::uint32_t key_len = 0;
  std::uint32_t payload_len = 0;

  std::string_view key() const { return {reinterpret_cast<const char*>(data.get()), key_len}; }
  std::span<const std::uint8_t> owner_wire() const { return {data.get(), key_len - 4U}; }
  const std::uint8_t* payload() const { return data.get() + key_len; }
  std::size_t charge() const { return sizeof(Entry) + key_len + payload_len + kTableOverhead; }
};

namespace {

struct EntryKey {
  std::string_view operator()(const RRsetCache::Entry& e) const { return e.key(); }
};

class Queue {
 public:
  using Entry = RRsetCache::Entry;
  void push_head(Entry* e, std::uint8_t id) {
    e->queue = id;
    e->prev = nullptr;
    e->next = head_;
    if (head_ != nullptr) head_->prev = e;
    head_ = e;
    if (tail_ == nullptr) tail_ = e;
  }
  void unlink(Entry* e) {
    (e->prev != nullptr ? e->prev->next : head_) = e->next;
    (e->next != nullptr ? e->next->prev : tail_) = e->prev;
    e->prev = e->next = nullptr;
    e->queue = 0;
  }
  Entry* tail() const { return tail_; }

 private:
  Entry* head_ = nullptr;
  Entry* tail_ = nullptr;
};

}  // namespace

struct alignas(64) RRsetCache::Shard {
  mutable std::shared_mutex mu;
  HashIndex<Entry, EntryKey> map;
  Queue small;
  Queue main;
  std::size_t small_bytes = 0;
  std::size_t main_bytes = 0;
  std::size_t budget = 0;
  // Ghost queue: hashes of entries recently evicted from the small queue.
  std::deque<std::uint64_t> ghost_fifo;
  std::unordered_set<std::uint64_t> ghost;
  // Counters, per shard so that threads do not share cache lines.
  std::atomic<std::uint64_t> hits{0}, misses{0}, stale{0}, insertions{0}, replacements{0}, evictions{0},
      prefetches{0};

  ~Shard() { clear(); }

  void clear() {
    for (Entry* e : map) delete e;
    map.clear();
    small = Queue();
    main = Queue();
    small_bytes = main_bytes = 0;
    ghost_fifo.clear();
    ghost.clear();
  }
  std::size_t bytes() const { return small_bytes + main_bytes; }

  void remove(Entry* e) {
    (e->queue == 1 ? small_bytes : main_bytes) -= e->charge();
    (e->queue == 1 ? small : main).unlink(e);
    map.erase(e->hash, e);
    delete e;
  }

  void remember_ghost(std::uint64_t h) {
    if (!ghost.insert(h).second) return;
    ghost_fifo.push_back(h);
    std::size_t limit = std::max<std::size_t>(64, map.size());
    while (ghost_fifo.size() > limit) {
      ghost.erase(ghost_fifo.front());
      ghost_fifo.pop_front();
    }
  }

  // S3-FIFO: new entries go to the small queue (or straight to main when
  // the ghost queue remembers them). Evicting from small promotes entries
  // hit since insertion to main and forgets the rest (remembering them as
  // ghosts); evicting from main gives hit entries another round.
  void evict_until_fits(std::size_t small_share, Time dead_before) {
    while (bytes() > budget) {
      bool from_small = small_bytes > small_share || main.tail() == nullptr;
      Entry* e = from_small ? small.tail() : main.tail();
      if (e == nullptr) return;
      bool dead = e->expires < dead_before;
      std::uint8_t f = e->freq.load(std::memory_order_relaxed);
      if (from_small) {
        small.unlink(e);
        small_bytes -= e->charge();
        if (f > 0 && !dead) {
          e->freq.store(0, std::memory_order_relaxed);
          main.push_head(e, 2);
          main_bytes += e->charge();
          continue;
        }
        remember_ghost(e->hash);
      } else {
        main.unlink(e);
        main_bytes -= e->charge();
        if (f > 0 && !dead) {
          e->freq.store(static_cast<std::uint8_t>(f - 1), std::memory_order_relaxed);
          main.push_head(e, 2);
          main_bytes += e->charge();
          continue;
        }
      }
      map.erase(e->hash, e);
      delete e;
      evictions.fetch_add(1, std::memory_order_relaxed);
    }
  }
};

RRsetCache::RRsetCache(CacheOptions options) : options_(options) {
  std::size_t n = 1;
  while (n < std::max<std::size_t>(1, options_.shards)) n <<= 1;
  options_.shards = n;
  shards_ = std::make_unique<Shard[]>(n);
  for (std::size_t i = 0; i < n; ++i) shards_[i].budget = options_.max_bytes / n;
}

RRsetCache::~RRsetCache() = default;

RRsetCache::Shard& RRsetCache::shard_for(std::uint64_t hash) const {
  return shards_[(hash >> 48) & (options_.shards - 1)];
}

void RRsetCache::set_prefetch_hook(PrefetchHook hook) {
  prefetch_hook_ = std::move(hook);
}

namespace {

std::uint32_t clamp_positive(std::uint32_t ttl, const CacheOptions& o) {
  return std::clamp(ttl, std::min(o.min_ttl, o.max_ttl), o.max_ttl);
}

}  // namespace

// Shared by insert() and insert_negative(): stores `payload` under `key`
// subject to the rank rule, then evicts down to the budget.
namespace {
InsertResult store(RRsetCache::Shard& shard, const KeyBuf& key, Kind kind, Rank rank, std::uint32_t ttl,
                   std::span<const std::uint8_t> payload, Time now, const CacheOptions& options);
}  // namespace

InsertResult RRsetCache::insert(const dns::RRset& rrset, Rank rank, Time now) {
  if (rrset.rdatas.empty() || dns::is_meta_type(rrset.type)) return InsertResult::kInvalid;
  // TTL 0 (RFC 1035 §3.2.1: for this transaction only) is kept for one
  // second, as PowerDNS Recursor's minimum-ttl-override does: the answer
  // to the query that fetched it is read from here, so without it a TTL-0
  // answer (load balancers, DNS tunnels) became SERVFAIL.
  const std::uint32_t ttl = std::max<std::uint32_t>(clamp_positive(rrset.ttl, options_), 1);
  std::vector<std::uint8_t> payload;
  std::size_t total = 2;
  for (const auto& rd : rrset.rdatas) total += 2 + rd.size();
  payload.reserve(total);
  payload.push_back(static_cast<std::uint8_t>(rrset.rdatas.size() >> 8));
  payload.push_back(static_cast<std::uint8_t>(rrset.rdatas.size()));
  for (const auto& rd : rrset.rdatas) {
    if (rd.size() > 0xFFFF) return InsertResult::kInvalid;
    payload.push_back(static_cast<std::uint8_t>(rd.size() >> 8));
    payload.push_back(static_cast<std::uint8_t>(rd.size()));
    payload.insert(payload.end(), rd.begin(), rd.end());
  }
  KeyBuf key(rrset.name, static_cast<std::uint16_t>(rrset.type), static_cast<std::uint16_t>(rrset.rclass));
  return store(shard_for(key.hash), key, Kind::kPositive, rank, ttl, payload, now, options_);
}

InsertResult RRsetCache::insert_negative(const Name& name, RRType type, RRClass rclass, NegativeKind kind,
                                         const dns::ResourceRecord& soa, Rank rank, Time now) {
  if (soa.type != RRType::SOA) return InsertResult::kInvalid;
  auto fields = dns::SoaRdata::decode(soa.rdata);
  if (!fields) return InsertResult::kInvalid;
  const std::uint32_t ttl =
      std::max<std::uint32_t>(std::min({soa.ttl, fields->minimum, options_.max_negative_ttl}), 1);
  std::vector<std::uint8_t> payload(soa.name.wire().begin(), soa.name.wire().end());
  std::uint8_t b[6];
  dns::store_u32(b, soa.ttl);
  dns::store_u16(b + 4, static_cast<std::uint16_t>(soa.rdata.size()));
  payload.insert(payload.end(), b, b + 6);
  payload.insert(payload.end(), soa.rdata.begin(), soa.rdata.end());
  bool nx = kind == NegativeKind::kNxDomain;
  KeyBuf key(name, nx ? kNxDomainType : static_cast<std::uint16_t>(type), static_cast<std::uint16_t>(rclass));
  return store(shard_for(key.hash), key, nx ? Kind::kNxDomain : Kind::kNoData, rank, ttl, payload, now,
               options_);
}

namespace {

InsertResult store(RRsetCache::Shard& shard, const KeyBuf& key, Kind kind, Rank rank, std::uint32_t ttl,
                   std::span<const std::uint8_t> payload, Time now, const CacheOptions& options) {
  using Entry = RRsetCache::Entry;
  auto data = std::make_unique<std::uint8_t[]>(key.len + payload.size());
  std::memcpy(data.get(), key.bytes.data(), key.len);
  if (!payload.empty()) std::memcpy(data.get() + key.len, payload.data(), payload.size());
  const std::size_t small_share = shard.budget * options.small_queue_percent / 100;
  const Time dead_before = now - static_cast<Time>(options.serve_stale ? options.stale_window : 0);

  std::unique_lock lock(shard.mu);
  if (Entry* e = shard.map.find(key.hash, key.view()); e != nullptr) {
    // RFC 2181 §5.4.1: lower-ranked data never replaces unexpired
    // higher-ranked data.
    if (e->expires > now && rank < e->rank) return InsertResult::kRejectedRank;
    std::size_t old_charge = e->charge();
    // The key is the same: the index's slot stays as it is.
    e->data = std::move(data);
    e->payload_len = static_cast<std::uint32_t>(payload.size());
    e->kind = kind;
    e->rank = rank;
    e->original_ttl = ttl;
    e->expires = now + ttl;
    e->prefetch_pending.store(false, std::memory_order_relaxed);
    (e->queue == 1 ? shard.small_bytes : shard.main_bytes) += e->charge();
    (e->queue == 1 ? shard.small_bytes : shard.main_bytes) -= old_charge;
    shard.replacements.fetch_add(1, std::memory_order_relaxed);
    shard.evict_until_fits(small_share, dead_before);
    return InsertResult::kReplaced;
  }
  auto e = std::make_unique<Entry>();
  e->data = std::move(data);
  e->key_len = static_cast<std::uint32_t>(key.len);
  e->payload_len = static_cast<std::uint32_t>(payload.size());
  e->kind = kind;
  e->rank = rank;
  e->type = dns::load_u16(&key.bytes[key.len - 4]);
  e->rclass = dns::load_u16(&key.bytes[key.len - 2]);
  e->original_ttl = ttl;
  e->expires = now + ttl;
  e->hash = key.hash;
  if (e->charge() > shard.budget) return InsertResult::kTooBig;
  Entry* raw = e.release();
  shard.map.insert(raw->hash, raw);
  if (shard.ghost.erase(raw->hash) > 0) {
    shard.main.push_head(raw, 2);
    shard.main_bytes += raw->charge();
  } else {
    shard.small.push_head(raw, 1);
    shard.small_bytes += raw->charge();
  }
  shard.insertions.fetch_add(1, std::memory_order_relaxed);
  shard.evict_until_fits(small_share, dead_before);
  return InsertResult::kInserted;
}

}  // namespace

namespace {

// TTL a lookup reports for an entry, or nullopt when it is not usable.
struct Usable {
  std::uint32_t ttl;
  bool stale;
};

std::optional<Usable> usable(Time expires, Time now, const CacheOptions& o, const LookupOptions& lo) {
  if (expires > now) return Usable{static_cast<std::uint32_t>(expires - now), false};
  if (o.serve_stale && lo.allow_stale && now - expires < static_cast<Time>(o.stale_window)) {
    return Usable{o.stale_answer_ttl, true};
  }
  return std::nullopt;
}

void touch(std::atomic<std::uint8_t>& freq) {
  std::uint8_t f = freq.load(std::memory_order_relaxed);
  if (f < kMaxFreq) freq.store(static_cast<std::uint8_t>(f + 1), std::memory_order_relaxed);
}

}  // namespace

bool RRsetCache::visit_positive(const Name& name, RRType type, RRClass rclass, Time now, LookupOptions lo,
                                const std::function<void(const RRsetView&)>* fn, CachedRRset* out,
                                bool count) {
  KeyBuf key(name, static_cast<std::uint16_t>(type), static_cast<std::uint16_t>(rclass));
  Shard& shard = shard_for(key.hash);
  bool prefetch = false;
  {
    std::shared_lock lock(shard.mu);
    Entry* e = shard.map.find(key.hash, key.view());
    std::optional<Usable> u;
    if (e != nullptr && e->kind == Kind::kPositive && (lo.for_resolution || answerable(e->rank))) {
      u = usable(e->expires, now, options_, lo);
    }
    if (!u) {
      if (count) shard.misses.fetch_add(1, std::memory_order_relaxed);
      return false;
    }
    if (count) shard.hits.fetch_add(1, std::memory_order_relaxed);
    touch(e->freq);
    if (u->stale) shard.stale.fetch_add(1, std::memory_order_relaxed);
    if (!u->stale && options_.prefetch && prefetch_hook_ &&
        std::uint64_t{u->ttl} * 100 < std::uint64_t{e->original_ttl} * options_.prefetch_percent &&
        e->freq.load(std::memory_order_relaxed) >= options_.prefetch_min_hits &&
        !e->prefetch_pending.exchange(true, std::memory_order_relaxed)) {
      prefetch = true;
    }
    const std::uint8_t* p = e->payload();
    RRsetView view;
    view.owner_ = *Name::from_wire(e->owner_wire());
    view.type_ = type;
    view.class_ = rclass;
    view.ttl_ = u->ttl;
    view.rank_ = e->rank;
    view.stale_ = u->stale;
    view.count_ = dns::load_u16(p);
    view.rdatas_ = p + 2;
    if (fn != nullptr) (*fn)(view);
    if (out != nullptr) {
      out->rrset = {view.owner_, type, rclass, u->ttl, {}};
      out->rrset.rdatas.reserve(view.count_);
      view.for_each_rdata(
          [&](std::span<const std::uint8_t> rd) { out->rrset.rdatas.emplace_back(rd.begin(), rd.end()); });
      out->rank = e->rank;
      out->stale = u->stale;
    }
  }
  if (prefetch) fire_prefetch(name, type, rclass);
  return true;
}

void RRsetCache::fire_prefetch(const Name& name, RRType type, RRClass rclass) {
  shard_for(KeyBuf(name, static_cast<std::uint16_t>(type), static_cast<std::uint16_t>(rclass)).hash)
      .prefetches.fetch_add(1, std::memory_order_relaxed);
  prefetch_hook_(name, type, rclass);
}

CacheAnswer RRsetCache::lookup(const Name& name, RRType type, RRClass rclass, Time now, LookupOptions lo) {
  CacheAnswer answer;
  // Negative entries: NXDOMAIN for the name, then NODATA for (name, type).
  for (std::uint16_t t : {kNxDomainType, static_cast<std::uint16_t>(type)}) {
    KeyBuf key(name, t, static_cast<std::uint16_t>(rclass));
    Shard& shard = shard_for(key.hash);
    std::shared_lock lock(shard.mu);
    Entry* e = shard.map.find(key.hash, key.view());
    if (e == nullptr || e->kind == Kind::kPositive) continue;
    if (!lo.for_resolution && !answerable(e->rank)) continue;
    auto u = usable(e->expires, now, options_, lo);
    if (!u) continue;
    touch(e->freq);
    dns::WireReader r({e->payload(), e->payload_len});
    CachedNegative neg;
    std::uint32_t soa_ttl = 0;
    std::uint16_t len = 0;
    std::span<const std::uint8_t> rdata;
    if (r.read_name(neg.soa.name, e->payload_len, false) != dns::Error::kOk || !r.read_u32(soa_ttl) ||
        !r.read_u16(len) || !r.read_bytes(len, rdata)) {
      continue;  // cannot happen: we wrote it
    }
    neg.kind = e->kind == Kind::kNxDomain ? NegativeKind::kNxDomain : NegativeKind::kNoData;
    neg.soa.type = RRType::SOA;
    neg.soa.rclass = rclass;
    neg.soa.ttl = u->ttl;
    neg.soa.rdata.assign(rdata.begin(), rdata.end());
    neg.rank = e->rank;
    neg.stale = u->stale;
    if (u->stale) shard.stale.fetch_add(1, std::memory_order_relaxed);
    shard.hits.fetch_add(1, std::memory_order_relaxed);
    answer.negative = std::move(neg);
    return answer;
  }
  CachedRRset positive;
  if (visit_positive(name, type, rclass, now, lo, nullptr, &positive, true))
    answer.positive = std::move(positive);
  return answer;
}

std::optional<ZoneCut> RRsetCache::find_zone_cut(const Name& name, RRClass rclass, Time now) {
  LookupOptions lo{.for_resolution = true, .allow_stale = false};
  Name cur = name;
  while (true) {
    CachedRRset ns;
    if (visit_positive(cur, RRType::NS, rclass, now, lo, nullptr, &ns, false)) {
      ZoneCut cut;
      cut.zone = cur;
      for (const auto& rd : ns.rrset.rdatas) {
        auto target = dns::rdata_target_name(RRType::NS, rd);
        if (!target) continue;
        ZoneCut::Server s;
        s.name = *target;
        CachedRRset a;
        if (visit_positive(*target, RRType::A, rclass, now, lo, nullptr, &a, false)) {
          s.ipv4 = std::move(a.rrset.rdatas);
        }
        CachedRRset aaaa;
        if (visit_positive(*target, RRType::AAAA, rclass, now, lo, nullptr, &aaaa, false)) {
          s.ipv6 = std::move(aaaa.rrset.rdatas);
        }
        cut.servers.push_back(std::move(s));
      }
      return cut;
    }
    if (cur.is_root()) return std::nullopt;
    cur = cur.parent();
  }
}

std::vector<EntryInfo> RRsetCache::list(const Name& name, Time now) const {
  std::vector<EntryInfo> out;
  Name lower = name.lowercased();
  for (std::size_t i = 0; i < options_.shards; ++i) {
    Shard& shard = shards_[i];
    std::shared_lock lock(shard.mu);
    for (Entry* e : shard.map) {
      auto owner = e->owner_wire();
      if (!std::equal(owner.begin(), owner.end(), lower.wire().begin(), lower.wire().end())) continue;
      EntryInfo info;
      info.owner = *Name::from_wire(owner);
      info.type = static_cast<RRType>(e->type);
      info.kind =
          e->kind == Kind::kPositive ? "positive" : (e->kind == Kind::kNxDomain ? "nxdomain" : "nodata");
      info.rank = e->rank;
      info.ttl = e->expires - now;
      info.original_ttl = e->original_ttl;
      if (e->kind == Kind::kPositive) {
        const std::uint8_t* p = e->payload() + 2;
        for (std::size_t n = dns::load_u16(e->payload()); n > 0; --n) {
          std::size_t len = dns::load_u16(p);
          info.data.push_back(dns::rdata_to_text(info.type, {p + 2, len}));
          p += 2 + len;
        }
      } else {
        dns::WireReader r({e->payload(), e->payload_len});
        Name soa_owner;
        std::uint32_t ttl = 0;
        std::uint16_t len = 0;
        std::span<const std::uint8_t> rd;
        if (r.read_name(soa_owner, e->payload_len, false) == dns::Error::kOk && r.read_u32(ttl) &&
            r.read_u16(len) && r.read_bytes(len, rd)) {
          info.data.push_back(soa_owner.to_text() + " SOA " + dns::rdata_to_text(RRType::SOA, rd));
        }
      }
      out.push_back(std::move(info));
    }
  }
  std::sort(out.begin(), out.end(), [](const EntryInfo& a, const EntryInfo& b) { return a.type < b.type; });
  return out;
}

namespace {

template <class Pred>
std::size_t flush_if(std::unique_ptr<RRsetCache::Shard[]>& shards, std::size_t n, Pred&& pred) {
  std::size_t removed = 0;
  for (std::size_t i = 0; i < n; ++i) {
    auto& shard = shards[i];
    std::unique_lock lock(shard.mu);
    std::vector<RRsetCache::Entry*> victims;
    for (RRsetCache::Entry* e : shard.map) {
      if (pred(e->owner_wire())) victims.push_back(e);
    }
    for (auto* e : victims) shard.remove(e);
    removed += victims.size();
  }
  return removed;
}

}  // namespace

std::size_t RRsetCache::flush(const Name& name) {
  Name lower = name.lowercased();
  return flush_if(shards_, options_.shards, [&](std::span<const std::uint8_t> owner) {
    return std::equal(owner.begin(), owner.end(), lower.wire().begin(), lower.wire().end());
  });
}

std::size_t RRsetCache::flush_subtree(const Name& name) {
  return flush_if(shards_, options_.shards, [&](std::span<const std::uint8_t> owner) {
    auto n = Name::from_wire(owner);
    return n.ok() && n->is_subdomain_of(name);
  });
}

void RRsetCache::flush_all() {
  for (std::size_t i = 0; i < options_.shards; ++i) {
    std::unique_lock lock(shards_[i].mu);
    shards_[i].clear();
  }
}

std::vector<std::string> RRsetCache::dump_shard(std::size_t i) const {
  std::vector<std::string> lines;
  const Shard& shard = shards_[i];
  std::shared_lock lock(shard.mu);
  lines.reserve(shard.map.size());
  for (Entry* e : shard.map) {
    std::string line =
        e->kind == Kind::kPositive ? "P " : (e->kind == Kind::kNxDomain ? "N nxdomain " : "N nodata ");
    line += std::to_string(static_cast<unsigned>(e->rank)) + ' ' + std::to_string(e->expires) + ' ' +
            std::to_string(e->rclass) + ' ' + std::to_string(e->type) + ' ';
    Name::from_wire(e->owner_wire())->append_text(line);
    const std::uint8_t* p = e->payload();
    if (e->kind == Kind::kPositive) {
      p += 2;
      for (std::size_t n = dns::load_u16(e->payload()); n > 0; --n) {
        std::size_t len = dns::load_u16(p);
        line += ' ';
        dns::append_hex(line, {p + 2, len});
        p += 2 + len;
      }
    } else {
      dns::WireReader r({p, e->payload_len});
      Name soa_owner;
      std::uint32_t ttl = 0;
      std::uint16_t len = 0;
      std::span<const std::uint8_t> rd;
      if (r.read_name(soa_owner, e->payload_len, false) != dns::Error::kOk || !r.read_u32(ttl) ||
          !r.read_u16(len) || !r.read_bytes(len, rd)) {
        continue;
      }
      line += ' ';
      soa_owner.append_text(line);
      line += ' ' + std::to_string(ttl) + ' ';
      dns::append_hex(line, rd);
    }
    lines.push_back(std::move(line));
  }
  return lines;
}

CacheStats RRsetCache::stats() const {
  CacheStats s;
  for (std::size_t i = 0; i < options_.shards; ++i) {
    const Shard& shard = shards_[i];
    s.hits += shard.hits.load(std::memory_order_relaxed);
    s.misses += shard.misses.load(std::memory_order_relaxed);
    s.stale_served += shard.stale.load(std::memory_order_relaxed);
    s.insertions += shard.insertions.load(std::memory_order_relaxed);
    s.replacements += shard.replacements.load(std::memory_order_relaxed);
    s.evictions += shard.evictions.load(std::memory_order_relaxed);
    s.prefetch_signals += shard.prefetches.load(std::memory_order_relaxed);
    std::shared_lock lock(shard.mu);
    s.entries += shard.map.size();
    s.bytes += shard.bytes();
  }
  return s;
}

}  // namespace vigil::cache
