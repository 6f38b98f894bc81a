#include <mailstore/mutf7.hpp>

namespace mailstore {

std::optional<std::string> utf8_to_mutf7(std::string_view) { return std::nullopt; }
std::optional<std::string> mutf7_to_utf8(std::string_view) { return std::nullopt; }
bool is_valid_mutf7(std::string_view) { return false; }

} // namespace mailstore
