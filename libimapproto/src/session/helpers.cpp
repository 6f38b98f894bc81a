#include "session/context.hpp"

namespace imapproto::detail {

std::string internal_error_text() {
    return "Internal error occurred. Refer to server log for more information.";
}

std::string flags_text(mailstore::storage::MailFlags, const std::vector<std::string>&, bool) { return ""; }

std::optional<ParsedFlags> parse_flag_list(const Arg&, std::string& error) {
    error = "not implemented";
    return std::nullopt;
}

std::optional<std::string> mailbox_name_arg(Context&, const Arg&, std::string& error) {
    error = "not implemented";
    return std::nullopt;
}

void write_mailbox_name(Context&, std::string&, std::string_view) {}

} // namespace imapproto::detail
