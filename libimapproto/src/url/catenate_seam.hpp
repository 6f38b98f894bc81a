// Test seam of APPEND CATENATE's URL copy (defined in commands/append.cpp,
// so the one copy of its state is the library's). With a limit set, the
// copy gets no octet of a URL part at or beyond that offset, as when the
// source's mail file shrank under the reader: APPEND must then fail and
// save nothing (RFC 4469 §4), never a silently truncated message. nullopt,
// the default, is no limit; only tests set it.
#pragma once

#include <imapproto/export.hpp>

#include <cstdint>
#include <optional>

namespace imapproto::detail {

// Exported (the library hides its internals) so the unit tests reach it.
IMAPPROTO_API void set_catenate_source_limit_for_tests(std::optional<std::uint64_t> limit);

} // namespace imapproto::detail
