// A UDP socket's buffers: what is asked is what the socket gets (with
// CAP_NET_ADMIN, as vigild has when it binds), or what the sysctl allows.
#include "server/socket_buffers.h"

#include <unistd.h>

#include <algorithm>
#include <fstream>

#include <gtest/gtest.h>
#include <sys/socket.h>

namespace vigil::server {
namespace {

std::uint64_t Sysctl(const char* path) {
  std::ifstream in(path);
  std::uint64_t v = 0;
  in >> v;
  return v;
}

class UdpSocketFd {
 public:
  UdpSocketFd() : fd_(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) {}
  ~UdpSocketFd() { ::close(fd_); }
  int get() const { return fd_; }

 private:
  int fd_;
};

TEST(SocketBuffersTest, ZeroLeavesTheKernelsDefault) {
  UdpSocketFd s;
  ASSERT_GE(s.get(), 0);
  const SocketBuffers before = socket_buffers(s.get());
  EXPECT_GT(before.receive, 0u);
  EXPECT_EQ(set_socket_buffers(s.get(), {}), before);
}

TEST(SocketBuffersTest, TheSizeAskedIsTheSizeGotOrTheSysctlsCap) {
  UdpSocketFd s;
  ASSERT_GE(s.get(), 0);
  const SocketBuffers want{8u << 20, 2u << 20};
  const SocketBuffers got = set_socket_buffers(s.get(), want);
  UdpSocketFd probe;
  const int one_mib = 1 << 20;
  if (::setsockopt(probe.get(), SOL_SOCKET, SO_RCVBUFFORCE, &one_mib, sizeof one_mib) == 0) {
    // CAP_NET_ADMIN (root here): past net.core.rmem_max and wmem_max.
    EXPECT_EQ(got, want);
  } else {
    EXPECT_EQ(got.receive, std::min<std::uint64_t>(want.receive, Sysctl("/proc/sys/net/core/rmem_max")));
    EXPECT_EQ(got.send, std::min<std::uint64_t>(want.send, Sysctl("/proc/sys/net/core/wmem_max")));
  }
  EXPECT_EQ(socket_buffers(s.get()), got);
}

}  // namespace
}  // namespace vigil::server
