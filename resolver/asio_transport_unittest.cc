// AsioTransport against scripted servers on loopback sockets: what it
// accepts, what it ignores and counts, and how it fails.
#include "resolver/asio_transport.h"

#include <unistd.h>

#include <functional>
#include <future>
#include <thread>

#include <arpa/inet.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "protocol/message.h"

namespace vigil::resolver {
namespace {

using namespace std::chrono_literals;
using Bytes = std::vector<std::uint8_t>;

Bytes Query(const char* name, std::uint16_t id = 0x1234) {
  return dns::make_query(id, *dns::Name::from_text(name), dns::RRType::A, false).to_wire();
}
Bytes AsReply(Bytes m) {
  m[2] |= 0x80;
  return m;
}

int Bound(int type, std::uint16_t& port) {
  const int fd = ::socket(AF_INET, type, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  port = ntohs(a.sin_port);
  return fd;
}

// A UDP server answering one query with what `script` returns; with
// `from_elsewhere`, the replies come from another socket (another port).
class UdpServer {
 public:
  explicit UdpServer(std::function<std::vector<Bytes>(const Bytes&)> script, bool from_elsewhere = false)
      : script_(std::move(script)), from_elsewhere_(from_elsewhere) {
    fd_ = Bound(SOCK_DGRAM, port_);
    std::uint16_t other_port = 0;
    other_ = Bound(SOCK_DGRAM, other_port);
    thread_ = std::thread([this] {
      Bytes buf(65535);
      sockaddr_in peer{};
      socklen_t len = sizeof peer;
      const ssize_t n = ::recvfrom(fd_, buf.data(), buf.size(), 0, reinterpret_cast<sockaddr*>(&peer), &len);
      if (n <= 0) return;
      received_ = true;
      buf.resize(static_cast<std::size_t>(n));
      for (const auto& out : script_(buf)) {
        ::sendto(from_elsewhere_ ? other_ : fd_, out.data(), out.size(), 0,
                 reinterpret_cast<sockaddr*>(&peer), len);
      }
    });
  }
  ~UdpServer() {
    ::shutdown(fd_, SHUT_RDWR);
    thread_.join();
    ::close(fd_);
    ::close(other_);
  }
  std::uint16_t port() const { return port_; }
  bool received() const { return received_; }

 private:
  std::function<std::vector<Bytes>(const Bytes&)> script_;
  bool from_elsewhere_;
  int fd_ = -1, other_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> received_{false};
  std::thread thread_;
};

UpstreamReply Exchange(AsioTransport& t, std::uint16_t port, const Bytes& query, bool tcp = false,
                       std::chrono::milliseconds timeout = 300ms, std::uint16_t max_udp_reply = 65535) {
  boost::asio::io_context io;
  UpstreamRequest r;
  r.server = ServerAddress::v4({127, 0, 0, 1}, port);
  r.query = query;
  r.tcp = tcp;
  r.timeout = timeout;
  r.max_udp_reply = max_udp_reply;
  auto f = boost::asio::co_spawn(io, t.exchange(r), boost::asio::use_future);
  io.run();
  return f.get();
}

TransportPolicy Open() {
  return TransportPolicy{};  // the lab's setting: do_not_query empty
}

TEST(AsioTransportTest, AcceptsTheMatchingReply) {
  AsioTransport t(Open());
  UdpServer s([](const Bytes& q) { return std::vector<Bytes>{AsReply(q)}; });
  const Bytes q = Query("wWw.ExAmple.");
  UpstreamReply r = Exchange(t, s.port(), q);
  EXPECT_EQ(r.status, UpstreamStatus::kOk);
  EXPECT_EQ(r.message, AsReply(q));
  EXPECT_TRUE(r.case_matched);
  EXPECT_GT(r.rtt.count(), 0);
  EXPECT_EQ(r.mismatched, 0u);
}

TEST(AsioTransportTest, IgnoresAndCountsRepliesThatDoNotMatch) {
  AsioTransport t(Open());
  UdpServer s([](const Bytes& q) {
    Bytes wrong_id = AsReply(q);
    wrong_id[1] ^= 0xFF;
    Bytes other_question = AsReply(Query("evil.example.", 0x1234));
    Bytes not_a_response = q;
    Bytes garbage = {1, 2, 3};
    return std::vector<Bytes>{wrong_id, other_question, not_a_response, garbage, AsReply(q)};
  });
  UpstreamReply r = Exchange(t, s.port(), Query("www.example."));
  EXPECT_EQ(r.status, UpstreamStatus::kOk);
  EXPECT_EQ(r.mismatched, 4u);
  EXPECT_EQ(t.mismatched_total(), 4u);
}

TEST(AsioTransportTest, ReportsALostLetterCase) {
  AsioTransport t(Open());
  UdpServer s([](const Bytes& q) {
    Bytes lower = AsReply(q);
    for (std::size_t i = 12; i < lower.size(); ++i) lower[i] = dns::ascii_lower(lower[i]);
    return std::vector<Bytes>{lower};
  });
  UpstreamReply r = Exchange(t, s.port(), Query("WwW.eXaMpLe."));
  EXPECT_EQ(r.status, UpstreamStatus::kOk);
  EXPECT_FALSE(r.case_matched);
}

TEST(AsioTransportTest, AReplyLargerThanTheQueryAllowedIsOversized) {
  AsioTransport t(Open());
  UdpServer s([](const Bytes& q) {
    Bytes big = AsReply(q);
    big.resize(1500, 0);  // trailing octets past the question: 1500 > 1232
    return std::vector<Bytes>{big};
  });
  UpstreamReply r = Exchange(t, s.port(), Query("www.example."), false, 300ms, 1232);
  EXPECT_EQ(r.status, UpstreamStatus::kOk);
  EXPECT_TRUE(r.oversized);
  EXPECT_LE(r.message.size(), 1233u);  // the receive buffer is what the query allowed, not 64 KiB
  UdpServer fits([](const Bytes& q) { return std::vector<Bytes>{AsReply(q)}; });
  EXPECT_FALSE(Exchange(t, fits.port(), Query("www.example."), false, 300ms, 1232).oversized);
}

TEST(AsioTransportTest, TheSocketBudgetIsNeverExceeded) {
  // Issue 20 §3: a flood of misses held 18,886 descriptors. Two sockets
  // allowed: a third exchange while two wait fails at once, sending nothing.
  TransportPolicy p;
  p.max_sockets = 2;
  AsioTransport t(p);
  UdpServer a([](const Bytes&) { return std::vector<Bytes>{}; });
  UdpServer b([](const Bytes&) { return std::vector<Bytes>{}; });
  UdpServer c([](const Bytes& q) { return std::vector<Bytes>{AsReply(q)}; });
  boost::asio::io_context io;
  auto request = [&](std::uint16_t port) {
    UpstreamRequest r;
    r.server = ServerAddress::v4({127, 0, 0, 1}, port);
    r.timeout = 200ms;
    return r;
  };
  const Bytes q = Query("www.example.");
  auto ra = request(a.port());
  ra.query = q;
  auto rb = request(b.port());
  rb.query = q;
  auto rc = request(c.port());
  rc.query = q;
  auto fa = boost::asio::co_spawn(io, t.exchange(ra), boost::asio::use_future);
  auto fb = boost::asio::co_spawn(io, t.exchange(rb), boost::asio::use_future);
  auto fc = boost::asio::co_spawn(io, t.exchange(rc), boost::asio::use_future);
  io.run();
  EXPECT_EQ(fa.get().status, UpstreamStatus::kTimeout);
  EXPECT_EQ(fb.get().status, UpstreamStatus::kTimeout);
  EXPECT_EQ(fc.get().status, UpstreamStatus::kNoSocket);
  EXPECT_FALSE(c.received());
  EXPECT_EQ(t.socket_budget_exhausted(), 1u);
  EXPECT_EQ(t.sockets_open(), 0u);                                  // all given back
  EXPECT_EQ(Exchange(t, c.port(), q).status, UpstreamStatus::kOk);  // and usable again
}

TEST(AsioTransportTest, RepliesFromAnotherPortAreNeverTaken) {
  AsioTransport t(Open());
  UdpServer s([](const Bytes& q) { return std::vector<Bytes>{AsReply(q)}; }, /*from_elsewhere=*/true);
  UpstreamReply r = Exchange(t, s.port(), Query("www.example."));
  EXPECT_EQ(r.status, UpstreamStatus::kTimeout);
  EXPECT_TRUE(r.message.empty());
}

TEST(AsioTransportTest, SilenceIsATimeout) {
  AsioTransport t(Open());
  UdpServer s([](const Bytes&) { return std::vector<Bytes>{}; });
  const auto t0 = std::chrono::steady_clock::now();
  UpstreamReply r = Exchange(t, s.port(), Query("www.example."), false, 200ms);
  EXPECT_EQ(r.status, UpstreamStatus::kTimeout);
  EXPECT_GE(std::chrono::steady_clock::now() - t0, 200ms);
}

TEST(AsioTransportTest, AClosedPortIsANetworkError) {
  std::uint16_t port = 0;
  ::close(Bound(SOCK_DGRAM, port));  // nothing listens there now
  AsioTransport t(Open());
  EXPECT_EQ(Exchange(t, port, Query("www.example.")).status, UpstreamStatus::kNetworkError);
}

TEST(AsioTransportTest, DoNotQueryIsEnforcedBeforeAnythingIsSent) {
  TransportPolicy p;
  p.do_not_query = {*util::parse_cidr("127.0.0.0/8")};
  AsioTransport t(p);
  UdpServer s([](const Bytes& q) { return std::vector<Bytes>{AsReply(q)}; });
  EXPECT_EQ(Exchange(t, s.port(), Query("www.example.")).status, UpstreamStatus::kNotAllowed);
  EXPECT_FALSE(s.received());
  TransportPolicy no_v4;
  no_v4.ipv4 = false;
  AsioTransport t4(no_v4);
  EXPECT_EQ(Exchange(t4, s.port(), Query("www.example.")).status, UpstreamStatus::kNotAllowed);
}

// A TCP server answering one framed query with `reply(query)`.
class TcpServer {
 public:
  explicit TcpServer(std::function<Bytes(const Bytes&)> reply) : reply_(std::move(reply)) {
    fd_ = Bound(SOCK_STREAM, port_);
    ::listen(fd_, 4);
    thread_ = std::thread([this] {
      const int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) return;
      std::uint8_t len[2];
      if (::recv(c, len, 2, MSG_WAITALL) == 2) {
        Bytes q(static_cast<std::size_t>(len[0] << 8 | len[1]));
        if (::recv(c, q.data(), q.size(), MSG_WAITALL) == static_cast<ssize_t>(q.size())) {
          Bytes a = reply_(q);
          Bytes framed = {static_cast<std::uint8_t>(a.size() >> 8), static_cast<std::uint8_t>(a.size())};
          framed.insert(framed.end(), a.begin(), a.end());
          ::send(c, framed.data(), framed.size(), MSG_NOSIGNAL);
        }
      }
      ::close(c);
    });
  }
  ~TcpServer() {
    ::shutdown(fd_, SHUT_RDWR);
    thread_.join();
    ::close(fd_);
  }
  std::uint16_t port() const { return port_; }

 private:
  std::function<Bytes(const Bytes&)> reply_;
  int fd_ = -1;
  std::uint16_t port_ = 0;
  std::thread thread_;
};

TEST(AsioTransportTest, Tcp) {
  AsioTransport t(Open());
  {
    TcpServer s([](const Bytes& q) { return AsReply(q); });
    const Bytes q = Query("big.example.");
    UpstreamReply r = Exchange(t, s.port(), q, /*tcp=*/true);
    EXPECT_EQ(r.status, UpstreamStatus::kOk);
    EXPECT_EQ(r.message, AsReply(q));
  }
  {
    TcpServer s([](const Bytes&) { return AsReply(Query("other.example.")); });
    UpstreamReply r = Exchange(t, s.port(), Query("big.example."), true);
    EXPECT_EQ(r.status, UpstreamStatus::kNetworkError);
    EXPECT_EQ(r.mismatched, 1u);
  }
}

TEST(ReplyMatchesTest, Rules) {
  const Bytes q = Query("Www.Example.");
  bool cm = false;
  EXPECT_TRUE(reply_matches(q, AsReply(q), cm));
  EXPECT_TRUE(cm);
  const Bytes full = AsReply(q);
  Bytes short_reply(full.begin(), full.begin() + 20);  // cut inside the name
  EXPECT_FALSE(reply_matches(q, short_reply, cm));
  Bytes other_type = AsReply(q);
  other_type[12 + 13 + 1] = 28;  // the type's low octet, after "\3Www\7Example\0": AAAA
  EXPECT_FALSE(reply_matches(q, other_type, cm));
  Bytes no_question = AsReply(q);
  no_question[5] = 0;
  EXPECT_FALSE(reply_matches(q, no_question, cm));
}

}  // namespace
}  // namespace vigil::resolver
