// Replacement global operator new/delete (the replaceable forms of
// [new.delete.single] and [new.delete.array]) that keep a running total of
// the bytes held. Sizes come from malloc_usable_size() so that every delete
// form, sized or not, subtracts exactly what its new added. The aligned
// forms are left to the library: nothing measured here uses them.
#include "alloc_counter.hpp"

#include <cstdlib>
#include <malloc.h>
#include <new>

namespace {

std::int64_t g_live = 0;
std::int64_t g_peak = 0;
std::size_t g_calls = 0;
bool g_counting = false;

void* counted_alloc(std::size_t size) noexcept {
    void* p = std::malloc(size ? size : 1);
    if (p && g_counting) {
        g_live += static_cast<std::int64_t>(malloc_usable_size(p));
        if (g_live > g_peak)
            g_peak = g_live;
        ++g_calls;
    }
    return p;
}

void counted_free(void* p) noexcept {
    if (!p)
        return;
    if (g_counting)
        g_live -= static_cast<std::int64_t>(malloc_usable_size(p));
    std::free(p);
}

} // namespace

namespace bench {

AllocStats alloc_stats() { return AllocStats{g_live, g_peak, g_calls}; }

void reset_peak() { g_peak = g_live; }

void set_counting(bool on) { g_counting = on; }

} // namespace bench

void* operator new(std::size_t size) {
    if (void* p = counted_alloc(size))
        return p;
    throw std::bad_alloc();
}
void* operator new[](std::size_t size) {
    if (void* p = counted_alloc(size))
        return p;
    throw std::bad_alloc();
}
void* operator new(std::size_t size, const std::nothrow_t&) noexcept { return counted_alloc(size); }
void* operator new[](std::size_t size, const std::nothrow_t&) noexcept { return counted_alloc(size); }
void operator delete(void* p) noexcept { counted_free(p); }
void operator delete[](void* p) noexcept { counted_free(p); }
void operator delete(void* p, std::size_t) noexcept { counted_free(p); }
void operator delete[](void* p, std::size_t) noexcept { counted_free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { counted_free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { counted_free(p); }
