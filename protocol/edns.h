// EDNS(0) (RFC 6891): the OPT pseudo-RR, its options, Extended DNS Errors
// (RFC 8914) and padding (RFC 7830).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/limits.h"
#include "protocol/result.h"
#include "protocol/types.h"

namespace vigil::dns {

struct EdnsOption {
  std::uint16_t code = 0;
  std::vector<std::uint8_t> data;
  bool operator==(const EdnsOption&) const = default;
};

struct ExtendedError {
  EdeCode code = EdeCode::kOther;
  std::string text;  // EXTRA-TEXT, UTF-8, may be empty
  bool operator==(const ExtendedError&) const = default;
};

// The OPT TTL field: extended RCODE (upper 8 bits), version, DO, Z.
struct EdnsFlags {
  std::uint8_t extended_rcode = 0;
  std::uint8_t version = 0;
  bool dnssec_ok = false;
  std::uint16_t z = 0;  // the 15 bits after DO, must be zero when sent

  std::uint32_t to_ttl() const {
    return (std::uint32_t{extended_rcode} << 24) | (std::uint32_t{version} << 16) |
           (dnssec_ok ? 0x8000U : 0U) | (z & 0x7FFFU);
  }
  static EdnsFlags from_ttl(std::uint32_t ttl) {
    return {static_cast<std::uint8_t>(ttl >> 24), static_cast<std::uint8_t>(ttl >> 16), (ttl & 0x8000U) != 0,
            static_cast<std::uint16_t>(ttl & 0x7FFFU)};
  }
  bool operator==(const EdnsFlags&) const = default;
};

struct Edns {
  std::uint16_t udp_payload = kDefaultEdnsPayload;  // the OPT CLASS field
  EdnsFlags flags;
  std::vector<EdnsOption> options;

  std::vector<ExtendedError> extended_errors() const;
  void add_extended_error(EdeCode code, std::string_view text = {});
  const EdnsOption* find_option(EdnsOptionCode code) const;
  // OPT RDATA: the options in wire form.
  std::vector<std::uint8_t> options_wire() const;
  // Parses OPT RDATA; the options must fill it exactly.
  static Error parse_options(std::span<const std::uint8_t> rdata, std::vector<EdnsOption>& out);

  bool operator==(const Edns&) const = default;
};

// Walks OPT RDATA without allocating: calls fn(code, data) per option.
// Returns kBadOptRdata when the options do not fill the RDATA exactly.
template <class Fn>
Error for_each_edns_option(std::span<const std::uint8_t> rdata, Fn&& fn) {
  std::size_t pos = 0;
  while (pos < rdata.size()) {
    if (pos + 4 > rdata.size()) return Error::kBadOptRdata;
    auto code = static_cast<std::uint16_t>((rdata[pos] << 8) | rdata[pos + 1]);
    std::size_t len = static_cast<std::size_t>((rdata[pos + 2] << 8) | rdata[pos + 3]);
    if (pos + 4 + len > rdata.size()) return Error::kBadOptRdata;
    fn(code, rdata.subspan(pos + 4, len));
    pos += 4 + len;
  }
  return Error::kOk;
}

// An EDE option's data: INFO-CODE then EXTRA-TEXT (cut to kMaxEdeTextLength).
std::vector<std::uint8_t> encode_extended_error(EdeCode code, std::string_view text);
std::optional<ExtendedError> decode_extended_error(std::span<const std::uint8_t> data);

// Octets of padding (RFC 7830) that bring a message of `size` octets (with
// the padding option's own 4-octet header) up to a multiple of `block`
// (RFC 8467 recommends 468 for responses, 128 for queries).
std::size_t padding_for_block(std::size_t size, std::size_t block);

}  // namespace vigil::dns
