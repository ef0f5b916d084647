#include "server/worker.h"

#include <pthread.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <optional>
#include <stdexcept>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "monitor/query_record.h"
#include "protocol/limits.h"
#include "server/log.h"
#include "server/tcp_connection.h"

namespace vigil::server {

namespace asio = boost::asio;
using asio::awaitable;
using asio::ip::tcp;
using asio::ip::udp;

namespace {

constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);
// recvmmsg batches handled back to back before the worker lets its other
// coroutines (TCP connections, timers) run.
constexpr unsigned kUdpBurst = 4;
// Queries received per recvmmsg(2), and the buffer room per query and per
// answer (a query larger than kUdpQuerySlot is dropped and counted; answers
// never exceed server.max_udp_payload, at most 4096).
constexpr std::size_t kUdpBatch = 32;
constexpr std::size_t kUdpQuerySlot = 4096;
constexpr std::size_t kUdpAnswerSlot = 4096;

// SO_REUSEPORT lets our workers share a port; it would also let a second
// vigild (same user) bind it and silently take part of the traffic. So the
// first worker first binds the address without sharing: taken means another
// process serves it. (TCP's probe sets SO_REUSEADDR: a previous instance's
// TIME_WAIT connections must not stop a restart; a listener still does.)
void probe_unshared(const asio::ip::address& address, std::uint16_t port) {
  for (const int type : {SOCK_DGRAM, SOCK_STREAM}) {
    const int fd = ::socket(address.is_v6() ? AF_INET6 : AF_INET, type | SOCK_CLOEXEC, 0);
    if (fd < 0) continue;  // the real bind reports it
    const int one = 1;
    if (address.is_v6()) (void)::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
    if (type == SOCK_STREAM) (void)::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    const udp::endpoint ep(address, port);  // the sockaddr, for either type
    const int rc = ::bind(fd, ep.data(), static_cast<socklen_t>(ep.size()));
    const int err = errno;
    ::close(fd);
    if (rc != 0 && err == EADDRINUSE) {
      throw std::system_error(err, std::generic_category(),
                              std::string(type == SOCK_DGRAM ? "udp" : "tcp") +
                                  ": in use by another process (is another vigild running on it?)");
    }
  }
}

void set_reuse_port(int fd) {
  int one = 1;
  if (::setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0) {
    throw std::system_error(errno, std::generic_category(), "SO_REUSEPORT");
  }
}

}  // namespace

cache::Time now() {
  return std::time(nullptr);
}

namespace {

// An address's octets (a v4-mapped IPv6 address as IPv4) into `out`;
// returns how many (4 or 16).
std::uint8_t address_octets(const asio::ip::address& address, std::array<std::uint8_t, 16>& out) {
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    const auto b = asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6()).to_bytes();
    std::copy(b.begin(), b.end(), out.begin());
    return 4;
  }
  if (address.is_v4()) {
    const auto b = address.to_v4().to_bytes();
    std::copy(b.begin(), b.end(), out.begin());
    return 4;
  }
  const auto b = address.to_v6().to_bytes();
  std::copy(b.begin(), b.end(), out.begin());
  return 16;
}

}  // namespace

void set_local(Client& client, const asio::ip::address& address, std::uint16_t port) {
  client.local_port = port;
  client.local_length = address_octets(address, client.local);
}

namespace {

// The QTYPE of a query's first question, or nullopt when there is none
// that parses (the handler says why; here only the counting needs it).
std::optional<std::uint16_t> query_qtype(std::span<const std::uint8_t> q) {
  if (q.size() < dns::kHeaderSize || (q[4] == 0 && q[5] == 0)) return std::nullopt;
  std::size_t pos = dns::kHeaderSize;
  while (pos < q.size()) {
    const std::uint8_t len = q[pos];
    if (len == 0) {
      if (pos + 3 > q.size()) return std::nullopt;
      return static_cast<std::uint16_t>(q[pos + 1] << 8 | q[pos + 2]);
    }
    if ((len & 0xC0) != 0) return std::nullopt;  // no compression in a query's question
    pos += 1U + len;
  }
  return std::nullopt;
}

}  // namespace

