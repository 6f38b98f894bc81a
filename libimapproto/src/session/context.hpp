// What a command sees of the session (internal to libimapproto). Every
// command is a file under src/commands/ that implements one CommandSpec
// `start` function (declared in commands/commands.hpp); the session core
// (src/session/) owns the parser, the state machine, output, untagged
// updates, IDLE and COMPRESS.
//
// Reply discipline: a command never writes its own tagged line. It writes
// untagged data with untagged()/out(), then calls finish_ok/no/bad. The
// session sends the untagged mailbox updates the command's UpdatePolicy
// allows, and then the tagged line — so "* 5 EXISTS" can never follow the
// tagged OK of the command that caused it.
#pragma once

#include "session/output.hpp"

#include <imapproto/command_parser.hpp>
#include <imapproto/session.hpp>

#include <mailstore/config.hpp>
#include <mailstore/log.hpp>
#include <mailstore/status.hpp>
#include <mailstore/storage/mailbox.hpp>
#include <mailstore/storage/types.hpp>
#include <mailstore/storage/user.hpp>

#include <chrono>
#include <map>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace imapproto::detail {

// Settings read once per session from the config.
struct SessionSettings {
    std::string capability_override; // imap_capability ("+FOO" appends)
    std::chrono::milliseconds idle_notify_interval{std::chrono::minutes(2)};
    std::string logout_format;
    std::string login_greeting;
    std::uint64_t append_max_size = 0; // APPENDLIMIT
    std::uint64_t save_limit = 0;      // imap_save_limit: SAVELIMIT (RFC 9738), 0 = none
    std::uint64_t message_limit = 0;   // imap_message_limit: MESSAGELIMIT (RFC 9738), 0 = none
    bool literal_minus = false;
    bool utf8_accept = true;           // imap_utf8_accept: UTF8=ACCEPT offered (RFC 9755)
    std::string id_send; // imap_id_send
    std::string id_log;  // imap_id_log
    // URLAUTH (RFC 4467): the host (and port) URLs must name; "" turns
    // URLAUTH off, as in Dovecot.
    std::string urlauth_host;      // imap_urlauth_host
    std::uint64_t urlauth_port = 143; // imap_urlauth_port
    // METADATA (RFC 5464): GETMETADATA/SETMETADATA and the capability
    // only with imap_metadata = yes, as in Dovecot.
    bool metadata = false; // imap_metadata
    // INPROGRESS (RFC 9585): how often a long command reports progress;
    // 0 = at every check (session/progress.hpp).
    std::chrono::milliseconds progress_interval{std::chrono::seconds(10)}; // imap_progress_interval
};

// One message's flag change made by this session (Selected::own_changes).
struct OwnChange {
    mailstore::storage::ModSeq modseq = 0; // CommitResult::modseq of the commit that made it
    // The flags and keywords the client believes the message has now.
    mailstore::storage::MailFlags flags = 0;
    std::vector<std::string> keywords;
    enum class Echo {
        none,   // the client already knows (STORE .SILENT, FETCH's own FLAGS)
        flags,  // STORE without .SILENT: "n FETCH ([UID u ][MODSEQ (m) ]FLAGS (...))"
        modseq, // STORE .SILENT with CONDSTORE (RFC 7162 §3.1.3): "n FETCH ([UID u ]MODSEQ (m))"
    };
    Echo echo = Echo::none;
};

// The mailbox the client selected, and what it has been told about it.
struct Selected {
    std::unique_ptr<mailstore::storage::Mailbox> mailbox;
    bool read_only = false; // EXAMINE, or no write access
    // The keyword names the client got in FLAGS / PERMANENTFLAGS.
    std::vector<std::string> keywords_sent;
    // Flag changes this session committed itself (STORE, FETCH's implicit
    // \Seen) since the last update, by UID. The next sync reports these
    // messages as changed; the update after the command decides from this
    // record what the client hears. A change is "still ours" only while the
    // message's modseq is the one our commit gave it (and, for the ones not
    // echoed, its flags are the ones the client was told): another
    // session's later change, or an earlier one our commit was merged into,
    // is reported like any other (RFC 3501 §7.4.1).
    std::map<mailstore::storage::Uid, OwnChange> own_changes;
    // The HIGHESTMODSEQ of the last sync whose expunges the client was
    // told (SELECT, or an update that may send VANISHED). While FETCH,
    // STORE and SEARCH hold later expunges back, a QRESYNC client that
    // sees newer MODSEQs is also told this lower value, so a resync from
    // it still finds them (RFC 7162 §3.2).
    mailstore::storage::ModSeq expunges_reported_at = 0;
};

