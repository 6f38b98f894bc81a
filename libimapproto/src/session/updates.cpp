// Untagged mailbox updates (RFC 3501 §7.3.1, §7.4.1, RFC 2180 §4.1): what
// changed in the selected mailbox since the client was last told.
#include "session/session_impl.hpp"
#include "session/uidonly.hpp"

#include <algorithm>

namespace imapproto {

namespace ms = mailstore;
namespace st = mailstore::storage;

namespace {

constexpr std::string_view kSystemFlags = "\\Answered \\Flagged \\Deleted \\Seen \\Draft";

std::string flag_names(const std::vector<std::string>& keywords) {
    std::string s(kSystemFlags);
    for (const auto& k : keywords) {
        s += ' ';
        s += k;
    }
    return s;
}

// Whether the message has the flags and keywords the client was told
// (keywords in any order).
bool same_flags(const st::View& view, st::Seq seq, const detail::OwnChange& told) {
    if (view.flags(seq) != told.flags)
        return false;
    const auto keywords = view.keywords(seq);
    if (keywords.size() != told.keywords.size())
        return false;
    return std::all_of(keywords.begin(), keywords.end(), [&](const std::string& kw) {
        return std::find(told.keywords.begin(), told.keywords.end(), kw) != told.keywords.end();
    });
}

// RFC 7162 §3.2: "if the server sends MODSEQ FETCH data items while
// EXPUNGE (or VANISHED) replies with lower mod-sequences being delayed, the
// server MUST send the HIGHESTMODSEQ response code with a lower value than
// the EXPUNGE's mod-sequence". A QRESYNC client remembers the highest
// modseq it saw (in FETCH data and updates alike); the value of the last
// sync whose expunges it was told makes its next resync find the held-back
// ones. Sent after every command that holds them back, as Dovecot does (in
// its tagged OK; an untagged OK carries it just as well). Held back means:
// UIDs expunged since then are still in the view (one pass over the
// bounded expunge history).
bool expunges_held_back(const detail::Selected& sel) {
    const st::Mailbox& mailbox = *sel.mailbox;
    auto gone = mailbox.expunged_since(sel.expunges_reported_at);
    if (!gone)
        return false;
    const st::View& view = mailbox.view();
    for (const auto& range : gone->ranges()) {
        const auto [first, last] = view.seq_range(range.first, range.last);
        if (first != 0 && first <= last)
            return true;
    }
    return false;
}

} // namespace

void Session::Impl::send_flags() {
    if (!selected_)
        return;
    const auto& names = selected_->mailbox->view().keyword_names();
    untagged("FLAGS (" + flag_names(names) + ")");
    if (selected_->read_only)
        untagged("OK [PERMANENTFLAGS ()] Read-only mailbox.");
    else
        untagged("OK [PERMANENTFLAGS (" + flag_names(names) + " \\*)] Flags permitted.");
    selected_->keywords_sent = names;
}

std::string Session::Impl::flag_change_fetch(const st::View& view, st::Seq seq, bool with_uid, bool flags) const {
    const st::Uid uid = view.uid(seq);
    std::string line = detail::fetch_response_head(enabled_.uidonly, seq, uid);
    // RFC 7162 §3.1: once CONDSTORE is enabled, every untagged FETCH
    // carries both the UID and the modseq (Dovecot adds the UID only once
    // QRESYNC is on). RFC 9051 (Appendix E, item 21; §7.5.2): in IMAP4rev2
    // every unsolicited FETCH carries UID. UIDFETCH carries it already.
    if (!enabled_.uidonly && (with_uid || enabled_.condstore || enabled_.qresync || enabled_.imap4rev2)) {
        line += "UID ";
        line += std::to_string(uid);
        line += ' ';
    }
    if (enabled_.condstore) {
        line += "MODSEQ (";
        line += std::to_string(view.modseq(seq));
        line += ") ";
    }
    if (flags) {
        line += "FLAGS (";
        line += detail::flags_text(view.flags(seq), view.keywords(seq), view.recent(seq) && !enabled_.imap4rev2);
        line += ") ";
    }
    line.back() = ')';
    return line;
}

void Session::Impl::send_updates(bool allow_expunges) {
    if (!selected_ || closing_)
        return;
    st::Mailbox& mailbox = *selected_->mailbox;
    auto synced = mailbox.sync(allow_expunges ? 0u : static_cast<std::uint32_t>(st::sync_no_expunges));
    if (!synced) {
        // The storage may report a vanished mailbox as an I/O error (its
        // files went away mid-sync): ask whether it still exists.
        if (synced.status().code() == ms::Status::Code::not_found || (user_ && !user_->exists(mailbox.name()))) {
            bye("Selected mailbox was deleted, have to disconnect.");
            return;
        }
        // A failed sync leaves the view as it was; the client hears about
        // the changes after the next one that works.
        log_.error("sync of " + mailbox.name() + " failed: " + synced.status().message());
        return;
    }
    const st::SyncResult& r = *synced;
    if (r.uidvalidity_changed) {
        // The client's UIDs mean nothing any more (RFC 3501 §2.3.1.1).
        bye("Mailbox UIDVALIDITY changed, have to disconnect.");
        return;
    }
    // RFC 5267 §4.3.4: REMOVEFROM for expunged results goes out before
    // the EXPUNGE responses, while their sequence numbers are valid.
    search_updates_.before_expunges(*this, r);
    if (enabled_.qresync || enabled_.uidonly) {
        // RFC 7162 §3.2.10: once QRESYNC is enabled, VANISHED replaces
        // EXPUNGE (UIDs, one response for the lot); UIDONLY does the same
        // (RFC 9586 §3.4, §3.6).
        if (!r.expunged_uids.empty())
            untagged("VANISHED " + r.expunged_uids.to_string());
    } else {
        for (st::Seq seq : r.expunged)
            untagged(std::to_string(seq) + " EXPUNGE");
    }
    if (r.keywords_changed)
        send_flags();
    const std::size_t after_expunges =
        r.old_count >= r.expunged.size() ? r.old_count - r.expunged.size() : 0;
    if (r.count > after_expunges)
        untagged(std::to_string(r.count) + " EXISTS");
    // RECENT only when the number the client knows changed (Dovecot: new
    // mail another session claimed first leaves it alone).
    // IMAP4rev2 has no RECENT (RFC 9051 Appendix E).
    if (r.recent != recent_sent_ && !enabled_.imap4rev2) {
        untagged(std::to_string(r.recent) + " RECENT");
        recent_sent_ = r.recent;
    }
    if (!r.changed.empty()) {
        const st::View& view = mailbox.view();
        // RFC 5465 §5.1: with FlagChange for the selected mailbox, FETCH
        // carries UID; so does a UID command's own echo.
        const bool with_uid = current_.uid || notify_.fetch_with_uid();
        const auto& own = selected_->own_changes;
        for (st::Uid uid : r.changed) {
            st::Seq seq = view.seq(uid);
            if (seq == 0)
                continue;
            const auto found = own.find(uid);
            const detail::OwnChange* mine =
                found != own.end() && found->second.modseq == view.modseq(seq) ? &found->second : nullptr;
            using Echo = detail::OwnChange::Echo;
            if (mine && mine->echo != Echo::flags && !same_flags(view, seq, *mine))
                mine = nullptr; // merged with a change the client has not heard of
            // This session's own silent changes are not echoed (RFC 3501
            // §6.4.6 allows either; Dovecot does not).
            if (mine && (mine->echo == Echo::none || (mine->echo == Echo::modseq && !enabled_.condstore)))
                continue;
            // A silent STORE reports only the new modseq (RFC 7162 §3.1.3).
            untagged(flag_change_fetch(view, seq, with_uid, !mine || mine->echo == Echo::flags));
        }
    }
    selected_->own_changes.clear();
    if (allow_expunges)
        selected_->expunges_reported_at = mailbox.view().highest_modseq();
    else if (enabled_.qresync && expunges_held_back(*selected_))
        untagged("OK [HIGHESTMODSEQ " + std::to_string(selected_->expunges_reported_at) + "] Highest");
    // Extensions that report on the same sync: UPDATE contexts (RFC 5267)
    // and NOTIFY (RFC 5465).
    search_updates_.after_sync(*this, r);
    notify_.after_sync(*this, r);
}

} // namespace imapproto
