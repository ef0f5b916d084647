// One worker thread: its own io_context, and on each listen address its own
// SO_REUSEPORT UDP socket and TCP acceptor, so the kernel spreads clients
// over workers and no lock is shared per query. Roles are coroutines:
//   serve_udp   one per UDP socket: receive, handle, send (non-blocking)
//   accept_tcp  one per acceptor: admit within the connection limits
//   TcpConnection::run (tcp_connection.h) one per connection
//   answer_udp_later one per UDP query that needs the resolver (TCP:
//               TcpConnection::answer_later)
#pragma once

#include <atomic>
#include <memory>
#include <set>
#include <span>
#include <stdexcept>
#include <system_error>
#include <thread>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>

#include "cache/rrset_cache.h"
#include "config/config.h"
#include "monitor/query_log.h"
#include "server/connection_table.h"
#include "server/resolution_slots.h"
#include "server/resolver.h"
#include "server/runtime.h"
#include "server/server_stats.h"
#include "server/socket_buffers.h"
#include "server/tcp_connection.h"
#include "util/net_address.h"

namespace vigil::server {

// A listen address that could not be bound.
struct ListenError : std::runtime_error {
  ListenError(const std::string& what, std::error_code c) : std::runtime_error(what), code(c) {}
  std::error_code code;
};

// What the workers share, owned by the daemon (or a test).
struct WorkerShared {
  cache::RRsetCache& cache;
  ConnectionTable& connections;
  Resolver* resolver = nullptr;            // null: misses are answered SERVFAIL at once
  monitor::QueryLog* query_log = nullptr;  // null: no query log (producer index = worker index)
  // TCP connections allowed at once whatever server.tcp_max_connections
  // says: the descriptors left for them below RLIMIT_NOFILE.
  unsigned tcp_descriptor_cap = ~0U;
  // The listeners' time (TTLs, latencies, log timestamps); null: the
  // system's clocks.
  const resolver::Clock* clock = nullptr;
};

class Worker final : public ConnectionHost {
 public:
  Worker(unsigned index, WorkerShared& shared, std::shared_ptr<const Runtime> runtime);
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // Binds a UDP socket and a TCP acceptor on each endpoint (SO_REUSEPORT).
  // Port 0 picks a free port, the same for UDP and TCP. Returns the bound
  // endpoints; throws ListenError naming the address on failure.
  std::vector<util::Endpoint> listen(const std::vector<util::Endpoint>& endpoints);
  // The kernel buffers the last UDP socket bound got (server.udp_receive_buffer
  // and udp_send_buffer asked for them; the kernel may have capped them).
  SocketBuffers udp_buffers() const { return udp_buffers_; }
  // The inodes of the UDP sockets bound (set by listen(), before start()),
  // for the kernel's drop counts (udp_socket_drops()).
  const std::vector<std::uint64_t>& udp_inodes() const { return udp_inodes_; }

  void start();  // spawns the coroutines and the thread
  // Thread-safe: the next queries use `runtime`.
  void set_runtime(std::shared_ptr<const Runtime> runtime);
  // Thread-safe: close the sockets and acceptors, let TCP connections
  // finish what they have in flight and close.
  void stop_accepting();
  // Queries in flight plus open TCP connections; 0 = drained.
  std::size_t busy() const { return busy_.load(std::memory_order_relaxed); }
  void join();  // stops the io_context and joins the thread

  const ServerStats& stats() const { return stats_; }
  // Resolutions holding a slot now (server/resolution_slots.h); thread-safe.
  std::size_t resolutions_in_flight() const { return resolutions_in_flight_.load(std::memory_order_relaxed); }
  // Octets of TCP answers written by vigild but not yet taken by the kernel
  // (queued or in a write), over this worker's connections; thread-safe.
  std::size_t tcp_buffered() const { return tcp_buffered_.load(std::memory_order_relaxed); }

