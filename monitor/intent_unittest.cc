#include "monitor/intent.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace vigil::monitor {
namespace {

constexpr std::uint8_t kNoError = 0;
constexpr std::uint8_t kNxdomain = 3;
constexpr std::int64_t kSecond = 1'000'000'000;
constexpr std::int64_t kStart = 1'700'000'000 * kSecond;

std::shared_ptr<const DgaModel> Model() {
  static const auto model = [] {
    std::string error;
    auto m = DgaModel::load(VIGIL_DGA_MODEL, &error);
    EXPECT_TRUE(m) << error;
    return std::make_shared<const DgaModel>(m ? std::move(*m) : DgaModel{});
  }();
  return model;
}

std::shared_ptr<const PublicSuffixList> Psl() {
  static const auto psl = std::make_shared<const PublicSuffixList>();
  return psl;
}

class IntentEngineTest : public ::testing::Test {
 protected:
  explicit IntentEngineTest(IntentOptions options = {}) : engine_(options, Model(), Psl()) {}

  // The verdicts for one query from client 10.0.0.<client> at kStart + t.
  std::vector<Verdict> Ask(std::int64_t t, std::uint8_t client, const std::string& qname, std::uint8_t rcode,
                           std::uint16_t qtype = 1) {
    const std::array<std::uint8_t, 4> address{10, 0, 0, client};
    auto name = dns::Name::from_text(qname);
    EXPECT_TRUE(name) << qname;
    std::vector<Verdict> out;
    engine_.observe(
        {.time_ns = kStart + t, .client = address, .qname = &*name, .qtype = qtype, .rcode = rcode}, out);
    return out;
  }
  static const Verdict* Find(const std::vector<Verdict>& v, IntentCategory c) {
    for (const auto& x : v) {
      if (x.category == c) return &x;
    }
    return nullptr;
  }

