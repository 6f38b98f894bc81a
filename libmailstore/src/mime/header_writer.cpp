// Stub: replaced by the implementation.
#include <mailstore/mime/header_writer.hpp>

namespace mailstore::mime {
std::string_view detect_line_ending(std::string_view) { return "\r\n"; }
std::string format_field(std::string_view, std::string_view, std::string_view) { return {}; }
std::string prepend_fields(std::string_view, const std::vector<std::pair<std::string, std::string>>&) { return {}; }
} // namespace mailstore::mime
