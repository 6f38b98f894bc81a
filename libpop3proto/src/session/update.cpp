// QUIT in the TRANSACTION state (RFC 1939 §6): the UPDATE state applies the
// DELE marks in one transaction (or sets pop3_deleted_flag instead), with
// the \Seen flags of the messages RETR sent, as Dovecot 2.3 does; a
// connection that ends any other way changes nothing.
#include "session/session_impl.hpp"

namespace pop3proto {

namespace ms = mailstore;
namespace st = mailstore::storage;

void Session::Impl::mark_seen(std::size_t index) {
    if (no_flag_updates_ || !mailbox_)
        return;
    auto& m = messages_[index];
    if (!(mailbox_->view().flags(m.seq) & st::flag_seen))
        m.set_seen = true;
}

void Session::Impl::update_and_quit() {
    state_ = SessionState::update;
    st::UidSet deleted, seen;
    std::uint64_t marked_bytes = 0;
    for (const auto& m : messages_) {
        if (m.deleted) {
            deleted.add(m.uid);
            marked_bytes += m.size;
        } else if (m.set_seen) {
            seen.add(m.uid);
        }
    }
    if (!deleted.empty() || !seen.empty()) {
        // One transaction: the \Seen flags of RETR and the deletions are
        // applied together or not at all.
        auto tx = mailbox_->begin();
        ms::Status status;
        if (!seen.empty()) {
            st::FlagUpdate update;
            update.flags = st::flag_seen;
            status = tx.update_flags(seen, update);
        }
        if (status && !deleted.empty()) {
            if (!delete_by_flag_) {
                status = tx.expunge(deleted);
            } else {
                st::FlagUpdate update;
                update.keywords.push_back(deleted_flag_);
                status = tx.update_flags(deleted, update);
            }
        }
        std::uint64_t gone = deleted.count();
        if (status) {
            auto committed = tx.commit();
            if (!committed)
                status = committed.status();
            else if (!delete_by_flag_)
                gone = committed->expunged.count();
        }
        if (!status) {
            log_.error("Couldn't delete messages: " + status.message());
            err("[SYS/TEMP] Couldn't delete messages.");
            request_close("Storage error during logout.");
            return;
        }
        if (!deleted.empty()) {
            stats_.deleted_count = gone;
            stats_.deleted_bytes = marked_bytes;
        }
    }
    ok(stats_.deleted_count > 0 ? "Logging out, messages deleted." : "Logging out.");
    request_close("Logged out");
}

} // namespace pop3proto
