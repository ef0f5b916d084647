// libFuzzer target: QueryHandler::handle() on arbitrary packets, over UDP
// and TCP, with local zones and a populated cache. A response, when there
// is one, is a well-formed message within the transport's size limit.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "cache/rrset_cache.h"
#include "config/config.h"
#include "protocol/message_view.h"
#include "protocol/presentation.h"
#include "server/local_zones.h"
#include "server/query_handler.h"

namespace {

using namespace vigil;
constexpr cache::Time kNow = 1'700'000'000;

struct World {
  config::Config config;
  std::unique_ptr<server::LocalZones> local;
  cache::RRsetCache cache;
  std::unique_ptr<server::QueryHandler> handler;
  World() : config(config::Config::defaults()) {
    config.local_zones = {{"lan.", config::LocalZoneType::kStatic, 1},
                          {"ads.example.", config::LocalZoneType::kRefuse, 2},
                          {"portal.example.", config::LocalZoneType::kRedirect, 3}};
    config.local_data = {{"printer.lan. 3600 IN A 192.168.1.20", 4},
                         {"www.lan. 60 IN CNAME printer.lan.", 5},
                         {"portal.example. 60 IN A 10.9.9.9", 6}};
    local = std::make_unique<server::LocalZones>(*server::LocalZones::build(config));
    for (const char* rr : {"www.example. 300 IN A 192.0.2.1", "example. 300 IN MX 10 mail.example.",
                           "example. 300 IN TXT \"hello\""}) {
      auto r = *dns::parse_record(rr);
      cache.insert({r.name, r.type, r.rclass, r.ttl, {r.rdata}}, cache::Rank::kAuthAnswer, kNow);
    }
    auto soa = *dns::parse_record("example. 300 IN SOA ns.example. h.example. 1 2 3 4 60");
    cache.insert_negative(*dns::Name::from_text("nx.example."), dns::RRType::A, dns::RRClass::IN,
                          cache::NegativeKind::kNxDomain, soa, cache::Rank::kAuthAuthority, kNow);
    handler = std::make_unique<server::QueryHandler>(config, *local, cache, /*resolver_attached=*/true);
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static World world;
  std::vector<std::uint8_t> out(65535);
  for (auto transport : {server::Transport::kUdp, server::Transport::kTcp}) {
    server::Client client;
    client.address = {127, 0, 0, 1};
    client.transport = transport;
    server::PendingQuery pending;
    auto r = world.handler->handle({data, size}, client, out, kNow + 10, &pending);
    if (r.outcome == server::Outcome::kNeedsResolution) {
      // The second half of a miss, as after a failed resolution.
      const server::ResolutionStatus failed{dns::EdeCode::kNoReachableAuthority, "fuzzed"};
      r = world.handler->finish(pending, failed, out, kNow + 10);
    }
    if (r.size == 0) continue;
    if (transport == server::Transport::kUdp && r.size > 1232) __builtin_trap();
    dns::MessageView view;
    if (view.parse({out.data(), r.size}) != dns::Error::kOk) __builtin_trap();
  }
  return 0;
}
