// Stub: replaced by the implementation.
#include <mailstore/mime/casemap.hpp>

namespace mailstore::mime {
std::string casemap(std::string_view t) { return std::string(t); }
int casemap_compare(std::string_view a, std::string_view b) { return a.compare(b); }
bool casemap_contains(std::string_view h, std::string_view n) { return h.find(n) != std::string_view::npos; }
} // namespace mailstore::mime
