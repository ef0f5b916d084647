// Error codes of the protocol library and a small Expected<T> to carry them.
#pragma once

#include <cassert>
#include <cstdint>
#include <string_view>
#include <utility>
#include <variant>

namespace vigil::dns {

// Why a piece of wire or presentation data was rejected. Every parser in
// protocol/ reports one of these instead of crashing or reading out of bounds.
enum class Error : std::uint8_t {
  kOk = 0,
  kTruncated,           // data ends before the structure does
  kLabelTooLong,        // label longer than 63 octets
  kNameTooLong,         // name longer than 255 octets
  kBadLabelType,        // label type 0x40/0x80 (RFC 6891 §5 obsoleted them)
  kBadPointer,          // compression pointer not strictly backwards / out of bounds
  kTooManyPointers,     // decompression exceeded kMaxCompressionPointers hops
  kEmptyLabel,          // presentation: "a..b" or a leading dot
  kBadEscape,           // presentation: bad \DDD or dangling backslash
  kBadRdata,            // RDATA does not match its type's format
  kRdataTooLong,        // decompressed RDATA would exceed 65535 octets
  kTrailingData,        // octets left after the last section
  kOptNotInAdditional,  // OPT RR in answer or authority (RFC 6891 §6.1.1)
  kMultipleOpt,         // more than one OPT RR
  kBadOptOwner,         // OPT owner is not the root
  kBadOptRdata,         // OPT options do not exactly fill RDLENGTH
  kNoSpace,             // writer: output buffer or limit exhausted
  kBadText,             // presentation format not understood
};

std::string_view error_message(Error e);
// The enumerator's name without the leading k ("BadPointer"), for logs,
// counters and test corpora.
std::string_view error_name(Error e);

template <class T, class E = Error>
class [[nodiscard]] Expected {
 public:
  Expected(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT(google-explicit-constructor)
  Expected(E error) : v_(std::in_place_index<1>, std::move(error)) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & {
    assert(ok());
    return std::get<0>(v_);
  }
  const T& value() const& {
    assert(ok());
    return std::get<0>(v_);
  }
  T&& value() && {
    assert(ok());
    return std::get<0>(std::move(v_));
  }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const E& error() const {
    assert(!ok());
    return std::get<1>(v_);
  }

 private:
  std::variant<T, E> v_;
};

}  // namespace vigil::dns
