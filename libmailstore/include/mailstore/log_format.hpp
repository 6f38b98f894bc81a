// The fmt-based convenience part of the logging API: header-only, compiled
// into the caller with the caller's fmt, and reaching the library only
// through write(Level, Category, std::string_view, std::string_view). The
// library's ABI therefore does not depend on fmt. <mailstore/log.hpp>
// includes it (for Logger::infof and friends) unless MAILSTORE_LOG_NO_FMT is
// defined.
#pragma once

#include <mailstore/export.hpp>

#include <fmt/format.h>

#include <string_view>
#include <utility>

namespace mailstore::log {

enum class Level;
enum class Category;
MAILSTORE_API void write(Level level, Category category, std::string_view prefix,
                         std::string_view message) noexcept;

// Format and write one line; a formatting failure (bad_alloc) loses the line,
// never the caller.
template <typename... Args>
void format_and_write(Level level, Category category, std::string_view prefix, fmt::format_string<Args...> f,
                      Args&&... args) noexcept {
    try {
        write(level, category, prefix, fmt::format(f, std::forward<Args>(args)...));
    } catch (...) {
    }
}

} // namespace mailstore::log
