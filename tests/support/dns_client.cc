#include "tests/support/dns_client.h"

#include <unistd.h>

#include <cstring>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>

namespace vigil::testing {
namespace {

class Socket {
 public:
  explicit Socket(int fd) : fd_(fd) {}
  ~Socket() {
    if (fd_ >= 0) ::close(fd_);
  }
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

// Fills `storage` from the endpoint; returns the address length or 0.
socklen_t make_address(const Endpoint& ep, sockaddr_storage& storage) {
  std::memset(&storage, 0, sizeof storage);
  auto* v4 = reinterpret_cast<sockaddr_in*>(&storage);
  if (inet_pton(AF_INET, ep.address.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(ep.port);
    return sizeof(sockaddr_in);
  }
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&storage);
  if (inet_pton(AF_INET6, ep.address.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(ep.port);
    return sizeof(sockaddr_in6);
  }
  return 0;
}

void set_timeout(int fd, std::chrono::milliseconds timeout) {
  timeval tv{};
  tv.tv_sec = timeout.count() / 1000;
  tv.tv_usec = (timeout.count() % 1000) * 1000;
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

bool read_full(int fd, std::uint8_t* p, std::size_t n) {
  while (n > 0) {
    ssize_t r = ::recv(fd, p, n, 0);
    if (r <= 0) return false;
    p += r;
    n -= static_cast<std::size_t>(r);
  }
  return true;
}

}  // namespace

std::optional<std::vector<std::uint8_t>> udp_exchange(const Endpoint& server,
                                                      const std::vector<std::uint8_t>& query,
                                                      std::chrono::milliseconds timeout) {
  sockaddr_storage addr{};
  socklen_t len = make_address(server, addr);
  if (len == 0 || query.size() < 2) return std::nullopt;
  Socket s(::socket(addr.ss_family, SOCK_DGRAM, 0));
  if (s.get() < 0) return std::nullopt;
  set_timeout(s.get(), timeout);
  if (::connect(s.get(), reinterpret_cast<sockaddr*>(&addr), len) != 0) return std::nullopt;
  if (::send(s.get(), query.data(), query.size(), 0) != static_cast<ssize_t>(query.size()))
    return std::nullopt;
  std::vector<std::uint8_t> buf(65535);
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    ssize_t n = ::recv(s.get(), buf.data(), buf.size(), 0);
    if (n < 0) return std::nullopt;
    if (n >= 2 && buf[0] == query[0] && buf[1] == query[1]) {
      buf.resize(static_cast<std::size_t>(n));
      return buf;
    }
  }
  return std::nullopt;
}

std::optional<std::vector<std::uint8_t>> tcp_exchange(const Endpoint& server,
                                                      const std::vector<std::uint8_t>& query,
                                                      std::chrono::milliseconds timeout) {
  sockaddr_storage addr{};
  socklen_t len = make_address(server, addr);
  if (len == 0 || query.size() > 65535) return std::nullopt;
  Socket s(::socket(addr.ss_family, SOCK_STREAM, 0));
  if (s.get() < 0) return std::nullopt;
  set_timeout(s.get(), timeout);
  if (::connect(s.get(), reinterpret_cast<sockaddr*>(&addr), len) != 0) return std::nullopt;
  std::vector<std::uint8_t> framed = {static_cast<std::uint8_t>(query.size() >> 8),
                                      static_cast<std::uint8_t>(query.size())};
  framed.insert(framed.end(), query.begin(), query.end());
  if (::send(s.get(), framed.data(), framed.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(framed.size())) {
    return std::nullopt;
  }
  std::uint8_t prefix[2];
  if (!read_full(s.get(), prefix, 2)) return std::nullopt;
  std::vector<std::uint8_t> reply(static_cast<std::size_t>((prefix[0] << 8) | prefix[1]));
  if (!read_full(s.get(), reply.data(), reply.size())) return std::nullopt;
  return reply;
}

}  // namespace vigil::testing
