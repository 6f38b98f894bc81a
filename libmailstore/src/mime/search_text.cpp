// Stub: replaced by the implementation.
#include <mailstore/mime/search_text.hpp>

namespace mailstore::mime {
void for_each_body_text(const ParsedMessage&, const std::function<void(std::string_view)>&) {}
bool body_contains(const ParsedMessage&, std::string_view) { return false; }
bool header_contains(const ParsedMessage&, std::string_view, std::string_view) { return false; }
bool text_contains(const ParsedMessage&, std::string_view) { return false; }
} // namespace mailstore::mime
