#include "cache/rank.h"

namespace vigil::cache {

std::string_view rank_name(Rank r) {
  switch (r) {
    case Rank::kAdditional: return "additional";
    case Rank::kNonAuthAuthority: return "nonauth-authority";
    case Rank::kNonAuthAnswer: return "nonauth-answer";
    case Rank::kAuthAuthority: return "auth-authority";
    case Rank::kAuthAnswer: return "auth-answer";
    case Rank::kLocal: return "local";
  }
  return "unknown";
}

}  // namespace vigil::cache
