// Reading the message loft-lda delivers: from stdin or -p FILE into a Spool
// (a temporary file, so a message of any size costs a fixed amount of
// memory), without the mbox "From " line an MTA may put first (Postfix's
// pipe flag F, procmail), and finding the envelope sender in what was read
// when -f gives none.
#pragma once

#include <mailstore/delivery.hpp>
#include <mailstore/status.hpp>
#include <mailstore/storage/limits.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace lda {

struct MessageInput {
    std::optional<mailstore::delivery::Spool> spool;
    // The sender named by a leading "From sender date" line (stripped from
    // the message); nullopt when the message had no such line.
    std::optional<std::string> from_line_sender;
};

// Reads `fd` to its end into a new Spool in `temp_dir` and finishes it.
// io_error names what failed (the read or the temporary file). Bytes past
// `max_size` are read and dropped; the spool's too_big() is then true.
mailstore::Result<MessageInput> read_message(int fd, std::string_view temp_dir,
                                             std::uint64_t max_size = mailstore::storage::max_saved_message_size);

// The address of the message's first Return-Path header ("" for <>), read
// from the start of the spooled message at `fd` (only its first 64 KB are
// looked at: a header block longer than that is not a message an MTA hands
// over with a Return-Path it wants honoured). nullopt when there is none.
std::optional<std::string> return_path_of(int fd);

} // namespace lda
