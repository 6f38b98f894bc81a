// What delivery reads from the spooled message itself: the Message-ID for
// the log lines and, with lda_original_recipient_header, the original
// recipient.
#pragma once

#include <mailstore/export.hpp>

#include <string>
#include <string_view>

namespace mailstore::delivery {

struct MessageInfo {
    std::string message_id;         // "<...>" as written (unfolded, trimmed), "" when none
    std::string original_recipient; // the address in `original_header`, "" when none
    std::string subject;            // decoded Subject, cut at 80 characters
    std::string from;               // the From header's address
};

// Reads the header of the message in `fd` (pread from offset 0; at most
// header_read_limit bytes, so a message without an empty line costs no
// more). `original_header` is a field name ("X-Original-To") or "".
MAILSTORE_INTERNAL_API MessageInfo read_message_info(int fd, std::string_view original_header);

inline constexpr std::size_t header_read_limit = 256 * 1024;

} // namespace mailstore::delivery
