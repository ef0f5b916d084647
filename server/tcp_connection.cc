#include "server/tcp_connection.h"

#include <ctime>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "protocol/limits.h"
#include "protocol/wire_reader.h"
#include "server/log.h"

namespace vigil::server {

namespace asio = boost::asio;
using asio::awaitable;
using namespace asio::experimental::awaitable_operators;

namespace {

constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);

std::vector<std::uint8_t> frame(std::span<const std::uint8_t> message) {
  std::vector<std::uint8_t> f;
  f.reserve(message.size() + 2);
  f.push_back(static_cast<std::uint8_t>(message.size() >> 8));
  f.push_back(static_cast<std::uint8_t>(message.size() & 0xFF));
  f.insert(f.end(), message.begin(), message.end());
  return f;
}

}  // namespace

TcpConnection::TcpConnection(ConnectionHost& host, asio::ip::tcp::socket socket, Client client)
    : host_(host),
      socket_(std::move(socket)),
      client_(client),
      read_timer_(socket_.get_executor()),
      wake_timer_(socket_.get_executor()) {
  host_.connection_open(+1);
}

TcpConnection::~TcpConnection() {
  if (counted_) host_.connections().remove(client_);
  host_.connection_open(-1);
}

void TcpConnection::drain() {
  draining_ = true;
  read_timer_.cancel();
  wake();
}

void TcpConnection::close_for_room() {
  counted_ = false;
  drain();
}

void TcpConnection::wake() {
  wake_timer_.cancel();
}

awaitable<void> TcpConnection::wait() {
  wake_timer_.expires_at(asio::steady_timer::time_point::max());
  co_await wake_timer_.async_wait(kNoThrow);
}

std::chrono::milliseconds effective_idle_timeout(std::chrono::milliseconds configured, unsigned open,
                                                 unsigned max) {
  if (max == 0) return configured;
  const unsigned free = open >= max ? 0 : max - open;
  // Never below Unbound's TCP_QUERY_TIMEOUT_MINIMUM (200 ms): a client a
  // few round trips away still gets its next query in.
  const auto floor = std::min(configured, std::chrono::milliseconds(200));
  if (free * 100 < max * 20) return floor;
  if (free * 100 < max * 35) return std::max(configured / 500, floor);
  if (free * 100 < max * 50) return std::max(configured / 100, floor);
  return configured;
}

awaitable<TcpConnection::ReadResult> TcpConnection::read_message(std::vector<std::uint8_t>& message) {
  // Copies: a reload may replace the runtime while this coroutine waits.
  const auto& sc = host_.runtime()->config.server;
  const auto idle_timeout =
      effective_idle_timeout(sc.tcp_idle_timeout, host_.connections().total(),
                             std::min(sc.tcp_max_connections, host_.tcp_descriptor_cap()));
  const auto message_timeout = sc.tcp_message_timeout;
  std::array<std::uint8_t, 2> length{};
  // Idle: waiting for the first octet of the next message.
  read_timer_.expires_after(idle_timeout);
  auto first = co_await (asio::async_read(socket_, asio::buffer(length.data(), 1), kNoThrow) ||
                         read_timer_.async_wait(kNoThrow));
  if (first.index() == 1) co_return draining_ ? ReadResult::kDraining : ReadResult::kIdle;
  if (std::get<0>(std::get<0>(first))) co_return ReadResult::kClosed;

  // The rest of the message must follow within the message timeout.
  read_timer_.expires_after(message_timeout);
  auto rest = [&]() -> awaitable<ReadResult> {
    auto [ec, n] = co_await asio::async_read(socket_, asio::buffer(length.data() + 1, 1), kNoThrow);
    if (ec) co_return ReadResult::kClosed;
    const std::size_t size = dns::load_u16(length.data());
    if (size < dns::kHeaderSize) co_return ReadResult::kBadLength;
    message.resize(size);
    auto [ec2, n2] = co_await asio::async_read(socket_, asio::buffer(message), kNoThrow);
    if (ec2) co_return ReadResult::kClosed;
    co_return ReadResult::kMessage;
  };
  auto second = co_await (rest() || read_timer_.async_wait(kNoThrow));
  if (second.index() == 1) co_return draining_ ? ReadResult::kDraining : ReadResult::kSlow;
  co_return std::get<0>(second);
}

