// Addresses as the configuration and the transports write them: an
// endpoint ("127.0.0.1:53", "[::1]:53") and an address prefix
// ("192.168.0.0/16", "::1/128", or a bare address, full length). Plain
// values with their parsers and printers; no sockets.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace vigil::util {

// An address and port: "127.0.0.1:53", "[::1]:53".
struct Endpoint {
  std::string address;  // literal, without brackets
  bool ipv6 = false;
  std::uint16_t port = 53;
  std::string to_string() const;
  bool operator==(const Endpoint&) const = default;
};

// An address prefix: "192.168.0.0/16", "::1/128", or a bare address (full length).
struct Cidr {
  std::array<std::uint8_t, 16> bytes{};
  std::uint8_t length = 4;  // address octets: 4 or 16
  std::uint8_t prefix = 32;
  bool contains(std::span<const std::uint8_t> address) const;
  std::string to_string() const;
  bool operator==(const Cidr&) const = default;
};

// ADDRESS:PORT with an IPv6 address in brackets; the port is 1-65535.
std::optional<Endpoint> parse_endpoint(std::string_view text);
// ADDRESS/PREFIX or a bare ADDRESS (IPv4 or IPv6).
std::optional<Cidr> parse_cidr(std::string_view text);

}  // namespace vigil::util
