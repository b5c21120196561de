// Counts heap allocations of the whole process (malloc, calloc, realloc, aligned allocations and so
// operator new) by wrapping glibc's allocator. Link `//tools/bench:alloc_counter` into a benchmark binary;
// read allocation_count() before and after the region of interest.
#pragma once

#include <cstdint>

namespace sofie::bench {
uint64_t allocation_count();
}  // namespace sofie::bench
