// FUZZ_CHECK: the invariant check of the fuzz targets. It aborts with the
// failed condition on stderr, which libFuzzer reports as a crash (and saves
// the input) and which fails the replay test of the normal build
// (replay_main.cpp), whatever the compiler.
#pragma once

#include <cstdio>
#include <cstdlib>

[[noreturn]] inline void fuzz_check_failed(const char* condition, const char* file, int line) {
    std::fprintf(stderr, "%s:%d: FUZZ_CHECK failed: %s\n", file, line, condition);
    std::fflush(stderr);
    std::abort();
}

#define FUZZ_CHECK(cond)                                          \
    do {                                                          \
        if (!(cond))                                              \
            fuzz_check_failed(#cond, __FILE__, __LINE__);         \
    } while (0)