  IntentEngine engine_;
};

// Dictionary-made names (suppobox's kind): nothing lexical to see.
const std::vector<std::string> kWordNames = {
    "riverstonegarden.net", "silverlakehouse.net",  "morningbluefield.net", "quietforestroad.net",
    "goldenhilltrail.net",  "winterbrookside.net",  "northernlightway.net", "greenvalleystone.net",
    "summerharborview.net", "oldmillcreek.net",     "redmaplecorner.net",   "brightmeadowpath.net",
    "deepwaterbridge.net",  "highlandpinewood.net", "sunsetcliffroad.net",  "eastwindorchard.net",
    "stillpondhollow.net",  "westgatefarm.net"};

TEST_F(IntentEngineTest, ARandomLookingRegisteredDomainIsADgaVerdictAlone) {
  const auto v = Ask(0, 1, "www.xjwqkvbzlrtpmqhd.com", kNoError);
  const Verdict* dga = Find(v, IntentCategory::kDga);
  ASSERT_NE(dga, nullptr);
  EXPECT_EQ(dga->domain, "xjwqkvbzlrtpmqhd.com");
  EXPECT_NE(dga->evidence.find("\"lexical\":true"), std::string::npos) << dga->evidence;
  // Looks alone are a verdict in the log, not an alert: too many benign
  // names look random for an analyst's queue.
  EXPECT_FALSE(dga->alert);
  EXPECT_FALSE(dga->alertable);
  for (const char* n : {"www.google.com", "mail.example.co.uk", "d12zgccgt6pwjz.cloudfront.net",
                        "zyjupoocumuc", "1.0.0.10.in-addr.arpa"}) {
    EXPECT_TRUE(Ask(1, 1, n, kNoError).empty()) << n;
  }
}

TEST_F(IntentEngineTest, AClientGettingNxdomainForManyDomainsIsGeneratingThem) {
  // Each name alone is unremarkable; 16 distinct ones answered NXDOMAIN
  // within the window (weight 0.5 each: none looks random) make 8.
  std::size_t i = 0;
  for (; i < 15; ++i) {
    EXPECT_EQ(
        Find(Ask(static_cast<std::int64_t>(i) * kSecond, 1, kWordNames[i], kNxdomain), IntentCategory::kDga),
        nullptr)
        << kWordNames[i];
  }
  // The same domain again adds nothing.
  EXPECT_EQ(Find(Ask(15 * kSecond, 1, "www." + kWordNames[0], kNxdomain), IntentCategory::kDga), nullptr);
  const auto v = Ask(16 * kSecond, 1, kWordNames[15], kNxdomain);
  const Verdict* dga = Find(v, IntentCategory::kDga);
  ASSERT_NE(dga, nullptr);
  EXPECT_NE(dga->evidence.find("\"client_nxdomain_domains\":8.0"), std::string::npos) << dga->evidence;
  // A resolved name that looks like words is not suspect, even from this client.
  EXPECT_EQ(Find(Ask(17 * kSecond, 1, "www.wikipedia.org", kNoError), IntentCategory::kDga), nullptr);
  // Another client asking the same names is not flagged.
  EXPECT_EQ(Find(Ask(18 * kSecond, 2, kWordNames[1], kNxdomain), IntentCategory::kDga), nullptr);
  // Once the window has passed without more, the client is clean again.
  EXPECT_EQ(Find(Ask(18 * kSecond + 601 * kSecond, 1, kWordNames[17], kNxdomain), IntentCategory::kDga),
            nullptr);
}

TEST_F(IntentEngineTest, AFlaggedClientsRandomLookingLookupThatResolvesIsFlaggedToo) {
  for (std::size_t i = 0; i < 16; ++i)
    Ask(static_cast<std::int64_t>(i) * kSecond, 1, kWordNames[i], kNxdomain);
  // Mildly random (over the low threshold, under the high one): alone nothing.
  std::string c2;
  for (const char* label : {"pzqolvakm", "kzvbxrtl", "jqxozvwyk", "vexqolbrit", "gzomprevak", "tqvolzrib"}) {
    const LexicalScore lex = Model()->score(label);
    if (lex.low && !lex.high) {
      c2 = std::string(label) + ".net";
      break;
    }
  }
  ASSERT_FALSE(c2.empty()) << "none of the candidates is between the thresholds";
  EXPECT_EQ(Find(Ask(20 * kSecond, 2, c2, kNoError), IntentCategory::kDga), nullptr)
      << "pick a name between the thresholds";
  const auto v = Ask(20 * kSecond, 1, c2, kNoError);
  const Verdict* dga = Find(v, IntentCategory::kDga);
  ASSERT_NE(dga, nullptr);
  EXPECT_NE(dga->evidence.find("\"resolved\":true"), std::string::npos) << dga->evidence;
}

TEST_F(IntentEngineTest, ATunnelSessionIsFlaggedWithinItsFirstNames) {
  // Short dnscat2 names: hex, but no verdict alone.
  const char* names[] = {
      "07f40153beec7c5a74.ns.update-check-svc.net", "023b0153beef0b6017.ns.update-check-svc.net",
      "03940153beef296045.ns.update-check-svc.net", "03d40153beeacc5564.ns.update-check-svc.net",
      "042c0153bee6384c6b.ns.update-check-svc.net"};
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(Find(Ask(i * kSecond, 1, names[i], kNoError, 16), IntentCategory::kTunnel), nullptr)
        << names[i];
  }
  const auto v = Ask(4 * kSecond, 1, names[4], kNoError, 16);
  const Verdict* t = Find(v, IntentCategory::kTunnel);
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->domain, "update-check-svc.net");
  EXPECT_NE(t->evidence.find("\"pair_encoded_names\":5"), std::string::npos) << t->evidence;
  EXPECT_TRUE(t->alert);
  // From then on every name of the session, even a plain one, is flagged,
  // but alerts once.
  const auto next = Ask(5 * kSecond, 1, "ns.update-check-svc.net", kNoError);
  ASSERT_NE(Find(next, IntentCategory::kTunnel), nullptr);
  EXPECT_FALSE(Find(next, IntentCategory::kTunnel)->alert);
  // Another client, the same domain: nothing.
  EXPECT_EQ(Find(Ask(6 * kSecond, 2, names[0], kNoError), IntentCategory::kTunnel), nullptr);
}

