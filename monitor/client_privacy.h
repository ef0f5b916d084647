// How client addresses appear in the query log (query_log.client_ip):
// as they are, truncated to their network (/24 for IPv4, /56 for IPv6, as
// Unbound's and PowerDNS's anonymisation does), or replaced by a keyed hash
// (HMAC-SHA-256 with a secret, first 16 octets in hex): the same client
// always gets the same token, and without the secret it cannot be reversed
// by trying all 2^32 IPv4 addresses.
#pragma once

#include <cstdint>
#include <span>
#include <string>

namespace vigil::monitor {

enum class ClientIpMode : std::uint8_t { kFull, kTruncate, kHash };

class ClientPrivacy {
 public:
  ClientPrivacy() = default;
  ClientPrivacy(ClientIpMode mode, std::string secret) : mode_(mode), secret_(std::move(secret)) {}

  // The address as the log shows it (4 or 16 octets in).
  std::string show(std::span<const std::uint8_t> address) const;
  // The same written to `out`, which has room for kMaxShown chars; returns
  // the end (no allocation: the query log's writer calls it every line).
  static constexpr std::size_t kMaxShown = 46;
  char* show(char* out, std::span<const std::uint8_t> address) const;
  ClientIpMode mode() const { return mode_; }
  // The address for binary formats (dnstap): its octets as they are or
  // truncated, written to `out`; 0 in hash mode (an address field cannot
  // carry the token, so the address is left out).
  std::size_t octets(std::span<const std::uint8_t> address, std::span<std::uint8_t, 16> out) const;

 private:
  ClientIpMode mode_ = ClientIpMode::kFull;
  std::string secret_;
};

// "192.0.2.1", "2001:db8::1" (RFC 5952 form).
std::string address_text(std::span<const std::uint8_t> address);

}  // namespace vigil::monitor