void Worker::account(std::span<const std::uint8_t> query, std::span<const std::uint8_t> response,
                     const HandleResult& r) {
  if (const auto qtype = query_qtype(query)) {
    stats_.qtypes[std::min<std::size_t>(*qtype, kMaxCountedQtype + 1)].inc();
  }
  if (response.size() >= 4) stats_.rcodes[response[3] & 0x0F].inc();
  if (r.policy.counters != nullptr) {
    auto& by_action = r.policy.enforced ? r.policy.counters->enforced : r.policy.counters->logged;
    by_action[static_cast<std::size_t>(r.policy.action)].fetch_add(1, std::memory_order_relaxed);
  }
  stats_.cache_status[static_cast<std::size_t>(r.cache)].inc();
}

void Worker::log_query(const Client& client, std::span<const std::uint8_t> query,
                       std::span<const std::uint8_t> response, const HandleResult& r,
                       unsigned upstream_queries, std::int64_t arrival_ns,
                       std::chrono::steady_clock::time_point start) {
  if (shared_.query_log == nullptr) return;
  monitor::QueryRecord rec;
  rec.client = {&client.address, client.length, client.port};
  rec.server = {&client.local, client.local_length, client.local_port};
  rec.tcp = client.transport == Transport::kTcp;
  rec.query = query;
  rec.response = response;
  rec.cache = r.cache;
  rec.outcome = outcome_name(r.outcome).data();
  rec.upstream_queries = upstream_queries;
  if (r.policy.feed_name != nullptr) {
    rec.policy_hit = true;
    rec.feed = *r.policy.feed_name;
    rec.trigger = r.policy.trigger;
    rec.policy_enforced = r.policy.enforced;
    rec.policy_address = r.policy.address;
    rec.policy_action = static_cast<std::uint8_t>(r.policy.action);
  }
  rec.arrival_ns = arrival_ns;
  rec.duration_us = std::chrono::duration_cast<std::chrono::microseconds>(clock_.monotonic() - start).count();
  (void)monitor::record(*shared_.query_log, index_, rec);
}

Client make_client(const asio::ip::address& address, std::uint16_t port, Transport transport) {
  Client c;
  c.port = port;
  c.transport = transport;
  c.length = address_octets(address, c.address);
  return c;
}

namespace {

const resolver::Clock& system_clock() {
  static const resolver::SystemClock clock;
  return clock;
}

}  // namespace

Worker::Worker(unsigned index, WorkerShared& shared, std::shared_ptr<const Runtime> runtime)
    : index_(index),
      shared_(shared),
      clock_(shared.clock != nullptr ? *shared.clock : system_clock()),
      runtime_(std::move(runtime)) {}

void Worker::answered(const Client& client, std::span<const std::uint8_t> query,
                      std::span<const std::uint8_t> response, const HandleResult& r, std::int64_t arrival_ns,
                      std::chrono::steady_clock::time_point start) {
  account(query, response, r);
  if (logging()) log_query(client, query, response, r, 0, arrival_ns, start);
}

Worker::~Worker() {
  join();
}

std::vector<util::Endpoint> Worker::listen(const std::vector<util::Endpoint>& endpoints) {
  std::vector<util::Endpoint> bound;
  for (const auto& e : endpoints) {
    const auto address = asio::ip::make_address(e.address);
    util::Endpoint result = e;
    // Port 0 asks for any free port, the same for UDP and TCP: the UDP
    // port the kernel picks may be taken for TCP, so that is retried.
    if (index_ == 0 && e.port != 0) {
      try {
        probe_unshared(address, e.port);
      } catch (const std::system_error& x) {
        throw ListenError("cannot listen on " + e.to_string() + " (" + x.what() + ")", x.code());
      }
    }
    for (int attempt = 0;; ++attempt) {
      std::string what = "udp";
      try {
        auto u = std::make_shared<udp::socket>(io_);
        const udp::endpoint uep(address, e.port);
        u->open(uep.protocol());
        const auto& sc = runtime_->config.server;
        udp_buffers_ = set_socket_buffers(u->native_handle(), {sc.udp_receive_buffer, sc.udp_send_buffer});
        if (address.is_v6()) u->set_option(asio::ip::v6_only(true));
        u->set_option(asio::socket_base::reuse_address(true));
        set_reuse_port(u->native_handle());
        u->bind(uep);
        u->non_blocking(true);
        result.port = u->local_endpoint().port();
        what = "tcp";
        auto t = std::make_unique<tcp::acceptor>(io_);
        const tcp::endpoint tep(address, result.port);
        t->open(tep.protocol());
        if (address.is_v6()) t->set_option(asio::ip::v6_only(true));
        t->set_option(asio::socket_base::reuse_address(true));
        set_reuse_port(t->native_handle());
        t->bind(tep);
        t->listen(asio::socket_base::max_listen_connections);
        udp_inodes_.push_back(socket_inode(u->native_handle()));
        udp_.push_back(std::move(u));
        tcp_.push_back(std::move(t));
        break;
      } catch (const boost::system::system_error& x) {  // from Asio
        if (e.port == 0 && what == "tcp" && x.code() == asio::error::address_in_use && attempt < 20) continue;
        throw ListenError("cannot listen on " + e.to_string() + " (" + what + "): " + x.code().message(),
                          std::error_code(x.code().value(), std::generic_category()));
      } catch (const std::system_error& x) {  // from set_reuse_port
        throw ListenError("cannot listen on " + e.to_string() + " (" + what + "): " + x.code().message(),
                          x.code());
      }
    }
    bound.push_back(result);
  }
  return bound;
}

