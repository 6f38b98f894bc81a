// The AUTHORIZATION state's logins: USER/PASS and APOP (RFC 1939 §7) and
// AUTH (RFC 5034), with the response codes of RFC 2449 §8 and RFC 3206.
#include "session/session_impl.hpp"

#include "auth/crypto.hpp"

#include <cctype>

namespace pop3proto::detail {

namespace {

namespace auth = mailstore::auth;

constexpr std::string_view kPlaintextRefused =
    "[AUTH] Plaintext authentication disallowed on non-secure (SSL/TLS) connections.";
constexpr std::string_view kTempFail = "[SYS/TEMP] Temporary authentication failure.";

std::string upper(std::string_view s) {
    std::string r(s);
    for (auto& c : r)
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return r;
}

} // namespace

// A challenge, or SCRAM's final server data, goes out as "+ base64"
// (RFC 5034 §4); the rest finishes the login.
void handle_auth_step(Session::Impl& s, auth::AuthReply reply) {
    if (reply.kind == auth::AuthReply::Kind::challenge) {
        s.reply("+ " + auth::crypto::base64(reply.data));
        return;
    }
    if (reply.kind == auth::AuthReply::Kind::success && !reply.data.empty()) {
        // RFC 5034 §4: additional data with success goes in a challenge
        // the client answers with an empty line.
        s.reply("+ " + auth::crypto::base64(reply.data));
        s.sasl_final_ = std::move(reply);
        s.sasl_final_wait_ = true;
        return;
    }
    std::string mechanism = s.sasl_mechanism_;
    s.sasl_.reset();
    s.finish_auth(reply, mechanism);
}

void cmd_user(Session::Impl& s, std::string_view args) {
    if (!s.plaintext_allowed()) {
        s.err(kPlaintextRefused);
        return;
    }
    s.user_arg_ = std::string(args);
    s.have_user_ = true;
    s.ok();
}

void cmd_pass(Session::Impl& s, std::string_view args) {
    if (!s.have_user_) {
        s.err("No username given.");
        return;
    }
    s.have_user_ = false;
    if (!s.plaintext_allowed()) {
        s.err(kPlaintextRefused);
        return;
    }
    if (!s.options_.login) {
        s.err(kTempFail);
        return;
    }
    auto reply = s.options_.login->verify_plain(s.user_arg_, args, s.options_.client);
    s.finish_auth(reply, "PLAIN");
}

void cmd_apop(Session::Impl& s, std::string_view args) {
    if (s.apop_timestamp_.empty() || !s.options_.login) {
        s.err("APOP not enabled.");
        return;
    }
    // APOP name digest: the digest is the MD5 of the greeting's timestamp
    // and the password, in lower-case hex (RFC 1939 §7).
    const auto sp = args.rfind(' ');
    if (sp == std::string_view::npos || sp == 0 || args.size() - sp - 1 != 32) {
        s.err("Invalid APOP parameters.");
        return;
    }
    auto exchange = s.options_.login->begin("APOP", s.options_.client);
    if (!exchange) {
        s.err(exchange.status().code() == mailstore::Status::Code::not_found ? std::string("APOP not enabled.")
                                                                             : std::string(kTempFail));
        return;
    }
    // The mechanism's client data: challenge NUL user NUL digest.
    std::string data = s.apop_timestamp_;
    data += '\0';
    data.append(args.substr(0, sp));
    data += '\0';
    data.append(args.substr(sp + 1));
    auto reply = (*exchange)->step(data, true);
    if (reply.kind == auth::AuthReply::Kind::challenge)
        reply.kind = auth::AuthReply::Kind::failure;
    s.finish_auth(reply, "APOP");
}

void cmd_auth(Session::Impl& s, std::string_view args) {
    if (!s.options_.login) {
        s.err(kTempFail);
        return;
    }
    if (args.empty()) {
        // Not in RFC 5034, but clients ask with a bare AUTH (Dovecot
        // answers the mechanism list).
        s.ok();
        for (const auto& m : s.options_.login->mechanisms())
            if (!m.private_)
                s.reply(m.name);
        s.reply(".");
        return;
    }
    const auto sp = args.find(' ');
    const std::string mechanism = upper(args.substr(0, sp));
    std::string_view initial_text = sp == std::string_view::npos ? std::string_view() : args.substr(sp + 1);
    bool known = false, plaintext = false;
    for (const auto& m : s.options_.login->mechanisms())
        if (m.name == mechanism && mechanism != "APOP") {
            known = true;
            plaintext = m.plaintext;
        }
    if (!known) {
        s.err("[AUTH] Unsupported authentication mechanism.");
        return;
    }
    if ((plaintext || s.options_.ssl_required) && !s.plaintext_allowed()) {
        s.err(kPlaintextRefused);
        return;
    }
    std::string initial;
    const bool has_initial = sp != std::string_view::npos;
    // RFC 5034 §4: "=" is an empty initial response.
    if (has_initial && initial_text != "=") {
        auto decoded = auth::crypto::unbase64(initial_text);
        if (!decoded) {
            s.err("[AUTH] Invalid base64 data in initial response");
            return;
        }
        initial = std::move(*decoded);
    }
    auto exchange = s.options_.login->begin(mechanism, s.options_.client);
    if (!exchange) {
        switch (exchange.status().code()) {
        case mailstore::Status::Code::not_found:
            s.err("[AUTH] Unsupported authentication mechanism.");
            break;
        case mailstore::Status::Code::permission_denied:
            s.err(kPlaintextRefused);
            break;
        default:
            s.log_.error("authentication: " + exchange.status().message());
            s.err(kTempFail);
            break;
        }
        return;
    }
    s.sasl_ = std::move(*exchange);
    s.sasl_mechanism_ = mechanism;
    s.sasl_final_wait_ = false;
    handle_auth_step(s, s.sasl_->step(initial, has_initial));
}

} // namespace pop3proto::detail

