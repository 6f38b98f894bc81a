// Stub: replaced by the implementation.
#include <mailstore/mime/header.hpp>

namespace mailstore::mime {
std::vector<HeaderField> parse_header_fields(std::string_view) { return {}; }
std::string unfold(std::string_view v) { return std::string(v); }
std::string unfold_trim(std::string_view v) { return std::string(v); }
std::string decoded_value(std::string_view v) { return std::string(v); }
bool field_name_equals(std::string_view a, std::string_view b) { return a == b; }
Header::Header(std::string_view block) : fields_(parse_header_fields(block)) {}
const HeaderField* Header::first(std::string_view) const { return nullptr; }
std::vector<const HeaderField*> Header::all(std::string_view) const { return {}; }
std::string_view Header::value(std::string_view) const { return {}; }
} // namespace mailstore::mime
