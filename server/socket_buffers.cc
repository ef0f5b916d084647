#include "server/socket_buffers.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <fstream>
#include <iterator>
#include <limits>
#include <string>

#include <sys/socket.h>
#include <sys/stat.h>

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

std::uint64_t socket_inode(int fd) {
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISSOCK(st.st_mode)) return 0;
  const std::uint64_t inode = st.st_ino;
  return inode;
}

namespace {

bool parse_number(std::string_view f, std::uint64_t& out) {
  const auto [ptr, ec] = std::from_chars(f.data(), f.data() + f.size(), out);
  return ec == std::errc() && ptr == f.data() + f.size();
}

}  // namespace

std::uint64_t udp_socket_drops(std::span<const std::uint64_t> inodes, std::string_view text) {
  // "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref
  // pointer drops": the inode is the 10th field, the drops the 13th.
  constexpr std::size_t kInodeField = 9, kDropsField = 12;
  std::uint64_t total = 0;
  while (!text.empty()) {
    const std::size_t eol = text.find('\n');
    std::string_view line = text.substr(0, eol);
    text = eol == std::string_view::npos ? std::string_view() : text.substr(eol + 1);
    std::array<std::string_view, kDropsField + 1> fields;
    std::size_t n = 0;
    for (std::size_t start = line.find_first_not_of(' ');
         start != std::string_view::npos && n < fields.size(); start = line.find_first_not_of(' ')) {
      line.remove_prefix(start);
      const std::size_t end = std::min(line.find(' '), line.size());
      fields[n++] = line.substr(0, end);
      line.remove_prefix(end);
    }
    std::uint64_t inode = 0, drops = 0;
    // The header, or a line cut short, does not parse.
    if (n < fields.size() || !parse_number(fields[kInodeField], inode) ||
        !parse_number(fields[kDropsField], drops) || inode == 0) {
      continue;
    }
    if (std::find(inodes.begin(), inodes.end(), inode) != inodes.end()) total += drops;
  }
  return total;
}

std::uint64_t udp_socket_drops(std::span<const std::uint64_t> inodes) {
  std::uint64_t total = 0;
  for (const char* path : {"/proc/net/udp", "/proc/net/udp6"}) {
    std::ifstream f(path);
    const std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    total += udp_socket_drops(inodes, text);
  }
  return total;
}

}  // namespace vigil::server