awaitable<void> TcpConnection::run() {
  auto self = shared_from_this();
  std::vector<std::uint8_t> message;
  std::vector<std::uint8_t> out(65535);
  PendingQuery pending;  // a miss's, moved to the coroutine that resolves it
  ServerStats& stats = host_.counters();
  for (;;) {
    // Back-pressure: at most tcp_max_pipelined queries in flight or
    // answers waiting for the client to read them (the batch being written
    // included), and at most tcp_max_buffered octets of those answers.
    while (!draining_ && !broken_ &&
           (in_flight_ + unsent_ >= host_.runtime()->config.server.tcp_max_pipelined ||
            buffered_ >= host_.runtime()->config.server.tcp_max_buffered)) {
      co_await wait();
    }
    if (draining_ || broken_) break;
    const ReadResult r = co_await read_message(message);
    if (r != ReadResult::kMessage) {
      if (r == ReadResult::kIdle) stats.tcp_idle_timeouts.inc();
      if (r == ReadResult::kSlow) stats.tcp_message_timeouts.inc();
      if (r == ReadResult::kBadLength) stats.tcp_bad_length.inc();
      break;
    }
    stats.tcp_queries.inc();
    last_active_ = std::chrono::steady_clock::now();
    const auto& rt = host_.runtime();
    const resolver::Clock& clock = host_.clock();
    const std::int64_t arrival = host_.logging() ? clock.wall_ns() : 0;
    const auto start = clock.monotonic();
    const HandleResult h = rt->handler->handle(message, client_, out, clock.wall(), &pending);
    stats.outcomes[static_cast<std::size_t>(h.outcome)].inc();
    if (h.outcome == Outcome::kNeedsResolution) {
      ++in_flight_;
      asio::co_spawn(socket_.get_executor(), answer_later(rt, std::move(pending)), log_coroutine_exception);
      continue;
    }
    if (h.size > 0) {
      stats.latency_hit.observe(static_cast<std::uint64_t>(
          std::chrono::duration_cast<std::chrono::nanoseconds>(clock.monotonic() - start).count()));
    }
    host_.answered(client_, message, {out.data(), h.size}, h, arrival, start);
    if (h.size > 0) send(frame({out.data(), h.size}));
  }
  // Answers still owed are written before the connection closes.
  while (!broken_ && (in_flight_ > 0 || writing_ || !queue_.empty())) co_await wait();
  boost::system::error_code ec;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ec);
  socket_.close(ec);
}

awaitable<void> TcpConnection::answer_later(std::shared_ptr<const Runtime> rt, PendingQuery pending) {
  auto self = shared_from_this();
  std::vector<std::uint8_t> out;
  const HandleResult h = co_await host_.resolve_and_finish(*rt, pending, out, dns::kMaxMessageSize);
  --in_flight_;
  if (h.size > 0 && !broken_) send(frame({out.data(), h.size}));
  wake();
}

void TcpConnection::send(std::vector<std::uint8_t> framed) {
  ++unsent_;
  buffered_ += framed.size();
  host_.buffered(static_cast<std::ptrdiff_t>(framed.size()));
  queue_.push_back(std::move(framed));
  if (!writing_) {
    writing_ = true;
    asio::co_spawn(socket_.get_executor(), write_queued(), log_coroutine_exception);
  }
}

awaitable<void> TcpConnection::write_queued() {
  auto self = shared_from_this();
  asio::steady_timer timer(socket_.get_executor());
  while (!queue_.empty() && !broken_) {
    // Everything queued goes out in one gathered write.
    std::vector<std::vector<std::uint8_t>> batch(std::make_move_iterator(queue_.begin()),
                                                 std::make_move_iterator(queue_.end()));
    queue_.clear();
    std::vector<asio::const_buffer> buffers;
    buffers.reserve(batch.size());
    for (const auto& m : batch) buffers.emplace_back(asio::buffer(m));
    std::size_t octets = 0;
    for (const auto& m : batch) octets += m.size();
    timer.expires_after(host_.runtime()->config.server.tcp_write_timeout);
    auto r = co_await (asio::async_write(socket_, buffers, kNoThrow) || timer.async_wait(kNoThrow));
    unsent_ -= static_cast<unsigned>(batch.size());
    buffered_ -= octets;
    host_.buffered(-static_cast<std::ptrdiff_t>(octets));
    last_active_ = std::chrono::steady_clock::now();
    if (r.index() == 1) {
      host_.counters().tcp_write_timeouts.inc();
      broken_ = true;
    } else if (std::get<0>(std::get<0>(r))) {
      broken_ = true;
    }
    wake();
  }
  writing_ = false;
  if (broken_) {
    for (const auto& m : queue_) {
      buffered_ -= m.size();
      host_.buffered(-static_cast<std::ptrdiff_t>(m.size()));
    }
    unsent_ -= static_cast<unsigned>(queue_.size());
    queue_.clear();
    boost::system::error_code ec;
    socket_.close(ec);  // the reader sees the error and ends
    read_timer_.cancel();
  }
  wake();
}

}  // namespace vigil::server
