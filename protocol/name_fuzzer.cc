// libFuzzer target: presentation-format names.
#include <compare>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "protocol/name.h"

namespace {

void check(bool ok) {
  if (!ok) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace vigil::dns;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto name = Name::from_text(text);
  if (!name.ok()) return 0;
  check(name->wire_length() <= kMaxNameLength);
  check(name->label_count() <= kMaxLabels);

  // Printing and reading back gives the same octets.
  auto back = Name::from_text(name->to_text());
  check(back.ok() && back->exact_equals(*name));
  auto wire = Name::from_wire(name->wire());
  check(wire.ok() && wire->exact_equals(*name));

  // Case-insensitive identity is consistent across ==, <=> and hash.
  Name lower = name->lowercased();
  check(lower == *name);
  check(std::is_eq(lower <=> *name));
  check(lower.hash() == name->hash());

  // Hierarchy.
  check(name->is_subdomain_of(name->parent()));
  check(name->is_root() || name->is_strict_subdomain_of(name->parent()));
  check(name->suffix(name->label_count()) == *name);
  check(name->common_labels(name->parent()) == name->parent().label_count());
  return 0;
}
