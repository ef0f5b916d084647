#include "cache/infra_cache.h"

#include <gtest/gtest.h>

namespace vigil::cache {
namespace {

constexpr Time kInfraT0 = 1'700'000'000;
const ServerAddress kServer = ServerAddress::v4({127, 3, 0, 1});

TEST(InfraCacheTest, UnknownServerGetsTheInitialRto) {
  InfraCache c;
  ServerInfo i = c.get(kServer, kInfraT0);
  EXPECT_FALSE(i.known);
  EXPECT_EQ(i.rto_ms, 376u);
  EXPECT_EQ(i.edns, EdnsSupport::kUnknown);
}

TEST(InfraCacheTest, RttIsSmoothedPerRfc6298) {
  InfraCache c;
  c.record_rtt(kServer, 100, kInfraT0);
  ServerInfo i = c.get(kServer, kInfraT0);
  EXPECT_TRUE(i.known);
  EXPECT_EQ(i.srtt_ms, 100u);
  EXPECT_EQ(i.rttvar_ms, 50u);
  EXPECT_EQ(i.rto_ms, 300u);  // srtt + 4 * rttvar
  c.record_rtt(kServer, 20, kInfraT0);
  i = c.get(kServer, kInfraT0);
  EXPECT_EQ(i.rttvar_ms, (3 * 50 + 80) / 4u);  // 57
  EXPECT_EQ(i.srtt_ms, (7 * 100 + 20) / 8u);   // 90
  EXPECT_EQ(i.rto_ms, 90u + 4 * 57u);
}

TEST(InfraCacheTest, TimeoutsBackOffAndAnAnswerResetsThem) {
  InfraOptions o;
  o.max_rto_ms = 1000;
  InfraCache c(o);
  c.record_rtt(kServer, 100, kInfraT0);
  c.record_timeout(kServer, kInfraT0);
  EXPECT_EQ(c.get(kServer, kInfraT0).rto_ms, 600u);
  EXPECT_EQ(c.get(kServer, kInfraT0).timeouts, 1u);
  c.record_timeout(kServer, kInfraT0);
  c.record_timeout(kServer, kInfraT0);
  EXPECT_EQ(c.get(kServer, kInfraT0).rto_ms, 1000u);  // capped
  EXPECT_EQ(c.get(kServer, kInfraT0).timeouts, 3u);
  c.record_rtt(kServer, 100, kInfraT0);
  EXPECT_EQ(c.get(kServer, kInfraT0).timeouts, 0u);
}

TEST(InfraCacheTest, RecordsExpire) {
  InfraOptions o;
  o.host_ttl = 900;
  InfraCache c(o);
  c.record_timeout(kServer, kInfraT0);
  c.set_edns(kServer, EdnsSupport::kUnsupported, kInfraT0);
  EXPECT_EQ(c.get(kServer, kInfraT0 + 899).edns, EdnsSupport::kUnsupported);
  EXPECT_FALSE(c.get(kServer, kInfraT0 + 900).known);
  EXPECT_EQ(c.get(kServer, kInfraT0 + 900).edns, EdnsSupport::kUnknown);  // a new chance
}

TEST(InfraCacheTest, LamenessIsPerZoneAndExpires) {
  InfraCache c;
  auto zone = *dns::Name::from_text("lame.test.");
  c.mark_lame(kServer, zone, kInfraT0);
  EXPECT_TRUE(c.is_lame(kServer, *dns::Name::from_text("LAME.test."), kInfraT0 + 10));
  EXPECT_FALSE(c.is_lame(kServer, *dns::Name::from_text("other.test."), kInfraT0 + 10));
  EXPECT_FALSE(c.is_lame(ServerAddress::v4({127, 3, 0, 2}), zone, kInfraT0 + 10));
  EXPECT_FALSE(c.is_lame(kServer, zone, kInfraT0 + 900));
}

TEST(InfraCacheTest, OneServerIsForgottenOnAnyPortOrOne) {
  InfraCache c;
  auto zone = *dns::Name::from_text("lame.test.");
  const ServerAddress other = ServerAddress::v4({127, 3, 0, 2});
  const ServerAddress alt_port = ServerAddress::v4({127, 3, 0, 1}, 5353);
  for (const auto& s : {kServer, other, alt_port}) {
    c.record_rtt(s, 20, kInfraT0);
    c.mark_lame(s, zone, kInfraT0);
  }
  EXPECT_EQ(c.forget(kServer, 5353), 2u);  // the host record and the lame mark on that port
  EXPECT_FALSE(c.is_lame(alt_port, zone, kInfraT0 + 1));
  EXPECT_TRUE(c.is_lame(kServer, zone, kInfraT0 + 1));
  EXPECT_EQ(c.forget(kServer, 0), 2u);  // any port
  EXPECT_FALSE(c.is_lame(kServer, zone, kInfraT0 + 1));
  EXPECT_FALSE(c.get(kServer, kInfraT0 + 1).known);
  EXPECT_TRUE(c.is_lame(other, zone, kInfraT0 + 1));  // the others kept
  EXPECT_TRUE(c.get(other, kInfraT0 + 1).known);
}

TEST(InfraCacheTest, BoundedNumberOfServers) {
  InfraOptions o;
  o.max_hosts = 160;
  InfraCache c(o);
  for (int i = 0; i < 5000; ++i) {
    c.record_rtt(ServerAddress::v4({127, static_cast<std::uint8_t>(i >> 16),
                                    static_cast<std::uint8_t>(i >> 8), static_cast<std::uint8_t>(i)}),
                 10, kInfraT0 + i);
  }
  EXPECT_LE(c.size(), 160u);
  EXPECT_EQ(ServerAddress::v4({127, 0, 0, 1}, 5353).to_string(), "127.0.0.1:5353");
}

}  // namespace
}  // namespace vigil::cache
