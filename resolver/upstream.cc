#include "resolver/upstream.h"

#include "protocol/limits.h"
#include "protocol/name.h"
#include "protocol/wire_reader.h"

namespace vigil::resolver {

std::string_view upstream_status_name(UpstreamStatus s) {
  switch (s) {
    case UpstreamStatus::kOk: return "ok";
    case UpstreamStatus::kTimeout: return "timeout";
    case UpstreamStatus::kNetworkError: return "network_error";
    case UpstreamStatus::kNotAllowed: return "not_allowed";
    case UpstreamStatus::kNoSocket: return "no_socket";
  }
  return "unknown";
}

namespace {

// The length of the uncompressed name at `offset` (the question's name is
// the first in a message, so it cannot be compressed), or 0 when malformed.
std::size_t name_length(std::span<const std::uint8_t> m, std::size_t offset) {
  std::size_t p = offset;
  while (p < m.size()) {
    const std::uint8_t len = m[p];
    if (len == 0) return p + 1 - offset;
    if (len > dns::kMaxLabelLength) return 0;  // a pointer or a bad label type
    p += 1U + len;
    if (p - offset > dns::kMaxNameLength) return 0;
  }
  return 0;
}

}  // namespace

bool reply_matches(std::span<const std::uint8_t> query, std::span<const std::uint8_t> reply,
                   bool& case_matched) {
  case_matched = false;
  if (query.size() < dns::kHeaderSize || reply.size() < dns::kHeaderSize) return false;
  if (dns::load_u16(&query[0]) != dns::load_u16(&reply[0])) return false;  // ID
  if ((reply[2] & 0x80) == 0) return false;                                // QR
  if (dns::load_u16(&query[4]) != 1 || dns::load_u16(&reply[4]) != 1) return false;
  const std::size_t qlen = name_length(query, dns::kHeaderSize);
  const std::size_t rlen = name_length(reply, dns::kHeaderSize);
  if (qlen == 0 || qlen != rlen) return false;
  const std::size_t end = dns::kHeaderSize + qlen + 4;  // name, type, class
  if (query.size() < end || reply.size() < end) return false;
  bool exact = true;
  for (std::size_t i = dns::kHeaderSize; i < end; ++i) {
    if (query[i] == reply[i]) continue;
    if (dns::ascii_lower(query[i]) != dns::ascii_lower(reply[i]) || i >= dns::kHeaderSize + qlen)
      return false;
    exact = false;
  }
  case_matched = exact;
  return true;
}

}  // namespace vigil::resolver