namespace pop3proto {

namespace auth = mailstore::auth;

void Session::Impl::handle_sasl_line(std::string_view line) {
    if (line == "*") {
        // RFC 5034 §4: the client cancels.
        sasl_.reset();
        sasl_final_wait_ = false;
        err("Authentication aborted by client.");
        return;
    }
    if (sasl_final_wait_) {
        sasl_final_wait_ = false;
        sasl_.reset();
        auto reply = std::move(sasl_final_);
        reply.data.clear();
        finish_auth(reply, sasl_mechanism_);
        return;
    }
    auto decoded = auth::crypto::unbase64(line);
    if (!decoded) {
        sasl_.reset();
        err("[AUTH] Invalid base64 in response");
        return;
    }
    detail::handle_auth_step(*this, sasl_->step(*decoded, true));
}

void Session::Impl::finish_auth(const auth::AuthReply& reply, const std::string& mechanism) {
    using K = auth::AuthReply::Kind;
    if (reply.kind == K::success) {
        pending_login_.emplace();
        pending_login_->user = reply.user;
        pending_login_->mechanism = mechanism;
        pending_login_->userdb = reply.userdb_fields;
        return;
    }
    if (reply.kind == K::temporary_failure) {
        err("[SYS/TEMP] Temporary authentication failure.");
        return;
    }
    ++auth_failures_;
    std::string text = "[AUTH] Authentication failed.";
    if (!reply.reason.empty())
        text = "[AUTH] " + reply.reason;
    else if (reply.passdb_fields.has("nologin"))
        text = "[AUTH] Login disabled for this user.";
    const bool too_many = auth_failures_ >= detail::kMaxAuthFailures;
    // The answer to a failure waits (auth_failure_delay, the IP's penalty).
    if (reply.delay.count() > 0) {
        delay_ = reply.delay;
        delayed_reply_ = "-ERR " + text;
        delayed_close_ = too_many;
        return;
    }
    err(text);
    if (too_many)
        request_close("Too many authentication failures");
}

} // namespace pop3proto
