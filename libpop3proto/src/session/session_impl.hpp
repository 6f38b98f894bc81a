// The session's state (internal to libpop3proto): Session::Impl is what every
// command works on. session.cpp holds the run loop and the input/output
// buffers, login.cpp the step from AUTHORIZATION to TRANSACTION (userdb,
// INBOX snapshot, pop3_lock_session), update.cpp the UPDATE state,
// commands/ one file per command group.
#pragma once

#include "message_stream.hpp"
#include "session/session_lock.hpp"

#include <pop3proto/session.hpp>

#include <mailstore/storage/mailbox.hpp>
#include <mailstore/storage/user.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pop3proto {

namespace detail {

// Dovecot 2.3: before login the 3rd unknown command closes the connection,
// after it the 21st failed command.
inline constexpr unsigned kMaxBadBeforeLogin = 3;
inline constexpr unsigned kMaxBadAfterLogin = 20;
// Failed logins per connection before the session closes.
inline constexpr unsigned kMaxAuthFailures = 3;
// pop3_lock_session: Dovecot waits about 10 s for another session's lock.
inline constexpr unsigned kLockAttempts = 20;
inline constexpr std::chrono::milliseconds kLockRetryDelay{500};

// One message of the snapshot taken at login (RFC 1939 §5: its number
// stays the same for the whole session).
struct SnapshotMessage {
    mailstore::storage::Seq seq = 0; // in the Mailbox's view
    mailstore::storage::Uid uid = 0;
    std::uint64_t size = 0;          // virtual (CRLF) size: what LIST says
    bool deleted = false;            // DELE this session
    bool set_seen = false;           // RETR this session: \Seen at QUIT
};

// An authenticated login not completed yet: the userdb, INBOX and
// pop3_lock_session (whose waits make it span several run() calls).
struct PendingLogin {
    std::string user;
    std::string mechanism;
    mailstore::auth::FieldList userdb;
    unsigned attempts = 0;
    bool opened = false;
};

// A multi-line response made a piece at a time (RETR/TOP, LIST, UIDL).
class Producer {
public:
    virtual ~Producer() = default;
    // Appends about `budget` bytes to `out`; true when finished.
    virtual bool produce(std::string& out, std::size_t budget) = 0;
};

} // namespace detail

class Session::Impl {
public:
    explicit Impl(SessionOptions opts);
    ~Impl();

    // --- output ---
    void reply(std::string_view line); // appends line + CRLF
    void ok(std::string_view text = {});
    void err(std::string_view text);
    // A failed command: counts towards the bad-command limit.
    void bad(std::string_view text);
    std::size_t pending() const { return out_.size() - out_pos_; }
    void request_close(std::string reason);

    // --- settings ---
    mailstore::config::LookupContext lookup_context() const;
    std::string setting(std::string_view name) const;
    bool setting_bool(std::string_view name) const;
    bool secured() const;
    bool plaintext_allowed() const;

    // --- the run loop ---
    Step run();
    void feed(std::string_view bytes);
    void start();
    void shutdown(std::string_view text);
    void tls_started();

    // --- commands ---
    void dispatch(std::string_view line);
    void handle_sasl_line(std::string_view line);
    void finish_auth(const mailstore::auth::AuthReply& reply, const std::string& mechanism);
    // AUTHORIZATION -> TRANSACTION: userdb, on_login, INBOX, lock. Returns
    // false when the login must be retried later (lock busy: Step::sleep).
    bool try_login();
    void update_and_quit();
    // RETR: remember to set \Seen at QUIT.
    void mark_seen(std::size_t index);
    // The message of number `text` (RFC 1939: "msg"), or an -ERR sent and
    // nullopt; `rest` gets what follows the number.
    std::optional<std::size_t> message_arg(std::string_view text, std::string_view* rest, bool allow_deleted = false);
    const std::vector<std::string>& uidls();
    std::string uidl_of(std::size_t index);
    std::string apop_timestamp() const { return apop_timestamp_; }

    SessionOptions options_;
    mailstore::log::Logger log_;
    SessionState state_ = SessionState::authorization;
    SessionStats stats_;
    std::string username_;

