// A domain name in uncompressed wire form, stored inline (no heap).
//
// Labels may hold any octet (RFC 2181 §11). Case is preserved as received,
// comparison and hashing are ASCII case-insensitive (RFC 4343), and ordering
// is the DNSSEC canonical order (RFC 4034 §6.1).
#pragma once

#include <array>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <span>
#include <string>
#include <string_view>

#include "protocol/limits.h"
#include "protocol/result.h"

namespace vigil::dns {

class Name {
 public:
  // The root name ".".
  Name() { data_[0] = 0; }
  // Copies only the octets in use (a Name is 256 octets, most names < 32).
  Name(const Name& other) noexcept : length_(other.length_) {
    std::memcpy(data_.data(), other.data_.data(), length_);
  }
  Name& operator=(const Name& other) noexcept {
    length_ = other.length_;
    std::memmove(data_.data(), other.data_.data(), length_);
    return *this;
  }

  // Parses presentation format: labels separated by dots, "\X" escapes any
  // character, "\DDD" a decimal octet. A name without a trailing dot is
  // relative and gets `origin` appended (the root by default).
  static Expected<Name> from_text(std::string_view text);
  static Expected<Name> from_text(std::string_view text, const Name& origin);
  // Validates an uncompressed wire-form name that fills `wire` exactly.
  static Expected<Name> from_wire(std::span<const std::uint8_t> wire);

  // Presentation format, fully qualified with a trailing dot; special and
  // non-printable octets are escaped so that from_text() gives them back.
  std::string to_text() const;
  void append_text(std::string& out) const;
  // lowercased().append_text(out), without the copy.
  void append_lowercase_text(std::string& out) const;

  std::span<const std::uint8_t> wire() const { return {data_.data(), length_}; }
  std::size_t wire_length() const { return length_; }
  bool is_root() const { return length_ == 1; }
  // Number of labels, not counting the root label ("www.example." has 2).
  std::size_t label_count() const;
  // Label i counted from the left (0 = leftmost), without its length octet.
  std::span<const std::uint8_t> label(std::size_t i) const;
  // Whether the leftmost label is "*" (RFC 4592).
  bool is_wildcard() const { return length_ > 2 && data_[0] == 1 && data_[1] == '*'; }

  // Case-insensitive equality; exact_equals also compares case (0x20 checks).
  bool operator==(const Name& other) const;
  bool exact_equals(const Name& other) const;
  // RFC 4034 §6.1 canonical order.
  std::strong_ordering operator<=>(const Name& other) const;
  // Case-insensitive hash, consistent with operator==.
  std::size_t hash() const;

  // True when this name equals `ancestor` or lies below it.
  bool is_subdomain_of(const Name& ancestor) const;
  // True when this name lies strictly below `ancestor`.
  bool is_strict_subdomain_of(const Name& ancestor) const {
    return length_ > ancestor.length_ && is_subdomain_of(ancestor);
  }
  // Number of trailing labels both names share.
  std::size_t common_labels(const Name& other) const;

  // The name without its leftmost label; the root's parent is the root.
  Name parent() const;
  // The rightmost `labels` labels ("www.example.com.".suffix(2) = "example.com.").
  Name suffix(std::size_t labels) const;
  // `label` + this name.
  Expected<Name> prepend(std::span<const std::uint8_t> label) const;
  // This name with `suffix` appended in place of the root label.
  Expected<Name> concat(const Name& suffix) const;
  // This name with its `old_suffix` replaced by `new_suffix` (DNAME, RFC 6672).
  Expected<Name> replace_suffix(const Name& old_suffix, const Name& new_suffix) const;
  // ASCII-lowercased copy.
  Name lowercased() const;

 private:
  // Appends raw wire labels (without root) and the root label; no checks.
  // Only the first length_ octets of data_ are meaningful (and initialised).
  std::uint8_t length_ = 1;
  std::array<std::uint8_t, kMaxNameLength> data_;

  friend class NameBuilder;
};

// Incremental construction from labels, used by parsers: append labels from
// left to right, then finish() terminates with the root label.
class NameBuilder {
 public:
  Error append_label(std::span<const std::uint8_t> label);
  Name finish();
  std::size_t length() const { return length_; }

 private:
  std::size_t length_ = 0;
  Name name_;
};

inline std::uint8_t ascii_lower(std::uint8_t c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<std::uint8_t>(c + 32) : c;
}

}  // namespace vigil::dns

template <>
struct std::hash<vigil::dns::Name> {
  std::size_t operator()(const vigil::dns::Name& n) const noexcept { return n.hash(); }
};
