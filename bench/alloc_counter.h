// Counts heap allocations, for benchmarks that show a code path does not
// allocate: calls to malloc, calloc and realloc anywhere in the process
// (every thread; operator new reaches malloc, and C libraries such as ldns
// call it directly), counted by alloc_counter.cc's interposers. aligned_alloc
// and posix_memalign (and so over-aligned new) are not counted. Only a
// program that links alloc_counter.cc has it (bench/CMakeLists.txt:
// protocol_bench).
#pragma once

#include <cstddef>

namespace vigil::bench {
std::size_t allocation_count();
}  // namespace vigil::bench
