#include "resolver/asio_transport.h"

#include <array>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "protocol/wire_reader.h"

namespace vigil::resolver {

namespace asio = boost::asio;
using asio::awaitable;
using asio::ip::tcp;
using asio::ip::udp;
using namespace asio::experimental::awaitable_operators;

namespace {

constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);

asio::ip::address to_address(const ServerAddress& s) {
  if (s.length == 4) {
    asio::ip::address_v4::bytes_type b{};
    std::copy(s.bytes.begin(), s.bytes.begin() + 4, b.begin());
    return asio::ip::address_v4(b);
  }
  asio::ip::address_v6::bytes_type b{};
  std::copy(s.bytes.begin(), s.bytes.end(), b.begin());
  return asio::ip::address_v6(b);
}

// The configured source address of the server's family, if any.
std::optional<asio::ip::address> source_for(const TransportPolicy& p, bool v6) {
  for (const auto& text : p.source_addresses) {
    boost::system::error_code ec;
    auto a = asio::ip::make_address(text, ec);
    if (!ec && a.is_v6() == v6) return a;
  }
  return std::nullopt;
}

template <class Socket, class Protocol>
bool open_bound(Socket& s, const Protocol& protocol, const TransportPolicy& p, bool v6) {
  boost::system::error_code ec;
  s.open(protocol, ec);
  if (ec) return false;
  if (auto src = source_for(p, v6)) {
    s.bind(typename Protocol::endpoint(*src, 0), ec);
    if (ec) return false;
  }
  return true;
}

std::chrono::microseconds since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0);
}

}  // namespace

AsioTransport::AsioTransport(TransportPolicy policy) : policy_(std::move(policy)) {}

bool AsioTransport::allowed(const ServerAddress& server) const {
  if (server.length == 4 && !policy_.ipv4) return false;
  if (server.length == 16 && !policy_.ipv6) return false;
  for (const auto& c : policy_.do_not_query) {
    if (c.contains({server.bytes.data(), server.length})) return false;
  }
  return true;
}

awaitable<UpstreamReply> AsioTransport::exchange(UpstreamRequest request) {
  if (!allowed(request.server)) co_return UpstreamReply{UpstreamStatus::kNotAllowed, {}, {}, true, 0};
  // One socket per exchange, within the budget.
  if (open_.fetch_add(1, std::memory_order_relaxed) >= policy_.max_sockets && policy_.max_sockets != 0) {
    open_.fetch_sub(1, std::memory_order_relaxed);
    no_socket_.fetch_add(1, std::memory_order_relaxed);
    co_return UpstreamReply{UpstreamStatus::kNoSocket, {}, {}, true, 0};
  }
  struct Release {
    std::atomic<std::size_t>& open;
    ~Release() { open.fetch_sub(1, std::memory_order_relaxed); }
  } release{open_};
  if (request.tcp) co_return co_await exchange_tcp(request);
  co_return co_await exchange_udp(request);
}

