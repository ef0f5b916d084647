// A UDP socket's buffers: what is asked is what the socket gets (with
// CAP_NET_ADMIN, as vigild has when it binds), or what the sysctl allows.
#include "server/socket_buffers.h"

#include <unistd.h>

#include <algorithm>
#include <fstream>

#include <gtest/gtest.h>
#include <netinet/in.h>
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

// /proc/net/udp as Linux 6.1 writes it: a header and one line per socket.
TEST(SocketBuffersTest, TheDropsOfTheSocketsAskedForAreSummed) {
  const std::string text =
      "   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref "
      "pointer drops             \n"
      "  120: 0100007F:0035 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 41230 2 "
      "00000000a1b2c3d4 17       \n"
      "  120: 0100007F:0035 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 41231 2 "
      "00000000a1b2c3d5 5        \n"
      "  121: 0100007F:0036 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 999 2 "
      "00000000a1b2c3d6 1000\n"
      "  122: 0100007F:0037 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 41232 2\n"
      "garbage 41230 x\n";
  const std::uint64_t ours[] = {41230, 41231, 41232};
  EXPECT_EQ(udp_socket_drops(ours, text), 22u);  // 999 is not ours; 41232's line has no drops field
  EXPECT_EQ(udp_socket_drops({}, text), 0u);
  EXPECT_EQ(udp_socket_drops(ours, ""), 0u);
}

// A socket nobody reads, with the smallest receive buffer: what the kernel
// could not queue is what /proc/net/udp reports for its inode.
TEST(SocketBuffersTest, AFullReceiveBufferShowsAsDropsOfItsSocket) {
  UdpSocketFd receiver, sender;
  ASSERT_GE(receiver.get(), 0);
  const int tiny = 1;  // the kernel's minimum
  ASSERT_EQ(::setsockopt(receiver.get(), SOL_SOCKET, SO_RCVBUF, &tiny, sizeof tiny), 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(receiver.get(), reinterpret_cast<const sockaddr*>(&a), sizeof a), 0);
  socklen_t len = sizeof a;
  ASSERT_EQ(::getsockname(receiver.get(), reinterpret_cast<sockaddr*>(&a), &len), 0);
  const std::uint64_t inode = socket_inode(receiver.get());
  ASSERT_NE(inode, 0u);
  const std::uint64_t ours[] = {inode};
  EXPECT_EQ(udp_socket_drops(ours), 0u);
  const char datagram[512] = {};
  for (int i = 0; i < 200; ++i) {
    ASSERT_EQ(
        ::sendto(sender.get(), datagram, sizeof datagram, 0, reinterpret_cast<const sockaddr*>(&a), len),
        static_cast<ssize_t>(sizeof datagram));
  }
  const std::uint64_t drops = udp_socket_drops(ours);
  EXPECT_GT(drops, 150u);
  EXPECT_LT(drops, 200u);  // some were queued
  EXPECT_EQ(socket_inode(-1), 0u);
}

}  // namespace
}  // namespace vigil::server