    // input
    std::string in_;
    std::size_t in_pos_ = 0;
    // output
    std::string out_;
    std::size_t out_pos_ = 0;
    std::unique_ptr<detail::Producer> producer_;
    std::uint64_t* producer_bytes_ = nullptr; // where the producer's bytes are counted

    // close / sleep / starttls requests of the current command
    bool close_requested_ = false;
    std::string close_reason_;
    bool starttls_requested_ = false;
    std::chrono::milliseconds delay_{0};
    std::string delayed_reply_;
    bool delayed_close_ = false;

    unsigned bad_commands_ = 0;
    unsigned auth_failures_ = 0;

    // AUTHORIZATION
    std::string user_arg_;   // USER
    bool have_user_ = false;
    std::unique_ptr<mailstore::auth::SaslExchange> sasl_;
    std::string sasl_mechanism_;
    bool sasl_final_wait_ = false;
    mailstore::auth::AuthReply sasl_final_;
    std::string apop_timestamp_;
    // A login waiting to be completed (lock retries).
    std::optional<detail::PendingLogin> pending_login_;

    // TRANSACTION
    std::optional<mailstore::storage::User> user_;
    std::optional<mailstore::storage::Mailbox> mailbox_;
    detail::SessionLock lock_;
    std::vector<detail::SnapshotMessage> messages_;
    std::vector<std::string> uidls_;
    bool uidls_ready_ = false;
    std::size_t last_accessed_ = 0; // LAST (RFC 1460)
    std::uint64_t deleted_count_ = 0, deleted_bytes_ = 0; // marked with DELE
    std::string deleted_flag_;   // pop3_deleted_flag
    bool delete_by_flag_ = false; // pop3_delete_type: QUIT sets deleted_flag_ instead of expunging
    std::optional<bool> fast_size_lookups_; // pop3_fast_size_lookups, read at the first login
    bool no_flag_updates_ = false;
    detail::StreamOptions stream_options_;
};

namespace detail {
// Command groups (commands/*.cpp). Each takes the argument text after the
// command name (leading spaces removed).
void cmd_capa(Session::Impl& s);
void cmd_stls(Session::Impl& s);
void cmd_user(Session::Impl& s, std::string_view args);
void cmd_pass(Session::Impl& s, std::string_view args);
void cmd_apop(Session::Impl& s, std::string_view args);
void cmd_auth(Session::Impl& s, std::string_view args);
void handle_auth_step(Session::Impl& s, mailstore::auth::AuthReply reply);
void cmd_stat(Session::Impl& s);
void cmd_list(Session::Impl& s, std::string_view args);
void cmd_uidl(Session::Impl& s, std::string_view args);
void cmd_last(Session::Impl& s);
void cmd_retr(Session::Impl& s, std::string_view args);
void cmd_top(Session::Impl& s, std::string_view args);
void cmd_dele(Session::Impl& s, std::string_view args);
void cmd_rset(Session::Impl& s);
// pop3_delete_type with pop3_deleted_flag -> s.delete_by_flag_; false (an
// error logged) for "flag" without a flag.
bool read_delete_type(Session::Impl& s);
// What LIST/STAT say for a message: its virtual (CRLF) size and the CRLF
// RETR adds after a last line without one; with pop3_fast_size_lookups the
// physical size of a Maildir file named without W= (as Dovecot).
//
// `learned` collects what was read from the mail files (whether each lacks
// its final line end) for cache_learned_eol() after the login's loop: a
// cache() per message during the loop would make every later cached()
// lookup scan the pending entries, quadratic in the mailbox's size.
struct LearnedEol {
    mailstore::storage::Seq seq;
    bool lacks;
};
mailstore::Result<std::uint64_t> snapshot_size(Session::Impl& s, const mailstore::storage::Message& message,
                                               std::vector<LearnedEol>& learned);
void cache_learned_eol(mailstore::storage::Mailbox& mailbox, const std::vector<LearnedEol>& learned);
// pop3_logout_format with the session's counters.
std::string expand_logout_format(std::string_view format, const SessionStats& stats, std::string_view uidl_change = {});
// Dovecot's %u/%{uidl_change}: "count/hash" of the UIDLs the session
// listed, "-> count/hash" of those left after QUIT's deletions; "" when no
// UIDL command ran.
std::string uidl_change(const Session::Impl& s);
} // namespace detail

} // namespace pop3proto
