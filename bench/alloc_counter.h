// Counts heap allocations made through operator new, for benchmarks that
// show a code path does not allocate.
#pragma once

#include <cstddef>

namespace vigil::bench {
std::size_t allocation_count();
}  // namespace vigil::bench
