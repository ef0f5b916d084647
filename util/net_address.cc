#include "util/net_address.h"

#include <algorithm>
#include <charconv>
#include <cstddef>

#include <arpa/inet.h>

namespace vigil::util {

std::string Endpoint::to_string() const {
  return (ipv6 ? "[" + address + "]" : address) + ":" + std::to_string(port);
}

bool Cidr::contains(std::span<const std::uint8_t> address) const {
  if (address.size() != length) return false;
  std::size_t full = prefix / 8;
  if (!std::equal(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(full), address.begin()))
    return false;
  unsigned rest = prefix % 8;
  if (rest == 0) return true;
  auto mask = static_cast<std::uint8_t>(0xFF << (8 - rest));
  return (bytes[full] & mask) == (address[full] & mask);
}

std::string Cidr::to_string() const {
  char buf[INET6_ADDRSTRLEN] = {};
  inet_ntop(length == 4 ? AF_INET : AF_INET6, bytes.data(), buf, sizeof buf);
  return std::string(buf) + "/" + std::to_string(prefix);
}

std::optional<Endpoint> parse_endpoint(std::string_view text) {
  Endpoint e;
  std::string_view addr;
  std::string_view port;
  if (!text.empty() && text.front() == '[') {
    auto close = text.find("]:");
    if (close == std::string_view::npos) return std::nullopt;
    addr = text.substr(1, close - 1);
    port = text.substr(close + 2);
    e.ipv6 = true;
  } else {
    auto colon = text.rfind(':');
    if (colon == std::string_view::npos || text.find(':') != colon) return std::nullopt;
    addr = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  unsigned p = 0;
  auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), p);
  if (ec != std::errc() || ptr != port.data() + port.size() || p == 0 || p > 65535) return std::nullopt;
  std::array<std::uint8_t, 16> buf{};
  std::string a(addr);
  if (inet_pton(e.ipv6 ? AF_INET6 : AF_INET, a.c_str(), buf.data()) != 1) return std::nullopt;
  e.address = a;
  e.port = static_cast<std::uint16_t>(p);
  return e;
}

std::optional<Cidr> parse_cidr(std::string_view text) {
  Cidr c;
  auto slash = text.find('/');
  std::string addr(text.substr(0, slash));
  if (inet_pton(AF_INET, addr.c_str(), c.bytes.data()) == 1) {
    c.length = 4;
  } else if (inet_pton(AF_INET6, addr.c_str(), c.bytes.data()) == 1) {
    c.length = 16;
  } else {
    return std::nullopt;
  }
  unsigned prefix = c.length * 8U;
  if (slash != std::string_view::npos) {
    std::string_view p = text.substr(slash + 1);
    auto [ptr, ec] = std::from_chars(p.data(), p.data() + p.size(), prefix);
    if (ec != std::errc() || ptr != p.data() + p.size() || prefix > c.length * 8U) return std::nullopt;
  }
  c.prefix = static_cast<std::uint8_t>(prefix);
  return c;
}

}  // namespace vigil::util
