// protocol/ benchmarks: Vigil's parser and writer against ldns on the same
// packets. Also counts heap allocations per iteration, to show that the hot
// path (MessageView + MessageBuilder) does not allocate.
#include <array>
#include <cstdlib>
#include <vector>

#include <benchmark/benchmark.h>

#include "bench/alloc_counter.h"
#include "protocol/ldns_include.h"
#include "protocol/message.h"
#include "protocol/message_builder.h"
#include "protocol/message_view.h"
#include "protocol/presentation.h"

namespace {

using vigil::dns::Message;
using vigil::dns::MessageBuilder;
using vigil::dns::MessageView;
using vigil::dns::Name;
using vigil::dns::RRType;
using vigil::dns::Section;

vigil::dns::ResourceRecord RR(const char* text) {
  return *vigil::dns::parse_record(text);
}

// A stub resolver's query: www.example.com A, EDNS with a client cookie.
std::vector<std::uint8_t> QueryPacket() {
  Message m = vigil::dns::make_query(0x1234, *Name::from_text("www.example.com."), RRType::A);
  m.edns->options.push_back({10, {1, 2, 3, 4, 5, 6, 7, 8}});
  return m.to_wire();
}

// A typical answer: a CNAME chain to a CDN and two addresses.
Message ResponseMessage() {
  Message m = vigil::dns::make_query(0x1234, *Name::from_text("www.example.com."), RRType::A);
  m.header.qr = true;
  m.header.ra = true;
  m.answer = {RR("www.example.com. 300 IN CNAME www.example.com.cdn.example.net."),
              RR("www.example.com.cdn.example.net. 60 IN CNAME edge-17.cdn.example.net."),
              RR("edge-17.cdn.example.net. 20 IN A 192.0.2.17"),
              RR("edge-17.cdn.example.net. 20 IN A 192.0.2.18")};
  return m;
}

// A TLD referral: 13 NS with A and AAAA glue (like a .com referral).
std::vector<std::uint8_t> ReferralPacket() {
  Message m = vigil::dns::make_query(0x1234, *Name::from_text("www.example.com."), RRType::A);
  m.header.qr = true;
  for (char c = 'a'; c <= 'm'; ++c) {
    std::string ns = std::string(1, c) + ".gtld-servers.net.";
    m.authority.push_back(RR(("com. 172800 IN NS " + ns).c_str()));
    m.additional.push_back(RR((ns + " 172800 IN A 192.0.2." + std::to_string(c - 'a' + 1)).c_str()));
    m.additional.push_back(RR((ns + " 172800 IN AAAA 2001:db8::" + std::to_string(c - 'a' + 1)).c_str()));
  }
  return m.to_wire();
}

template <class Fn>
void Run(benchmark::State& state, std::size_t bytes, Fn&& fn) {
  std::size_t before = vigil::bench::allocation_count();
  for (auto _ : state) fn();
  state.counters["allocs/msg"] =
      benchmark::Counter(static_cast<double>(vigil::bench::allocation_count() - before) /
                         static_cast<double>(state.iterations()));
  state.counters["msgs/s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(bytes));
}

void ParseVigilView(benchmark::State& state, const std::vector<std::uint8_t>& wire) {
  Run(state, wire.size(), [&] {
    MessageView v;
    benchmark::DoNotOptimize(v.parse(wire));
    Name q = v.question_name();
    benchmark::DoNotOptimize(q);
  });
}

void ParseVigilMessage(benchmark::State& state, const std::vector<std::uint8_t>& wire) {
  Run(state, wire.size(), [&] {
    auto m = Message::parse(wire);
    benchmark::DoNotOptimize(m);
  });
}

void ParseLdns(benchmark::State& state, const std::vector<std::uint8_t>& wire) {
  Run(state, wire.size(), [&] {
    ldns_pkt* pkt = nullptr;
    benchmark::DoNotOptimize(ldns_wire2pkt(&pkt, wire.data(), wire.size()));
    ldns_pkt_free(pkt);
  });
}

void BM_ParseQuery_VigilView(benchmark::State& s) {
  ParseVigilView(s, QueryPacket());
}
void BM_ParseQuery_VigilMessage(benchmark::State& s) {
  ParseVigilMessage(s, QueryPacket());
}
void BM_ParseQuery_Ldns(benchmark::State& s) {
  ParseLdns(s, QueryPacket());
}
void BM_ParseResponse_VigilView(benchmark::State& s) {
  ParseVigilView(s, ResponseMessage().to_wire());
}
void BM_ParseResponse_VigilMessage(benchmark::State& s) {
  ParseVigilMessage(s, ResponseMessage().to_wire());
}
void BM_ParseResponse_Ldns(benchmark::State& s) {
  ParseLdns(s, ResponseMessage().to_wire());
}
void BM_ParseReferral_VigilView(benchmark::State& s) {
  ParseVigilView(s, ReferralPacket());
}
void BM_ParseReferral_VigilMessage(benchmark::State& s) {
  ParseVigilMessage(s, ReferralPacket());
}
void BM_ParseReferral_Ldns(benchmark::State& s) {
  ParseLdns(s, ReferralPacket());
}

// Building the typical answer into a UDP buffer, as the listener will: from
// names and stored RDATA, with compression, EDNS and the 1232-octet limit.
void BM_BuildResponse_Vigil(benchmark::State& state) {
  Message m = ResponseMessage();
  std::array<std::uint8_t, 1232> buf{};
  std::size_t size = 0;
  Run(state, m.to_wire().size(), [&] {
    MessageBuilder b(buf, buf.size());
    b.set_header(m.header);
    (void)b.set_edns({1232, 0, false, {}});
    (void)b.add_question(m.questions[0].name, m.questions[0].type, m.questions[0].rclass);
    for (const auto& rr : m.answer) {
      (void)b.add_record(Section::kAnswer, rr.name, rr.type, rr.rclass, rr.ttl, rr.rdata);
    }
    size = b.finish();
    benchmark::DoNotOptimize(buf.data());
  });
  benchmark::DoNotOptimize(size);
}

// An upstream query as the resolver's exchange ladder makes each one:
// make_query() and Message::to_wire().
void BM_UpstreamQueryToWire(benchmark::State& state) {
  const Name name = *Name::from_text("www.zone-1234.test.");
  std::size_t size = 0;
  for (auto _ : state) {
    const std::vector<std::uint8_t> wire =
        vigil::dns::make_query(0x1234, name, RRType::A, false, 1232).to_wire();
    size += wire.size();
    benchmark::DoNotOptimize(wire.data());
  }
  benchmark::DoNotOptimize(size);
}

void BM_BuildResponse_Ldns(benchmark::State& state) {
  std::vector<std::uint8_t> wire = ResponseMessage().to_wire();
  ldns_pkt* pkt = nullptr;
  ldns_wire2pkt(&pkt, wire.data(), wire.size());
  Run(state, wire.size(), [&] {
    std::uint8_t* out = nullptr;
    std::size_t n = 0;
    benchmark::DoNotOptimize(ldns_pkt2wire(&out, pkt, &n));
    std::free(out);
  });
  ldns_pkt_free(pkt);
}

BENCHMARK(BM_ParseQuery_VigilView);
BENCHMARK(BM_ParseQuery_VigilMessage);
BENCHMARK(BM_ParseQuery_Ldns);
BENCHMARK(BM_ParseResponse_VigilView);
BENCHMARK(BM_ParseResponse_VigilMessage);
BENCHMARK(BM_ParseResponse_Ldns);
BENCHMARK(BM_ParseReferral_VigilView);
BENCHMARK(BM_ParseReferral_VigilMessage);
BENCHMARK(BM_ParseReferral_Ldns);
BENCHMARK(BM_BuildResponse_Vigil);
BENCHMARK(BM_BuildResponse_Ldns);
BENCHMARK(BM_UpstreamQueryToWire);

}  // namespace

BENCHMARK_MAIN();
