// AUTHORIZATION -> TRANSACTION (RFC 1939 §4, §5): the userdb entry, the
// daemon's checks, the user's INBOX, pop3_lock_session, and the snapshot of
// the messages this session works on until QUIT.
#include "session/session_impl.hpp"

#include <mailstore/storage/user.hpp>

namespace pop3proto {

namespace ms = mailstore;
namespace st = mailstore::storage;

namespace {

std::string parent_dir(const std::string& path) {
    auto slash = path.rfind('/');
    return slash == std::string::npos ? std::string(".") : path.substr(0, slash);
}

// The directory for the session lock: where the mailbox's index lives
// (the index log is the first watched path), else the mailbox directory.
std::string lock_dir(const st::Mailbox& mailbox) {
    auto paths = mailbox.watch_paths();
    for (const auto& p : paths)
        if (!p.ends_with("/new") && !p.ends_with("/cur"))
            return parent_dir(p);
    for (const auto& p : paths)
        return parent_dir(p);
    return {};
}

} // namespace

bool Session::Impl::try_login() {
    auto& p = *pending_login_;
    auto fail = [&](std::string_view text) {
        err(text);
        pending_login_.reset();
        mailbox_.reset();
        user_.reset();
        lock_.release();
        if (!options_.preauth_user.empty())
            request_close("Login failed");
        return true;
    };
    if (!p.opened) {
        ms::auth::FieldList fields;
        std::string name = p.user;
        if (options_.login) {
            auto found = options_.login->lookup_user(p.user, options_.client);
            if (found.kind == ms::auth::LookupResult::Kind::temporary_failure) {
                log_.error("userdb lookup of " + p.user + " failed: " + found.error);
                return fail("[SYS/TEMP] Temporary authentication failure.");
            }
            if (found.kind == ms::auth::LookupResult::Kind::not_found && p.userdb.empty()) {
                log_.error("user " + p.user + " authenticated but is not in the userdb");
                return fail("[SYS/TEMP] Temporary authentication failure.");
            }
            if (!found.user.empty())
                name = found.user;
            fields = std::move(found.fields);
        }
        // The passdb's prefetched userdb fields come first.
        for (const auto& [k, v] : p.userdb)
            fields.set(k, v);
        if (options_.on_login) {
            auto checked = options_.on_login(name, fields);
            if (!checked)
                return fail((checked.code() == ms::Status::Code::temporary_failure ? "[SYS/TEMP] " : "[SYS/PERM] ") +
                            checked.message());
        }
        auto settings = st::user_settings_from_userdb(name, fields, "pop3");
        auto user = st::User::open(*options_.config, settings);
        if (!user) {
            log_.error("cannot open the mail storage of " + name + ": " + user.status().message());
            return fail("[SYS/TEMP] Couldn't open INBOX: Internal error occurred. Refer to server log for more information.");
        }
        user_.emplace(std::move(*user));
        auto box = st::Mailbox::open(*user_, "INBOX");
        if (!box) {
            log_.error("Couldn't open INBOX: " + box.status().message());
            return fail(box.status().code() == ms::Status::Code::temporary_failure
                            ? "[IN-USE] Couldn't open INBOX: Mailbox is locked."
                            : "[SYS/TEMP] Couldn't open INBOX: Internal error occurred. Refer to server log for "
                              "more information.");
        }
        mailbox_.emplace(std::move(*box));
        username_ = name;
        log_ = ms::log::Logger::session("pop3", name, options_.client.session_id);
        p.opened = true;
    }
    if (setting_bool("pop3_lock_session")) {
        const std::string dir = lock_dir(*mailbox_);
        auto locked = dir.empty() ? ms::Status::io("no index directory")
                                  : lock_.try_lock(dir + "/" + detail::kSessionLockName);
        if (!locked) {
            if (locked.code() == ms::Status::Code::temporary_failure) {
                // Another session holds it: wait a while (Step::sleep), as
                // Dovecot waits, then give up with RFC 2449's [IN-USE].
                if (++p.attempts < detail::kLockAttempts)
                    return false;
                return fail("[IN-USE] Mailbox is locked by another POP3 session.");
            }
            log_.error("pop3_lock_session: " + locked.message());
            return fail("[SYS/TEMP] Couldn't open INBOX: Internal error occurred. Refer to server log for more "
                        "information.");
        }
        // The lock is ours: what was seen while waiting may be stale.
        if (p.attempts > 0)
            (void)mailbox_->sync();
    }

    // RFC 1939 §5: the messages as they are now, numbered 1..n for the
    // whole session; mail that arrives later waits for the next login.
    deleted_flag_ = setting("pop3_deleted_flag");
    if (!detail::read_delete_type(*this))
        return fail("[SYS/TEMP] Couldn't open INBOX: Internal error occurred. Refer to server log for more "
                    "information.");
    no_flag_updates_ = setting_bool("pop3_no_flag_updates");
    const auto workarounds = options_.config->get_list("pop3_client_workarounds", lookup_context());
    for (const auto& w : workarounds) {
        if (w == "outlook-no-nuls")
            stream_options_.no_nuls = true;
        else if (w == "oe-ns-eoh")
            stream_options_.add_missing_eoh = true;
    }
    const st::View& view = mailbox_->view();
    messages_.clear();
    messages_.reserve(view.count());
    std::vector<detail::LearnedEol> learned;
    for (st::Seq seq = 1; seq <= view.count(); ++seq) {
        if (!deleted_flag_.empty()) {
            // pop3_deleted_flag: messages a POP3 client deleted stay for
            // IMAP but are gone for POP3.
            bool hidden = false;
            for (const auto& k : view.keywords(seq))
                if (k == deleted_flag_)
                    hidden = true;
            if (hidden)
                continue;
        }
        auto message = mailbox_->message(seq);
        auto size = detail::snapshot_size(*this, message, learned);
        if (!size) {
            if (size.status().code() == ms::Status::Code::not_found)
                continue; // expunged meanwhile
            log_.error("Couldn't get size of message UID " + std::to_string(message.uid()) + ": " +
                       size.status().message());
            return fail("[SYS/TEMP] Couldn't get message sizes.");
        }
        messages_.push_back({seq, view.uid(seq), *size, false, false});
        stats_.mailbox_size += *size;
    }
    detail::cache_learned_eol(*mailbox_, learned);
    stats_.message_count = messages_.size();
    pending_login_.reset();
    state_ = SessionState::transaction;
    bad_commands_ = 0;
    if (options_.preauth_user.empty())
        ok("Logged in.");
    return true;
}

} // namespace pop3proto