TEST_F(IntentEngineTest, HashReputationLookupsAreNoTunnel) {
  // A mail server checking attachment digests: hundreds of distinct hex names.
  for (unsigned i = 0; i < 300; ++i) {
    char name[80];
    std::snprintf(name, sizeof name, "%08x%08x%08x%08x.malware.hash.cymru.com", i * 2654435761u, i * 40503u,
                  i * 2246822519u, i * 3266489917u);
    EXPECT_TRUE(Ask(i * kSecond / 10, 1, name, kNoError).empty()) << name;
  }
}

TEST_F(IntentEngineTest, ANxdomainStormIsFlaggedByCountAndRatio) {
  // 99 NXDOMAIN answers in a minute: under the count.
  for (int i = 0; i < 99; ++i) {
    EXPECT_EQ(Find(Ask(i * kSecond / 2, 1, "x" + std::to_string(i) + ".example.com", kNxdomain),
                   IntentCategory::kNxdomainStorm),
              nullptr);
  }
  const auto v = Ask(50 * kSecond, 1, "x100.example.com", kNxdomain);
  const Verdict* storm = Find(v, IntentCategory::kNxdomainStorm);
  ASSERT_NE(storm, nullptr);
  EXPECT_EQ(storm->domain, "");
  EXPECT_GE(storm->score, 100);
  // A busy client whose NXDOMAIN answers are a small share: no storm.
  for (int i = 0; i < 300; ++i) Ask(i * kSecond / 10, 2, "www.example.com", kNoError);
  bool flagged = false;
  for (int i = 0; i < 120; ++i) {
    flagged |=
        Find(Ask(30 * kSecond + i * kSecond / 10, 2, "y" + std::to_string(i) + ".example.com", kNxdomain),
             IntentCategory::kNxdomainStorm) != nullptr;
  }
  EXPECT_FALSE(flagged);
}

// A name a tunnel would send: 56 octets of Base32 under t.tunnel-example.com.
std::string TunnelName(int i) {
  std::string label;
  for (int k = 0; k < 56; ++k) label += "abcdefghijklmnopqrstuvwxyz234567"[(i * 7 + k * 13 + k * k) % 32];
  return label + ".t.tunnel-example.com";
}

TEST_F(IntentEngineTest, AlertsAreSuppressedPerClientCategoryAndDomain) {
  const auto tunnel = [](const std::vector<Verdict>& v) { return Find(v, IntentCategory::kTunnel); };
  ASSERT_NE(tunnel(Ask(0, 1, TunnelName(0), kNoError)), nullptr);
  EXPECT_TRUE(tunnel(Ask(0, 1, TunnelName(0), kNoError))->alert == false);  // the same again
  EXPECT_FALSE(tunnel(Ask(10 * kSecond, 1, TunnelName(1), kNoError))->alert);
  EXPECT_TRUE(tunnel(Ask(11 * kSecond, 2, TunnelName(2), kNoError))->alert);    // another client
  EXPECT_TRUE(tunnel(Ask(3601 * kSecond, 1, TunnelName(3), kNoError))->alert);  // the window has passed
  const IntentStats s = engine_.stats();
  EXPECT_EQ(s.verdicts[static_cast<std::size_t>(IntentCategory::kTunnel)], 5u);
  EXPECT_EQ(s.alerts[static_cast<std::size_t>(IntentCategory::kTunnel)], 3u);
}

