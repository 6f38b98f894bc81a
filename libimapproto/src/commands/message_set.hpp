// Helpers shared by the commands that act on messages of the selected
// mailbox (SEARCH, STORE, COPY, MOVE): turning a sequence-set argument into
// UIDs, writing UID lists in a given order, and the BAD text of a syntax
// error.
#pragma once

#include "session/context.hpp"

#include <mailstore/storage/types.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace imapproto::detail {

// The UIDs a sequence-set argument names in the selected mailbox's view:
// sequence numbers, or UIDs for the UID form (`uid`). "$" is the saved
// search result (RFC 5182). nullopt with "Invalid messageset" (or "Invalid
// uidset" for the UID form; Dovecot's wording) in `error` for text that is
// no sequence set or, without `uid`, a sequence number beyond the view (RFC 3501 §9: it must exist); UIDs that
// do not exist are left out (RFC 3501 §6.4.8).
std::optional<mailstore::storage::UidSet> resolve_message_set(Context& ctx, const Arg& arg, bool uid,
                                                              std::string& error);

// A list of numbers in the order given, with runs of consecutive ascending
// numbers written as ranges: {3, 4, 5, 9, 7} -> "3:5,9,7". COPYUID needs the
// source and destination lists in matching order (RFC 4315 §3), so they
// must not be sorted separately.
std::string ordered_set_text(const std::vector<std::uint32_t>& numbers);

// finish_bad with Dovecot's wording for a command's syntax error:
// "Error in IMAP command SEARCH: <message>", "... UID STORE: <message>".
void finish_syntax_error(Context& ctx, std::string_view message);

} // namespace imapproto::detail