// Which untagged updates may follow a command (RFC 3501 §7.4.1).
enum class UpdatePolicy {
    none,        // nothing (not in selected state, LOGOUT, CLOSE, UNSELECT, SELECT itself)
    no_expunges, // EXISTS, RECENT, FETCH FLAGS, but no EXPUNGE: FETCH, STORE, SEARCH (non-UID forms)
    full,        // everything: NOOP, CHECK, IDLE, UID commands, the rest
};

// How a resumable command left off.
enum class Progress {
    done,        // finish_*() was called
    more_output, // stopped because output_full(): call resume() again after a flush
    need_line,   // wants the next raw input line (AUTHENTICATE responses, IDLE's DONE): take_line()
    sleep,       // wants a pause of delay() before going on (failed login)
    idle,        // waiting in IDLE: resume() again on input, wake() or tick()
};

class Context;
class SearchUpdates; // session/search_updates.hpp
class Notify;        // session/notify.hpp

// A command that runs over several calls (FETCH of many messages, SEARCH,
// AUTHENTICATE, IDLE, APPEND of many messages, COPY of many messages).
class CommandRun {
public:
    virtual ~CommandRun() = default;
    virtual Progress resume(Context& ctx) = 0;
};

class Context {
public:
    virtual ~Context() = default;

    // --- the current command ---
    virtual const Command& command() const = 0;
    const std::string& tag() const { return command().tag; }

    // --- replies ---
    // "* " + line + CRLF. `line` must be one valid response line; literals
    // inside are the caller's business (write them through out()).
    virtual void untagged(std::string_view line) = 0;
    // "+ " + text + CRLF.
    virtual void continuation(std::string_view text) = 0;
    // Raw output (FETCH responses with literals, streamed bodies).
    virtual Output& out() = 0;
    // More than the high-water mark is waiting: a resumable command should
    // return Progress::more_output.
    virtual bool output_full() const = 0;
    // The tagged reply. `code` is the response code without brackets
    // ("READ-WRITE", "APPENDUID 1 5", "" for none).
    virtual void finish_ok(std::string_view code, std::string_view text) = 0;
    virtual void finish_no(std::string_view code, std::string_view text) = 0;
    virtual void finish_bad(std::string_view text) = 0;
    // finish_no with the RFC 5530 code a storage Status maps to:
    // not_found -> NONEXISTENT, already_exists -> ALREADYEXISTS,
    // permission_denied -> NOPERM, invalid_argument -> CANNOT, temporary
    // and I/O errors -> SERVERBUG with "Internal error occurred. Refer to
    // server log for more information. [timestamp]" (the real message is
    // logged, never shown), quota -> OVERQUOTA, busy/lock -> INUSE.
    virtual void finish_status(const mailstore::Status& status) = 0;
    virtual bool finished() const = 0;

    // --- input for need_line commands ---
    // The line that arrived (without CRLF); nullopt when none is waiting.
    virtual std::optional<std::string> take_line() = 0;
    virtual void set_delay(std::chrono::milliseconds delay) = 0;

    // --- state ---
    virtual SessionState state() const = 0;
    virtual const SessionOptions& options() const = 0;
    virtual const SessionSettings& settings() const = 0;
    virtual const mailstore::config::Config& config() const = 0;
    virtual const mailstore::log::Logger& log() const = 0;
    virtual SessionStats& stats() = 0;

    // --- login (the auth commands) ---
    virtual LoginBackend* login_backend() = 0;
    // Whether plaintext authentication (LOGIN, AUTHENTICATE PLAIN/LOGIN)
    // is allowed now (TLS, loopback, login_trusted_networks, or
    // disable_plaintext_auth = no); LOGIN answers [PRIVACYREQUIRED]
    // otherwise, and CAPABILITY says LOGINDISABLED.
    virtual bool plaintext_allowed() const = 0;
    // After a successful authentication as `user` (with the userdb fields
    // the passdb prefetched): looks the user up, runs on_login, opens the
    // storage, moves to the authenticated state. Errors carry the text for
    // the tagged NO ([UNAVAILABLE] / [SERVERBUG]); the command answers.
    virtual mailstore::Status login(const std::string& user, const std::string& mechanism,
                                    const mailstore::auth::FieldList& prefetched_userdb) = 0;
    // The response code of the tagged NO when login() failed with
    // permission_denied (the daemon's on_login refused): "LIMIT" (RFC 5530)
    // when the hook answered temporary_failure, a per-user limit such as
    // mail_max_userip_connections that lifts when a session ends;
    // "UNAVAILABLE" otherwise.
    virtual std::string_view login_refusal_code() const { return "UNAVAILABLE"; }
    // A failed authentication (LOGIN, AUTHENTICATE): after
    // kMaxAuthFailures of them the session sends "* BYE" behind the
    // command's tagged NO and closes.
    virtual void auth_failed() {}
    // STARTTLS: after this command's OK, the session discards buffered
    // input and returns Step::starttls.
    virtual void request_starttls() = 0;
    virtual bool tls_active() const = 0;
    virtual bool starttls_available() const = 0;
    // COMPRESS=DEFLATE: compression starts right after this command's OK.
    virtual void request_compress() = 0;
    virtual bool compress_active() const = 0;
    // LOGOUT: after this command's OK, Step::close.
    virtual void request_logout() = 0;

