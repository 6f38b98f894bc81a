// Counts the heap memory held through global operator new, so the benchmark
// can say how much a ParsedMessage keeps alive. The replacement operators
// live in alloc_counter.cpp and take over for the whole program, shared
// libraries included (libmailstore allocates with the same operator new).
// GMime allocates with g_malloc, which this does not see.
#pragma once

#include <cstddef>
#include <cstdint>

namespace bench {

struct AllocStats {
    std::int64_t live = 0;  // bytes held now (counted blocks only)
    std::int64_t peak = 0;  // most bytes held at once since reset_peak()
    std::size_t calls = 0;  // operator new calls so far
};

AllocStats alloc_stats();
// Counting costs a malloc_usable_size() call per allocation, which would
// slow down the timed parses: it is on only while memory is measured. A
// block must be freed in the same mode it was allocated in.
void set_counting(bool on);
// Starts a new peak measurement from what is held now.
void reset_peak();

} // namespace bench
