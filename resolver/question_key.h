// The key of a question in the engine's tables (coalescing, the failure
// cache): the name in lower case and the type. Built here, only.
#pragma once

#include <cstdint>
#include <string>
#include <utility>

#include "protocol/name.h"
#include "protocol/types.h"

namespace vigil::resolver {

using QuestionKey = std::pair<std::string, std::uint16_t>;

inline QuestionKey question_key(const dns::Name& name, dns::RRType type) {
  return {name.lowercased().to_text(), static_cast<std::uint16_t>(type)};
}
// A question to one zone's servers: the same name asked of another zone is
// another question.
inline QuestionKey zone_question_key(const dns::Name& zone, const dns::Name& name, dns::RRType type) {
  return {zone.lowercased().to_text() + " " + name.lowercased().to_text(), static_cast<std::uint16_t>(type)};
}

}  // namespace vigil::resolver
