// IMAP4rev2 (RFC 9051) for sessions that sent ENABLE IMAP4rev2. Loft
// advertises IMAP4rev1 and IMAP4rev2 together; a session stays rev1 until it
// enables rev2 (RFC 9051 §6.3.1, Appendix E), so every difference between
// the two is a question to Context::enabled().imap4rev2. The commands ask
// through the helpers here, which name the RFC rule each one follows; the
// full list of differences is in docs/imap.md ("IMAP4rev2").
#pragma once

#include "session/context.hpp"

#include <cstdint>
#include <optional>
#include <string>

namespace imapproto::detail {

// Whether the session runs IMAP4rev2 (ENABLE IMAP4rev2 succeeded).
inline bool rev2(Context& ctx) {
    return ctx.enabled().imap4rev2;
}

// RFC 9051 has no \Recent flag and no RECENT response (Appendix E): FETCH
// FLAGS, the flag updates and SELECT's RECENT/UNSEEN lines are rev1 only.
inline bool shows_recent(Context& ctx) {
    return !rev2(ctx);
}

// RFC 9051 §6.3.2: SELECT and EXAMINE answer with a LIST response naming
// the mailbox (its attributes, separator and name as the server spells
// it). Sent for the mailbox `name` just opened; nothing when the listing
// fails (the SELECT itself succeeded and the storage error is logged).
void send_selected_list(Context& ctx, const std::string& name);

// RFC 9051 §6.3.10: rev2's status items are MESSAGES, UIDNEXT,
// UIDVALIDITY, UNSEEN, DELETED and SIZE (plus those of enabled or
// advertised extensions); RECENT is gone with \Recent. The BAD text for a
// rev2 session that asks for RECENT, nullopt when `items` are fine.
std::optional<std::string> rev2_status_items_error(Context& ctx, std::uint32_t items);

// RFC 9051 §6.3.5: deleting a name that has inferior names and is itself
// \Noselect is an error, answered "NO [HASCHILDREN]". True (and the
// command answered) when `name` is such a level in a rev2 session.
bool rev2_refuse_delete_of_parent(Context& ctx, const std::string& name);

} // namespace imapproto::detail
