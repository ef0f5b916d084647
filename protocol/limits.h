// Every wire-format limit the protocol library enforces, in one place.
#pragma once

#include <cstddef>
#include <cstdint>

namespace vigil::dns {

// RFC 1035 §2.3.4: a label is at most 63 octets, a name at most 255 octets
// in wire form (length octets and the terminating root label included).
inline constexpr std::size_t kMaxLabelLength = 63;
inline constexpr std::size_t kMaxNameLength = 255;
// 255 octets hold at most 127 one-octet labels plus the root label.
inline constexpr std::size_t kMaxLabels = 127;

inline constexpr std::size_t kHeaderSize = 12;
inline constexpr std::size_t kMaxMessageSize = 65535;
// A question is at least a root name (1) + type (2) + class (2).
inline constexpr std::size_t kMinQuestionSize = 5;
// An RR is at least a root owner (1) + type, class (4) + TTL (4) + RDLENGTH (2).
inline constexpr std::size_t kMinRecordSize = 11;

// RFC 1035 §4.2.1 / RFC 6891 §6.2.5: UDP payloads.
inline constexpr std::uint16_t kMinUdpPayload = 512;
// DNS Flag Day 2020: the EDNS buffer size we advertise and default to.
inline constexpr std::uint16_t kDefaultEdnsPayload = 1232;
// Size of an OPT RR with no options (root owner, type, class, ttl, rdlength).
inline constexpr std::size_t kOptRecordSize = 11;

// Decompression: pointers must point strictly backwards (each jump lands
// before the previous one), which already rules out loops; the hop cap bounds
// CPU per name for hostile packets. A legitimate name never needs more hops
// than it has labels.
inline constexpr std::size_t kMaxCompressionPointers = kMaxLabels + 1;
// Compression pointers are 14-bit offsets.
inline constexpr std::size_t kMaxCompressionOffset = 0x3FFF;
// How many name suffixes the writer remembers as compression targets.
inline constexpr std::size_t kMaxCompressionTargets = 256;

// RFC 8914: EXTRA-TEXT of an Extended DNS Error we emit is cut to this.
inline constexpr std::size_t kMaxEdeTextLength = 200;

}  // namespace vigil::dns
