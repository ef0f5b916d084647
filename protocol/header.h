// The fixed 12-octet message header (RFC 1035 §4.1.1) and section names.
#pragma once

#include <cstdint>

#include "protocol/types.h"

namespace vigil::dns {

enum class Section : std::uint8_t { kQuestion = 0, kAnswer = 1, kAuthority = 2, kAdditional = 3 };

struct Header {
  std::uint16_t id = 0;
  bool qr = false;
  Opcode opcode = Opcode::kQuery;
  bool aa = false;
  bool tc = false;
  bool rd = false;
  bool ra = false;
  bool z = false;
  bool ad = false;
  bool cd = false;
  std::uint8_t rcode = 0;  // the low 4 bits; EDNS carries the upper 8

  std::uint16_t flags() const {
    return static_cast<std::uint16_t>((qr ? 0x8000 : 0) | ((static_cast<unsigned>(opcode) & 0xF) << 11) |
                                      (aa ? 0x0400 : 0) | (tc ? 0x0200 : 0) | (rd ? 0x0100 : 0) |
                                      (ra ? 0x0080 : 0) | (z ? 0x0040 : 0) | (ad ? 0x0020 : 0) |
                                      (cd ? 0x0010 : 0) | (rcode & 0xF));
  }

  static Header from_wire(std::uint16_t id, std::uint16_t flags) {
    Header h;
    h.id = id;
    h.qr = (flags & 0x8000) != 0;
    h.opcode = static_cast<Opcode>((flags >> 11) & 0xF);
    h.aa = (flags & 0x0400) != 0;
    h.tc = (flags & 0x0200) != 0;
    h.rd = (flags & 0x0100) != 0;
    h.ra = (flags & 0x0080) != 0;
    h.z = (flags & 0x0040) != 0;
    h.ad = (flags & 0x0020) != 0;
    h.cd = (flags & 0x0010) != 0;
    h.rcode = static_cast<std::uint8_t>(flags & 0xF);
    return h;
  }

  bool operator==(const Header&) const = default;
};

}  // namespace vigil::dns