    // The CAPABILITY list for the current state (without "CAPABILITY").
    virtual std::string capabilities() const = 0;

    // --- storage (authenticated and selected states) ---
    virtual mailstore::storage::User& user() = 0;
    virtual Selected* selected() = 0; // nullptr when not in selected state
    // SELECT/EXAMINE: replaces the selection (the old one is closed first
    // without expunging; RFC 7162 [CLOSED] when one was open); CLOSE and
    // UNSELECT: deselect(). Both bump selection_generation.
    virtual void select(std::unique_ptr<mailstore::storage::Mailbox> mailbox, bool read_only) = 0;
    virtual void deselect() = 0;
    // Syncs the selected mailbox and sends what changed: EXPUNGE (unless
    // allow_expunges is false), EXISTS, RECENT, FETCH (FLAGS) for changed
    // messages, FLAGS/PERMANENTFLAGS when new keywords appeared. The session
    // calls it after each command per its UpdatePolicy; IDLE and NOOP
    // rely on that too. A sync error is logged and answered with
    // "* BYE" when the mailbox vanished (UIDVALIDITY changed).
    virtual void send_updates(bool allow_expunges) = 0;
    // The "FLAGS (...)" and "OK [PERMANENTFLAGS (...)]" lines for the
    // selected mailbox (SELECT and keyword changes).
    virtual void send_flags() = 0;

    // Extensions the client turned on with ENABLE.
    struct Enabled {
        bool condstore = false;
        bool qresync = false;
        bool utf8_accept = false;
        // RFC 9051: the session runs IMAP4rev2 (session/rev2.hpp).
        bool imap4rev2 = false;
        // RFC 9586: UIDs only, no sequence numbers (session/uidonly.hpp).
        bool uidonly = false;
    };
    virtual Enabled& enabled() = 0;

    // SEARCHRES (RFC 5182): the saved result "$" refers to (UIDs).
    virtual mailstore::storage::UidSet& saved_result() = 0;

    // ESEARCH/ESORT UPDATE contexts of the selected mailbox (RFC 5267).
    virtual SearchUpdates& search_updates() = 0;
    // The NOTIFY (RFC 5465) state of the session.
    virtual Notify& notify() = 0;

    // Where to spool big APPEND data.
    virtual const std::string& spool_dir() const = 0;
};

// The "Internal error occurred. Refer to server log for more information.
// [YYYY-MM-DD HH:MM:SS]" text (Dovecot's wording; admins grep for it).
std::string internal_error_text();

// Flags as IMAP writes them, keywords after system flags:
// "\Seen \Answered $Forwarded". \Recent is added when `recent`.
std::string flags_text(mailstore::storage::MailFlags flags, const std::vector<std::string>& keywords,
                       bool recent);

// Parses a flag list argument (STORE, APPEND): system flags (case-
// insensitive) and keywords (atoms). \Recent and unknown \-flags are
// errors ("Invalid system flag \Foo"); nullopt with the message in `error`.
struct ParsedFlags {
    mailstore::storage::MailFlags flags = 0;
    std::vector<std::string> keywords;
};
std::optional<ParsedFlags> parse_flag_list(const Arg& arg, std::string& error);

// Decodes a mailbox name argument (astring) from modified UTF-7 (or UTF-8
// when UTF8=ACCEPT is enabled) to the UTF-8 name the storage API takes.
// nullopt with a BAD message for invalid mUTF-7 or NUL.
std::optional<std::string> mailbox_name_arg(Context& ctx, const Arg& arg, std::string& error);
// Encodes a UTF-8 name for the client (mUTF-7 unless UTF8=ACCEPT) and
// writes it as an astring (quoted/literal when needed).
void write_mailbox_name(Context& ctx, std::string& out, std::string_view utf8_name);

} // namespace imapproto::detail
