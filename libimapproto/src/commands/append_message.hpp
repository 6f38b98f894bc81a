// The message part of APPEND (RFC 3501 §6.3.11, RFC 4466 append-message)
// that REPLACE (RFC 8508 §3.2: "the arguments are the same as APPEND")
// shares: parsing [flag-list] [date-time] and the message data (a literal,
// CATENATE's parts, or UTF8=ACCEPT's UTF8 item), the APPENDLIMIT check,
// opening the target mailbox ([TRYCREATE]) and saving into a transaction.
// Defined in commands/append.cpp.
#pragma once

#include "session/context.hpp"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace imapproto::detail {

struct AppendMessage {
    const Arg* data = nullptr;     // a plain message literal (also the one inside UTF8 (...)), or
    const Arg* catenate = nullptr; // the CATENATE (TEXT literal / URL astring ...) list
    ParsedFlags flags;
    std::optional<std::int64_t> internal_date;
};

// The messages of the command from argument `first` on: [flag-list]
// [date-time] data, repeated (MULTIAPPEND). Answers BAD and returns false
// on a syntax error.
bool parse_append_messages(Context& ctx, const Command& cmd, std::size_t first, std::vector<AppendMessage>& out);

// The sizes known before saving: an empty literal gets NO, one above
// imap_max_append_size NO [TOOBIG] (RFC 7889); and a message with 8-bit
// header octets from a session without UTF-8 gets NO [CANNOT] (RFC 9755
// §4, session/utf8_accept.hpp). False when answered.
bool check_append_sizes(Context& ctx, const std::vector<AppendMessage>& messages);

// The mailbox to save into: the selected one when that is `name` and
// writable (`target` points into the selection, nothing is returned), else
// a newly opened one (returned, `target` points at it). On failure answers
// NO ([TRYCREATE] for a missing mailbox) and leaves `target` null.
std::unique_ptr<mailstore::storage::Mailbox> open_append_target(Context& ctx, const std::string& name,
                                                                mailstore::storage::Mailbox*& target);

// Saves the messages into `tx` (building catenated ones). False when the
// command was answered (NO [BADURL], [TOOBIG], a storage error); the
// caller then drops the transaction, which rolls back.
bool save_append_messages(Context& ctx, mailstore::storage::Transaction& tx,
                          const std::vector<AppendMessage>& messages);

} // namespace imapproto::detail
