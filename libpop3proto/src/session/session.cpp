// The POP3 session's run loop, buffers and command dispatch (RFC 1939 §3:
// one command per line, keyword case-insensitive, answered in order;
// RFC 2449 §6.6: pipelined commands are answered in the order sent).
#include "session/session_impl.hpp"

#include "auth/auth_settings.hpp"
#include "auth/crypto.hpp"

#include <algorithm>
#include <cctype>
#include <unistd.h>

namespace pop3proto {

namespace ms = mailstore;

namespace {

std::string upper(std::string_view s) {
    std::string r(s);
    for (auto& c : r)
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return r;
}

std::string host_name() {
    char buf[256] = {};
    if (::gethostname(buf, sizeof buf - 1) != 0 || buf[0] == '\0')
        return "localhost";
    return buf;
}

// Input is compacted once this much of it has been consumed.
constexpr std::size_t kInputCompact = 16 * 1024;

} // namespace

Session::Impl::Impl(SessionOptions opts) : options_(std::move(opts)), log_(options_.log) {
    if (options_.client.service.empty())
        options_.client.service = "pop3";
    if (options_.max_line_length < 256)
        options_.max_line_length = 256; // RFC 2449 §4: commands up to 255 octets
    if (options_.output_high_water < 1024)
        options_.output_high_water = 1024;
    if (options_.tls_active)
        options_.client.secured = true;
}

Session::Impl::~Impl() = default;

// --- output ---

void Session::Impl::reply(std::string_view line) {
    out_.append(line);
    out_ += "\r\n";
}

void Session::Impl::ok(std::string_view text) {
    if (text.empty())
        reply("+OK");
    else
        reply("+OK " + std::string(text));
}

void Session::Impl::err(std::string_view text) { reply("-ERR " + std::string(text)); }

void Session::Impl::bad(std::string_view text) {
    err(text);
    ++bad_commands_;
    if (state_ == SessionState::authorization) {
        if (bad_commands_ >= detail::kMaxBadBeforeLogin) {
            err("Too many invalid bad commands.");
            request_close("Too many bad commands");
        }
    } else if (bad_commands_ > detail::kMaxBadAfterLogin) {
        err("Too many bad commands.");
        request_close("Too many bad commands.");
    }
}

void Session::Impl::request_close(std::string reason) {
    if (close_requested_)
        return;
    close_requested_ = true;
    close_reason_ = std::move(reason);
}

// --- settings ---

ms::config::LookupContext Session::Impl::lookup_context() const {
    ms::config::LookupContext ctx;
    ctx.protocol = "pop3";
    ctx.local_ip = options_.client.local_ip;
    ctx.remote_ip = options_.client.remote_ip;
    return ctx;
}

std::string Session::Impl::setting(std::string_view name) const { return options_.config->get(name, lookup_context()); }
bool Session::Impl::setting_bool(std::string_view name) const {
    return options_.config->get_bool(name, lookup_context());
}

bool Session::Impl::secured() const {
    if (options_.tls_active || options_.client.secured)
        return true;
    const auto& ip = options_.client.remote_ip;
    if (ip == "127.0.0.1" || ip == "::1" || ip.rfind("127.", 0) == 0)
        return true;
    auto trusted = options_.config->get_list("login_trusted_networks", lookup_context());
    return !ip.empty() && ms::auth::ip_in_networks(ip, trusted);
}

bool Session::Impl::plaintext_allowed() const {
    if (secured())
        return true;
    if (options_.ssl_required)
        return false;
    const auto& c = *options_.config;
    if (c.is_set("auth_allow_cleartext"))
        return c.get_bool("auth_allow_cleartext");
    return !c.get_bool("disable_plaintext_auth", lookup_context());
}

// --- life cycle ---

void Session::Impl::start() {
    std::string greeting = "+OK " + setting("login_greeting");
    // RFC 1939 §7: APOP needs a timestamp in the greeting; it is offered
    // only when the auth layer can check it (a passdb with plaintext
    // passwords).
    if (options_.login && options_.preauth_user.empty()) {
        for (const auto& m : options_.login->mechanisms())
            if (m.name == "APOP") {
                // The session id binds it to this connection (apop.cpp).
                apop_timestamp_ = "<" + ms::auth::crypto::hex(ms::auth::crypto::random_bytes(8)) + "." +
                                  std::to_string(::getpid()) + "." + options_.client.session_id + "@" +
                                  host_name() + ">";
                greeting += " " + apop_timestamp_;
            }
    }
    if (!options_.preauth_user.empty()) {
        pending_login_.emplace();
        pending_login_->user = options_.preauth_user;
        pending_login_->mechanism = "PREAUTH";
        return;
    }
    reply(greeting);
}

void Session::Impl::feed(std::string_view bytes) {
    if (state_ == SessionState::closed || close_requested_)
        return;
    stats_.bytes_in += bytes.size();
    in_.append(bytes);
}

void Session::Impl::tls_started() {
    options_.tls_active = true;
    options_.stls_available = false;
    options_.client.secured = true;
    // RFC 2595 §4: nothing the client sent before the handshake counts,
    // not even a USER it sent in the clear (an attacker in the path could
    // have injected it, to be paired with the PASS sent under TLS).
    in_.clear();
    in_pos_ = 0;
    have_user_ = false;
    user_arg_.clear();
}

void Session::Impl::shutdown(std::string_view text) {
    producer_.reset();
    pending_login_.reset();
    if (!text.empty() && state_ != SessionState::closed)
        err(text);
    request_close(text.empty() ? std::string("Server shutting down.") : std::string(text));
}

Step Session::Impl::run() {
    // Bytes handed out are gone; keep the buffer small.
    if (out_pos_ > 0) {
        out_.erase(0, out_pos_);
        out_pos_ = 0;
    }
    const std::size_t high = options_.output_high_water;
    const std::size_t chunk = std::clamp<std::size_t>(high / 2, 512, 64 * 1024);
    for (;;) {
        if (state_ == SessionState::closed) {
            Step s;
            s.kind = Step::Kind::close;
            s.reason = close_reason_;
            return s;
        }
        if (delay_.count() > 0) {
            Step s;
            s.kind = Step::Kind::sleep;
            s.delay = delay_;
            delay_ = std::chrono::milliseconds(0);
            return s;
        }
        if (!delayed_reply_.empty()) {
            reply(delayed_reply_);
            delayed_reply_.clear();
            if (delayed_close_)
                request_close("Too many authentication failures");
        }
        if (producer_) {
            while (pending() < high) {
                if (producer_->produce(out_, chunk)) {
                    producer_.reset();
                    break;
                }
            }
            if (producer_) {
                Step s;
                s.kind = Step::Kind::flush;
                return s;
            }
        }
        if (close_requested_) {
            lock_.release();
            state_ = SessionState::closed;
            continue;
        }
        if (starttls_requested_) {
            starttls_requested_ = false;
            in_.clear();
            in_pos_ = 0;
            Step s;
            s.kind = Step::Kind::starttls;
            return s;
        }
        if (pending_login_) {
            if (!try_login()) {
                Step s;
                s.kind = Step::Kind::sleep;
                s.delay = detail::kLockRetryDelay;
                return s;
            }
            continue;
        }
        if (pending() > high) {
            Step s;
            s.kind = Step::Kind::flush;
            return s;
        }
        // The next command line (RFC 1939 §3: ends with CRLF; a bare LF is
        // accepted as Dovecot does).
        const std::size_t nl = in_.find('\n', in_pos_);
        const std::size_t line_len = (nl == std::string::npos ? in_.size() : nl) - in_pos_;
        if (line_len > options_.max_line_length) {
            err(state_ == SessionState::authorization && !sasl_ ? "Input buffer full, aborting"
                                                                 : "Input line too long.");
            request_close("Input line too long");
            in_.clear();
            in_pos_ = 0;
            continue;
        }
        if (nl == std::string::npos) {
            if (in_pos_ > 0) {
                in_.erase(0, in_pos_);
                in_pos_ = 0;
            }
            if (in_.empty() && in_.capacity() > kInputCompact)
                std::string().swap(in_);
            Step s;
            s.kind = Step::Kind::read;
            return s;
        }
        std::string line = in_.substr(in_pos_, line_len);
        in_pos_ = nl + 1;
        if (in_pos_ >= kInputCompact) {
            in_.erase(0, in_pos_);
            in_pos_ = 0;
        }
        if (!line.empty() && line.back() == '\r')
            line.pop_back();
        if (sasl_)
            handle_sasl_line(line);
        else
            dispatch(line);
    }
}

void Session::Impl::dispatch(std::string_view line) {
    const std::size_t sp = line.find(' ');
    const std::string_view word = line.substr(0, sp);
    std::string_view args = sp == std::string_view::npos ? std::string_view() : line.substr(sp + 1);
    while (!args.empty() && args.front() == ' ')
        args.remove_prefix(1);
    const std::string name = upper(word);

    if (state_ == SessionState::authorization) {
        if (name == "CAPA")
            detail::cmd_capa(*this);
        else if (name == "USER")
            detail::cmd_user(*this, args);
        else if (name == "PASS")
            detail::cmd_pass(*this, args);
        else if (name == "APOP")
            detail::cmd_apop(*this, args);
        else if (name == "AUTH")
            detail::cmd_auth(*this, args);
        else if (name == "STLS")
            detail::cmd_stls(*this);
        else if (name == "QUIT") {
            ok("Logging out");
            request_close("Aborted login");
        } else
            bad("Unknown command.");
        return;
    }
    if (name == "CAPA")
        detail::cmd_capa(*this);
    else if (name == "STAT")
        detail::cmd_stat(*this);
    else if (name == "LIST")
        detail::cmd_list(*this, args);
    else if (name == "UIDL")
        detail::cmd_uidl(*this, args);
    else if (name == "RETR")
        detail::cmd_retr(*this, args);
    else if (name == "TOP")
        detail::cmd_top(*this, args);
    else if (name == "DELE")
        detail::cmd_dele(*this, args);
    else if (name == "RSET")
        detail::cmd_rset(*this);
    else if (name == "NOOP")
        ok();
    else if (name == "QUIT")
        update_and_quit();
    else if (name == "LAST" && setting_bool("pop3_enable_last"))
        detail::cmd_last(*this);
    else if (word.empty())
        bad("Unknown command.");
    else
        bad("Unknown command: " + std::string(word));
}

// --- Session ---

Session::Session(SessionOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}
Session::~Session() = default;
void Session::start() { impl_->start(); }
void Session::feed(std::string_view bytes) { impl_->feed(bytes); }
Step Session::run() { return impl_->run(); }
bool Session::has_output() const { return impl_->pending() > 0; }
std::string_view Session::output_front() const { return std::string_view(impl_->out_).substr(impl_->out_pos_); }
void Session::output_consume(std::size_t n) {
    n = std::min(n, impl_->pending());
    impl_->out_pos_ += n;
    impl_->stats_.bytes_out += n;
    if (impl_->out_pos_ == impl_->out_.size()) {
        impl_->out_.clear();
        impl_->out_pos_ = 0;
    }
}
std::size_t Session::output_pending() const { return impl_->pending(); }
void Session::tls_started() { impl_->tls_started(); }
void Session::shutdown(std::string_view text) { impl_->shutdown(text); }
SessionState Session::state() const { return impl_->state_; }
const std::string& Session::username() const { return impl_->username_; }
const SessionStats& Session::stats() const { return impl_->stats_; }
std::string Session::logout_line() const {
    return detail::expand_logout_format(impl_->setting("pop3_logout_format"), impl_->stats_,
                                        detail::uidl_change(*impl_));
}

} // namespace pop3proto
