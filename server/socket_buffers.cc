#include "server/socket_buffers.h"

#include <algorithm>
#include <limits>

#include <sys/socket.h>

namespace vigil::server {

namespace {

std::uint64_t get_size(int fd, int option) {
  int v = 0;
  socklen_t len = sizeof v;
  if (::getsockopt(fd, SOL_SOCKET, option, &v, &len) != 0 || v < 0) return 0;
  return static_cast<std::uint64_t>(v) / 2;  // Linux doubles what it grants (its bookkeeping overhead)
}

void set_size(int fd, int forced, int capped, std::uint64_t size) {
  if (size == 0) return;
  const int v = static_cast<int>(std::min<std::uint64_t>(size, std::numeric_limits<int>::max() / 2));
  if (::setsockopt(fd, SOL_SOCKET, forced, &v, sizeof v) == 0) return;
  (void)::setsockopt(fd, SOL_SOCKET, capped, &v, sizeof v);  // capped at the sysctl: read back below
}

}  // namespace

SocketBuffers socket_buffers(int fd) {
  return SocketBuffers{get_size(fd, SO_RCVBUF), get_size(fd, SO_SNDBUF)};
}

SocketBuffers set_socket_buffers(int fd, const SocketBuffers& want) {
  set_size(fd, SO_RCVBUFFORCE, SO_RCVBUF, want.receive);
  set_size(fd, SO_SNDBUFFORCE, SO_SNDBUF, want.send);
  return socket_buffers(fd);
}

}  // namespace vigil::server
