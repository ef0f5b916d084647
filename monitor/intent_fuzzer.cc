// libFuzzer target: the intent detectors over arbitrary query names (any
// octets in any label, as the wire allows), answered NOERROR or NXDOMAIN,
// from a few clients, into small tables that fill and evict. Must never
// crash, and the tables must never outgrow their capacity.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "monitor/intent.h"
#include "protocol/name.h"

namespace {

vigil::monitor::IntentEngine& Engine() {
  static vigil::monitor::IntentEngine* engine = [] {
    std::string error;
    auto model = vigil::monitor::DgaModel::load(VIGIL_DGA_MODEL, &error);
    if (!model) std::abort();
    vigil::monitor::IntentOptions o;
    o.max_clients = 64;
    o.max_pairs = 64;
    o.max_alert_keys = 64;
    o.storm_nxdomain = 4;
    o.dga_nx_threshold = 2;
    o.tunnel_encoded_names = 2;
    o.tunnel_min_names = 2;
    o.tunnel_bits = 10;
    return new vigil::monitor::IntentEngine(
        o, std::make_shared<const vigil::monitor::DgaModel>(std::move(*model)),
        std::make_shared<const vigil::monitor::PublicSuffixList>());
  }();
  return *engine;
}

}  // namespace

// Input: records of [flags][label count n][n × (length, octets)]; flags'
// low bits pick the client, the rcode and the qtype.
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace vigil;
  auto& engine = Engine();
  std::vector<monitor::Verdict> out;
  static std::int64_t t = 1'700'000'000'000'000'000;
  std::size_t p = 0;
  while (p + 2 <= size) {
    const std::uint8_t flags = data[p];
    std::size_t labels = data[p + 1] % 8;
    p += 2;
    dns::NameBuilder b;
    while (labels-- > 0 && p < size) {
      const std::size_t len = std::min<std::size_t>(data[p], 63);
      ++p;
      const std::size_t take = std::min(len, size - p);
      if (b.append_label(std::span<const std::uint8_t>(data + p, take)) != dns::Error::kOk) break;
      p += take;
    }
    const dns::Name name = b.finish();
    const std::array<std::uint8_t, 4> client{10, 0, 0, static_cast<std::uint8_t>(flags & 3)};
    const std::uint16_t qtypes[] = {1, 16, 10, 65399};
    out.clear();
    engine.observe({.time_ns = t,
                    .client = client,
                    .qname = &name,
                    .qtype = qtypes[(flags >> 2) & 3],
                    .rcode = static_cast<std::uint8_t>((flags & 0x10) ? 3 : 0)},
                   out);
    t += (flags & 0x20) ? 1'000'000'000'000 : 1'000'000;
    for (const auto& v : out) {
      if (v.evidence.empty() || v.evidence.find('\n') != std::string::npos) std::abort();
    }
  }
  const monitor::IntentStats s = engine.stats();
  if (s.clients > s.clients_capacity || s.pairs > s.pairs_capacity || s.alert_keys > s.alert_keys_capacity) {
    std::abort();
  }
  return 0;
}
