// cache/ benchmarks: lookups per second (hit and miss) on one and two
// threads, insertions per second, and bytes per cached A RRset.
#include <malloc.h>

#include <memory>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "cache/rrset_cache.h"

namespace {

using vigil::cache::CacheOptions;
using vigil::cache::LookupOptions;
using vigil::cache::Rank;
using vigil::cache::RRsetCache;
using vigil::cache::RRsetView;
using vigil::dns::Name;
using vigil::dns::RRClass;
using vigil::dns::RRType;

constexpr vigil::cache::Time kNow = 1'700'000'000;
constexpr int kEntries = 100000;

std::vector<Name> MakeNames(int n, const std::string& prefix) {
  std::vector<Name> names;
  names.reserve(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) names.push_back(*Name::from_text(prefix + std::to_string(i) + ".example.com."));
  return names;
}

vigil::dns::RRset ARRset(const Name& name, int i) {
  return {name,
          RRType::A,
          RRClass::IN,
          3600,
          {{127, static_cast<std::uint8_t>(i >> 16), static_cast<std::uint8_t>(i >> 8),
            static_cast<std::uint8_t>(i)}}};
}

// One warm cache shared by every benchmark thread.
struct Warm {
  RRsetCache cache;
  std::vector<Name> names = MakeNames(kEntries, "host");
  std::vector<Name> absent = MakeNames(kEntries, "absent");
  Warm() {
    for (int i = 0; i < kEntries; ++i)
      cache.insert(ARRset(names[static_cast<std::size_t>(i)], i), Rank::kAuthAnswer, kNow);
  }
};

Warm& warm() {
  static Warm w;
  return w;
}

// Arg: how many distinct names the lookups cycle through (the working set).
void BM_CacheHit_Visit(benchmark::State& state) {
  Warm& w = warm();
  const auto working_set = static_cast<std::size_t>(state.range(0));
  std::size_t i = static_cast<std::size_t>(state.thread_index()) * 7919;
  std::uint32_t sum = 0;
  for (auto _ : state) {
    const Name& n = w.names[i++ % working_set];
    w.cache.visit(n, RRType::A, RRClass::IN, kNow, LookupOptions{},
                  [&](const RRsetView& v) { sum += v.ttl(); });
  }
  benchmark::DoNotOptimize(sum);
  state.counters["lookups/s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_CacheHit_Visit)->Arg(1000)->Arg(kEntries)->Threads(1)->Threads(2)->UseRealTime();

void BM_CacheHit_LookupCopy(benchmark::State& state) {
  Warm& w = warm();
  std::size_t i = static_cast<std::size_t>(state.thread_index()) * 7919;
  for (auto _ : state) {
    auto a = w.cache.lookup(w.names[i++ % w.names.size()], RRType::A, RRClass::IN, kNow);
    benchmark::DoNotOptimize(a);
  }
  state.counters["lookups/s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_CacheHit_LookupCopy)->Threads(1)->Threads(2)->UseRealTime();

void BM_CacheMiss(benchmark::State& state) {
  Warm& w = warm();
  std::size_t i = static_cast<std::size_t>(state.thread_index()) * 7919;
  for (auto _ : state) {
    bool hit = w.cache.visit(w.absent[i++ % w.absent.size()], RRType::A, RRClass::IN, kNow, LookupOptions{},
                             [](const RRsetView&) {});
    benchmark::DoNotOptimize(hit);
  }
  state.counters["lookups/s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_CacheMiss)->Threads(1)->Threads(2)->UseRealTime();

void BM_CacheInsert(benchmark::State& state) {
  auto names = MakeNames(kEntries, "ins");
  CacheOptions o;
  o.max_bytes = std::size_t{64} << 20;
  RRsetCache cache(o);
  std::size_t i = 0;
  for (auto _ : state) {
    std::size_t k = i++ % names.size();
    cache.insert(ARRset(names[k], static_cast<int>(k)), Rank::kAuthAnswer, kNow);
  }
  state.counters["inserts/s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_CacheInsert);

// Not a speed benchmark: memory per cached "hostNNN.example.com. A" RRset,
// as the cache counts it and as the allocator sees it.
void BM_BytesPerARRset(benchmark::State& state) {
  for (auto _ : state) {
    auto names = MakeNames(kEntries, "mem");
    // Heap and mmap()ed blocks: a large table comes from mmap().
    const auto used = [] {
      const struct mallinfo2 m = mallinfo2();
      return m.uordblks + m.hblkhd;
    };
    std::size_t before = used();
    auto cache = std::make_unique<RRsetCache>();
    for (int i = 0; i < kEntries; ++i)
      cache->insert(ARRset(names[static_cast<std::size_t>(i)], i), Rank::kAuthAnswer, kNow);
    std::size_t real = used() - before;
    state.counters["counted_B/rrset"] = static_cast<double>(cache->stats().bytes) / kEntries;
    state.counters["malloc_B/rrset"] = static_cast<double>(real) / kEntries;
  }
}
BENCHMARK(BM_BytesPerARRset)->Iterations(1)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
