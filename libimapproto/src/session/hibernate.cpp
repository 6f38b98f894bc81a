// Hibernation of an IDLE session (imap_hibernate_timeout): the session is
// reduced to a small record and everything else — the user, the open
// mailbox and its view, the parser, the output queue — is freed. On a
// change or on client input the daemon builds a new Session from the
// record: the user is reopened from the recorded userdb fields, the mailbox
// is opened afresh, and what the client must hear is worked out by
// comparing the new view with the recorded one:
//
//   - recorded UIDs missing from the view were expunged: EXPUNGE with the
//     client's sequence numbers (highest first, so none moves another), or
//     one VANISHED with QRESYNC;
//   - the view grew: EXISTS;
//   - recorded messages whose modseq is above the highest modseq the
//     client was told changed flags or keywords: FETCH FLAGS (with UID and
//     MODSEQ as the running session sends them). Every flag change raises a
//     message's modseq, so none is missed; a message whose modseq moved
//     without a visible change gets a FETCH that repeats what the client
//     knows, which RFC 3501 §7.4.1 allows.
//
// That is the order and the form send_updates() uses for the same changes,
// so a client cannot tell a hibernated session from a running one.
//
// What is not kept, and so prevents hibernation (can_hibernate): COMPRESS
// (the compressor's dictionary), NOTIFY, ESEARCH UPDATE contexts, buffered
// input or output.
//
// \Recent (RFC 3501 §2.3.2) belongs to the session that claimed it: the
// record keeps the UIDs this session held as \Recent and the reopened view
// gets them back (they are claimed in the index already, so no other session
// takes them meanwhile); new messages are claimed by the reopening, as the
// running session's sync would have claimed them.
#include "session/session_impl.hpp"
#include "session/uidonly.hpp"

#include "storage/mailbox_impl.hpp"

#include <mailstore/storage/mailbox.hpp>
#include <mailstore/storage/user.hpp>

#include <algorithm>

namespace imapproto {

namespace ms = mailstore;
namespace st = mailstore::storage;

struct HibernatedSession {
    std::string user;
    ms::auth::FieldList userdb;
    std::string mechanism;
    std::string idle_tag;
    detail::Context::Enabled enabled;
    SessionStats stats;
    std::uint64_t generation = 0;
    st::UidSet saved_result; // SEARCHRES "$"

