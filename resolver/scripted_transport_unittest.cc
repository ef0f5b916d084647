#include "resolver/scripted_transport.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <gtest/gtest.h>

namespace vigil::resolver {
namespace {

using dns::Message;
using dns::Name;
using dns::RRType;

const ServerAddress kRootServer = ServerAddress::v4({127, 1, 0, 1});
const ServerAddress kExampleServer = ServerAddress::v4({127, 2, 0, 1});
const ServerAddress kDead = ServerAddress::v4({127, 3, 0, 10});

class ScriptedTransportTest : public ::testing::Test {
 protected:
  ScriptedTransportTest()
      : root_(".", R"(
. 86400 IN SOA a.root.lab. admin.lab. 1 1800 900 604800 86400
. 518400 IN NS a.root.lab.
example. 172800 IN NS ns1.example.
example. 172800 IN NS ns.elsewhere.lab.
ns1.example. 172800 IN A 127.2.0.1
ns.elsewhere.lab. 172800 IN A 127.9.9.9
)"),
        example_("example.", R"(
example. 3600 IN SOA ns1.example. admin.example. 1 3600 900 604800 300
example. 3600 IN NS ns1.example.
ns1.example. 3600 IN A 127.2.0.1
www.example. 300 IN A 127.0.0.80
alias.example. 300 IN CNAME www.example.
a.b.example. 300 IN TXT "deep"
)") {
    t_.serve(kRootServer, root_.handler());
    t_.serve(kExampleServer, example_.handler());
  }

  Message Ask(const ServerAddress& server, const char* name, RRType type,
              UpstreamStatus expect = UpstreamStatus::kOk) {
    auto q = dns::make_query(7, *Name::from_text(name), type, false).to_wire();
    boost::asio::io_context io;
    UpstreamRequest r{server, q, false, std::chrono::milliseconds(800)};
    auto f = boost::asio::co_spawn(io, t_.exchange(r), boost::asio::use_future);
    io.run();
    UpstreamReply reply = f.get();
    EXPECT_EQ(reply.status, expect);
    if (reply.status != UpstreamStatus::kOk) return Message{};
    EXPECT_TRUE(reply.case_matched);
    return *Message::parse(reply.message);
  }

  ManualClock clock_;
  ScriptedTransport t_{&clock_};
  AuthoritativeZone root_;
  AuthoritativeZone example_;
};

TEST_F(ScriptedTransportTest, ReferralsCarryTheGlueTheZoneHolds) {
  // In-bailiwick glue (ns1.example.) and sibling glue (ns.elsewhere.lab.,
  // whose address the root zone holds too), as BIND and NSD send them.
  Message m = Ask(kRootServer, "www.example.", RRType::A);
  EXPECT_FALSE(m.header.aa);
  EXPECT_TRUE(m.answer.empty());
  ASSERT_EQ(m.authority.size(), 2u);
  ASSERT_EQ(m.additional.size(), 2u);
  EXPECT_EQ(m.additional[0].name, *Name::from_text("ns1.example."));
  EXPECT_EQ(m.additional[1].name, *Name::from_text("ns.elsewhere.lab."));
}

TEST_F(ScriptedTransportTest, AuthoritativeAnswersAndNegatives) {
  Message a = Ask(kExampleServer, "WWW.example.", RRType::A);
  EXPECT_TRUE(a.header.aa);
  ASSERT_EQ(a.answer.size(), 1u);
  Message c = Ask(kExampleServer, "alias.example.", RRType::A);
  ASSERT_EQ(c.answer.size(), 1u);
  EXPECT_EQ(c.answer[0].type, RRType::CNAME);
  Message nx = Ask(kExampleServer, "nope.example.", RRType::A);
  EXPECT_EQ(nx.rcode(), dns::Rcode::kNXDomain);
  ASSERT_EQ(nx.authority.size(), 1u);
  EXPECT_EQ(nx.authority[0].type, RRType::SOA);
  Message nodata = Ask(kExampleServer, "www.example.", RRType::AAAA);
  EXPECT_EQ(nodata.rcode(), dns::Rcode::kNoError);
  EXPECT_TRUE(nodata.answer.empty());
  Message ent = Ask(kExampleServer, "b.example.", RRType::A);
  EXPECT_EQ(ent.rcode(), dns::Rcode::kNoError);  // an empty non-terminal exists
  EXPECT_EQ(Ask(kExampleServer, "www.other.", RRType::A).rcode(), dns::Rcode::kRefused);
}

TEST_F(ScriptedTransportTest, SilenceTimesOutOnTheManualClockAndEverythingIsLogged) {
  const auto t0 = clock_.monotonic();
  Ask(kDead, "www.example.", RRType::A, UpstreamStatus::kTimeout);
  EXPECT_EQ(clock_.monotonic() - t0, std::chrono::milliseconds(800));
  Ask(kRootServer, "www.example.", RRType::A);
  ASSERT_EQ(t_.log().size(), 2u);
  EXPECT_EQ(t_.log()[0].server, kDead);
  EXPECT_EQ(t_.count(*Name::from_text("www.example."), RRType::A), 2u);
}

}  // namespace
}  // namespace vigil::resolver
