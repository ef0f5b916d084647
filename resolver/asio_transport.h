// UpstreamTransport over real sockets, on the calling coroutine's executor.
// UDP: a fresh socket per query on a random source port (the kernel's
// ephemeral-port randomisation), connected to the server so the kernel
// drops datagrams from any other address or port; within the timeout,
// datagrams that do not match the query (ID, question) are counted and
// ignored, not taken. TCP: connect, send with the 2-octet length, read one
// reply, all within the timeout.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "resolver/upstream.h"
#include "util/net_address.h"

namespace vigil::resolver {

struct TransportPolicy {
  std::vector<util::Cidr> do_not_query;  // never sent to (resolver.do_not_query)
  bool ipv4 = true;
  bool ipv6 = true;
  std::vector<std::string> source_addresses;  // bind to these (per family); empty = any
  // Upstream sockets open at once, at most (0 = no limit): vigild sets it
  // below RLIMIT_NOFILE, leaving room for listeners, TCP clients, the
  // control channel and the logs, so a flood of misses cannot take the
  // descriptors those need.
  std::size_t max_sockets = 0;
};

class AsioTransport final : public UpstreamTransport {
 public:
  explicit AsioTransport(TransportPolicy policy);
  boost::asio::awaitable<UpstreamReply> exchange(UpstreamRequest request) override;

  bool allowed(const ServerAddress& server) const;
  std::uint64_t mismatched_total() const { return mismatched_.load(std::memory_order_relaxed); }
  // Upstream sockets open now, the budget, and queries not sent for want of one.
  std::size_t sockets_open() const { return open_.load(std::memory_order_relaxed); }
  std::size_t socket_budget() const { return policy_.max_sockets; }
  std::uint64_t socket_budget_exhausted() const { return no_socket_.load(std::memory_order_relaxed); }

 private:
  boost::asio::awaitable<UpstreamReply> exchange_udp(const UpstreamRequest& r);
  boost::asio::awaitable<UpstreamReply> exchange_tcp(const UpstreamRequest& r);

  TransportPolicy policy_;
  std::atomic<std::uint64_t> mismatched_{0};
  std::atomic<std::size_t> open_{0};
  std::atomic<std::uint64_t> no_socket_{0};
};

}  // namespace vigil::resolver
