// Stub: replaced by the implementation.
#include <mailstore/mime/encoded_word.hpp>

namespace mailstore::mime {
std::string decode_encoded_words(std::string_view t) { return std::string(t); }
std::string encode_header_text(std::string_view t) { return std::string(t); }
} // namespace mailstore::mime
