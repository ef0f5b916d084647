// One DNS-over-TCP connection (RFC 7766): 2-octet length framing across
// partial reads, queries pipelined and answered as each completes (out of
// order when one needs the resolver), bounded in flight, and closed when
//   - idle longer than server.tcp_idle_timeout,
//   - a message's first octet arrived but not the rest within
//     server.tcp_message_timeout (slowloris),
//   - the client does not read its answers within the idle timeout,
//   - the length prefix is shorter than a DNS header,
//   - the daemon drains (after the answers in flight are written).
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include "server/query_handler.h"
#include "server/runtime.h"

namespace vigil::server {

class Worker;

class TcpConnection : public std::enable_shared_from_this<TcpConnection> {
 public:
  TcpConnection(Worker& worker, boost::asio::ip::tcp::socket socket, Client client);
  ~TcpConnection();

  boost::asio::awaitable<void> run();
  // Stop reading new queries; close once the answers in flight are written.
  void drain();

 private:
  enum class ReadResult : std::uint8_t { kMessage, kClosed, kIdle, kSlow, kBadLength, kDraining };
  boost::asio::awaitable<ReadResult> read_message(std::vector<std::uint8_t>& message);
  boost::asio::awaitable<void> answer_later(std::shared_ptr<const Runtime> rt,
                                            std::vector<std::uint8_t> query);
  boost::asio::awaitable<void> write_queued();
  void send(std::vector<std::uint8_t> framed);  // length prefix included
  void wake();
  boost::asio::awaitable<void> wait();

  Worker& worker_;
  boost::asio::ip::tcp::socket socket_;
  Client client_;
  boost::asio::steady_timer read_timer_;
  boost::asio::steady_timer wake_timer_;  // a condition variable for the reader
  std::deque<std::vector<std::uint8_t>> queue_;
  unsigned in_flight_ = 0;  // queries waiting for the resolver
  bool writing_ = false;
  bool draining_ = false;
  bool broken_ = false;  // a write failed or timed out
};

}  // namespace vigil::server
