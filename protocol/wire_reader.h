// Bounds-checked reading of DNS wire data, including name decompression.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "protocol/name.h"
#include "protocol/result.h"

namespace vigil::dns {

// Reads big-endian integers and names from a message. Every read checks the
// bounds first and leaves the position unchanged on failure.
class WireReader {
 public:
  explicit WireReader(std::span<const std::uint8_t> message, std::size_t pos = 0)
      : msg_(message), pos_(pos) {}

  std::size_t pos() const { return pos_; }
  std::size_t remaining() const { return pos_ <= msg_.size() ? msg_.size() - pos_ : 0; }
  std::span<const std::uint8_t> message() const { return msg_; }

  bool read_u8(std::uint8_t& out);
  bool read_u16(std::uint16_t& out);
  bool read_u32(std::uint32_t& out);
  bool read_bytes(std::size_t n, std::span<const std::uint8_t>& out);
  bool skip(std::size_t n);

  // Reads a possibly compressed name at the current position. `limit` is the
  // end of the region the name's in-place octets must stay within (e.g. the
  // end of an RDATA); pointers may refer anywhere earlier in the message.
  // Without `allow_pointers` a compression pointer is an error (stored,
  // uncompressed data).
  Error read_name(Name& out) { return read_name(out, msg_.size(), true); }
  Error read_name(Name& out, std::size_t limit, bool allow_pointers = true);
  // Validates a possibly compressed name exactly as read_name() does, without
  // copying it; `wire_length` receives its uncompressed length.
  Error check_name(std::size_t limit, bool allow_pointers, std::size_t& wire_length);
  // Moves past a name without decompressing it (pointer targets unchecked).
  Error skip_name(std::size_t limit);

 private:
  // The one decompression walk behind read_name() and check_name(): calls
  // on_label(span) for each label in order.
  template <class OnLabel>
  Error walk_name(std::size_t limit, bool allow_pointers, OnLabel&& on_label);

  std::span<const std::uint8_t> msg_;
  std::size_t pos_;
};

inline std::uint16_t load_u16(const std::uint8_t* p) {
  return static_cast<std::uint16_t>((p[0] << 8) | p[1]);
}
inline std::uint32_t load_u32(const std::uint8_t* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) | p[3];
}
inline void store_u16(std::uint8_t* p, std::uint16_t v) {
  p[0] = static_cast<std::uint8_t>(v >> 8);
  p[1] = static_cast<std::uint8_t>(v);
}
inline void store_u32(std::uint8_t* p, std::uint32_t v) {
  p[0] = static_cast<std::uint8_t>(v >> 24);
  p[1] = static_cast<std::uint8_t>(v >> 16);
  p[2] = static_cast<std::uint8_t>(v >> 8);
  p[3] = static_cast<std::uint8_t>(v);
}

}  // namespace vigil::dns