void Worker::start() {
  for (auto& u : udp_) {
    asio::co_spawn(io_, serve_udp(u), log_coroutine_exception);
  }
  for (auto& t : tcp_) {
    asio::co_spawn(io_, accept_tcp(*t), log_coroutine_exception);
  }
  thread_ = std::thread([this] {
    // "vigil-worker-N" in top -H and /proc/PID/task/*/comm (15 octets at most).
    const std::string name = "vigil-worker-" + std::to_string(index_);
    pthread_setname_np(pthread_self(), name.substr(0, 15).c_str());
    auto guard = asio::make_work_guard(io_);
    io_.run();
  });
}

void Worker::set_runtime(std::shared_ptr<const Runtime> runtime) {
  asio::post(io_, [this, rt = std::move(runtime)]() mutable { runtime_ = std::move(rt); });
}

void Worker::stop_accepting() {
  asio::post(io_, [this] {
    stopping_ = true;
    boost::system::error_code ec;
    // UDP sockets stay open (answers in flight still go out); nothing more
    // is read from them.
    for (auto& u : udp_) u->cancel(ec);
    for (auto& t : tcp_) t->close(ec);
    for (const auto& c : connections_) c->drain();
  });
}

void Worker::join() {
  if (!thread_.joinable()) return;
  io_.stop();
  thread_.join();
}

