// protocol/ against real authoritative servers: every answer NSD gives in the
// lab parses, and reads back as the generator's ground truth.
#include <algorithm>

#include <gtest/gtest.h>

#include "protocol/message.h"
#include "protocol/message_view.h"
#include "protocol/rdata.h"
#include "tests/support/dns_client.h"
#include "tests/support/lab.h"

namespace vigil::dns {
namespace {

using vigil::testing::Endpoint;
using vigil::testing::Lab;

Message Ask(const Endpoint& server, const Name& name, RRType type, bool* truncated_over_udp = nullptr) {
  std::vector<std::uint8_t> query = make_query(0x4242, name, type, /*rd=*/false).to_wire();
  auto reply = vigil::testing::udp_exchange(server, query);
  EXPECT_TRUE(reply.has_value()) << "no UDP answer from " << server.address;
  if (!reply) return {};
  MessageView view;
  EXPECT_EQ(view.parse(*reply), Error::kOk) << "from " << server.address;
  if (truncated_over_udp != nullptr) *truncated_over_udp = view.header().tc;
  if (view.header().tc) {
    reply = vigil::testing::tcp_exchange(server, query);
    EXPECT_TRUE(reply.has_value()) << "no TCP answer from " << server.address;
    if (!reply) return {};
  }
  auto m = Message::parse(*reply);
  EXPECT_TRUE(m.ok()) << error_message(m.error());
  return m.ok() ? *m : Message{};
}

// The deepest lab zone that contains `name`.
std::string ZoneOf(const Name& name) {
  std::string best = ".";
  std::size_t best_labels = 0;
  for (const std::string& z : Lab::instance()->zones()) {
    Name zone = *Name::from_text(z);
    if (name.is_subdomain_of(zone) && zone.label_count() >= best_labels) {
      best = z;
      best_labels = zone.label_count();
    }
  }
  return best;
}

TEST(ProtocolLabTest, PrimingResponseFromTheLabRoot) {
  for (const Endpoint& root : Lab::instance()->root_servers()) {
    Message m = Ask(root, Name(), RRType::NS);
    EXPECT_TRUE(m.header.aa);
    ASSERT_EQ(m.answer.size(), 2u);
    EXPECT_EQ(m.answer[0].type, RRType::NS);
    auto glue = std::count_if(m.additional.begin(), m.additional.end(),
                              [](const ResourceRecord& r) { return r.type == RRType::A; });
    EXPECT_EQ(glue, 2);
  }
}

TEST(ProtocolLabTest, RootReferralWithGlue) {
  Message m = Ask(Lab::instance()->root_servers()[0], *Name::from_text("www.zone-0.test."), RRType::A);
  EXPECT_FALSE(m.header.aa);
  EXPECT_TRUE(m.answer.empty());
  ASSERT_EQ(m.authority.size(), 2u);
  EXPECT_EQ(m.authority[0].name.to_text(), "test.");
  EXPECT_EQ(rdata_target_name(RRType::NS, m.authority[0].rdata)->to_text().substr(4), "nic.test.");
  EXPECT_EQ(m.additional.size(), 2u);
}

TEST(ProtocolLabTest, EveryManifestAnswerParsesToTheExpectedData) {
  const auto& manifest = Lab::instance()->manifest();
  ASSERT_GT(manifest.size(), 100u);
  int checked = 0;
  for (const auto& e : manifest) {
    if (e.kind == "unresponsive-ns" || e.kind == "lame-ns") continue;  // the first NS is broken on purpose
    SCOPED_TRACE(e.qname + " " + e.qtype + " (" + e.kind + ")");
    Name qname = *Name::from_text(e.qname);
    RRType qtype = *type_from_string(e.qtype);
    auto servers = Lab::instance()->servers_for(ZoneOf(qname));
    ASSERT_FALSE(servers.empty());
    Message m = Ask(servers[0], qname, qtype);
    EXPECT_TRUE(m.header.aa);
    if (e.chain.empty()) {
      EXPECT_EQ(rcode_to_string(m.rcode()), e.rcode);
      std::vector<std::string> got;
      for (const auto& rr : m.answer) {
        if (rr.name == qname && rr.type == qtype) got.push_back(rdata_to_text(rr.type, rr.rdata));
      }
      std::sort(got.begin(), got.end());
      EXPECT_EQ(got, e.answer);
      if (e.rcode == "NXDOMAIN" || (e.answer.empty() && e.rcode == "NOERROR")) {
        ASSERT_EQ(m.authority.size(), 1u);  // negative answers carry the SOA
        EXPECT_EQ(m.authority[0].type, RRType::SOA);
      }
    } else {
      // The first link of the chain (a CNAME, or the DNAME that synthesises
      // one) is in this server's answer.
      std::vector<std::string> links;
      for (const auto& rr : m.answer) {
        if (rr.type == RRType::CNAME || rr.type == RRType::DNAME) {
          links.push_back(rr.name.to_text() + " " + type_to_string(rr.type) + " " +
                          rdata_to_text(rr.type, rr.rdata));
        }
      }
      EXPECT_NE(std::find(links.begin(), links.end(), e.chain[0]), links.end()) << e.chain[0];
    }
    ++checked;
  }
  EXPECT_GT(checked, 100);
}

TEST(ProtocolLabTest, LargeAnswerTruncatesOverUdpAndArrivesOverTcp) {
  Name big = *Name::from_text("txt.big.test.");
  bool truncated = false;
  Message m = Ask(Lab::instance()->servers_for("big.test.")[0], big, RRType::TXT, &truncated);
  EXPECT_TRUE(truncated);
  EXPECT_EQ(m.answer.size(), 10u);
  EXPECT_FALSE(m.header.tc);
}

TEST(ProtocolLabTest, QuestionCaseIsEchoedExactly) {
  Name mixed = *Name::from_text("WwW.ZoNe-1.TeSt.");
  auto query = make_query(7, mixed, RRType::A, false).to_wire();
  auto reply = vigil::testing::udp_exchange(Lab::instance()->servers_for("zone-1.test.")[0], query);
  ASSERT_TRUE(reply.has_value());
  MessageView v;
  ASSERT_EQ(v.parse(*reply), Error::kOk);
  EXPECT_TRUE(v.question_name().exact_equals(mixed));
}

}  // namespace
}  // namespace vigil::dns

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  vigil::testing::Lab::install();
  return RUN_ALL_TESTS();
}