TEST_F(IntentEngineTest, ADomainNobodyLookedUpForAMonthIsNewOnceTheHistoryIsOld) {
  constexpr std::int64_t kDay = 86400 * kSecond;
  // Learning: the first two days give no verdicts, but are remembered.
  EXPECT_EQ(Find(Ask(0, 1, "www.example.com", kNoError), IntentCategory::kNewDomain), nullptr);
  EXPECT_EQ(Find(Ask(kDay, 1, "www.wikipedia.org", kNoError), IntentCategory::kNewDomain), nullptr);
  // Day 2: a domain not seen before is new, one seen during learning is not.
  const auto v = Ask(2 * kDay, 2, "login.fresh-parcel-notice.com", kNoError);
  const Verdict* nd = Find(v, IntentCategory::kNewDomain);
  ASSERT_NE(nd, nullptr);
  EXPECT_EQ(nd->domain, "fresh-parcel-notice.com");
  EXPECT_TRUE(nd->alert);
  EXPECT_NE(nd->evidence.find("\"history_days\":2"), std::string::npos) << nd->evidence;
  EXPECT_EQ(Find(Ask(2 * kDay, 1, "example.com", kNoError), IntentCategory::kNewDomain), nullptr);
  // Once seen, it is not new again, for anyone.
  EXPECT_EQ(
      Find(Ask(2 * kDay + kSecond, 3, "www.fresh-parcel-notice.com", kNoError), IntentCategory::kNewDomain),
      nullptr);
  // Only what resolved counts: an NXDOMAIN name is no new domain (and is not
  // recorded).
  EXPECT_EQ(Find(Ask(2 * kDay, 1, "unregistered-thing.com", kNxdomain), IntentCategory::kNewDomain), nullptr);
  EXPECT_NE(Find(Ask(2 * kDay, 1, "unregistered-thing.com", kNoError), IntentCategory::kNewDomain), nullptr);
  // After 30 days without a lookup it is new again.
  EXPECT_NE(Find(Ask(40 * kDay, 1, "www.example.com", kNoError), IntentCategory::kNewDomain), nullptr);
  EXPECT_GT(engine_.stats().history_bytes, 0u);
}

class BlockingIntentEngineTest : public IntentEngineTest {
 protected:
  static IntentOptions Blocking() {
    IntentOptions o;
    o.tunnel_block = true;
    o.dga_block = true;
    o.block_for_s = 600;
    return o;
  }
  BlockingIntentEngineTest() : IntentEngineTest(Blocking()) {}
};

TEST_F(BlockingIntentEngineTest, ATunnelsDomainIsBlockedForAWhileAndLooksAloneBlockNothing) {
  EXPECT_EQ(engine_.take_block_list(0), nullptr);  // nothing yet
  // A random-looking domain: a verdict, not alertable, so not blocked.
  ASSERT_NE(Find(Ask(0, 1, "xjwqkvbzlrtpmqhd.com", kNoError), IntentCategory::kDga), nullptr);
  EXPECT_EQ(engine_.take_block_list(0), nullptr);
  const auto v = Ask(kSecond, 1, TunnelName(0), kNoError);
  const Verdict* t = Find(v, IntentCategory::kTunnel);
  ASSERT_NE(t, nullptr);
  EXPECT_TRUE(t->blocked);
  EXPECT_NE(t->evidence.find("\"blocked\":true"), std::string::npos);
  auto list = engine_.take_block_list(0);
  ASSERT_NE(list, nullptr);
  EXPECT_EQ(list->size(), 1u);
  EXPECT_EQ(list->match(*dns::Name::from_text("x.y.tunnel-example.com.")), std::optional<std::uint8_t>(3));
  EXPECT_EQ(list->match(*dns::Name::from_text("example.com.")), std::nullopt);
  EXPECT_EQ(engine_.stats().blocked_domains, 1u);
  // More of the same tunnel: still blocked, nothing new to publish.
  Ask(2 * kSecond, 1, TunnelName(1), kNoError);
  EXPECT_EQ(engine_.take_block_list(0), nullptr);
  // After block_for without another verdict, it comes off the list.
  Ask(603 * kSecond, 2, "www.example.org", kNoError);
  list = engine_.take_block_list(0);
  ASSERT_NE(list, nullptr);
  EXPECT_TRUE(list->empty());
  EXPECT_EQ(engine_.stats().blocked_domains, 0u);
}

