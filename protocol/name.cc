#include "protocol/name.h"

#include <algorithm>
#include <cstring>

namespace vigil::dns {
namespace {

// Offsets of each label's length octet, leftmost first; returns the count
// (root label excluded).
std::size_t label_offsets(std::span<const std::uint8_t> wire, std::array<std::uint8_t, kMaxLabels + 1>& out) {
  std::size_t n = 0;
  std::size_t pos = 0;
  while (wire[pos] != 0) {
    out[n++] = static_cast<std::uint8_t>(pos);
    pos += 1U + wire[pos];
  }
  return n;
}

// Characters that must be escaped in presentation format (RFC 1035 §5.1 and
// the zone-file specials).
bool needs_backslash(std::uint8_t c) {
  switch (c) {
    case '.':
    case '\\':
    case '"':
    case ';':
    case '(':
    case ')':
    case '@':
    case '$': return true;
    default: return false;
  }
}

int compare_label_ci(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b) {
  std::size_t n = std::min(a.size(), b.size());
  for (std::size_t i = 0; i < n; ++i) {
    std::uint8_t x = ascii_lower(a[i]);
    std::uint8_t y = ascii_lower(b[i]);
    if (x != y) return x < y ? -1 : 1;
  }
  if (a.size() == b.size()) return 0;
  return a.size() < b.size() ? -1 : 1;
}

}  // namespace

Error NameBuilder::append_label(std::span<const std::uint8_t> label) {
  if (label.empty()) return Error::kEmptyLabel;
  if (label.size() > kMaxLabelLength) return Error::kLabelTooLong;
  // +1 for the length octet, +1 reserved for the final root label.
  if (length_ + 1 + label.size() + 1 > kMaxNameLength) return Error::kNameTooLong;
  name_.data_[length_] = static_cast<std::uint8_t>(label.size());
  std::memcpy(&name_.data_[length_ + 1], label.data(), label.size());
  length_ += 1 + label.size();
  return Error::kOk;
}

Name NameBuilder::finish() {
  name_.data_[length_] = 0;
  name_.length_ = static_cast<std::uint8_t>(length_ + 1);
  return name_;
}

Expected<Name> Name::from_text(std::string_view text) {
  return from_text(text, Name());
}

Expected<Name> Name::from_text(std::string_view text, const Name& origin) {
  if (text.empty()) return Error::kBadText;
  if (text == ".") return Name();
  NameBuilder b;
  std::array<std::uint8_t, kMaxLabelLength + 1> label{};
  std::size_t len = 0;
  bool absolute = false;
  std::size_t i = 0;
  while (i < text.size()) {
    auto c = static_cast<std::uint8_t>(text[i]);
    if (c == '.') {
      if (len == 0) return Error::kEmptyLabel;
      if (Error e = b.append_label({label.data(), len}); e != Error::kOk) return e;
      len = 0;
      ++i;
      if (i == text.size()) absolute = true;
      continue;
    }
    std::uint8_t octet = c;
    if (c == '\\') {
      if (i + 1 >= text.size()) return Error::kBadEscape;
      auto d0 = static_cast<std::uint8_t>(text[i + 1]);
      if (d0 >= '0' && d0 <= '9') {
        if (i + 3 >= text.size()) return Error::kBadEscape;  // needs three digits
        unsigned v = 0;
        for (std::size_t k = 1; k <= 3; ++k) {
          auto d = static_cast<std::uint8_t>(text[i + k]);
          if (d < '0' || d > '9') return Error::kBadEscape;
          v = v * 10 + (d - '0');
        }
        if (v > 255) return Error::kBadEscape;
        octet = static_cast<std::uint8_t>(v);
        i += 4;
      } else {
        octet = d0;
        i += 2;
      }
    } else {
      ++i;
    }
    if (len == kMaxLabelLength) return Error::kLabelTooLong;
    label[len++] = octet;
  }
  if (len > 0) {
    if (Error e = b.append_label({label.data(), len}); e != Error::kOk) return e;
  }
  Name name = b.finish();
  if (absolute) return name;
  return name.concat(origin);
}

Expected<Name> Name::from_wire(std::span<const std::uint8_t> wire) {
  NameBuilder b;
  std::size_t pos = 0;
  while (true) {
    if (pos >= wire.size()) return Error::kTruncated;
    std::uint8_t len = wire[pos];
    if (len == 0) break;
    if ((len & 0xC0) != 0) return Error::kBadLabelType;
    if (pos + 1 + len > wire.size()) return Error::kTruncated;
    if (Error e = b.append_label(wire.subspan(pos + 1, len)); e != Error::kOk) return e;
    pos += 1U + len;
  }
  if (pos + 1 != wire.size()) return Error::kTrailingData;
  return b.finish();
}

std::string Name::to_text() const {
  std::string out;
  out.reserve(length_ + 1);
  append_text(out);
  return out;
}

namespace {

// Writes the presentation form of the labels at `wire` (not the root) into
// `out`, which has room for 4 characters an octet; returns the end. Built
// on the stack and appended once: one capacity check, not one a character.
char* write_text(const std::uint8_t* wire, bool lowercase, char* out) {
  for (std::size_t pos = 0; wire[pos] != 0; pos += 1U + wire[pos]) {
    for (std::size_t i = pos + 1; i <= pos + wire[pos]; ++i) {
      std::uint8_t c = lowercase ? ascii_lower(wire[i]) : wire[i];
      if (c > 0x20 && c < 0x7F) {
        if (needs_backslash(c)) *out++ = '\\';
        *out++ = static_cast<char>(c);
      } else {
        *out++ = '\\';
        *out++ = static_cast<char>('0' + c / 100);
        *out++ = static_cast<char>('0' + (c / 10) % 10);
        *out++ = static_cast<char>('0' + c % 10);
      }
    }
    *out++ = '.';
  }
  return out;
}

void append_wire_text(const std::uint8_t* wire, bool lowercase, std::string& out) {
  if (wire[0] == 0) {  // the root
    out += '.';
    return;
  }
  char buf[kMaxNameLength * 4];
  out.append(buf, static_cast<std::size_t>(write_text(wire, lowercase, buf) - buf));
}

}  // namespace

void Name::append_text(std::string& out) const {
  append_wire_text(data_.data(), false, out);
}

void Name::append_lowercase_text(std::string& out) const {
  append_wire_text(data_.data(), true, out);
}

std::size_t Name::label_count() const {
  std::size_t n = 0;
  for (std::size_t pos = 0; data_[pos] != 0; pos += 1U + data_[pos]) ++n;
  return n;
}

std::span<const std::uint8_t> Name::label(std::size_t i) const {
  std::size_t pos = 0;
  for (std::size_t k = 0; k < i && data_[pos] != 0; ++k) pos += 1U + data_[pos];
  return {&data_[pos + 1], data_[pos]};
}

bool Name::operator==(const Name& other) const {
  if (length_ != other.length_) return false;
  for (std::size_t i = 0; i < length_; ++i) {
    if (ascii_lower(data_[i]) != ascii_lower(other.data_[i])) return false;
  }
  return true;
}

bool Name::exact_equals(const Name& other) const {
  return length_ == other.length_ && std::memcmp(data_.data(), other.data_.data(), length_) == 0;
}

std::strong_ordering Name::operator<=>(const Name& other) const {
  std::array<std::uint8_t, kMaxLabels + 1> a{};
  std::array<std::uint8_t, kMaxLabels + 1> b{};
  std::size_t na = label_offsets(wire(), a);
  std::size_t nb = label_offsets(other.wire(), b);
  // Compare from the rightmost label towards the left.
  while (na > 0 && nb > 0) {
    --na;
    --nb;
    std::span<const std::uint8_t> la{&data_[a[na] + 1U], data_[a[na]]};
    std::span<const std::uint8_t> lb{&other.data_[b[nb] + 1U], other.data_[b[nb]]};
    int c = compare_label_ci(la, lb);
    if (c != 0) return c < 0 ? std::strong_ordering::less : std::strong_ordering::greater;
  }
  if (na == nb) return std::strong_ordering::equal;
  return na < nb ? std::strong_ordering::less : std::strong_ordering::greater;
}

std::size_t Name::hash() const {
  // FNV-1a over the lowercased wire form, finished with a 64-bit mix so that
  // the low bits (used by power-of-two tables) depend on every octet.
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (std::size_t i = 0; i < length_; ++i) {
    h ^= ascii_lower(data_[i]);
    h *= 0x100000001b3ULL;
  }
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  return h;
}

bool Name::is_subdomain_of(const Name& ancestor) const {
  if (ancestor.length_ > length_) return false;
  std::size_t start = length_ - ancestor.length_;
  // The suffix must begin at a label boundary of this name.
  std::size_t pos = 0;
  while (pos < start) pos += 1U + data_[pos];
  if (pos != start) return false;
  for (std::size_t i = 0; i < ancestor.length_; ++i) {
    if (ascii_lower(data_[start + i]) != ascii_lower(ancestor.data_[i])) return false;
  }
  return true;
}

std::size_t Name::common_labels(const Name& other) const {
  std::array<std::uint8_t, kMaxLabels + 1> a{};
  std::array<std::uint8_t, kMaxLabels + 1> b{};
  std::size_t na = label_offsets(wire(), a);
  std::size_t nb = label_offsets(other.wire(), b);
  std::size_t common = 0;
  while (na > 0 && nb > 0) {
    --na;
    --nb;
    std::span<const std::uint8_t> la{&data_[a[na] + 1U], data_[a[na]]};
    std::span<const std::uint8_t> lb{&other.data_[b[nb] + 1U], other.data_[b[nb]]};
    if (compare_label_ci(la, lb) != 0) break;
    ++common;
  }
  return common;
}

Name Name::parent() const {
  if (is_root()) return *this;
  Name p;
  std::size_t skip = 1U + data_[0];
  p.length_ = static_cast<std::uint8_t>(length_ - skip);
  std::memcpy(p.data_.data(), &data_[skip], p.length_);
  return p;
}

Name Name::suffix(std::size_t labels) const {
  std::size_t total = label_count();
  if (labels >= total) return *this;
  std::size_t pos = 0;
  for (std::size_t k = 0; k < total - labels; ++k) pos += 1U + data_[pos];
  Name s;
  s.length_ = static_cast<std::uint8_t>(length_ - pos);
  std::memcpy(s.data_.data(), &data_[pos], s.length_);
  return s;
}

Expected<Name> Name::prepend(std::span<const std::uint8_t> label) const {
  if (label.empty()) return Error::kEmptyLabel;
  if (label.size() > kMaxLabelLength) return Error::kLabelTooLong;
  if (length_ + 1 + label.size() > kMaxNameLength) return Error::kNameTooLong;
  Name n;
  n.data_[0] = static_cast<std::uint8_t>(label.size());
  std::memcpy(&n.data_[1], label.data(), label.size());
  std::memcpy(&n.data_[1 + label.size()], data_.data(), length_);
  n.length_ = static_cast<std::uint8_t>(length_ + 1 + label.size());
  return n;
}

Expected<Name> Name::concat(const Name& suffix) const {
  std::size_t len = length_ - 1U + suffix.length_;
  if (len > kMaxNameLength) return Error::kNameTooLong;
  Name n;
  std::memcpy(n.data_.data(), data_.data(), length_ - 1U);
  std::memcpy(&n.data_[length_ - 1U], suffix.data_.data(), suffix.length_);
  n.length_ = static_cast<std::uint8_t>(len);
  return n;
}

Expected<Name> Name::replace_suffix(const Name& old_suffix, const Name& new_suffix) const {
  if (!is_subdomain_of(old_suffix)) return Error::kBadText;
  std::size_t keep = length_ - old_suffix.length_;  // prefix octets, a label boundary
  std::size_t len = keep + new_suffix.length_;
  if (len > kMaxNameLength) return Error::kNameTooLong;
  Name n;
  std::memcpy(n.data_.data(), data_.data(), keep);
  std::memcpy(&n.data_[keep], new_suffix.data_.data(), new_suffix.length_);
  n.length_ = static_cast<std::uint8_t>(len);
  return n;
}

Name Name::lowercased() const {
  Name n = *this;
  // Length octets are <= 63 and never in 'A'..'Z' (65..90), so lowercasing
  // the whole wire form only touches label octets.
  for (std::size_t i = 0; i < length_; ++i) n.data_[i] = ascii_lower(n.data_[i]);
  return n;
}

}  // namespace vigil::dns
