// monitor/ benchmarks: what the query log's writer thread spends per line,
// and what a worker spends handing an event over. Off the query path or
// not, the writer's CPU comes out of the same cores on a small machine, so
// docs/performance.md tracks it.
#include <vector>

#include <benchmark/benchmark.h>

#include "monitor/client_privacy.h"
#include "monitor/event_ring.h"
#include "monitor/query_event.h"
#include "monitor/query_log_format.h"
#include "protocol/message.h"
#include "protocol/presentation.h"

namespace {

using vigil::dns::Message;
using vigil::dns::Name;
using vigil::dns::RRType;

// The cache-hit answer of bench/server_dnsperf.sh: one A record, EDNS.
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

// A worker's part: claim a slot, fill it as Worker::log_query does, publish;
// the consumer side drained in the same loop (one thread, so no cache line
// travels: the floor of the hand-over).
void BM_EventRingHandOver(benchmark::State& state) {
  const vigil::monitor::QueryEvent src = HitEvent();
  vigil::monitor::EventRing ring(8192);
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

}  // namespace

BENCHMARK_MAIN();