// Receives up to kUdpBatch queries with one recvmmsg(2) and sends their
// answers with one sendmmsg(2): under load, two system calls per batch
// instead of two per query.
awaitable<void> Worker::serve_udp(std::shared_ptr<udp::socket> shared_socket) {
  udp::socket& socket = *shared_socket;
  const int fd = socket.native_handle();
  boost::system::error_code local_ec;
  const udp::endpoint local = socket.local_endpoint(local_ec);
  std::vector<std::uint8_t> in(kUdpBatch * kUdpQuerySlot);
  std::vector<std::uint8_t> out(kUdpBatch * kUdpAnswerSlot);
  std::array<sockaddr_storage, kUdpBatch> from{};
  std::array<iovec, kUdpBatch> in_iov{};
  std::array<iovec, kUdpBatch> out_iov{};
  std::array<mmsghdr, kUdpBatch> in_msgs{};
  std::array<mmsghdr, kUdpBatch> out_msgs{};
  unsigned burst = 0;
  PendingQuery pending;  // a miss's, moved to the coroutine that resolves it
  for (;;) {
    for (std::size_t i = 0; i < kUdpBatch; ++i) {
      in_iov[i] = {in.data() + i * kUdpQuerySlot, kUdpQuerySlot};
      in_msgs[i].msg_hdr = {};
      in_msgs[i].msg_hdr.msg_name = &from[i];
      in_msgs[i].msg_hdr.msg_namelen = sizeof from[i];
      in_msgs[i].msg_hdr.msg_iov = &in_iov[i];
      in_msgs[i].msg_hdr.msg_iovlen = 1;
    }
    const int n = ::recvmmsg(fd, in_msgs.data(), kUdpBatch, MSG_DONTWAIT, nullptr);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) {  // EWOULDBLOCK == EAGAIN on Linux
      burst = 0;
      (void)co_await socket.async_wait(udp::socket::wait_read, kNoThrow);
      if (stopping_ || !socket.is_open()) co_return;
      continue;
    }
    if (stopping_) co_return;
    if (n < 0) {
      stats_.udp_receive_errors.inc();
      continue;
    }
    const cache::Time t = clock_.wall();
    const bool log = logging();
    const std::int64_t arrival = log ? clock_.wall_ns() : 0;
    const auto batch_start = clock_.monotonic();
    unsigned answers = 0;
    for (std::size_t i = 0; i < static_cast<std::size_t>(n); ++i) {
      const msghdr& h = in_msgs[i].msg_hdr;
      if ((h.msg_flags & MSG_TRUNC) != 0) {  // larger than any query we accept
        stats_.udp_receive_errors.inc();
        continue;
      }
      stats_.udp_queries.inc();
      udp::endpoint peer;
      std::memcpy(peer.data(), &from[i], h.msg_namelen);
      peer.resize(h.msg_namelen);
      Client client = make_client(peer.address(), peer.port(), Transport::kUdp);
      set_local(client, local.address(), local.port());
      const std::span<const std::uint8_t> query(in.data() + i * kUdpQuerySlot, in_msgs[i].msg_len);
      std::uint8_t* answer = out.data() + answers * kUdpAnswerSlot;
      const HandleResult r = runtime_->handler->handle(query, client, {answer, kUdpAnswerSlot}, t, &pending);
      stats_.outcomes[static_cast<std::size_t>(r.outcome)].inc();
      if (r.outcome == Outcome::kNeedsResolution) {
        busy_.fetch_add(1, std::memory_order_relaxed);
        asio::co_spawn(io_, answer_udp_later(runtime_, shared_socket, std::move(pending), peer),
                       log_coroutine_exception);
        continue;
      }
      account(query, {answer, r.size}, r);
      if (log) log_query(client, query, {answer, r.size}, r, 0, arrival, batch_start);
      if (r.size > 0) {
        out_iov[answers] = {answer, r.size};
        out_msgs[answers].msg_hdr = {};
        out_msgs[answers].msg_hdr.msg_name = &from[i];
        out_msgs[answers].msg_hdr.msg_namelen = h.msg_namelen;
        out_msgs[answers].msg_hdr.msg_iov = &out_iov[answers];
        out_msgs[answers].msg_hdr.msg_iovlen = 1;
        ++answers;
      }
    }
    // Non-blocking: a full socket buffer loses answers (counted) rather
    // than stalling every other client of this worker.
    for (unsigned sent = 0; sent < answers;) {
      const int k = ::sendmmsg(fd, out_msgs.data() + sent, answers - sent, MSG_DONTWAIT);
      if (k <= 0) {
        // The first unsent answer failed (bad address, buffer full): count
        // it and go on with the rest.
        stats_.udp_send_errors.inc();
        ++sent;
        continue;
      }
      sent += static_cast<unsigned>(k);
    }
    // The batch's answers left together: each waited as long as the batch.
    if (answers > 0) {
      const auto took = clock_.monotonic() - batch_start;
      stats_.latency_hit.observe(
          static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(took).count()),
          answers);
    }
    if (++burst == kUdpBurst) {
      burst = 0;
      co_await asio::post(io_, asio::use_awaitable);
      if (stopping_) co_return;
    }
  }
}

awaitable<void> Worker::answer_udp_later(std::shared_ptr<const Runtime> rt,
                                         std::shared_ptr<udp::socket> socket, PendingQuery pending,
                                         udp::endpoint from) {
  struct Done {
    std::atomic<std::size_t>& busy;
    ~Done() { busy.fetch_sub(1, std::memory_order_relaxed); }
  } done{busy_};
  // A UDP answer never exceeds server.max_udp_payload (at most 4096).
  std::vector<std::uint8_t> out;
  const HandleResult r = co_await resolve_and_finish(*rt, pending, out, kUdpAnswerSlot);
  if (r.size == 0 || !socket || !socket->is_open()) co_return;
  boost::system::error_code ec;
  socket->send_to(asio::buffer(out.data(), r.size), from, 0, ec);
  if (ec) stats_.udp_send_errors.inc();
}

