// One DNS-over-TCP connection (RFC 7766): 2-octet length framing across
// partial reads, queries pipelined and answered as each completes (out of
// order when one needs the resolver), bounded in flight, and closed when
//   - idle longer than server.tcp_idle_timeout, a timeout that shrinks as
//     the connection table fills (effective_idle_timeout below), so a
//     client asking once every few seconds cannot hold a slot when others
//     need it,
//   - a message's first octet arrived but not the rest within
//     server.tcp_message_timeout (slowloris),
//   - the client does not read its answers within server.tcp_write_timeout,
//   - the table is full and this is the worker's idlest connection (no
//     query in flight, no answer unread), to make room for a new one,
//   - the length prefix is shorter than a DNS header,
//   - the daemon drains (after the answers in flight are written).
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <span>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include "resolver/clock.h"
#include "server/connection_table.h"
#include "server/query_handler.h"
#include "server/runtime.h"
#include "server/server_stats.h"

namespace vigil::server {

// What a connection needs of the worker that accepted it (server/worker.h
// implements it): the runtime in force, the worker's counters and its
// query path. Called on the worker's thread only.
class ConnectionHost {
 public:
  virtual const std::shared_ptr<const Runtime>& runtime() const = 0;
  virtual ServerStats& counters() = 0;
  virtual ConnectionTable& connections() = 0;
  // TCP connections allowed at once whatever server.tcp_max_connections
  // says (the descriptors left below RLIMIT_NOFILE).
  virtual unsigned tcp_descriptor_cap() const = 0;
  virtual const resolver::Clock& clock() const = 0;
  virtual bool logging() const = 0;
  // A query answered without a resolution: counted, and logged when the
  // query log is on.
  virtual void answered(const Client& client, std::span<const std::uint8_t> query,
                        std::span<const std::uint8_t> response, const HandleResult& r,
                        std::int64_t arrival_ns, std::chrono::steady_clock::time_point start) = 0;
  // A query the handler left pending: resolved, finished, counted, logged.
  virtual boost::asio::awaitable<HandleResult> resolve_and_finish(const Runtime& rt,
                                                                  const PendingQuery& pending,
                                                                  std::vector<std::uint8_t>& out,
                                                                  std::size_t room) = 0;
  // A connection opened (+1) or closed (-1): the worker drains until none.
  virtual void connection_open(int delta) = 0;
  // Octets of answers written by vigild but not yet taken by the kernel.
  virtual void buffered(std::ptrdiff_t delta) = 0;

 protected:
  ~ConnectionHost() = default;
};

// The idle timeout with `open` of `max` connection slots taken (RFC 7766
// §6.2.3, Unbound's tcp-idle-timeout ladder): the configured one while half
// the slots are free, then 1 % of it, 0.2 % under 35 % free, and nothing
// more under 20 % free — never below 200 ms (Unbound's
// TCP_QUERY_TIMEOUT_MINIMUM), nor above the configured timeout.
std::chrono::milliseconds effective_idle_timeout(std::chrono::milliseconds configured, unsigned open,
                                                 unsigned max);

class TcpConnection : public std::enable_shared_from_this<TcpConnection> {
 public:
  TcpConnection(ConnectionHost& host, boost::asio::ip::tcp::socket socket, Client client);
  ~TcpConnection();

  boost::asio::awaitable<void> run();
  // Stop reading new queries; close once the answers in flight are written.
  void drain();
  // Nothing in flight, nothing unread: closing it loses no answer.
  // A connection already closing (for room, or draining) is not idle: its
  // slot is not there to give again.
  bool idle() const { return counted_ && !draining_ && in_flight_ == 0 && !writing_ && queue_.empty(); }
  // When it last read a query or wrote an answer.
  std::chrono::steady_clock::time_point last_active() const { return last_active_; }
  const Client& client() const { return client_; }
  // Its slot was given to another connection (ConnectionTable::take_over):
  // close without giving it back.
  void close_for_room();

 private:
  enum class ReadResult : std::uint8_t { kMessage, kClosed, kIdle, kSlow, kBadLength, kDraining };
  boost::asio::awaitable<ReadResult> read_message(std::vector<std::uint8_t>& message);
  // A query the handler's first pass left pending: resolved, then
  // answered on this connection (out of order).
  boost::asio::awaitable<void> answer_later(std::shared_ptr<const Runtime> rt, PendingQuery pending);
  boost::asio::awaitable<void> write_queued();
  void send(std::vector<std::uint8_t> framed);  // length prefix included
  void wake();
  boost::asio::awaitable<void> wait();

  ConnectionHost& host_;
  boost::asio::ip::tcp::socket socket_;
  Client client_;
  boost::asio::steady_timer read_timer_;
  boost::asio::steady_timer wake_timer_;  // a condition variable for the reader
  std::deque<std::vector<std::uint8_t>> queue_;
  unsigned in_flight_ = 0;    // queries waiting for the resolver
  unsigned unsent_ = 0;       // answers queued or being written
  std::size_t buffered_ = 0;  // their octets
  std::chrono::steady_clock::time_point last_active_ = std::chrono::steady_clock::now();
  bool counted_ = true;  // holds a slot in the connection table
  bool writing_ = false;
  bool draining_ = false;
  bool broken_ = false;  // a write failed or timed out
};

}  // namespace vigil::server
