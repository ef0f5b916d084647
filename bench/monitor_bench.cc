// monitor/ benchmarks: what the query log's writer thread spends per line,
// with and without the intent detectors; what a worker spends handing an
// event over; the detectors alone; parsing a threat feed and matching names
// against feeds; the who-resolved index. Off the query path or not, the
// writer's CPU comes out of the same cores on a small machine, so
// docs/performance.md tracks it.
#include <array>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "monitor/client_privacy.h"
#include "monitor/event_ring.h"
#include "monitor/intent.h"
#include "monitor/query_event.h"
#include "monitor/query_log_format.h"
#include "monitor/resolution_index.h"
#include "policy/policy_set.h"
#include "protocol/message.h"
#include "protocol/presentation.h"

namespace {

using vigil::dns::Message;
using vigil::dns::Name;
using vigil::dns::RRType;

// A cache-hit answer like those of bench/server_dnsperf.sh: one A record.
// Unlike them it carries EDNS (make_query's default; the script's dnsperf
// sends no OPT record) and is under cached.example., not cached-bench.com.
vigil::monitor::QueryEvent HitEvent() {
  Message m = vigil::dns::make_query(0x1234, *Name::from_text("host-123.cached.example."), RRType::A);
  m.header.qr = true;
  m.header.ra = true;
  m.answer.push_back(*vigil::dns::parse_record("host-123.cached.example. 5 IN A 10.1.0.123"));
  const std::vector<std::uint8_t> wire = m.to_wire();
  vigil::monitor::QueryEvent e;
  e.time_ns = 1'790'000'000'123'456'789;
  e.duration_us = 17;
  e.client = {127, 0, 0, 1};
  e.client_port = 53124;
  e.server = {127, 0, 0, 1};
  e.server_port = 53;
  e.cache = vigil::monitor::CacheStatus::kHit;
  e.outcome = "answered";
  e.set_message(wire, true);
  return e;
}

void BM_QueryLogLineCacheHit(benchmark::State& state) {
  const vigil::monitor::QueryEvent e = HitEvent();
  const vigil::monitor::ClientPrivacy privacy;
  vigil::monitor::LineBuffer out;
  std::size_t bytes = 0;
  for (auto _ : state) {
    out.clear();
    vigil::monitor::append_json_line(out, e, privacy);
    bytes += out.size();
    benchmark::DoNotOptimize(out.view().data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(bytes));
}
BENCHMARK(BM_QueryLogLineCacheHit);

// A worker's part: claim the event, copy the time, the client and the answer's
// octets into it, publish. monitor::record (called by Worker::log_query)
// fills more fields, all small; the octets are most of the copy. The
// consumer side is drained in the same loop (one thread, so no cache line
// travels: the floor of the hand-over).
void BM_EventRingHandOver(benchmark::State& state) {
  const vigil::monitor::QueryEvent src = HitEvent();
  vigil::monitor::EventRing ring(vigil::monitor::kQueryLogRingBytes);
  for (auto _ : state) {
    vigil::monitor::QueryEvent* e = ring.claim();
    e->time_ns = src.time_ns;
    e->client = src.client;
    e->client_port = src.client_port;
    e->set_message(src.message_octets(), true);
    ring.publish();
    benchmark::DoNotOptimize(ring.peek());
    ring.release();
  }
}
BENCHMARK(BM_EventRingHandOver);

// The intent detectors, per query, on the writer thread: a mix of names
// (popular sites, CDN hosts, subdomains, some NXDOMAIN) from 256 clients.
struct IntentMix {
  std::vector<Name> names;
  std::vector<std::uint8_t> rcodes;
  std::shared_ptr<vigil::monitor::IntentEngine> engine;

  IntentMix() {
    std::string error;
    auto model = vigil::monitor::DgaModel::load(VIGIL_DGA_MODEL, &error);
    if (!model) throw std::runtime_error(error);
    engine = std::make_shared<vigil::monitor::IntentEngine>(
        vigil::monitor::IntentOptions{}, std::make_shared<const vigil::monitor::DgaModel>(std::move(*model)),
        std::make_shared<const vigil::monitor::PublicSuffixList>());
    const char* sites[] = {"www.google.com",
                           "mail.example.co.uk",
                           "static.xx.fbcdn.net",
                           "api.github.com",
                           "d12zgccgt6pwjz.cloudfront.net",
                           "e70559.g.akamaiedge.net",
                           "www.wikipedia.org",
                           "clients4.google.com",
                           "outlook.office365.com",
                           "cdn.jsdelivr.net",
                           "xjwqkvbzlrtpmqhd.com",
                           "4.3.2.1.zen.spamhaus.org"};
    for (int i = 0; i < 1024; ++i) {
      std::string n = sites[i % 12];
      if (i % 3 == 0) n = "host-" + std::to_string(i) + "." + n;
      names.push_back(*Name::from_text(n));
      rcodes.push_back(i % 10 == 0 ? 3 : 0);
    }
  }
};

void BM_IntentObserve(benchmark::State& state) {
  IntentMix mix;
  std::vector<vigil::monitor::Verdict> out;
  std::size_t i = 0;
  std::int64_t t = 1'790'000'000'000'000'000;
  for (auto _ : state) {
    const std::array<std::uint8_t, 4> client{10, 0, 1, static_cast<std::uint8_t>(i)};
    out.clear();
    mix.engine->observe(
        {.time_ns = t, .client = client, .qname = &mix.names[i % 1024], .rcode = mix.rcodes[i % 1024]}, out);
    benchmark::DoNotOptimize(out.data());
    ++i;
    t += 100'000;
  }
}
BENCHMARK(BM_IntentObserve);

// The worst case: every name new to the engine's name memo (65 536 names in
// turn, against IntentEngine::kMemo = 4 096 slots), as under a
// random-subdomain flood.
void BM_IntentObserveNewNames(benchmark::State& state) {
  IntentMix mix;
  std::vector<Name> names;
  for (int i = 0; i < 65536; ++i) {
    names.push_back(*Name::from_text("h" + std::to_string(i) + ".site-" + std::to_string(i % 997) + ".com"));
  }
  std::vector<vigil::monitor::Verdict> out;
  std::size_t i = 0;
  std::int64_t t = 1'790'000'000'000'000'000;
  for (auto _ : state) {
    const std::array<std::uint8_t, 4> client{10, 0, 1, static_cast<std::uint8_t>(i)};
    out.clear();
    mix.engine->observe({.time_ns = t, .client = client, .qname = &names[i % names.size()]}, out);
    benchmark::DoNotOptimize(out.data());
    ++i;
    t += 100'000;
  }
}
BENCHMARK(BM_IntentObserveNewNames);

// The writer's whole work for a cache hit with the detectors on: parse,
// observe, format.
void BM_QueryLogLineWithIntent(benchmark::State& state) {
  IntentMix mix;
  const vigil::monitor::QueryEvent e = HitEvent();
  const vigil::monitor::ClientPrivacy privacy;
  vigil::monitor::LineBuffer out;
  std::vector<vigil::monitor::Verdict> verdicts;
  for (auto _ : state) {
    vigil::dns::MessageView view;
    (void)view.parse(e.message_octets());
    const Name qname = view.question_name();
    verdicts.clear();
    mix.engine->observe({.time_ns = e.time_ns, .client = {e.client.data(), 4}, .qname = &qname}, verdicts);
    out.clear();
    vigil::monitor::append_json_line(out, e, &view, privacy, verdicts);
    benchmark::DoNotOptimize(out.view().data());
  }
}
BENCHMARK(BM_QueryLogLineWithIntent);

}  // namespace

// Threat feeds: parsing a domain list of state.range(0) names (100 000
// here), and the index's size per name; then, in a PolicySet of a small RPZ
// and a list of 1 million names (a big blocklist), matching a name that no
// feed matches (range 0, the common case: every query's name is looked up,
// suffix by suffix) and one below a listed domain (range 1).
std::string feed_text(std::int64_t n) {
  std::string text;
  for (std::int64_t i = 0; i < n; ++i)
    text += "host" + std::to_string(i * 7919) + ".bad-domain-" + std::to_string(i % 5000) + ".com\n";
  return text;
}

void BM_PolicyFeedParse(benchmark::State& state) {
  const std::string text = feed_text(state.range(0));
  vigil::policy::FeedOptions o;
  o.format = vigil::policy::FeedFormat::kDomains;
  std::size_t bytes = 0;
  for (auto _ : state) {
    auto f = vigil::policy::PolicyFeed::parse(text, o);
    if (!f.ok()) throw std::runtime_error(f.error().message);
    bytes = (*f)->memory_bytes();
  }
  state.counters["index_bytes_per_name"] = static_cast<double>(bytes) / static_cast<double>(state.range(0));
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_PolicyFeedParse)->Arg(100000)->Unit(benchmark::kMillisecond);

void BM_PolicySetMatchName(benchmark::State& state) {
  vigil::policy::FeedOptions o;
  o.format = vigil::policy::FeedFormat::kDomains;
  auto list = vigil::policy::PolicyFeed::parse(feed_text(1000000), o);
  vigil::policy::FeedOptions r;
  r.zone = *Name::from_text("rpz.");
  auto rpz = vigil::policy::PolicyFeed::parse(
      "@ SOA a. b. 1 2 3 4 5\n*.evil.example CNAME .\n24.0.2.0.192.rpz-ip CNAME .\n", r);
  vigil::policy::PolicySet set({{"rpz", vigil::policy::FeedMode::kEnforce, *rpz, nullptr},
                                {"list", vigil::policy::FeedMode::kEnforce, *list, nullptr}},
                               5, true);
  const Name miss = *Name::from_text("www.some-ordinary-site.example.com.");
  const Name hit = *Name::from_text("cdn.host7919.bad-domain-1.com.");
  const Name& name = state.range(0) == 0 ? miss : hit;
  for (auto _ : state) benchmark::DoNotOptimize(set.match_name(name));
}
BENCHMARK(BM_PolicySetMatchName)->Arg(0)->Arg(1);

// The who-resolved index, per answered address: 4 096 clients asking for
// 16 384 names (range 0: 65 536 triples that repeat, as a cache-hit
// workload's do), or every name new (range 1: a flood; once the 131 072
// entries are full, each record takes the oldest entry of its set).
void BM_ResolutionIndexRecord(benchmark::State& state) {
  vigil::monitor::ResolutionIndex index({});
  std::vector<std::string> names;
  for (int i = 0; i < 16384; ++i) names.push_back("www.site-" + std::to_string(i) + ".example.com.");
  const bool flood = state.range(0) == 1;
  std::int64_t t = std::int64_t{1'700'000'000} * 1'000'000'000;
  std::uint32_t i = 0;
  std::string fresh;
  for (auto _ : state) {
    const std::uint32_t k = i >> 16;  // one of 65 536 triples: 4 096 clients, 16 384 names
    const std::array<std::uint8_t, 4> client{10, 0, static_cast<std::uint8_t>(k >> 8 & 0x0f),
                                             static_cast<std::uint8_t>(k)};
    const std::uint32_t n = k >> 2;
    const std::array<std::uint8_t, 4> address{192, 0, static_cast<std::uint8_t>(n >> 8),
                                              static_cast<std::uint8_t>(n)};
    std::string_view name = names[n];
    if (flood) {
      fresh = "x" + std::to_string(t) + ".flood.example.";
      name = fresh;
    }
    index.record(t, client, name, 1, address);
    t += 1000;
    i = i * 1103515245u + 12345u;
  }
  state.counters["evicted_early"] = static_cast<double>(index.evicted_early());
}
BENCHMARK(BM_ResolutionIndexRecord)->Arg(0)->Arg(1);

BENCHMARK_MAIN();
