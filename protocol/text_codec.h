// Encoders used when printing RDATA in presentation format.
#pragma once

#include <cstdint>
#include <span>
#include <string>

namespace vigil::dns {

// Uppercase hexadecimal, no separators (DS digests, RFC 3597 \# data).
void append_hex(std::string& out, std::span<const std::uint8_t> data);
// RFC 4648 base64 with padding (DNSKEY, RRSIG signatures).
void append_base64(std::string& out, std::span<const std::uint8_t> data);
// RFC 4648 §7 "base32hex", lowercase, no padding (NSEC3 hashed owner names).
void append_base32hex(std::string& out, std::span<const std::uint8_t> data);
// A <character-string> in double quotes: '"' and '\' backslash-escaped,
// octets outside 0x20..0x7E as \DDD (RFC 1035 §5.1).
void append_quoted(std::string& out, std::span<const std::uint8_t> data);

}  // namespace vigil::dns
