#include <mailstore/var_expand.hpp>

namespace mailstore {

Result<std::string> expand_variables(std::string_view text, std::span<const ExpandVariable>, const ExpandOptions&) {
    return std::string(text);
}
bool has_variables(std::string_view text) { return text.find('%') != std::string_view::npos; }

} // namespace mailstore
