#include "protocol/wire_reader.h"

#include "protocol/limits.h"

namespace vigil::dns {

bool WireReader::read_u8(std::uint8_t& out) {
  if (remaining() < 1) return false;
  out = msg_[pos_++];
  return true;
}

bool WireReader::read_u16(std::uint16_t& out) {
  if (remaining() < 2) return false;
  out = load_u16(&msg_[pos_]);
  pos_ += 2;
  return true;
}

bool WireReader::read_u32(std::uint32_t& out) {
  if (remaining() < 4) return false;
  out = load_u32(&msg_[pos_]);
  pos_ += 4;
  return true;
}

bool WireReader::read_bytes(std::size_t n, std::span<const std::uint8_t>& out) {
  if (remaining() < n) return false;
  out = msg_.subspan(pos_, n);
  pos_ += n;
  return true;
}

bool WireReader::skip(std::size_t n) {
  if (remaining() < n) return false;
  pos_ += n;
  return true;
}

template <class OnLabel>
Error WireReader::walk_name(std::size_t limit, bool allow_pointers, OnLabel&& on_label) {
  if (limit > msg_.size()) limit = msg_.size();
  std::size_t pos = pos_;
  std::size_t end = 0;                 // where the in-place octets end (set at the first pointer)
  std::size_t region_end = limit;      // reads before the first jump stay within the limit
  std::size_t backwards_bound = pos_;  // every jump must land strictly before this
  std::size_t hops = 0;
  while (true) {
    if (pos >= region_end) return Error::kTruncated;
    std::uint8_t len = msg_[pos];
    if (len == 0) {
      if (end == 0) end = pos + 1;
      break;
    }
    switch (len & 0xC0) {
      case 0x00: {
        if (pos + 1 + len > region_end) return Error::kTruncated;
        if (Error e = on_label(msg_.subspan(pos + 1, len)); e != Error::kOk) return e;
        pos += 1U + len;
        break;
      }
      case 0xC0: {
        if (!allow_pointers) return Error::kBadPointer;
        if (pos + 2 > region_end) return Error::kTruncated;
        std::size_t target = load_u16(&msg_[pos]) & 0x3FFFU;
        if (++hops > kMaxCompressionPointers) return Error::kTooManyPointers;
        // Strictly backwards, and before every earlier jump's target: this
        // makes loops impossible and every pointer a reference to data
        // already read.
        if (target >= backwards_bound) return Error::kBadPointer;
        if (end == 0) end = pos + 2;
        backwards_bound = target;
        region_end = msg_.size();
        pos = target;
        break;
      }
      default: return Error::kBadLabelType;
    }
  }
  pos_ = end;
  return Error::kOk;
}

Error WireReader::read_name(Name& out, std::size_t limit, bool allow_pointers) {
  NameBuilder builder;
  Error e = walk_name(limit, allow_pointers, [&builder](std::span<const std::uint8_t> label) {
    return builder.append_label(label);
  });
  if (e == Error::kOk) out = builder.finish();
  return e;
}

Error WireReader::check_name(std::size_t limit, bool allow_pointers, std::size_t& wire_length) {
  std::size_t length = 1;  // the root label
  Error e = walk_name(limit, allow_pointers, [&length](std::span<const std::uint8_t> label) {
    length += 1 + label.size();
    return length > kMaxNameLength ? Error::kNameTooLong : Error::kOk;
  });
  if (e == Error::kOk) wire_length = length;
  return e;
}

Error WireReader::skip_name(std::size_t limit) {
  if (limit > msg_.size()) limit = msg_.size();
  std::size_t pos = pos_;
  std::size_t total = 0;
  while (true) {
    if (pos >= limit) return Error::kTruncated;
    std::uint8_t len = msg_[pos];
    if (len == 0) {
      pos_ = pos + 1;
      return Error::kOk;
    }
    if ((len & 0xC0) == 0xC0) {
      if (pos + 2 > limit) return Error::kTruncated;
      pos_ = pos + 2;
      return Error::kOk;
    }
    if ((len & 0xC0) != 0) return Error::kBadLabelType;
    total += 1U + len;
    if (total + 1 > kMaxNameLength) return Error::kNameTooLong;
    pos += 1U + len;
  }
}

}  // namespace vigil::dns
