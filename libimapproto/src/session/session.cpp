// The session's run loop: parse a command, check its state, run it (resuming
// it while it streams, waits for a line, sleeps or idles), send the untagged
// updates its UpdatePolicy allows and then its tagged line. Commands run
// strictly one after the other, so the output of pipelined commands never
// interleaves (RFC 3501 §5.5).
#include "session/session_impl.hpp"

#include "session/deflate.hpp"
#include "session/uidonly.hpp"

#include <mailstore/auth/fields.hpp>
#include <mailstore/storage/metadata.hpp>
#include <mailstore/storage/user.hpp>

#include "auth/auth_settings.hpp"

#include <algorithm>
#include <cctype>

namespace imapproto {

using detail::Progress;
namespace ms = mailstore;
namespace st = mailstore::storage;

namespace {

// The per-session settings, read once (protocol "imap" overrides and the
// local/remote address blocks apply).
detail::SessionSettings read_settings(const ms::config::Config& config, const ms::config::LookupContext& lc) {
    detail::SessionSettings s;
    s.capability_override = config.get("imap_capability", lc);
    s.idle_notify_interval = config.get_time("imap_idle_notify_interval", lc);
    if (s.idle_notify_interval.count() <= 0)
        s.idle_notify_interval = std::chrono::minutes(2);
    s.logout_format = config.get("imap_logout_format", lc);
    s.login_greeting = config.get("login_greeting", lc);
    s.append_max_size = config.get_size("imap_max_append_size", lc);
    s.save_limit = config.get_uint("imap_save_limit", lc);
    s.message_limit = config.get_uint("imap_message_limit", lc);
    // RFC 9738 §3: MESSAGELIMIT covers COPY and APPEND too; a server
    // advertises it instead of SAVELIMIT, so its value is the save limit.
    if (s.message_limit != 0)
        s.save_limit = s.message_limit;
    s.literal_minus = config.get_bool("imap_literal_minus", lc);
    s.utf8_accept = config.get_bool("imap_utf8_accept", lc);
    s.id_send = config.get("imap_id_send", lc);
    s.id_log = config.get("imap_id_log", lc);
    s.urlauth_host = config.get("imap_urlauth_host", lc);
    s.urlauth_port = config.get_uint("imap_urlauth_port", lc);
    s.metadata = config.get_bool("imap_metadata", lc);
    s.progress_interval = config.get_time("imap_progress_interval", lc);
    return s;
}

ms::config::LookupContext lookup_context(const SessionOptions& o) {
    ms::config::LookupContext lc;
    lc.protocol = "imap";
    lc.local_ip = o.client.local_ip;
    lc.remote_ip = o.client.remote_ip;
    return lc;
}

// Before login every refusal has Dovecot's one generic text: nothing
// about the server is revealed to an unauthenticated client.
const char* const kGenericBad = "Error in IMAP command received by server.";

// Why a command may not run in `state` (the text after "<tag> BAD"), empty
// when it may. `spec` is the command's table entry (null: unknown).
std::string state_refusal(SessionState state, const detail::CommandSpec* spec, const std::string& name, bool uid) {
    const bool logged_in = state != SessionState::not_authenticated;
    const std::string unknown =
        "Error in IMAP command " + std::string(uid ? "UID " : "") + name + ": Unknown command.";
    if (!spec)
        return logged_in ? unknown : kGenericBad;
    unsigned bit = state == SessionState::not_authenticated ? detail::in_not_authenticated
                   : state == SessionState::authenticated   ? detail::in_authenticated
                                                            : detail::in_selected;
    if ((spec->states & bit) != 0)
        return {};
    if (!logged_in)
        return kGenericBad;
    if ((spec->states & detail::in_selected) != 0)
        return "No mailbox selected.";
    return unknown;
}

// The command table entry of `name` (null: unknown, or a UID form of a
// command that has none).
const detail::CommandSpec* lookup_spec(const std::string& name, bool uid) {
    const detail::CommandSpec* spec = detail::find_command(name);
    if (spec && uid && !spec->has_uid_form)
        return nullptr;
    return spec;
}

} // namespace

Session::Impl::Impl(SessionOptions opts) : options_(std::move(opts)), log_(options_.log) {
    if (!options_.config)
        options_.config = std::make_shared<const ms::config::Config>(ms::config::Config::defaults());
    settings_ = read_settings(*options_.config, lookup_context(options_));
    auto& limits = options_.limits;
    limits.max_line_length = static_cast<std::size_t>(
        std::max<std::uint64_t>(1024, options_.config->get_size("imap_max_line_length", lookup_context(options_))));
    if (settings_.append_max_size != 0)
        limits.max_append_size = settings_.append_max_size;
    limits.literal_minus = settings_.literal_minus;
    // RFC 5464 §4.3: an oversized SETMETADATA value literal gets [METADATA
    // MAXSIZE] from the parser, not its generic "Literal too large".
    if (settings_.metadata)
        limits.max_metadata_value = mailstore::storage::MetadataLimits{}.max_value_size;
    parser_ = CommandParser(limits);
}

Session::Impl::~Impl() = default;

// --- replies ---

void Session::Impl::untagged(std::string_view line) {
    std::string s;
    s.reserve(line.size() + 4);
    s += "* ";
    s += line;
    s += "\r\n";
    output_.append(s);
}

void Session::Impl::continuation(std::string_view text) {
    std::string s;
    s.reserve(text.size() + 4);
    s += "+ ";
    s += text;
    s += "\r\n";
    output_.append(s);
}

void Session::Impl::finish(std::string_view kind, std::string_view code, std::string_view text) {
    if (finished_)
        return; // the first answer counts; a second one is a command's bug
    finished_ = true;
    finished_bad_ = kind == "BAD";
    tagged_.clear();
    tagged_ += current_.tag;
    tagged_ += ' ';
    tagged_ += kind;
    tagged_ += ' ';
    if (!code.empty()) {
        tagged_ += '[';
        tagged_ += code;
        tagged_ += "] ";
    }
    tagged_ += text;
    tagged_ += "\r\n";
}

void Session::Impl::finish_ok(std::string_view code, std::string_view text) { finish("OK", code, text); }
void Session::Impl::finish_no(std::string_view code, std::string_view text) { finish("NO", code, text); }
void Session::Impl::finish_bad(std::string_view text) { finish("BAD", "", text); }

void Session::Impl::finish_status(const ms::Status& status) {
    using C = ms::Status::Code;
    switch (status.code()) {
    case C::ok:
        finish_ok("", "Completed.");
        return;
    case C::not_found:
        finish_no("NONEXISTENT", status.message());
        return;
    case C::already_exists:
        finish_no("ALREADYEXISTS", status.message());
        return;
    case C::permission_denied:
        finish_no("NOPERM", status.message());
        return;
    case C::invalid_argument:
    case C::not_supported:
        finish_no("CANNOT", status.message());
        return;
    case C::temporary_failure:
        // A lock that could not be taken in time (storage/user.hpp).
        log_.warning(current_.name + ": " + status.message());
        finish_no("INUSE", "Mailbox is locked, try again later.");
        return;
    case C::io_error:
    case C::internal:
        break;
    }
    log_.error(current_.name + ": " + status.message());
    finish_no("SERVERBUG", detail::internal_error_text());
}

// --- input ---

void Session::Impl::feed(std::string_view bytes) {
    stats_.bytes_in += bytes.size();
    if (inflater_)
        raw_in_.append(bytes);
    else
        input_.append(bytes);
}

bool Session::Impl::fill_input() {
    if (!inflater_ || raw_in_.empty())
        return false;
    std::size_t used = 0;
    std::size_t before = input_.size();
    if (!inflater_->inflate(raw_in_, used, input_, detail::kInflateChunk)) {
        bye("Invalid compressed data");
        close_reason_ = "Invalid compressed data";
        raw_in_.clear();
        return false;
    }
    raw_in_.erase(0, used);
    if (raw_in_.empty() && raw_in_.capacity() > detail::kRestingInput)
        std::string().swap(raw_in_);
    return input_.size() > before || used > 0;
}

std::optional<std::string> Session::Impl::take_line() {
    for (int guard = 0; guard < 1 << 20 && !closing_; ++guard) {
        std::size_t consumed = 0;
        std::string line;
        auto r = parser_.read_line(input_, consumed, line);
        input_.erase(0, consumed);
        if (r == ParseResult::command)
            return line;
        if (r == ParseResult::fatal) {
            bye(parser_.error_text());
            close_reason_ = parser_.error_text();
            return std::nullopt;
        }
        if (!fill_input())
            return std::nullopt;
    }
    return std::nullopt;
}

// --- the run loop ---

void Session::Impl::bye(std::string_view text) {
    if (closing_)
        return;
    untagged("BYE " + std::string(text));
    closing_ = true;
    if (close_reason_.empty())
        close_reason_ = std::string(text);
}

Step Session::Impl::hand_out(Step step) {
    // Waiting for the client: the compressor's memory goes back (deflate.hpp).
    if (step.kind == Step::Kind::read || step.kind == Step::Kind::idle)
        output_.release_compressor();
    else
        output_.sync_flush();
    stats_.bytes_out = output_.bytes_sent();
    return step;
}

Step Session::Impl::close_step(std::string reason) {
    Step s;
    s.kind = Step::Kind::close;
    s.reason = std::move(reason);
    state_ = SessionState::logout;
    return hand_out(std::move(s));
}

void Session::Impl::greet() {
    if (!options_.preauth_user.empty()) {
        ms::auth::FieldList none;
        auto st = login(options_.preauth_user, "PREAUTH", none);
        if (!st) {
            bye(st.code() == ms::Status::Code::temporary_failure ? st.message() : detail::internal_error_text());
            return;
        }
        untagged("PREAUTH [CAPABILITY " + capabilities() + "] Logged in as " + username_);
        return;
    }
    untagged("OK [CAPABILITY " + capabilities() + "] " + settings_.login_greeting);
}

void Session::Impl::start() { greet(); }

void Session::Impl::count_bad() {
    ++bad_commands_;
    unsigned limit = state_ == SessionState::not_authenticated ? detail::kMaxBadBeforeLogin - 1
                                                                 : detail::kMaxBadAfterLogin;
    if (bad_commands_ > limit) {
        bye("Too many invalid IMAP commands.");
        close_reason_ = "Too many invalid IMAP commands";
    }
}

void Session::Impl::dispatch(Command cmd) {
    current_ = std::move(cmd);
    // A keepalive timer that fired after the last IDLE ended is stale.
    ticked_.store(false);
    finished_ = false;
    finished_bad_ = false;
    tagged_.clear();
    delay_ = std::chrono::milliseconds(0);
    spec_ = nullptr;
    const detail::CommandSpec* spec = lookup_spec(current_.name, current_.uid);
    if (std::string refusal = state_refusal(state_, spec, current_.name, current_.uid); !refusal.empty()) {
        finish_bad(std::move(refusal));
        complete_command();
        return;
    }
    // RFC 9586 §3: no message sequence numbers once UIDONLY is on.
    if (std::string refusal = detail::uidonly_refusal(enabled_.uidonly, current_); !refusal.empty()) {
        finish_bad(refusal);
        complete_command();
        return;
    }
    spec_ = spec;
    // NOTIFY (RFC 5465 §5): others' pending changes go out before a command
    // whose own changes are not reported back.
    if (notify_.active())
        notify_.before_command(*this, woken_);
    run_ = spec->start(*this, current_);
    if (run_ && !finished_ && !closing_) {
        running_ = true;
        return;
    }
    complete_command();
}

void Session::Impl::complete_command() {
    run_.reset();
    running_ = false;
    idling_ = false;
    if (!finished_)
        finish_bad("Error in IMAP command " + current_.name + ": Command failed.");
    if (closing_)
        return;
    // Untagged updates first, then the tagged line (RFC 3501 §7.4.1: EXPUNGE
    // never after FETCH, STORE or SEARCH, their UID forms excepted).
    if (spec_ && selected_ && state_ == SessionState::selected) {
        auto policy = current_.uid ? detail::UpdatePolicy::full : spec_->updates;
        if (policy != detail::UpdatePolicy::none)
            send_updates(policy == detail::UpdatePolicy::full);
        if (closing_)
            return;
    }
    if (notify_.active() && state_ != SessionState::not_authenticated) {
        notify_.after_command(*this, woken_);
        if (closing_)
            return;
    }
    if (finished_bad_) {
        count_bad();
        if (closing_)
            return;
    }
    output_.append(tagged_);
    std::string().swap(tagged_);
    if (auth_failures_ >= detail::kMaxAuthFailures && state_ == SessionState::not_authenticated) {
        // Guessing passwords over one connection stops here; the failure
        // delay already slowed each attempt down.
        bye("Too many authentication failures.");
        close_reason_ = "Too many authentication failures";
        return;
    }
    if (logout_requested_) {
        closing_ = true;
        close_reason_ = "Logged out";
    }
    if (compress_requested_) {
        compress_requested_ = false;
        // RFC 4978 §3: both directions are compressed from the first octet
        // after the tagged OK; what the client already sent behind the
        // COMPRESS command is compressed data.
        output_.start_deflate();
        inflater_ = std::make_unique<detail::Inflater>();
        raw_in_ = std::move(input_);
        input_.clear();
    }
    // Give back what a big command left behind.
    if (current_.size > detail::kRestingInput || !current_.args.empty())
        current_ = Command{};
}

Step Session::Impl::next_command(bool& again) {
    again = false;
    std::size_t consumed = 0;
    // Literal limits and spooling depend on the login state, not on what
    // the command claims to be.
    parser_.set_authenticated(state_ != SessionState::not_authenticated);
    auto r = parser_.parse(input_, consumed);
    input_.erase(0, consumed);
    switch (r) {
    case ParseResult::need_more:
        if (fill_input() || closing_) {
            again = true;
            return {};
        }
        if (input_.empty() && input_.capacity() > detail::kRestingInput)
            std::string().swap(input_);
        return hand_out(Step{});
    case ParseResult::continuation: {
        // Invite the literal only for a command that may run now; otherwise
        // a tagged BAD instead of "+" (RFC 3501 §7.5) and the client drops
        // the command without sending the octets.
        const bool uid = parser_.pending_uid();
        std::string refusal = state_refusal(state_, lookup_spec(parser_.pending_name(), uid),
                                            parser_.pending_name(), uid);
        if (refusal.empty()) {
            output_.append("+ OK\r\n");
        } else {
            const std::string tag = parser_.pending_tag();
            parser_.refuse_literal();
            count_bad();
            if (!closing_)
                output_.append(tag + " BAD " + refusal + "\r\n");
        }
        again = true;
        return {};
    }
    case ParseResult::error: {
        // A command the parser refused: it was skipped, the session goes on.
        const bool bad = parser_.error_kind() == "BAD";
        std::string text = parser_.error_text();
        if (bad && state_ == SessionState::not_authenticated)
            text = kGenericBad;
        if (bad)
            count_bad();
        if (!closing_)
            output_.append(parser_.error_tag() + " " + parser_.error_kind() + " " + text + "\r\n");
        again = true;
        return {};
    }
    case ParseResult::fatal:
        bye(parser_.error_text());
        again = true;
        return {};
    case ParseResult::command:
        dispatch(parser_.take_command());
        again = true;
        return {};
    }
    return hand_out(Step{});
}

Step Session::Impl::run_command() {
    if (idling_) {
        // RFC 2177: updates go out while idling, as soon as they happen.
        if (ticked_.exchange(false))
            untagged("OK Still here");
        const bool woken = woken_.exchange(false);
        if (woken && selected_)
            send_updates(true);
        // RFC 5465 §4: IDLE sends the events NOTIFY asked for.
        if (woken && notify_.active() && !closing_)
            notify_.poll(*this);
        if (closing_)
            return {};
    }
    Progress p = run_->resume(*this);
    idling_ = false;
    if (finished_ || p == Progress::done || closing_) {
        complete_command();
        return {};
    }
    Step s;
    switch (p) {
    case Progress::done:
        break;
    case Progress::more_output:
        s.kind = Step::Kind::flush;
        return s;
    case Progress::need_line:
        s.kind = Step::Kind::read;
        return s;
    case Progress::sleep:
        s.kind = Step::Kind::sleep;
        s.delay = delay_;
        return s;
    case Progress::idle:
        idling_ = true;
        s.kind = Step::Kind::idle;
        return s;
    }
    return s;
}

Step Session::Impl::run() {
    for (int guard = 0;; ++guard) {
        if (closing_)
            return close_step(close_reason_.empty() ? "Disconnected" : close_reason_);
        if (starttls_requested_ && !running_) {
            starttls_requested_ = false;
            // RFC 3501 §6.2.1: whatever the client pipelined after STARTTLS
            // was sent in the clear and must not be used.
            input_.clear();
            parser_.reset();
            Step s;
            s.kind = Step::Kind::starttls;
            return hand_out(s);
        }
        if (running_) {
            Step s = run_command();
            if (running_ && !closing_) {
                if (s.kind == Step::Kind::idle && (woken_.load() || ticked_.load()))
                    continue;
                if (s.kind == Step::Kind::flush && !output_full())
                    continue;
                return hand_out(s);
            }
            continue;
        }
        if (output_full()) {
            Step s;
            s.kind = Step::Kind::flush;
            return hand_out(s);
        }
        // NOTIFY (RFC 5465 §1): between commands, what changed goes out
        // without waiting for the next one.
        if (notify_.active() && state_ != SessionState::not_authenticated && woken_.exchange(false)) {
            notify_.poll(*this, true);
            continue;
        }
        bool again = false;
        Step s = next_command(again);
        if (!again)
            return s;
        (void)guard;
    }
}

bool Session::Impl::secured() const {
    if (options_.tls_active || options_.client.secured)
        return true;
    if (ms::auth::is_loopback(options_.client.remote_ip))
        return true;
    auto trusted = options_.config->get_list("login_trusted_networks", lookup_context(options_));
    return !options_.client.remote_ip.empty() && ms::auth::ip_in_networks(options_.client.remote_ip, trusted);
}

bool Session::Impl::plaintext_allowed() const {
    if (secured())
        return true;
    if (options_.ssl_required)
        return false;
    const auto& c = *options_.config;
    // auth_allow_cleartext (Dovecot 2.4's name) wins when it is written.
    if (c.is_set("auth_allow_cleartext"))
        return c.get_bool("auth_allow_cleartext");
    return !c.get_bool("disable_plaintext_auth", lookup_context(options_));
}

ms::Status Session::Impl::login(const std::string& user, const std::string& mechanism,
                                const ms::auth::FieldList& prefetched_userdb) {
    ms::auth::FieldList fields;
    std::string name = user;
    if (options_.login) {
        auto found = options_.login->lookup_user(user, options_.client);
        if (found.kind == ms::auth::LookupResult::Kind::temporary_failure) {
            log_.error("userdb lookup of " + user + " failed: " + found.error);
            return ms::Status::error(ms::Status::Code::temporary_failure,
                                     "Temporary authentication failure.");
        }
        if (found.kind == ms::auth::LookupResult::Kind::not_found && prefetched_userdb.empty()) {
            log_.error("user " + user + " authenticated but is not in the userdb");
            return ms::Status::error(ms::Status::Code::temporary_failure,
                                     "Temporary authentication failure.");
        }
        if (!found.user.empty())
            name = found.user;
        fields = std::move(found.fields);
    }
    // The passdb's prefetched userdb fields come first (userdb prefetch).
    for (const auto& [k, v] : prefetched_userdb)
        fields.set(k, v);
    if (options_.on_login) {
        auto st = options_.on_login(name, fields);
        if (!st) {
            // A limit the user ran into (mail_max_userip_connections) is
            // [LIMIT], as Dovecot answers; other refusals [UNAVAILABLE].
            login_refusal_code_ = st.code() == ms::Status::Code::temporary_failure ? "LIMIT" : "UNAVAILABLE";
            return ms::Status::error(ms::Status::Code::permission_denied, st.message());
        }
    }
    auto settings = st::user_settings_from_userdb(name, fields, "imap");
    auto opened = st::User::open(*options_.config, settings);
    if (!opened) {
        log_.error("cannot open the mail storage of " + name + ": " + opened.status().message());
        return ms::Status::error(ms::Status::Code::internal, detail::internal_error_text());
    }
    user_.emplace(std::move(*opened));
    username_ = name;
    mechanism_ = mechanism;
    userdb_ = std::move(fields);
    state_ = SessionState::authenticated;
    bad_commands_ = 0;
    log_ = ms::log::Logger::session("imap", name, options_.client.session_id);
    return ms::Status::ok();
}

void Session::Impl::select(std::unique_ptr<st::Mailbox> mailbox, bool read_only) {
    if (selected_) {
        // RFC 7162 §3.2.11: the client learns the old mailbox is gone.
        untagged("OK [CLOSED] Previous mailbox closed.");
        selected_.reset();
    }
    if (!mailbox) {
        deselect();
        return;
    }
    selected_ = std::make_unique<detail::Selected>();
    selected_->mailbox = std::move(mailbox);
    selected_->read_only = read_only;
    recent_sent_ = selected_->mailbox->view().recent_count();
    state_ = SessionState::selected;
    saved_result_ = st::UidSet();
    search_updates_.on_deselect();
    ++generation_;
    notify_.on_select(*this);
}

void Session::Impl::deselect() {
    search_updates_.on_deselect();
    selected_.reset();
    if (state_ == SessionState::selected)
        state_ = SessionState::authenticated;
    saved_result_ = st::UidSet();
    ++generation_;
    notify_.on_select(*this);
}

std::string Session::Impl::capabilities() const { return detail::capability_list(*this); }

// --- Session ---

Session::Session(SessionOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}
Session::~Session() = default;
void Session::start() { impl_->start(); }
void Session::feed(std::string_view bytes) { impl_->feed(bytes); }
Step Session::run() { return impl_->run(); }
bool Session::has_output() const { return !impl_->output_.empty(); }
std::string_view Session::output_front() const { return impl_->output_.front(); }
void Session::output_consume(std::size_t n) {
    impl_->output_.consume(n);
    impl_->stats_.bytes_out = impl_->output_.bytes_sent();
}
std::size_t Session::output_pending() const { return impl_->output_.pending(); }
void Session::tls_started() {
    impl_->options_.tls_active = true;
    impl_->options_.client.secured = true;
}
void Session::wake() { impl_->woken_.store(true); }
void Session::tick() { impl_->ticked_.store(true); }
void Session::shutdown(std::string_view text) {
    impl_->bye(text);
    impl_->close_reason_ = std::string(text);
}
SessionState Session::state() const { return impl_->state_; }
const std::string& Session::username() const { return impl_->username_; }
const st::Mailbox* Session::selected_mailbox() const {
    return impl_->selected_ ? impl_->selected_->mailbox.get() : nullptr;
}
std::uint64_t Session::selection_generation() const { return impl_->generation_; }
bool Session::idling() const { return impl_->idling_; }
bool Session::notify_active() const { return impl_->notify_.active(); }
std::vector<std::string> Session::notify_watch_paths() const { return impl_->notify_.watch_paths(); }
std::uint64_t Session::notify_generation() const { return impl_->notify_.generation(); }
std::chrono::milliseconds Session::idle_notify_interval() const { return impl_->settings_.idle_notify_interval; }
const SessionStats& Session::stats() const { return impl_->stats_; }
const std::string& Session::login_mechanism() const { return impl_->mechanism_; }
bool Session::can_hibernate() const { return impl_->can_hibernate(); }
std::shared_ptr<HibernatedSession> Session::hibernate() { return impl_->hibernate(); }
void Session::restore(const HibernatedSession& record) { impl_->restore(record); }

} // namespace imapproto
