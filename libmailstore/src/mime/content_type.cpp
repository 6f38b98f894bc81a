// Stub: replaced by the implementation.
#include <mailstore/mime/content_type.hpp>

namespace mailstore::mime {
ContentType parse_content_type(std::string_view) { return {}; }
ContentDisposition parse_content_disposition(std::string_view) { return {}; }
std::vector<Parameter> parse_parameters(std::string_view) { return {}; }
std::vector<std::string> parse_content_language(std::string_view) { return {}; }
std::optional<std::string> decode_parameter(const std::vector<Parameter>&, std::string_view) { return std::nullopt; }
const std::string* find_parameter(const std::vector<Parameter>&, std::string_view) { return nullptr; }
} // namespace mailstore::mime
