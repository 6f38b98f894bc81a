// IMAP4rev2 (RFC 9051) for sessions that sent ENABLE IMAP4rev2. Loft
// advertises IMAP4rev1 and IMAP4rev2 together; a session stays rev1 until it
// enables rev2 (RFC 9051 §6.3.1, Appendix E), so every difference between
// the two is a question to Context::enabled().imap4rev2. The commands ask
// through the helpers here, which name the RFC rule each one follows; the
// full list of differences is in docs/imap.md ("IMAP4rev2") and, item by
// item against RFC 9051 Appendix E, in docs/imap-rev2.md.
//
// One rule decides what a rev2 session gets of what RFC 9051 takes out of
// IMAP4rev1: what the server would send unasked is dropped (\Recent in
// FLAGS, the RECENT response, OK [UNSEEN] on SELECT, the SEARCH response),
// while what a client has to ask for by name and the RFC only deprecates
// (LSUB, STATUS RECENT, FETCH RFC822/RFC822.HEADER/RFC822.TEXT, the SEARCH
// keys RECENT/NEW/OLD; §2.3.2 calls \Recent deprecated) is still
// answered, so a client that asks is not broken by having enabled rev2.
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

// RFC 9051 §6.3.5: deleting a name that has inferior names and is itself
// \Noselect is an error, answered "NO [HASCHILDREN]". True (and the
// command answered) when `name` is such a level in a rev2 session.
bool rev2_refuse_delete_of_parent(Context& ctx, const std::string& name);

} // namespace imapproto::detail
