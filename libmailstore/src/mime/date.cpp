// Stub: replaced by the implementation.
#include <mailstore/mime/date.hpp>

namespace mailstore::mime {
std::optional<DateTime> parse_message_date(std::string_view) { return std::nullopt; }
std::optional<DateTime> parse_internaldate(std::string_view) { return std::nullopt; }
std::string format_internaldate(const DateTime&) { return {}; }
std::string format_message_date(const DateTime&) { return {}; }
std::optional<std::int64_t> parse_search_date(std::string_view) { return std::nullopt; }
} // namespace mailstore::mime
