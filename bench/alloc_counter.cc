// Counts heap allocations in the benchmark program — calls to malloc, calloc
// and realloc, from C++ operator new (which calls malloc) and C libraries
// such as ldns alike — by interposing them and forwarding to glibc's
// __libc_* entry points. free is forwarded, not counted; aligned_alloc,
// posix_memalign and memalign are not interposed.
#include "bench/alloc_counter.h"

#include <atomic>
#include <cstddef>

// Interposing glibc's allocator is the point of this file.
// NOLINTBEGIN(bugprone-reserved-identifier,readability-inconsistent-declaration-parameter-name)
extern "C" {
void* __libc_malloc(std::size_t size);
void* __libc_calloc(std::size_t n, std::size_t size);
void* __libc_realloc(void* p, std::size_t size);
void __libc_free(void* p);
}

namespace {
std::atomic<std::size_t> g_allocations{0};
}  // namespace

namespace vigil::bench {
std::size_t allocation_count() {
  return g_allocations.load(std::memory_order_relaxed);
}
}  // namespace vigil::bench

extern "C" {
void* malloc(std::size_t size) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  return __libc_malloc(size);
}
void* calloc(std::size_t n, std::size_t size) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  return __libc_calloc(n, size);
}
void* realloc(void* p, std::size_t size) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  return __libc_realloc(p, size);
}
void free(void* p) {
  __libc_free(p);
}
}
// NOLINTEND(bugprone-reserved-identifier,readability-inconsistent-declaration-parameter-name)