TEST_F(BlockingIntentEngineTest, ABlockIsListedAndLiftedByHand) {
  // Issue 22: vigilctl blocked and unblock.
  ASSERT_NE(Find(Ask(kSecond, 1, TunnelName(0), kNoError), IntentCategory::kTunnel), nullptr);
  ASSERT_NE(engine_.take_block_list(0), nullptr);
  const std::uint32_t now = static_cast<std::uint32_t>((kStart + kSecond) / kSecond);
  const auto listed = engine_.blocked(now);
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].domain, "tunnel-example.com");
  EXPECT_EQ(listed[0].why, IntentCategory::kTunnel);
  EXPECT_EQ(listed[0].until_s, now + 600);
  EXPECT_FALSE(engine_.unblock("example.org"));  // not blocked
  EXPECT_TRUE(engine_.unblock("Tunnel-Example.COM."));
  EXPECT_TRUE(engine_.blocked(now).empty());
  const auto list = engine_.take_block_list(0);
  ASSERT_NE(list, nullptr);  // changed: published empty
  EXPECT_TRUE(list->empty());
  EXPECT_FALSE(engine_.unblock("tunnel-example.com"));
  // A forced take gives the list even when nothing changed (a reload).
  const auto again = engine_.take_block_list(0, true);
  ASSERT_NE(again, nullptr);
  EXPECT_TRUE(again->empty());
}

class AllowingIntentEngineTest : public IntentEngineTest {
 protected:
  static IntentOptions Allowing() {
    IntentOptions o;
    o.tunnel_block = true;
    o.allow = {"tunnel-example.com"};
    return o;
  }
  AllowingIntentEngineTest() : IntentEngineTest(Allowing()) {}
};

TEST_F(AllowingIntentEngineTest, AnAllowedDomainGetsItsVerdictButNeverABlock) {
  const auto verdicts = Ask(kSecond, 1, TunnelName(0), kNoError);
  const Verdict* t = Find(verdicts, IntentCategory::kTunnel);
  ASSERT_NE(t, nullptr);
  EXPECT_FALSE(t->blocked);
  EXPECT_NE(t->evidence.find("\"allowed\":true"), std::string::npos) << t->evidence;
  EXPECT_EQ(engine_.take_block_list(0), nullptr);
  EXPECT_TRUE(engine_.blocked(0).empty());
}

class SmallIntentEngineTest : public IntentEngineTest {
 protected:
  static IntentOptions Small() {
    IntentOptions o;
    o.max_clients = 1024;
    o.max_pairs = 1024;
    o.max_alert_keys = 1024;
    return o;
  }
  SmallIntentEngineTest() : IntentEngineTest(Small()) {}
};

TEST_F(SmallIntentEngineTest, AFloodOfClientsAndNamesStaysInItsTables) {
  // A random-subdomain flood from spoofed sources: every query a new client,
  // a new name, a new (client, domain) pair, an alert key.
  for (unsigned i = 0; i < 100000; ++i) {
    const std::array<std::uint8_t, 4> address{static_cast<std::uint8_t>(i >> 16),
                                              static_cast<std::uint8_t>(i >> 8), static_cast<std::uint8_t>(i),
                                              1};
    char text[96];
    std::snprintf(text, sizeof text, "%08x.xjwqkvbzlrtpmqhd%d.com", i * 2654435761u,
                  static_cast<int>(i % 1000));
    auto name = dns::Name::from_text(text);
    std::vector<Verdict> out;
    engine_.observe(
        {.time_ns = kStart + i * kSecond / 1000, .client = address, .qname = &*name, .rcode = kNxdomain},
        out);
  }
  const IntentStats s = engine_.stats();
  EXPECT_LE(s.clients, s.clients_capacity);
  EXPECT_LE(s.pairs, s.pairs_capacity);
  EXPECT_LE(s.alert_keys, s.alert_keys_capacity);
  EXPECT_LE(s.clients_capacity, 2048u);
  EXPECT_EQ(s.clients, s.clients_capacity);  // full, and it stayed that size
  EXPECT_GT(s.evictions, 100000u);
}

}  // namespace
}  // namespace vigil::monitor
