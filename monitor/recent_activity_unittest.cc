#include "monitor/recent_activity.h"

#include <string>

#include <gtest/gtest.h>

#include "policy/policy_feed.h"
#include "protocol/message.h"
#include "protocol/presentation.h"

namespace vigil::monitor {
namespace {

constexpr std::int64_t kSecond = 1'000'000'000;
constexpr std::int64_t kT0 = std::int64_t{1'700'000'000} * kSecond;

class RecentActivityTest : public ::testing::Test {
 protected:
  // `blocked`: "" (answered as resolved), "policy" (a feed rewrote it),
  // "drop" (a feed dropped it: no response), "passthru" (a feed let it through).
  void Add(std::int64_t t, std::uint8_t client, const std::string& name, std::uint8_t rcode,
           const std::string& address = "", const std::string& blocked = "") {
    auto m = dns::make_query(1, *dns::Name::from_text(name), dns::RRType::A, true, 0);
    m.header.qr = blocked != "drop";
    m.header.rcode = rcode;
    if (!address.empty()) m.answer.push_back(*dns::parse_record(name + " 60 IN A " + address));
    const auto wire = m.to_wire();
    QueryEvent e;
    e.set_message(wire, blocked != "drop");
    e.outcome = blocked == "" || blocked == "passthru" ? "answered"
                : blocked == "drop"                    ? "dropped_policy"
                                                       : "policy";
    if (!blocked.empty()) {
      e.policy.hit = true;
      e.policy.enforced = true;
      e.policy.action = static_cast<std::uint8_t>(blocked == "passthru" ? policy::PolicyAction::kPassthru
                                                  : blocked == "drop"   ? policy::PolicyAction::kDrop
                                                                        : policy::PolicyAction::kNxDomain);
      e.policy.set("feed", name);
    }
    e.time_ns = kT0 + t;
    e.client = {10, 0, 0, client};
    e.client_len = 4;
    dns::MessageView view;
    ASSERT_EQ(view.parse(e.message_octets()), dns::Error::kOk);
    a_.record(e, view);
  }

  RecentActivity a_{4};
};

TEST_F(RecentActivityTest, AClientsLookupsAndAlerts) {
  Add(0, 1, "www.example.com.", 0, "192.0.2.1");
  Add(1 * kSecond, 2, "cdn.example.net.", 0, "192.0.2.9");
  Add(2 * kSecond, 3, "api.example.com.", 0, "192.0.2.1");
  Add(3 * kSecond, 1, "api.example.com.", 0, "192.0.2.1");
  EXPECT_EQ(a_.client(*parse_ip("10.0.0.1"), kT0 + kSecond),
            "alerts:\n  (none)\nlookups, newest first:\n"
            "  2023-11-14T22:13:23.000000Z 10.0.0.1 api.example.com. A NOERROR 192.0.2.1\n");
  a_.record_alert(kT0, R"({"rule":{"name":"dga"},"client":{"ip":"10.0.0.2"}})");
  const std::string c = a_.client(*parse_ip("10.0.0.2"), 0);
  EXPECT_NE(c.find(R"("rule":{"name":"dga"})"), std::string::npos) << c;
  EXPECT_NE(c.find("10.0.0.2 cdn.example.net. A NOERROR 192.0.2.9"), std::string::npos) << c;
  EXPECT_EQ(c.find("example.com"), std::string::npos) << c;
}

TEST_F(RecentActivityTest, KeepsOnlyTheNewestAndCountsTheTop) {
  for (int i = 0; i < 6; ++i) Add(i * kSecond, 1, "n" + std::to_string(i) + ".example.org.", 3);
  EXPECT_EQ(a_.size(), 4u);  // the ring holds 4
  const PublicSuffixList psl;
  EXPECT_EQ(a_.top("nxdomain", 5, 0, psl), "4 example.org\n");
  EXPECT_EQ(a_.top("clients", 5, 0, psl), "4 10.0.0.1\n");
  EXPECT_EQ(a_.top("domains", 5, kT0 + 5 * kSecond, psl), "1 example.org\n");
  EXPECT_FALSE(parse_ip("10.0.0"));
  EXPECT_EQ(parse_ip("::1")->size(), 16u);
}

TEST_F(RecentActivityTest, TopBlockedCountsWhatPolicyRewroteOrDropped) {
  RecentActivity a{16};
  a_ = std::move(a);
  Add(0, 1, "www.bad.test.", 3, "", "policy");
  Add(1, 2, "cdn.bad.test.", 3, "", "drop");
  Add(2, 1, "ok.good.test.", 0, "192.0.2.1", "passthru");
  Add(3, 1, "x.worse.test.", 3, "", "policy");
  Add(4, 3, "plain.good.test.", 0, "192.0.2.2");
  const PublicSuffixList psl;
  EXPECT_EQ(a_.top("blocked", 5, 0, psl), "2 bad.test\n1 worse.test\n");
  EXPECT_EQ(a_.top("domains", 5, 0, psl), "2 bad.test\n2 good.test\n1 worse.test\n");
  const std::string c = a_.client(*parse_ip("10.0.0.2"), 0);
  EXPECT_NE(c.find("cdn.bad.test. A DROPPED (blocked)"), std::string::npos) << c;
  const auto counts = a_.top_counts(2, psl);
  EXPECT_EQ(counts[0], (std::vector<std::size_t>{2, 2}));  // domains
  EXPECT_EQ(counts[1], (std::vector<std::size_t>{3, 1}));  // clients
  EXPECT_EQ(counts[2], (std::vector<std::size_t>{1, 1}));  // nxdomain: the dropped query is not one
  EXPECT_EQ(counts[3], (std::vector<std::size_t>{2, 1}));  // blocked
}

}  // namespace
}  // namespace vigil::monitor

namespace vigil::monitor {
namespace {

TEST_F(RecentActivityTest, ThePrivacyModeOfTheQueryLogAppliesToTheViews) {
  // Issue 22: the views say no more about a client than the query log does.
  const ClientPrivacy hash(ClientIpMode::kHash, "0123456789abcdef");
  a_.set_privacy(hash);
  Add(0, 7, "www.example.com.", 0, "192.0.2.1");
  const std::string token = hash.show(std::vector<std::uint8_t>{10, 0, 0, 7});
  a_.record_alert(kT0, R"({"rule":{"name":"dga"},"client":{},"vigil":{"client_token":")" + token + R"("}})");
  const std::string view = a_.client(*parse_ip("10.0.0.7"), 0);
  EXPECT_NE(view.find(token + " www.example.com. A NOERROR"), std::string::npos) << view;
  EXPECT_EQ(view.find("10.0.0.7"), std::string::npos) << view;
  EXPECT_NE(view.find(R"("client_token":")" + token), std::string::npos) << view;  // its alert found
  PublicSuffixList psl;
  EXPECT_NE(a_.top("clients", 10, 0, psl).find(token), std::string::npos);
  a_.set_privacy(ClientPrivacy(ClientIpMode::kTruncate, ""));
  EXPECT_NE(a_.top("clients", 10, 0, psl).find("10.0.0.0"), std::string::npos);
  EXPECT_EQ(a_.top("clients", 10, 0, psl).find("10.0.0.7"), std::string::npos);
}

}  // namespace
}  // namespace vigil::monitor
