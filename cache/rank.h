// Trust ranking of cached data (RFC 2181 §5.4.1), lowest first. Data of a
// lower rank never replaces unexpired data of a higher rank.
#pragma once

#include <cstdint>
#include <string_view>

namespace vigil::cache {

enum class Rank : std::uint8_t {
  // Additional section (glue, addresses of NS names): usable to reach
  // servers, never handed to a client as an answer.
  kAdditional = 1,
  // Authority section of a non-authoritative answer (referral NS sets).
  kNonAuthAuthority = 2,
  // Answer section of a non-authoritative answer.
  kNonAuthAnswer = 3,
  // Authority section of an authoritative answer (NS/SOA beside an answer).
  kAuthAuthority = 4,
  // Answer section of an authoritative answer.
  kAuthAnswer = 5,
  // Local data from the configuration.
  kLocal = 6,
};

// Whether data of this rank may be given to a client as an answer.
inline bool answerable(Rank r) {
  return r >= Rank::kNonAuthAnswer;
}

std::string_view rank_name(Rank r);

}  // namespace vigil::cache
