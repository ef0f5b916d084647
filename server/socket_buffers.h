// A listening UDP socket's kernel buffers (server.udp_receive_buffer,
// server.udp_send_buffer). At saturation the receive buffer decides how
// many queries wait for the worker instead of being dropped by the kernel;
// Linux's default (net.core.rmem_default: 212 992 octets of accounting,
// 104 KiB as an application sets it) holds about 800 small queries, a few
// milliseconds at line rate.
//
// The size asked is set with SO_RCVBUFFORCE / SO_SNDBUFFORCE, which go past
// net.core.rmem_max / wmem_max for a process with CAP_NET_ADMIN (vigild
// binds its sockets as root, before dropping privileges), else with
// SO_RCVBUF / SO_SNDBUF, which the kernel caps at those limits. What the
// socket got is read back, so the caller can say when it was capped.
// (Unbound's so-rcvbuf and so-sndbuf do the same.)
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

namespace vigil::server {

struct SocketBuffers {
  std::uint64_t receive = 0;  // octets; 0: the kernel's default, not set
  std::uint64_t send = 0;
  bool operator==(const SocketBuffers&) const = default;
};

// Sets the sizes `want` asks for (those that are not 0) on `fd`; returns
// the sizes the socket has afterwards, as the application sees them (the
// kernel reports twice the usable size; this is halved back).
SocketBuffers set_socket_buffers(int fd, const SocketBuffers& want);
// The sizes `fd` has now.
SocketBuffers socket_buffers(int fd);

// The kernel's figures for the listening UDP sockets, as vigilctl status
// and /metrics report them.
struct UdpSocketState {
  std::uint64_t drops = 0;           // summed over the sockets (udp_socket_drops())
  std::uint64_t receive_buffer = 0;  // octets, each socket's (SocketBuffers::receive)
};

// What the kernel dropped at a socket (its receive buffer full, mostly) is
// the `drops` column of /proc/net/udp and /proc/net/udp6, on the line of
// the socket's inode: read at scrape time, so the query path pays nothing.
// The inode of `fd` (0: not a socket, or unknown).
std::uint64_t socket_inode(int fd);
// The drops of the sockets `inodes` name, summed over the lines of
// `proc_net_udp` (the text of /proc/net/udp or udp6); lines that do not
// parse are skipped.
std::uint64_t udp_socket_drops(std::span<const std::uint64_t> inodes, std::string_view proc_net_udp);
// The same from this network namespace's /proc/net/udp and /proc/net/udp6.
std::uint64_t udp_socket_drops(std::span<const std::uint64_t> inodes);

}  // namespace vigil::server
