// Mailbox-name handling shared by the mailbox commands (SELECT, CREATE,
// DELETE, RENAME, SUBSCRIBE, STATUS, APPEND): decoding the argument,
// refusing names that could reach outside the Maildir, and the NO answers
// for storage errors in Dovecot 2.3's wording.
#pragma once

#include "ascii.hpp"
#include "session/context.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace imapproto::detail {

// "INBOX" in any case (RFC 3501 §5.1: INBOX is case-insensitive).
bool is_inbox_name(std::string_view name);

// The hierarchy separator of the namespace `name` belongs to ('.' when none).
char mailbox_separator(Context& ctx, std::string_view name);

// The name for texts meant for the client ("Mailbox doesn't exist: X"): as
// the client wrote it, i.e. modified UTF-7.
std::string mailbox_display_name(std::string_view utf8_name);

// Decodes a mailbox-name argument (mUTF-7, or UTF-8 with UTF8=ACCEPT),
// normalizes INBOX and checks it: empty names, names beginning or ending
// with the separator or with an empty level, '/', NUL, control characters
// and over-long names are refused with "NO [CANNOT] Invalid mailbox name:
// ..." before the storage sees them, so no name can address a directory
// outside the user's Maildir. On failure the command is answered and
// nullopt returned.
std::optional<std::string> take_mailbox_name(Context& ctx, const Arg& arg);

// Answers a failed mailbox operation on `name`: not_found -> "NO
// [NONEXISTENT] Mailbox doesn't exist: X" (or [TRYCREATE] for APPEND/COPY
// targets, RFC 3501 §6.3.11), already_exists -> "NO [ALREADYEXISTS]
// Mailbox already exists", invalid_argument -> "NO [CANNOT] <message>",
// the rest through ctx.finish_status().
void finish_mailbox_error(Context& ctx, const mailstore::Status& status, std::string_view name,
                          bool trycreate = false);

// STATUS items (RFC 3501 §6.3.10, RFC 7162 HIGHESTMODSEQ, RFC 8438 SIZE,
// RFC 9051 DELETED, RFC 8474 MAILBOXID as status_guid) as mailstore
// StatusItem bits. nullopt with the BAD text
// in `error` for an unknown item or an empty list.
std::optional<std::uint32_t> parse_status_items(const Arg& list, std::string& error);

// "* STATUS <name> (<items>)" in Dovecot's fixed item order. Turns CONDSTORE
// on when HIGHESTMODSEQ is asked for (RFC 7162 §3.1: a CONDSTORE enabling
// command).
void send_status_line(Context& ctx, std::string_view utf8_name, std::uint32_t items,
                      const mailstore::storage::MailboxStatus& status);

} // namespace imapproto::detail
