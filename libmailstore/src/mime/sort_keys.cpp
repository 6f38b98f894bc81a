// Stub: replaced by the implementation.
#include <mailstore/mime/sort_keys.hpp>

namespace mailstore::mime {
std::string base_subject(std::string_view s, bool*) { return std::string(s); }
std::optional<std::string> parse_message_id(std::string_view) { return std::nullopt; }
std::vector<std::string> parse_message_ids(std::string_view) { return {}; }
std::string sort_address_key(std::string_view) { return {}; }
std::string sort_display_key(std::string_view) { return {}; }
std::optional<DateTime> sent_date(const Header&) { return std::nullopt; }
} // namespace mailstore::mime