 private:
  // ConnectionHost, for this worker's TCP connections.
  const std::shared_ptr<const Runtime>& runtime() const override { return runtime_; }
  ServerStats& counters() override { return stats_; }
  ConnectionTable& connections() override { return shared_.connections; }
  unsigned tcp_descriptor_cap() const override { return shared_.tcp_descriptor_cap; }
  const resolver::Clock& clock() const override { return clock_; }
  bool logging() const override { return shared_.query_log != nullptr && shared_.query_log->enabled(); }
  void answered(const Client& client, std::span<const std::uint8_t> query,
                std::span<const std::uint8_t> response, const HandleResult& r, std::int64_t arrival_ns,
                std::chrono::steady_clock::time_point start) override;
  void connection_open(int delta) override {
    if (delta > 0) {
      busy_.fetch_add(1, std::memory_order_relaxed);
    } else {
      busy_.fetch_sub(1, std::memory_order_relaxed);
    }
  }
  void buffered(std::ptrdiff_t delta) override {
    tcp_buffered_.fetch_add(static_cast<std::size_t>(delta), std::memory_order_relaxed);
  }

  boost::asio::awaitable<void> serve_udp(std::shared_ptr<boost::asio::ip::udp::socket> socket);
  boost::asio::awaitable<void> accept_tcp(boost::asio::ip::tcp::acceptor& acceptor);
  // Counts a query that got its final outcome: its QTYPE, the response's
  // RCODE, the feed rule it met and where its answer came from.
  void account(std::span<const std::uint8_t> query, std::span<const std::uint8_t> response,
               const HandleResult& r);
  // One query for the query log, when it is on (monitor/query_record.h).
  void log_query(const Client& client, std::span<const std::uint8_t> query,
                 std::span<const std::uint8_t> response, const HandleResult& r, unsigned upstream_queries,
                 std::int64_t arrival_ns, std::chrono::steady_clock::time_point start);
  // A query the handler's first pass could not answer: a resolution slot,
  // the resolver, then QueryHandler::finish(), counted and logged; the
  // answer is in `out`, sized to `room` once the resolution is done.
  boost::asio::awaitable<HandleResult> resolve_and_finish(const Runtime& rt, const PendingQuery& pending,
                                                          std::vector<std::uint8_t>& out,
                                                          std::size_t room) override;
  boost::asio::awaitable<void> answer_udp_later(std::shared_ptr<const Runtime> rt,
                                                std::shared_ptr<boost::asio::ip::udp::socket> socket,
                                                PendingQuery pending, boost::asio::ip::udp::endpoint from);

  unsigned index_;
  WorkerShared& shared_;
  const resolver::Clock& clock_;
  std::shared_ptr<const Runtime> runtime_;  // touched on the worker thread only
  SocketBuffers udp_buffers_;               // set by listen(), before start()
  std::vector<std::uint64_t> udp_inodes_;   // likewise
  // What the coroutines' frames touch when they are destroyed is declared
  // before io_, so it outlives io_'s destructor (which destroys the frames
  // of coroutines still suspended at shutdown).
  std::atomic<std::size_t> busy_{0};
  ResolutionSlots slots_;  // worker thread only
  std::atomic<std::size_t> resolutions_in_flight_{0};
  std::atomic<std::size_t> tcp_buffered_{0};
  ServerStats stats_;
  boost::asio::io_context io_{1};
  std::vector<std::shared_ptr<boost::asio::ip::udp::socket>> udp_;
  std::vector<std::unique_ptr<boost::asio::ip::tcp::acceptor>> tcp_;
  std::set<std::shared_ptr<TcpConnection>> connections_;  // worker thread only
  bool stopping_ = false;
  std::thread thread_;
};

// The wall clock as the cache sees it (Unix seconds), for the daemon's
// commands; the listeners read their WorkerShared::clock.
cache::Time now();

// The listener's view of a client address.
Client make_client(const boost::asio::ip::address& address, std::uint16_t port, Transport transport);
// Adds the listener's address to a client.
void set_local(Client& client, const boost::asio::ip::address& address, std::uint16_t port);

}  // namespace vigil::server
