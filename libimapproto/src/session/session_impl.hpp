// The session's state (internal to src/session/): Session::Impl is the
// Context every command sees. session.cpp holds the run loop, updates.cpp
// the untagged mailbox updates, capability.cpp the CAPABILITY list.
#pragma once

#include "commands/commands.hpp"
#include "session/context.hpp"
#include "session/notify.hpp"
#include "session/output.hpp"
#include "session/search_updates.hpp"

#include <imapproto/session.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace imapproto {

namespace detail {
class Inflater;

// How many BAD replies a client may get before "* BYE Too many invalid IMAP
// commands." (Dovecot 2.3: the 3rd before login, the 21st after it).
inline constexpr unsigned kMaxBadBeforeLogin = 3;
inline constexpr unsigned kMaxBadAfterLogin = 20;
// Failed authentications per connection before the session says BYE.
inline constexpr unsigned kMaxAuthFailures = 3;
// Compressed input is inflated this much at a time, so a small compressed
// burst cannot turn into an unbounded input buffer.
inline constexpr std::size_t kInflateChunk = 64 * 1024;
// The input buffer's capacity is given back above this once it is empty.
inline constexpr std::size_t kRestingInput = 4096;
} // namespace detail

struct Session::Impl final : detail::Context {
    explicit Impl(SessionOptions opts);
    ~Impl() override;

    // --- Context ---
    const Command& command() const override { return current_; }
    void untagged(std::string_view line) override;
    void continuation(std::string_view text) override;
    detail::Output& out() override { return output_; }
    bool output_full() const override { return output_.pending() > options_.output_high_water; }
    void finish_ok(std::string_view code, std::string_view text) override;
    void finish_no(std::string_view code, std::string_view text) override;
    void finish_bad(std::string_view text) override;
    void finish_status(const mailstore::Status& status) override;
    bool finished() const override { return finished_; }
    std::optional<std::string> take_line() override;
    void set_delay(std::chrono::milliseconds delay) override { delay_ = delay; }
    SessionState state() const override { return state_; }
    const SessionOptions& options() const override { return options_; }
    const detail::SessionSettings& settings() const override { return settings_; }
    const mailstore::config::Config& config() const override { return *options_.config; }
    const mailstore::log::Logger& log() const override { return log_; }
    SessionStats& stats() override { return stats_; }
    LoginBackend* login_backend() override { return options_.login.get(); }
    bool plaintext_allowed() const override;
    mailstore::Status login(const std::string& user, const std::string& mechanism,
                            const mailstore::auth::FieldList& prefetched_userdb) override;
    std::string_view login_refusal_code() const override { return login_refusal_code_; }
    void auth_failed() override { ++auth_failures_; }
    void request_starttls() override { starttls_requested_ = true; }
    bool tls_active() const override { return options_.tls_active; }
    bool starttls_available() const override { return options_.starttls_available && !options_.tls_active; }
    void request_compress() override { compress_requested_ = true; }
    bool compress_active() const override { return output_.deflating(); }
    void request_logout() override { logout_requested_ = true; }
    std::string capabilities() const override;
    mailstore::storage::User& user() override { return *user_; }
    detail::Selected* selected() override { return selected_.get(); }
    void select(std::unique_ptr<mailstore::storage::Mailbox> mailbox, bool read_only) override;
    void deselect() override;
    void send_updates(bool allow_expunges) override;
    // One unsolicited FETCH reporting a message's flags: "<seq> FETCH ("
    // (UIDONLY: "<uid> UIDFETCH (", RFC 9586 §3.6), then UID when
    // `with_uid` or the session's protocol asks for it (CONDSTORE/QRESYNC,
    // RFC 7162 §3.1; IMAP4rev2, RFC 9051 §7.5.2), MODSEQ with CONDSTORE,
    // and FLAGS unless `flags` is false (a silent STORE's echo, RFC 7162
    // §3.1.3). In Dovecot's order: UID, MODSEQ, FLAGS.
    std::string flag_change_fetch(const mailstore::storage::View& view, mailstore::storage::Seq seq, bool with_uid,
                                  bool flags) const;
    void send_flags() override;
    Enabled& enabled() override { return enabled_; }
    mailstore::storage::UidSet& saved_result() override { return saved_result_; }
    const std::string& spool_dir() const override { return options_.limits.spool_dir; }
    detail::SearchUpdates& search_updates() override { return search_updates_; }
    detail::Notify& notify() override { return notify_; }

    // --- the run loop (session.cpp) ---
    void start();
    void feed(std::string_view bytes);
    Step run();
    Step run_command();
    Step next_command(bool& again);
    void dispatch(Command cmd);
    void complete_command();
    void finish(std::string_view kind, std::string_view code, std::string_view text);
    void count_bad();
    bool fill_input();
    Step close_step(std::string reason);
    Step hand_out(Step step);
    void greet();
    void bye(std::string_view text);
    // The secured test of the plaintext policy (TLS, loopback, trusted).
    bool secured() const;

    // --- hibernation (hibernate.cpp) ---
    bool can_hibernate() const;
    std::shared_ptr<HibernatedSession> hibernate();
    void restore(const HibernatedSession& record);
    void restore_selected(const HibernatedSession& record);

    SessionOptions options_;
    detail::SessionSettings settings_;
    mailstore::log::Logger log_;
    CommandParser parser_;
    std::string input_;   // client bytes (inflated), not parsed yet
    std::string raw_in_;  // compressed bytes not inflated yet
    std::unique_ptr<detail::Inflater> inflater_;
    detail::Output output_;
    SessionState state_ = SessionState::not_authenticated;
    std::optional<mailstore::storage::User> user_;
    std::unique_ptr<detail::Selected> selected_;
    std::uint64_t generation_ = 0;
    std::uint32_t recent_sent_ = 0;
    std::string_view login_refusal_code_ = "UNAVAILABLE"; // see Context::login_refusal_code

    // The command running now.
    Command current_;
    const detail::CommandSpec* spec_ = nullptr;
    std::unique_ptr<detail::CommandRun> run_;
    bool running_ = false;
    bool finished_ = false;
    bool finished_bad_ = false;
    std::string tagged_;
    std::chrono::milliseconds delay_{0};
    bool starttls_requested_ = false;
    bool compress_requested_ = false;
    bool logout_requested_ = false;

    // IDLE: wake() from any thread, tick() from the daemon.
    std::atomic<bool> woken_{false};
    std::atomic<bool> ticked_{false};
    bool idling_ = false;

    bool closing_ = false;
    std::string close_reason_;
    unsigned bad_commands_ = 0;
    unsigned auth_failures_ = 0;
    std::string username_;
    std::string mechanism_;
    // The userdb fields the user was opened with: a hibernated session
    // reopens the user from them without another lookup.
    mailstore::auth::FieldList userdb_;
    Enabled enabled_;
    mailstore::storage::UidSet saved_result_;
    detail::SearchUpdates search_updates_;
    detail::Notify notify_;
    SessionStats stats_;
};

namespace detail {
// The capability list (capability.cpp) of a session in `state`.
std::string capability_list(const Session::Impl& s);
} // namespace detail

} // namespace imapproto
