#include "monitor/name_shape.h"

#include <algorithm>
#include <string_view>

#include "monitor/intent_limits.h"

namespace vigil::monitor {

namespace {

bool is_ldh(std::uint8_t c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
}

bool is_hex_digit(std::uint8_t c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

struct LabelFacts {
  bool hex = false;      // hex digits only, with a digit and a letter
  bool numeric = false;  // digits only
  std::size_t upper = 0, lower = 0, non_ldh = 0;
};

LabelFacts facts_of(std::span<const std::uint8_t> label) {
  LabelFacts f;
  std::size_t digits = 0, hex_letters = 0, hex = 0;
  for (std::size_t i = 0; i < label.size(); ++i) {
    const std::uint8_t c = label[i];
    if (c >= '0' && c <= '9') ++digits;
    if (is_hex_digit(c)) {
      ++hex;
      if (c > '9') ++hex_letters;
    }
    if (c >= 'A' && c <= 'Z') ++f.upper;
    if (c >= 'a' && c <= 'z') ++f.lower;
    if (!is_ldh(c) && !(i == 0 && c == '_')) ++f.non_ldh;
  }
  f.numeric = !label.empty() && digits == label.size();
  f.hex = !label.empty() && hex == label.size() && digits > 0 && hex_letters > 0;
  return f;
}

bool is_digest_length(std::size_t n) {
  return n == 32 || n == 40 || n == 64;
}

bool equals_lower(std::span<const std::uint8_t> label, std::string_view word) {
  if (label.size() != word.size()) return false;
  for (std::size_t i = 0; i < label.size(); ++i) {
    if (dns::ascii_lower(label[i]) != static_cast<std::uint8_t>(word[i])) return false;
  }
  return true;
}

}  // namespace

NameShape shape_of(const dns::Name& name, std::size_t registered_labels, const DgaModel& model) {
  NameShape s;
  const std::size_t n = name.label_count();
  if (n < 2) return s;
  // Below the registered domain; without one, below the last label.
  const std::size_t measured =
      registered_labels > 0 ? (n > registered_labels ? n - registered_labels : 0) : n - 1;
  // A service label ("_tcp", "_domainkey", "_dmarc"): what is left of it
  // names a service or a key (SRV, DKIM selectors), not data.
  std::size_t service = 0;  // labels up to and including the rightmost service label
  for (std::size_t i = 0; i < measured; ++i) {
    const auto label = name.label(i);
    if (!label.empty() && label[0] == '_') service = i + 1;
  }
  if (service > 0) s.lookup = true;
  for (std::size_t i = 0; i < n; ++i) {
    const auto label = name.label(i);
    if (equals_lower(label, "dnscat")) s.dnscat = true;
    // Without a registered domain every label is looked at (dnscat2 puts
    // its hex in the last one); with one, the labels below it.
    if (i >= measured && registered_labels > 0) continue;
    const LabelFacts f = facts_of(label);
    const bool digest = f.hex && is_digest_length(label.size());
    if (i >= service && f.hex && label.size() >= kTunnelHexLabel && !digest) {
      s.odd_hex = std::max(s.odd_hex, label.size());
    }
    if (i >= measured) continue;
    ++s.sub_labels;
    s.sub_octets += label.size();
    s.non_ldh += f.non_ldh;
    if (i < service) continue;
    if (digest || f.numeric) {
      s.lookup = true;  // carries a lookup service's data, not a tunnel's
      continue;
    }
    s.max_label = std::max(s.max_label, label.size());
    if (label.size() >= kTunnelMixedCaseLabel && f.upper >= 3 && f.lower >= 3) s.mixed_case = true;
    const std::string_view text(reinterpret_cast<const char*>(label.data()), label.size());
    s.info_bits += std::max(0.0, model.surprise(text));
  }
  s.strong = s.dnscat || s.non_ldh >= kTunnelNonLdhOctets || s.max_label >= kTunnelLongLabel ||
             s.odd_hex >= kTunnelLongHexLabel || s.info_bits >= kTunnelStrongBits;
  s.encoded = s.strong || s.mixed_case || s.odd_hex > 0 || s.info_bits >= kTunnelEncodedBits;
  return s;
}

}  // namespace vigil::monitor
