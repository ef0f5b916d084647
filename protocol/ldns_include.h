// Include ldns through this header. Without <stdbool.h> first, ldns's
// common.h defines `bool`, `true` and `false` as macros, which breaks C++
// headers included after it (e.g. <optional>'s operator<=>).
#pragma once

// clang-format off
#include <stdbool.h>  // NOLINT(modernize-deprecated-headers): sets __bool_true_false_are_defined
#include <ldns/ldns.h>
// clang-format on