    // The selected mailbox (none: IDLE in the authenticated state).
    bool selected = false;
    std::string mailbox;
    bool read_only = false;
    std::uint32_t uidvalidity = 0;
    st::UidSet uids;                   // the client's view, ascending
    st::ModSeq highest_modseq = 0;     // every change up to this was reported
    std::vector<std::string> keywords; // FLAGS as the client got it
    std::uint32_t recent_sent = 0;
    st::UidSet recent; // \Recent for this session
};

bool Session::Impl::can_hibernate() const {
    if (!idling_ || !running_ || closing_ || state_ == SessionState::not_authenticated || !user_)
        return false;
    if (!input_.empty() || !raw_in_.empty() || inflater_ || output_.deflating() || !output_.empty())
        return false;
    if (woken_.load() || ticked_.load() || notify_.active() || search_updates_.size() != 0)
        return false;
    if (selected_) {
        // A sync held back by a command never leaves expunges pending in
        // IDLE (its updates are full), but be sure: the record describes
        // the view as the client knows it.
        if (!selected_->own_changes.empty())
            return false;
    }
    return true;
}

std::shared_ptr<HibernatedSession> Session::Impl::hibernate() {
    auto rec = std::make_shared<HibernatedSession>();
    rec->user = username_;
    rec->userdb = userdb_;
    rec->mechanism = mechanism_;
    rec->idle_tag = current_.tag;
    rec->enabled = enabled_;
    rec->stats = stats_;
    rec->generation = generation_;
    rec->saved_result = saved_result_;
    if (selected_) {
        const st::View& view = selected_->mailbox->view();
        rec->selected = true;
        rec->mailbox = selected_->mailbox->name();
        rec->read_only = selected_->read_only;
        rec->uidvalidity = view.uidvalidity();
        for (st::Seq seq = 1; seq <= view.count(); ++seq) {
            rec->uids.add(view.uid(seq));
            if (view.recent(seq))
                rec->recent.add(view.uid(seq));
        }
        rec->highest_modseq = view.highest_modseq();
        rec->keywords = selected_->keywords_sent;
        rec->recent_sent = recent_sent_;
    }
    // Closing the mailbox and the user is file I/O: it happens here, on the
    // caller's (pool) thread, not in the daemon's destructor call.
    run_.reset();
    running_ = false;
    idling_ = false;
    selected_.reset();
    user_.reset();
    state_ = SessionState::logout;
    return rec;
}

void Session::Impl::restore(const HibernatedSession& rec) {
    username_ = rec.user;
    mechanism_ = rec.mechanism;
    userdb_ = rec.userdb;
    enabled_ = rec.enabled;
    stats_ = rec.stats;
    generation_ = rec.generation;
    saved_result_ = rec.saved_result;
    log_ = ms::log::Logger::session("imap", rec.user, options_.client.session_id);
    // The output counter goes on from where the hibernated session left it.
    output_.set_bytes_sent(rec.stats.bytes_out);

    // IDLE goes on under its tag; DONE completes it as usual.
    current_ = Command{};
    current_.tag = rec.idle_tag;
    current_.name = "IDLE";
    spec_ = detail::find_command("IDLE");
    run_ = detail::idle_running();
    running_ = true;
    idling_ = true;
    finished_ = false;

    auto settings = st::user_settings_from_userdb(rec.user, rec.userdb, "imap");
    auto opened = st::User::open(*options_.config, settings);
    if (!opened) {
        log_.error("cannot reopen the mail storage of " + rec.user + ": " + opened.status().message());
        bye(detail::internal_error_text());
        return;
    }
    user_.emplace(std::move(*opened));
    state_ = SessionState::authenticated;
    if (rec.selected)
        restore_selected(rec);
}

void Session::Impl::restore_selected(const HibernatedSession& rec) {
    st::OpenOptions options;
    options.read_only = rec.read_only;
    options.claim_recent = !rec.read_only;
    auto opened = st::Mailbox::open(*user_, rec.mailbox, options);
    if (!opened) {
        // What send_updates() answers when the selected mailbox goes away
        // under a running session (deleted, or renamed: the name is gone).
        if (opened.status().code() == ms::Status::Code::not_found || !user_->exists(rec.mailbox)) {
            bye("Selected mailbox was deleted, have to disconnect.");
            return;
        }
        log_.error("reopening " + rec.mailbox + " failed: " + opened.status().message());
        bye(detail::internal_error_text());
        return;
    }
    selected_ = std::make_unique<detail::Selected>();
    selected_->mailbox = std::make_unique<st::Mailbox>(std::move(*opened));
    selected_->read_only = rec.read_only || selected_->mailbox->read_only();
    selected_->keywords_sent = rec.keywords;
    state_ = SessionState::selected;
    recent_sent_ = rec.recent_sent;
    st::Mailbox& mailbox = *selected_->mailbox;
    const st::View& view = mailbox.view();
    if (view.uidvalidity() != rec.uidvalidity) {
        // The mailbox was recreated: the client's UIDs mean nothing.
        bye("Mailbox UIDVALIDITY changed, have to disconnect.");
        return;
    }
    // The \Recent messages this session had claimed, where still present.
    for (const auto& range : rec.recent.ranges())
        for (st::Uid uid = range.first;; ++uid) {
            if (view.seq(uid) != 0)
                mailbox.impl().view_impl.recent.add(uid);
            if (uid == range.last)
                break;
        }

    // Expunged: recorded UIDs no longer in the view, with their sequence
    // numbers in the client's view. A range whose UIDs are all still there
    // is skipped in one step.
    std::vector<st::Seq> expunged;
    st::UidSet expunged_uids;
    st::Seq old_seq = 0;
    for (const auto& range : rec.uids.ranges()) {
        const std::uint64_t size = std::uint64_t(range.last) - range.first + 1;
        const auto [first, last] = view.seq_range(range.first, range.last);
        const std::uint64_t present = first == 0 || first > last ? 0 : std::uint64_t(last) - first + 1;
        if (present == size) {
            old_seq += static_cast<st::Seq>(size);
            continue;
        }
        for (st::Uid uid = range.first;; ++uid) {
            ++old_seq;
            if (view.seq(uid) == 0) {
                expunged.push_back(old_seq);
                expunged_uids.add(uid);
            }
            if (uid == range.last)
                break;
        }
    }
    const st::Seq old_count = old_seq;
    // VANISHED with QRESYNC (RFC 7162 §3.2.10) and with UIDONLY (RFC 9586 §3.6).
    if (enabled_.qresync || enabled_.uidonly) {
        if (!expunged_uids.empty())
            untagged("VANISHED " + expunged_uids.to_string());
    } else {
        // Highest first: removing a higher sequence number never moves a
        // lower one (the order Mailbox::sync reports them in).
        for (auto it = expunged.rbegin(); it != expunged.rend(); ++it)
            untagged(std::to_string(*it) + " EXPUNGE");
    }
    if (view.keyword_names() != rec.keywords)
        send_flags();
    const st::Seq after_expunges = old_count - static_cast<st::Seq>(expunged.size());
    if (view.count() > after_expunges)
        untagged(std::to_string(view.count()) + " EXISTS");
    // IMAP4rev2 has no RECENT (RFC 9051 Appendix E).
    if (view.recent_count() != recent_sent_ && !enabled_.imap4rev2) {
        untagged(std::to_string(view.recent_count()) + " RECENT");
        recent_sent_ = view.recent_count();
    }
    // Flag changes of the messages the client knows, in sequence order.
    for (st::Seq seq = 1; seq <= view.count(); ++seq) {
        if (view.modseq(seq) <= rec.highest_modseq)
            continue;
        const st::Uid uid = view.uid(seq);
        if (!rec.uids.contains(uid))
            continue; // new: EXISTS told the client
        // The form send_updates() uses (flag_change_fetch).
        untagged(flag_change_fetch(view, seq, false, true));
    }
    selected_->expunges_reported_at = view.highest_modseq();
}

} // namespace imapproto