awaitable<UpstreamReply> AsioTransport::exchange_udp(const UpstreamRequest& r) {
  UpstreamReply reply;
  auto ex = co_await asio::this_coro::executor;
  const udp::endpoint server(to_address(r.server), r.server.port);
  udp::socket socket(ex);
  if (!open_bound(socket, server.protocol(), policy_, r.server.length == 16)) {
    reply.status = UpstreamStatus::kNetworkError;
    co_return reply;
  }
  boost::system::error_code ec;
  socket.connect(server, ec);  // the kernel now drops datagrams from elsewhere
  const auto t0 = std::chrono::steady_clock::now();
  if (!ec) socket.send(asio::buffer(r.query.data(), r.query.size()), 0, ec);
  if (ec) {
    reply.status = UpstreamStatus::kNetworkError;
    co_return reply;
  }
  asio::steady_timer timer(ex);
  timer.expires_after(r.timeout);
  // Room for the largest reply the query allowed, and one octet to tell a
  // larger (non-conforming) datagram, which the kernel cuts to fit.
  const std::size_t room = std::max<std::size_t>(512, r.max_udp_reply);
  std::vector<std::uint8_t> buf(room + 1);
  for (;;) {
    auto got = co_await (socket.async_receive(asio::buffer(buf), kNoThrow) || timer.async_wait(kNoThrow));
    if (got.index() == 1) {
      reply.status = UpstreamStatus::kTimeout;
      break;
    }
    auto [rec, n] = std::get<0>(got);
    if (rec) {  // e.g. ICMP port unreachable, reported on a connected socket
      reply.status = UpstreamStatus::kNetworkError;
      break;
    }
    bool case_matched = false;
    if (reply_matches(r.query, {buf.data(), n}, case_matched)) {
      reply.status = UpstreamStatus::kOk;
      reply.message.assign(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(n));
      reply.rtt = since(t0);
      reply.case_matched = case_matched;
      reply.oversized = n > room;
      break;
    }
    ++reply.mismatched;  // keep waiting for the real answer
  }
  mismatched_.fetch_add(reply.mismatched, std::memory_order_relaxed);
  co_return reply;
}

awaitable<UpstreamReply> AsioTransport::exchange_tcp(const UpstreamRequest& r) {
  UpstreamReply reply;
  reply.status = UpstreamStatus::kNetworkError;
  auto ex = co_await asio::this_coro::executor;
  const tcp::endpoint server(to_address(r.server), r.server.port);
  tcp::socket socket(ex);
  if (!open_bound(socket, server.protocol(), policy_, r.server.length == 16)) co_return reply;
  asio::steady_timer timer(ex);
  timer.expires_after(r.timeout);
  const auto t0 = std::chrono::steady_clock::now();
  auto connected = co_await (socket.async_connect(server, kNoThrow) || timer.async_wait(kNoThrow));
  if (connected.index() == 1) {
    reply.status = UpstreamStatus::kTimeout;
    co_return reply;
  }
  if (std::get<0>(std::get<0>(connected))) co_return reply;
  const std::array<std::uint8_t, 2> len = {static_cast<std::uint8_t>(r.query.size() >> 8),
                                           static_cast<std::uint8_t>(r.query.size() & 0xFF)};
  const std::array<asio::const_buffer, 2> out = {asio::buffer(len),
                                                 asio::buffer(r.query.data(), r.query.size())};
  auto sent = co_await (asio::async_write(socket, out, kNoThrow) || timer.async_wait(kNoThrow));
  if (sent.index() == 1) {
    reply.status = UpstreamStatus::kTimeout;
    co_return reply;
  }
  if (std::get<0>(std::get<0>(sent))) co_return reply;
  auto read_reply = [&]() -> awaitable<bool> {
    std::array<std::uint8_t, 2> rlen{};
    auto [e1, n1] = co_await asio::async_read(socket, asio::buffer(rlen), kNoThrow);
    if (e1) co_return false;
    reply.message.resize(dns::load_u16(rlen.data()));
    auto [e2, n2] = co_await asio::async_read(socket, asio::buffer(reply.message), kNoThrow);
    co_return !e2;
  };
  auto got = co_await (read_reply() || timer.async_wait(kNoThrow));
  if (got.index() == 1) {
    reply.status = UpstreamStatus::kTimeout;
    reply.message.clear();
    co_return reply;
  }
  if (!std::get<0>(got)) {
    reply.message.clear();
    co_return reply;
  }
  bool case_matched = false;
  if (!reply_matches(r.query, reply.message, case_matched)) {
    // One reply per connection: a wrong one ends the exchange.
    reply.mismatched = 1;
    mismatched_.fetch_add(1, std::memory_order_relaxed);
    reply.message.clear();
    co_return reply;
  }
  reply.status = UpstreamStatus::kOk;
  reply.case_matched = case_matched;
  reply.rtt = since(t0);
  co_return reply;
}

}  // namespace vigil::resolver
