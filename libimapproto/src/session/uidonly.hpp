// UIDONLY (RFC 9586) for sessions that sent ENABLE UIDONLY. From then on
// the session neither takes nor gives message sequence numbers: the
// commands that name messages by number are refused with BAD [UIDREQUIRED]
// (RFC 9586 §3, §3.2, §3.8), FETCH data comes as "* <uid> UIDFETCH (...)"
// (§3.3, §3.6) and expunges as VANISHED (§3.4, §3.6, RFC 7162 §3.2.10).
// EXISTS and RECENT are unchanged (§3.6). docs/imap.md ("UIDONLY") lists what a
// client sees.
#pragma once

#include "session/context.hpp"

#include <mailstore/search.hpp>
#include <mailstore/storage/types.hpp>

#include <string>
#include <string_view>

namespace imapproto::detail {

// The tagged BAD's text for a sequence number in a UIDONLY session, in the
// words of RFC 9586 §3's example.
inline constexpr std::string_view kUidRequired =
    "[UIDREQUIRED] Message numbers are not allowed once UIDONLY is enabled";

// Whether the session runs UIDONLY (ENABLE UIDONLY succeeded).
inline bool uidonly(Context& ctx) {
    return ctx.enabled().uidonly;
}

// The start of an untagged FETCH response for the message: "<seq> FETCH ("
// normally, "<uid> UIDFETCH (" with UIDONLY (RFC 9586 §3.3, §3.6).
std::string fetch_response_head(bool uidonly, mailstore::storage::Seq seq, mailstore::storage::Uid uid);

// RFC 9586 §3.2, §3.8: with UIDONLY on, the forms of FETCH, STORE, COPY,
// MOVE, SEARCH, SORT, THREAD and REPLACE without the UID prefix take
// message numbers and are refused. The BAD text for `cmd`, "" when it may
// run.
std::string uidonly_refusal(bool uidonly, const Command& cmd);

// RFC 9586 §3.5: a sequence-set search key is a use of message sequence
// numbers too (the saved result "$" of RFC 5182 holds UIDs and is fine).
// True, and the command answered BAD [UIDREQUIRED], when a UIDONLY session
// sent one in `program`.
bool refuse_sequence_search_keys(Context& ctx, const mailstore::search::Program& program);

} // namespace imapproto::detail
