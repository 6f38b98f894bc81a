// Parsing IMAP SEARCH programs (RFC 3501 §6.4.4).
#include <mailstore/search.hpp>

namespace mailstore::search {

Result<Program> parse(const std::vector<Token>&, bool) {
    return Status::error(Status::Code::internal, "not implemented");
}

Result<Program> parse(std::string_view) {
    return Status::error(Status::Code::internal, "not implemented");
}

std::vector<std::string> supported_charsets() {
    return {"UTF-8", "US-ASCII"};
}

} // namespace mailstore::search
