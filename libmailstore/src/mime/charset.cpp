// Stub: replaced by the implementation.
#include <mailstore/mime/charset.hpp>

namespace mailstore::mime {
bool convert_to_utf8(std::string_view, std::string_view in, std::string& out) { out.append(in); return true; }
bool is_known_charset(std::string_view) { return true; }
bool is_valid_utf8(std::string_view) { return true; }
std::string sanitize_utf8(std::string_view t) { return std::string(t); }
std::string utf8_or_latin1(std::string_view t) { return std::string(t); }
} // namespace mailstore::mime
