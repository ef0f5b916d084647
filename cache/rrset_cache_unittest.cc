#include "cache/rrset_cache.h"

#include <malloc.h>

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "protocol/presentation.h"
#include "protocol/rdata.h"

namespace vigil::cache {
namespace {

using dns::Name;
using dns::RRClass;
using dns::RRType;

Name N(const std::string& t) {
  return *Name::from_text(t);
}

dns::RRset A(const std::string& owner, std::uint32_t ttl, std::vector<std::uint8_t> last = {1}) {
  dns::RRset s{N(owner), RRType::A, RRClass::IN, ttl, {}};
  for (std::uint8_t b : last) s.rdatas.push_back({127, 0, 0, b});
  return s;
}

dns::ResourceRecord Soa(const std::string& zone, std::uint32_t ttl, std::uint32_t minimum) {
  auto rr = dns::parse_record(zone + " " + std::to_string(ttl) + " IN SOA ns." + zone + " host." + zone +
                              " 1 7200 3600 1209600 " + std::to_string(minimum));
  return *rr;
}

constexpr Time kT0 = 1'700'000'000;

TEST(RRsetCacheTest, TtlCountsDownAndExpires) {
  RRsetCache c;
  ASSERT_EQ(c.insert(A("www.example.", 300), Rank::kAuthAnswer, kT0), InsertResult::kInserted);
  auto a = c.lookup(N("WWW.Example."), RRType::A, RRClass::IN, kT0 + 100);
  ASSERT_TRUE(a.positive.has_value());
  EXPECT_EQ(a.positive->rrset.ttl, 200u);
  EXPECT_EQ(a.positive->rrset.rdatas.size(), 1u);
  EXPECT_EQ(c.lookup(N("www.example."), RRType::A, RRClass::IN, kT0 + 299).positive->rrset.ttl, 1u);
  EXPECT_FALSE(c.lookup(N("www.example."), RRType::A, RRClass::IN, kT0 + 300).hit());
  EXPECT_FALSE(c.lookup(N("www.example."), RRType::AAAA, RRClass::IN, kT0).hit());
  EXPECT_FALSE(c.lookup(N("www.example."), RRType::A, RRClass::CH, kT0).hit());
}

TEST(RRsetCacheTest, NegativeCachingPerRfc2308) {
  RRsetCache c;
  // NXDOMAIN: TTL = min(SOA TTL, SOA MINIMUM) = 300, for every type.
  ASSERT_EQ(c.insert_negative(N("nope.example."), RRType::A, RRClass::IN, NegativeKind::kNxDomain,
                              Soa("example.", 3600, 300), Rank::kAuthAuthority, kT0),
            InsertResult::kInserted);
  for (RRType t : {RRType::A, RRType::MX, RRType::TXT}) {
    auto a = c.lookup(N("nope.example."), t, RRClass::IN, kT0 + 100);
    ASSERT_TRUE(a.negative.has_value());
    EXPECT_EQ(a.negative->kind, NegativeKind::kNxDomain);
    EXPECT_EQ(a.negative->soa.name, N("example."));
    EXPECT_EQ(a.negative->soa.type, RRType::SOA);
    EXPECT_EQ(a.negative->soa.ttl, 200u);  // served with the SOA, counting down
  }
  EXPECT_FALSE(c.lookup(N("nope.example."), RRType::A, RRClass::IN, kT0 + 300).hit());
  // NODATA: only for that type; TTL from the smaller SOA TTL this time.
  ASSERT_EQ(c.insert_negative(N("www.example."), RRType::TXT, RRClass::IN, NegativeKind::kNoData,
                              Soa("example.", 60, 300), Rank::kAuthAuthority, kT0),
            InsertResult::kInserted);
  auto nodata = c.lookup(N("www.example."), RRType::TXT, RRClass::IN, kT0);
  ASSERT_TRUE(nodata.negative.has_value());
  EXPECT_EQ(nodata.negative->kind, NegativeKind::kNoData);
  EXPECT_EQ(nodata.negative->soa.ttl, 60u);
  EXPECT_FALSE(c.lookup(N("www.example."), RRType::A, RRClass::IN, kT0).hit());
  // Not an SOA: refused.
  EXPECT_EQ(c.insert_negative(N("x."), RRType::A, RRClass::IN, NegativeKind::kNoData,
                              *dns::parse_record("x. 1 IN A 127.0.0.1"), Rank::kAuthAuthority, kT0),
            InsertResult::kInvalid);
}

TEST(RRsetCacheTest, ClampsTtls) {
  CacheOptions o;
  o.min_ttl = 60;
  o.max_ttl = 86400;
  o.max_negative_ttl = 3600;
  RRsetCache c(o);
  c.insert(A("short.example.", 5), Rank::kAuthAnswer, kT0);
  c.insert(A("long.example.", 604800), Rank::kAuthAnswer, kT0);
  EXPECT_EQ(c.lookup(N("short.example."), RRType::A, RRClass::IN, kT0).positive->rrset.ttl, 60u);
  EXPECT_EQ(c.lookup(N("long.example."), RRType::A, RRClass::IN, kT0).positive->rrset.ttl, 86400u);
  c.insert_negative(N("n.example."), RRType::A, RRClass::IN, NegativeKind::kNxDomain,
                    Soa("example.", 86400, 86400), Rank::kAuthAuthority, kT0);
  EXPECT_EQ(c.lookup(N("n.example."), RRType::A, RRClass::IN, kT0).negative->soa.ttl, 3600u);
  // TTL 0 is kept for one second, for the answer to the query that fetched
  // it (it was refused before, and such answers became SERVFAIL).
  RRsetCache plain;
  EXPECT_EQ(plain.insert(A("zero.example.", 0), Rank::kAuthAnswer, kT0), InsertResult::kInserted);
  EXPECT_EQ(plain.lookup(N("zero.example."), RRType::A, RRClass::IN, kT0).positive->rrset.ttl, 1u);
  EXPECT_FALSE(plain.lookup(N("zero.example."), RRType::A, RRClass::IN, kT0 + 1).hit());
  EXPECT_EQ(plain.insert_negative(N("gone.example."), RRType::A, RRClass::IN, NegativeKind::kNxDomain,
                                  Soa("example.", 0, 0), Rank::kAuthAuthority, kT0),
            InsertResult::kInserted);
  EXPECT_TRUE(plain.lookup(N("gone.example."), RRType::A, RRClass::IN, kT0).negative.has_value());
  EXPECT_FALSE(plain.lookup(N("gone.example."), RRType::A, RRClass::IN, kT0 + 1).hit());
}

TEST(RRsetCacheTest, TrustRanking) {
  RRsetCache c;
  // Glue is for resolution only.
  c.insert(A("ns1.example.", 3600, {1}), Rank::kAdditional, kT0);
  EXPECT_FALSE(c.lookup(N("ns1.example."), RRType::A, RRClass::IN, kT0).hit());
  EXPECT_TRUE(c.lookup(N("ns1.example."), RRType::A, RRClass::IN, kT0, {.for_resolution = true}).hit());
  // Authoritative data replaces glue ...
  EXPECT_EQ(c.insert(A("ns1.example.", 3600, {2}), Rank::kAuthAnswer, kT0), InsertResult::kReplaced);
  EXPECT_EQ(c.lookup(N("ns1.example."), RRType::A, RRClass::IN, kT0).positive->rrset.rdatas[0][3], 2);
  // ... and glue cannot replace unexpired authoritative data.
  EXPECT_EQ(c.insert(A("ns1.example.", 3600, {3}), Rank::kAdditional, kT0 + 10), InsertResult::kRejectedRank);
  EXPECT_EQ(c.insert(A("ns1.example.", 3600, {3}), Rank::kNonAuthAnswer, kT0 + 10),
            InsertResult::kRejectedRank);
  // Equal rank replaces (fresher data).
  EXPECT_EQ(c.insert(A("ns1.example.", 3600, {4}), Rank::kAuthAnswer, kT0 + 10), InsertResult::kReplaced);
  // Once expired, anything may replace it.
  EXPECT_EQ(c.insert(A("ns1.example.", 3600, {5}), Rank::kAdditional, kT0 + 3610 + 10),
            InsertResult::kReplaced);
  EXPECT_FALSE(c.lookup(N("ns1.example."), RRType::A, RRClass::IN, kT0 + 3620).hit());  // glue again
}

TEST(RRsetCacheTest, ServeStaleOnlyWhenAskedAndInsideTheWindow) {
  CacheOptions o;
  o.serve_stale = true;
  o.stale_window = 86400;
  o.stale_answer_ttl = 30;
  RRsetCache c(o);
  c.insert(A("s.example.", 60), Rank::kAuthAnswer, kT0);
  EXPECT_FALSE(c.lookup(N("s.example."), RRType::A, RRClass::IN, kT0 + 61).hit());  // not fresh
  auto stale = c.lookup(N("s.example."), RRType::A, RRClass::IN, kT0 + 61, {.allow_stale = true});
  ASSERT_TRUE(stale.positive.has_value());
  EXPECT_TRUE(stale.positive->stale);
  EXPECT_EQ(stale.positive->rrset.ttl, 30u);
  EXPECT_FALSE(
      c.lookup(N("s.example."), RRType::A, RRClass::IN, kT0 + 60 + 86400, {.allow_stale = true}).hit());
  EXPECT_EQ(c.stats().stale_served, 1u);
  // Off: never stale.
  RRsetCache off;
  off.insert(A("s.example.", 60), Rank::kAuthAnswer, kT0);
  EXPECT_FALSE(off.lookup(N("s.example."), RRType::A, RRClass::IN, kT0 + 61, {.allow_stale = true}).hit());
}

TEST(RRsetCacheTest, PrefetchSignalsPopularEntriesNearExpiryOnce) {
  RRsetCache c;
  std::vector<std::string> signalled;
  c.set_prefetch_hook([&](const Name& n, RRType, RRClass) { signalled.push_back(n.to_text()); });
  c.insert(A("hot.example.", 100), Rank::kAuthAnswer, kT0);
  c.insert(A("cold.example.", 100), Rank::kAuthAnswer, kT0);
  for (int i = 0; i < 3; ++i) c.lookup(N("hot.example."), RRType::A, RRClass::IN, kT0 + 1);
  c.lookup(N("hot.example."), RRType::A, RRClass::IN, kT0 + 50);  // 50% left: no
  EXPECT_TRUE(signalled.empty());
  c.lookup(N("hot.example."), RRType::A, RRClass::IN, kT0 + 95);   // 5% left: yes
  c.lookup(N("hot.example."), RRType::A, RRClass::IN, kT0 + 96);   // already signalled
  c.lookup(N("cold.example."), RRType::A, RRClass::IN, kT0 + 95);  // one hit: not popular
  ASSERT_EQ(signalled, std::vector<std::string>{"hot.example."});
  // Refreshed by the engine: may be signalled again later.
  c.insert(A("hot.example.", 100), Rank::kAuthAnswer, kT0 + 96);
  c.lookup(N("hot.example."), RRType::A, RRClass::IN, kT0 + 193);
  EXPECT_EQ(signalled.size(), 2u);
  EXPECT_EQ(c.stats().prefetch_signals, 2u);
}

TEST(RRsetCacheTest, FillingPastTheBoundEvictsAndNeverGrows) {
  CacheOptions o;
  o.max_bytes = 1 << 20;
  o.shards = 4;
  RRsetCache c(o);
  for (int i = 0; i < 100000; ++i) {
    c.insert(A("n" + std::to_string(i) + ".example.", 3600), Rank::kAuthAnswer, kT0);
    if (i % 10000 == 0) {
      EXPECT_LE(c.stats().bytes, o.max_bytes);
    }
  }
  CacheStats s = c.stats();
  EXPECT_LE(s.bytes, o.max_bytes);
  EXPECT_GT(s.bytes, o.max_bytes * 8 / 10);  // and the space is used
  EXPECT_GT(s.evictions, 90000u);
  EXPECT_EQ(s.insertions - s.evictions, s.entries);
  // The newest entries are there.
  EXPECT_TRUE(c.lookup(N("n99999.example."), RRType::A, RRClass::IN, kT0).hit());
}

TEST(RRsetCacheTest, PopularEntriesSurviveAFloodOfOneHitNames) {
  // S3-FIFO keeps entries that are hit; a random-subdomain flood of names
  // seen once goes through the small queue and out again.
  CacheOptions o;
  o.max_bytes = 2 << 20;
  o.shards = 1;
  RRsetCache c(o);
  for (int i = 0; i < 500; ++i)
    c.insert(A("popular" + std::to_string(i) + ".example.", 86400), Rank::kAuthAnswer, kT0);
  int survived = 0;
  for (int round = 0; round < 20; ++round) {
    for (int i = 0; i < 500; ++i)
      c.lookup(N("popular" + std::to_string(i) + ".example."), RRType::A, RRClass::IN, kT0);
    for (int k = 0; k < 5000; ++k) {
      c.insert(A("r" + std::to_string(round) + "-" + std::to_string(k) + ".flood.example.", 86400),
               Rank::kAuthAnswer, kT0);
    }
  }
  for (int i = 0; i < 500; ++i) {
    survived +=
        c.lookup(N("popular" + std::to_string(i) + ".example."), RRType::A, RRClass::IN, kT0).hit() ? 1 : 0;
  }
  EXPECT_GE(survived, 495) << "a FIFO or LRU of this size would keep none";
  EXPECT_GT(c.stats().evictions, 50000u);
}

TEST(RRsetCacheTest, MemoryAccountingMatchesTheAllocator) {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  GTEST_SKIP() << "sanitizer allocators do not report through mallinfo2";
#endif
  CacheOptions o;
  o.max_bytes = std::size_t{1} << 30;
  RRsetCache c(o);
  // Heap and mmap()ed blocks: the hash index's table is one large block.
  const auto used = [] {
    const struct mallinfo2 m = mallinfo2();
    return m.uordblks + m.hblkhd;
  };
  std::size_t before = used();
  const int n = 50000;
  for (int i = 0; i < n; ++i) {
    c.insert(A("host" + std::to_string(i) + ".some-zone.example.", 3600), Rank::kAuthAnswer, kT0);
  }
  std::size_t real = used() - before;
  std::size_t counted = c.stats().bytes;
  double ratio = static_cast<double>(counted) / static_cast<double>(real);
  EXPECT_GT(ratio, 0.75) << "counted " << counted << " real " << real;
  EXPECT_LT(ratio, 1.33) << "counted " << counted << " real " << real;
}

TEST(RRsetCacheTest, ZoneCutIsTheDeepestKnownDelegation) {
  RRsetCache c;
  EXPECT_FALSE(c.find_zone_cut(N("www.a.example."), RRClass::IN, kT0).has_value());
  dns::RRset ns{N("example."),
                RRType::NS,
                RRClass::IN,
                3600,
                {dns::make_name_rdata(N("ns1.example.")), dns::make_name_rdata(N("ns.other."))}};
  c.insert(ns, Rank::kNonAuthAuthority, kT0);
  c.insert(A("ns1.example.", 3600, {53}), Rank::kAdditional, kT0);
  auto cut = c.find_zone_cut(N("www.a.example."), RRClass::IN, kT0);
  ASSERT_TRUE(cut.has_value());
  EXPECT_EQ(cut->zone, N("example."));
  ASSERT_EQ(cut->servers.size(), 2u);
  EXPECT_EQ(cut->servers[0].name, N("ns1.example."));
  ASSERT_EQ(cut->servers[0].ipv4.size(), 1u);
  EXPECT_EQ(cut->servers[0].ipv4[0][3], 53);
  EXPECT_TRUE(cut->servers[1].ipv4.empty());  // out of bailiwick, unknown address
  // A deeper cut wins; an expired one does not count.
  dns::RRset deeper{N("a.example."), RRType::NS, RRClass::IN, 60, {dns::make_name_rdata(N("ns.a.example."))}};
  c.insert(deeper, Rank::kNonAuthAuthority, kT0);
  EXPECT_EQ(c.find_zone_cut(N("www.a.example."), RRClass::IN, kT0)->zone, N("a.example."));
  EXPECT_EQ(c.find_zone_cut(N("www.a.example."), RRClass::IN, kT0 + 60)->zone, N("example."));
}

TEST(RRsetCacheTest, VisitGivesTheRRsetWithoutCopying) {
  RRsetCache c;
  c.insert(A("v.example.", 300, {1, 2, 3}), Rank::kAuthAnswer, kT0);
  std::vector<int> last;
  std::uint32_t ttl = 0;
  bool hit = c.visit(N("V.example."), RRType::A, RRClass::IN, kT0 + 1, {}, [&](const RRsetView& v) {
    ttl = v.ttl();
    v.for_each_rdata([&](std::span<const std::uint8_t> rd) { last.push_back(rd[3]); });
  });
  EXPECT_TRUE(hit);
  EXPECT_EQ(ttl, 299u);
  EXPECT_EQ(last, (std::vector<int>{1, 2, 3}));
  EXPECT_FALSE(c.visit(N("w.example."), RRType::A, RRClass::IN, kT0, {}, [](const RRsetView&) {}));
  CacheStats s = c.stats();
  EXPECT_EQ(s.hits, 1u);
  EXPECT_EQ(s.misses, 1u);
}

TEST(RRsetCacheTest, ListAndFlush) {
  RRsetCache c;
  c.insert(A("a.example.", 300), Rank::kAuthAnswer, kT0);
  c.insert({N("a.example."), RRType::TXT, RRClass::IN, 300, {{3, 'a', 'b', 'c'}}}, Rank::kAuthAnswer, kT0);
  c.insert(A("b.a.example.", 300), Rank::kAuthAnswer, kT0);
  c.insert(A("other.", 300), Rank::kAuthAnswer, kT0);
  c.insert_negative(N("x.a.example."), RRType::A, RRClass::IN, NegativeKind::kNxDomain,
                    Soa("example.", 300, 300), Rank::kAuthAuthority, kT0);
  auto list = c.list(N("A.example."), kT0 + 10);
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].type, RRType::A);
  EXPECT_EQ(list[0].ttl, 290);
  EXPECT_EQ(list[0].data, std::vector<std::string>{"127.0.0.1"});
  EXPECT_EQ(list[1].data, std::vector<std::string>{"\"abc\""});
  EXPECT_EQ(c.list(N("x.a.example."), kT0)[0].kind, "nxdomain");
  EXPECT_EQ(c.flush(N("a.example.")), 2u);
  EXPECT_FALSE(c.lookup(N("a.example."), RRType::A, RRClass::IN, kT0).hit());
  EXPECT_TRUE(c.lookup(N("b.a.example."), RRType::A, RRClass::IN, kT0).hit());
  EXPECT_EQ(c.flush_subtree(N("a.example.")), 2u);  // b.a and the NXDOMAIN for x.a
  EXPECT_TRUE(c.lookup(N("other."), RRType::A, RRClass::IN, kT0).hit());
  c.flush_all();
  EXPECT_EQ(c.stats().entries, 0u);
  EXPECT_EQ(c.stats().bytes, 0u);
}

}  // namespace
}  // namespace vigil::cache
