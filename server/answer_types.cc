#include "server/answer_types.h"

namespace vigil::server {

std::string_view outcome_name(Outcome o) {
  switch (o) {
    case Outcome::kAnswered: return "answered";
    case Outcome::kNegative: return "negative";
    case Outcome::kLocal: return "local";
    case Outcome::kAnyMinimal: return "any_minimal";
    case Outcome::kChaos: return "chaos";
    case Outcome::kNeedsResolution: return "needs_resolution";
    case Outcome::kServFail: return "servfail";
    case Outcome::kDroppedShort: return "dropped_short";
    case Outcome::kDroppedResponse: return "dropped_response";
    case Outcome::kDroppedAcl: return "dropped_acl";
    case Outcome::kRefusedAcl: return "refused_acl";
    case Outcome::kFormErr: return "formerr";
    case Outcome::kNotImp: return "notimp";
    case Outcome::kBadVers: return "badvers";
    case Outcome::kRefusedClass: return "refused_class";
    case Outcome::kRefusedTransfer: return "refused_transfer";
    case Outcome::kRefusedLocal: return "refused_local";
    case Outcome::kDroppedLocal: return "dropped_local";
    case Outcome::kBlocked: return "blocked";
    case Outcome::kPolicy: return "policy";
    case Outcome::kDroppedPolicy: return "dropped_policy";
  }
  return "unknown";
}

}  // namespace vigil::server
