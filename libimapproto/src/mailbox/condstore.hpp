// CONDSTORE/QRESYNC pieces shared by several commands (RFC 7162): turning
// CONDSTORE on, and the UIDs a VANISHED (EARLIER) may report when the
// expunge history does not reach back far enough. Header-only.
#pragma once

#include "session/context.hpp"

#include <algorithm>
#include <string>

namespace imapproto::detail {

// A CONDSTORE enabling command (RFC 7162 §3.1: SELECT/EXAMINE (CONDSTORE),
// STATUS HIGHESTMODSEQ, FETCH MODSEQ or CHANGEDSINCE, SEARCH MODSEQ, STORE
// UNCHANGEDSINCE, ENABLE). The first one while a mailbox is selected
// reports "* OK [HIGHESTMODSEQ n] Highest" (RFC 7162 §3.1: "MUST cause the
// server to return HIGHESTMODSEQ"), as Dovecot does; the value is the one
// of the view the client knows, so it never covers a change the client has
// not been told about. Returns whether CONDSTORE was off before.
inline bool enable_condstore(Context& ctx) {
    if (ctx.enabled().condstore)
        return false;
    ctx.enabled().condstore = true;
    if (Selected* sel = ctx.selected(); sel && sel->mailbox)
        ctx.untagged("OK [HIGHESTMODSEQ " + std::to_string(sel->mailbox->view().highest_modseq()) + "] Highest");
    return true;
}

// The UIDs of `set` below UIDNEXT that are not in the view: what VANISHED
// (EARLIER) reports when the expunge history does not reach back to the
// client's modseq (RFC 7162 §3.2.5.1, §3.2.6). Never a wrong answer: every
// UID the client may know and the server no longer has, possibly some the
// client never saw (allowed: VANISHED (EARLIER) may name UIDs the client
// does not know). One walk over the view's UIDs and the set's ranges, so
// the cost never depends on the numbers the client wrote.
inline mailstore::storage::UidSet missing_uids(const mailstore::storage::View& view,
                                               const mailstore::storage::UidSet& set) {
    namespace st = mailstore::storage;
    st::UidSet out;
    if (view.uidnext() <= 1)
        return out;
    const st::Uid top = view.uidnext() - 1;
    const st::Seq count = view.count();
    st::Seq seq = 1;
    for (const auto& range : set.ranges()) {
        if (range.first > top)
            break;
        const st::Uid last = std::min(range.last, top);
        st::Uid next = range.first; // the lowest UID of the range not yet accounted for
        while (seq <= count && view.uid(seq) < range.first)
            ++seq;
        while (seq <= count && view.uid(seq) <= last) {
            const st::Uid present = view.uid(seq);
            if (present > next)
                out.add(next, present - 1);
            next = present + 1;
            ++seq;
        }
        if (next != 0 && next <= last)
            out.add(next, last);
    }
    return out;
}

} // namespace imapproto::detail
