// RDATA: typed knowledge of each RR type's layout, driven by one table.
//
// RDATA is stored uncompressed ("canonical" wire form with original case).
// The table tells, per type, which fields it has, so the same description
// validates and decompresses RDATA read from a message, prints it in
// presentation format, and finds the names a writer may compress. Types not
// in the table are opaque (RFC 3597).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "protocol/name.h"
#include "protocol/result.h"
#include "protocol/types.h"

namespace vigil::dns {

class WireReader;

enum class FieldKind : std::uint8_t {
  kU8,
  kU16,
  kU32,
  kType,  // 16-bit RR type, printed as a mnemonic (RRSIG type covered)
  kTime,  // 32-bit time, printed YYYYMMDDHHmmSS (RRSIG)
  kIPv4,
  kIPv6,
  kCompressibleName,  // RFC 1035 types: compressed on write, decompressed on read
  kName,              // decompressed on read (RFC 3597 §4), never compressed on write
  kCharString,        // <character-string>: length octet + data
  kCharStrings,       // one or more <character-string> up to the end (TXT)
  kBase64,            // the rest, printed in base64
  kHex,               // the rest (at least one octet), printed in hex
  kSalt,              // length octet + data, printed hex or "-" (NSEC3)
  kHash,              // length octet + data, printed base32hex (NSEC3 next owner)
  kTypeBitmap,        // the rest: RFC 4034 §4.1.2 windowed type bitmap
  kCaaTag,            // length octet + alphanumeric tag (RFC 8659)
  kString,            // the rest, printed as one quoted string (CAA value, URI)
  kSvcParams,         // the rest: RFC 9460 SvcParams in strictly increasing key order
};

// Receives the fields of an RDATA in order. Raw fields arrive as their full
// wire encoding (length octets included); names decompressed.
class RdataVisitor {
 public:
  virtual ~RdataVisitor() = default;
  virtual void raw(FieldKind kind, std::span<const std::uint8_t> bytes) = 0;
  virtual void name(FieldKind kind, const Name& name) = 0;
  // Visitors that only validate return false here: names are then checked
  // without being copied, and only their length is reported.
  [[nodiscard]] virtual bool wants_names() const { return true; }
  virtual void name_length(FieldKind /*kind*/, std::size_t /*wire_length*/) {}
};

// Whether the type has a known layout (else it is opaque).
bool is_typed(RRType type);
// Whether a writer may compress names in this type's RDATA (RFC 3597 §4).
bool has_compressible_names(RRType type);

// Walks RDATA at the reader's position, `rdlength` octets long, validating
// it against its type. With `allow_pointers` names may be compressed (RDATA
// inside a message); without, they must be uncompressed (stored RDATA).
// On success the reader stands at the end of the RDATA.
Error visit_rdata(RRType type, WireReader& reader, std::uint16_t rdlength, bool allow_pointers,
                  RdataVisitor& visitor);

// Reads RDATA from a message: validates it, decompresses embedded names and
// appends the uncompressed form to `out`.
Error read_rdata(std::span<const std::uint8_t> message, std::size_t pos, std::uint16_t rdlength, RRType type,
                 std::vector<std::uint8_t>& out);
// Validates RDATA inside a message without copying it.
Error validate_rdata(std::span<const std::uint8_t> message, std::size_t pos, std::uint16_t rdlength,
                     RRType type);
// Validates stored (uncompressed) RDATA.
Error validate_stored_rdata(RRType type, std::span<const std::uint8_t> rdata);

// Presentation format of stored RDATA ("192.0.2.1", "10 mail.example.",
// "\# 3 ABCDEF" for opaque types).
std::string rdata_to_text(RRType type, std::span<const std::uint8_t> rdata);
void append_rdata_text(std::string& out, RRType type, std::span<const std::uint8_t> rdata);

// An address's text: 4 octets as dotted decimal, 16 as RFC 5952 IPv6;
// anything else appends nothing.
void append_address_text(std::string& out, std::span<const std::uint8_t> address);
// The same into a buffer of at least kMaxAddressText chars; returns the end.
inline constexpr std::size_t kMaxAddressText = 46;  // INET6_ADDRSTRLEN
char* format_address(char* out, std::span<const std::uint8_t> address);

// The domain name a record points at: NS/CNAME/DNAME/PTR targets, MX and
// SRV targets, SVCB/HTTPS TargetName. nullopt for other types.
std::optional<Name> rdata_target_name(RRType type, std::span<const std::uint8_t> rdata);

struct SoaRdata {
  Name mname;
  Name rname;
  std::uint32_t serial = 0;
  std::uint32_t refresh = 0;
  std::uint32_t retry = 0;
  std::uint32_t expire = 0;
  std::uint32_t minimum = 0;

  static std::optional<SoaRdata> decode(std::span<const std::uint8_t> rdata);
  std::vector<std::uint8_t> encode() const;
};

// Builders for stored RDATA of common types.
std::vector<std::uint8_t> make_a_rdata(const std::array<std::uint8_t, 4>& addr);
std::vector<std::uint8_t> make_aaaa_rdata(const std::array<std::uint8_t, 16>& addr);
// NS, CNAME, DNAME, PTR and other single-name types.
std::vector<std::uint8_t> make_name_rdata(const Name& target);
std::vector<std::uint8_t> make_mx_rdata(std::uint16_t preference, const Name& exchange);
// Strings longer than 255 octets are split over several <character-string>s.
std::vector<std::uint8_t> make_txt_rdata(std::span<const std::string> strings);

}  // namespace vigil::dns