awaitable<HandleResult> Worker::resolve_and_finish(const Runtime& rt, const PendingQuery& pending,
                                                   std::vector<std::uint8_t>& out, std::size_t room) {
  const std::int64_t arrival = clock_.wall_ns();
  const auto start = clock_.monotonic();
  const Client& client = pending.client;
  ResolutionStatus status{dns::EdeCode::kOther, "the answer was not cached", std::nullopt};
  unsigned upstream = 0;
  // A slot for the resolution (server/resolution_slots.h), or the answer
  // now: stale data if the cache has it, else SERVFAIL.
  const auto& sc = rt.config.server;
  const auto admit = slots_.try_admit(client, sc.max_resolutions_per_thread, sc.max_resolutions_per_client);
  struct Slot {
    Worker* worker;
    const Client& client;
    ~Slot() {
      if (worker == nullptr) return;
      worker->slots_.release(client);
      worker->resolutions_in_flight_.store(worker->slots_.in_flight(), std::memory_order_relaxed);
    }
  } slot{admit == ResolutionSlots::Admit::kOk ? this : nullptr, client};
  if (admit == ResolutionSlots::Admit::kOk) {
    resolutions_in_flight_.store(slots_.in_flight(), std::memory_order_relaxed);
    if (shared_.resolver != nullptr) {
      ResolveResult res = co_await shared_.resolver->resolve(pending.resolve_name, pending.resolve_type);
      upstream = res.upstream_queries;
      if (res.failure) status = std::move(*res.failure);
      status.negative_uncached = res.negative_uncached;
    }
  } else if (admit == ResolutionSlots::Admit::kClientLimit) {
    stats_.resolutions_shed_client.inc();
    status = {dns::EdeCode::kOther, "resolver busy: too many resolutions from this client", std::nullopt};
  } else {
    stats_.resolutions_shed_thread.inc();
    status = {dns::EdeCode::kOther, "resolver busy: too many resolutions in flight", std::nullopt};
  }
  // The answer's buffer is taken only now that it is written: a resolution
  // waiting upstream holds none.
  out.resize(room);
  const HandleResult r = rt.handler->finish(pending, status, out, clock_.wall());
  stats_.outcomes[static_cast<std::size_t>(r.outcome)].inc();
  account(pending.query, {out.data(), r.size}, r);
  if (r.size > 0) {
    stats_.latency_miss.observe(static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(clock_.monotonic() - start).count()));
  }
  log_query(client, pending.query, {out.data(), r.size}, r, upstream, arrival, start);
  co_return r;
}

awaitable<void> Worker::accept_tcp(tcp::acceptor& acceptor) {
  for (;;) {
    auto [ec, socket] = co_await acceptor.async_accept(kNoThrow);
    if (stopping_ || !acceptor.is_open()) co_return;
    if (ec) {
      stats_.accept_errors.inc();
      if (ec == asio::error::no_descriptors || ec == asio::error::no_buffer_space) {
        // Out of file descriptors: back off instead of spinning.
        asio::steady_timer pause(io_, std::chrono::milliseconds(100));
        co_await pause.async_wait(kNoThrow);
      }
      continue;
    }
    boost::system::error_code rec;
    const auto remote = socket.remote_endpoint(rec);
    if (rec) continue;
    Client client = make_client(remote.address(), remote.port(), Transport::kTcp);
    boost::system::error_code local_ec;
    const auto local = socket.local_endpoint(local_ec);
    set_local(client, local.address(), local.port());
    const auto& rt = *runtime_;
    if (rt.handler->acl(client) == config::AclAction::kDeny) {
      stats_.outcomes[static_cast<std::size_t>(Outcome::kDroppedAcl)].inc();
      continue;  // closing the socket: a denied client gets nothing
    }
    const auto& sc = rt.config.server;
    const unsigned max_connections = std::min(sc.tcp_max_connections, shared_.tcp_descriptor_cap);
    auto admit = shared_.connections.try_add(client, max_connections, sc.tcp_max_connections_per_client);
    if (admit == ConnectionTable::Admit::kTotalLimit) {
      // Full: this worker's idlest connection (nothing in flight or unread)
      // gives its slot to the new one.
      std::shared_ptr<TcpConnection> idlest;
      for (const auto& c : connections_) {
        if (c->idle() && (!idlest || c->last_active() < idlest->last_active())) idlest = c;
      }
      if (idlest) {
        admit = shared_.connections.take_over(idlest->client(), client, sc.tcp_max_connections_per_client);
        if (admit == ConnectionTable::Admit::kOk) {
          idlest->close_for_room();
          stats_.tcp_closed_for_room.inc();
        }
      }
    }
    switch (admit) {
      case ConnectionTable::Admit::kOk: break;
      case ConnectionTable::Admit::kTotalLimit: stats_.tcp_rejected_total.inc(); continue;
      case ConnectionTable::Admit::kClientLimit: stats_.tcp_rejected_client.inc(); continue;
    }
    stats_.tcp_accepted.inc();
    auto connection = std::make_shared<TcpConnection>(*this, std::move(socket), client);
    connections_.insert(connection);
    asio::co_spawn(
        io_,
        [this, connection]() -> awaitable<void> {
          co_await connection->run();
          connections_.erase(connection);
        },
        log_coroutine_exception);
  }
}

}  // namespace vigil::server
