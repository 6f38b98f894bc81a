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
#include <string_view>

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

// RFC 9051 §9 (media-message) and §6.4.5.1: message/global encapsulates a
// message as message/rfc822 does (RFC 6532 §3.7), so a rev2 session's
// parse goes into it: BODYSTRUCTURE describes it with envelope and body,
// section numbers go through it, and BINARY treats it as not a leaf. A
// rev1 session keeps RFC 3501's grammar, where it is a basic leaf.
inline bool descends_message_global(Context& ctx) {
    return rev2(ctx);
}

// Whether a BODY or BODYSTRUCTURE text written by a rev1 parse (what the
// index caches) has a message/global part, which a session that descends
// into message/global describes differently and must not take from, or
// leave in, the cache.
bool shape_has_message_global(std::string_view shape);

// RFC 9051 §6.3.5: deleting a name that has inferior names and is itself
// \Noselect is an error, answered "NO [HASCHILDREN]". True (and the
// command answered) when `name` is such a level in a rev2 session.
bool rev2_refuse_delete_of_parent(Context& ctx, const std::string& name);

} // namespace imapproto::detail
