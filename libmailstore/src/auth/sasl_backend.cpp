#include "auth/sasl_backend.hpp"

#include "auth/username.hpp"

namespace mailstore::auth {
namespace {

using sasl::Verdict;

std::vector<std::string> split_nets(std::string_view text) {
    std::vector<std::string> out;
    std::string cur;
    for (char c : text) {
        if (c == ',' || c == ' ') {
            if (!cur.empty())
                out.push_back(std::move(cur));
            cur.clear();
        } else {
            cur += c;
        }
        if (out.size() > 256)
            break;
    }
    if (!cur.empty())
        out.push_back(std::move(cur));
    return out;
}

} // namespace

SaslBackend::SaslBackend(const AuthenticatorImpl& impl, const ClientInfo& client, std::string_view mechanism)
    : impl_(impl) {
    request_.client = client;
    request_.mechanism = std::string(mechanism);
    request_.log = impl.log;
}

Verdict SaslBackend::fail(Verdict verdict, std::string reason) {
    if (failure_reason_.empty())
        failure_reason_ = std::move(reason);
    return verdict;
}

Verdict SaslBackend::start(std::string_view authzid, std::string_view authcid, PassdbMode mode,
                           std::string_view scheme, std::string_view password) {
    // A fresh request: a mechanism may be asked again (LOGIN after a
    // failure never is, but nothing stale may leak between attempts).
    AuthRequest fresh;
    fresh.client = request_.client;
    fresh.mechanism = request_.mechanism;
    fresh.log = request_.log;
    request_ = std::move(fresh);
    failure_reason_.clear();
    client_reason_.clear();
    master_login_ = pass_ = pending_ = false;
    reply_user_.clear();

    std::string target, master;
    if (!authzid.empty() && authzid != authcid) {
        // RFC 4422 §3.4.1: an authorization identity other than the
        // authentication identity: authcid must be a master user.
        target.assign(authzid);
        master.assign(authcid);
    } else {
        auto split = split_master_login(authcid, impl_.settings.master_user_separator);
        target = std::move(split.user);
        master = std::move(split.master);
    }
    attempted_ = target;
    request_.original_user.assign(authcid);
    const auto& chars = impl_.settings.username_chars;
    if (!username_allowed(target, chars) || (!master.empty() && !username_allowed(master, chars)))
        return fail(Verdict::unknown_user, "invalid user name");
    auto formatted = format_username(target, impl_.settings, request_);
    if (!formatted)
        return fail(Verdict::temp_fail, "auth_username_format: " + formatted.status().message());
    target = std::move(*formatted);
    attempted_ = target;
    reply_user_ = target;
    if (!master.empty()) {
        auto m = format_username(master, impl_.settings, request_);
        if (!m)
            return fail(Verdict::temp_fail, "auth_username_format: " + m.status().message());
        master = std::move(*m);
    }
    request_.password.assign(password);

    ChainOutcome out;
    if (!master.empty()) {
        if (!impl_.has_master_passdbs())
            return fail(Verdict::unknown_user, "master user logins are not enabled (no passdb with master=yes)");
        master_login_ = true;
        target_ = target;
        master_ = master;
        request_.user = master;
        out = impl_.run_passdbs(request_, true, mode, scheme);
        pass_ = out.last_pass;
    } else {
        request_.user = target;
        out = impl_.run_passdbs(request_, false, mode, scheme);
        attempted_ = request_.user;
        reply_user_ = request_.user;
    }
    last_driver_ = out.driver;
    const char* who = master_login_ ? "master user " : "";
    switch (out.kind) {
    case ChainOutcome::Kind::ok:
        break;
    case ChainOutcome::Kind::mismatch:
        return fail(Verdict::mismatch, std::string(who) + "password mismatch");
    case ChainOutcome::Kind::unknown:
        return fail(Verdict::unknown_user, std::string(who) + "unknown user");
    case ChainOutcome::Kind::temp_fail:
        return fail(Verdict::temp_fail, "temporary failure: " + out.error);
    case ChainOutcome::Kind::denied:
        return fail(Verdict::refused, std::string(who) + "denied by passdb " + out.driver);
    case ChainOutcome::Kind::unusable:
        return fail(Verdict::unusable, "stored password cannot be used with " + request_.mechanism);
    }
    credentials_ = std::move(out.credentials);
    return Verdict::ok;
}

Verdict SaslBackend::finish() {
    if (master_login_) {
        // The master proved itself: from here on the login is the target's.
        request_.master_user = request_.user;
        request_.user = target_;
        request_.passdb_fields = {};
        request_.userdb_fields = {};
        if (pass_) {
            // pass=yes: the target must exist in the normal passdbs (looked
            // up without its password).
            auto out = impl_.run_passdbs(request_, false, PassdbMode::lookup, {}, true);
            attempted_ = request_.user;
            reply_user_ = request_.user;
            last_driver_ = out.driver;
            if (out.kind == ChainOutcome::Kind::temp_fail)
                return fail(Verdict::temp_fail, "temporary failure: " + out.error);
            if (out.kind == ChainOutcome::Kind::denied)
                return fail(Verdict::refused, "denied by passdb " + out.driver);
            if (out.kind != ChainOutcome::Kind::ok)
                return fail(Verdict::unknown_user, "master login: target user unknown");
        }
    }
    const auto& fields = request_.passdb_fields;
    if (fields.has("nologin") && !fields.has("proxy") && !fields.has("proxy_maybe")) {
        client_reason_ = fields.get_or("reason", "");
        return fail(Verdict::refused, "user disabled (nologin)");
    }
    if (auto nets = fields.get("allow_nets")) {
        if (!ip_in_networks(request_.client.remote_ip, split_nets(*nets))) {
            // Dovecot's wording, so existing log filters keep matching.
            impl_.verbose_line(-1, last_driver_, request_,
                               "allow_nets check failed: IP " +
                                   (request_.client.remote_ip.empty() ? std::string("(none)")
                                                                      : request_.client.remote_ip) +
                                   " not in allowed networks");
            return fail(Verdict::refused, "allow_nets check failed");
        }
    }
    if (!impl_.userdbs.empty()) {
        auto u = impl_.run_userdbs(request_);
        if (u.kind == UserdbOutcome::Kind::temp_fail)
            return fail(Verdict::temp_fail, "temporary failure: userdb: " + u.error);
        if (u.kind == UserdbOutcome::Kind::unknown)
            return fail(Verdict::unknown_user, "user not found from userdb");
    }
    return Verdict::ok;
}

Verdict SaslBackend::verify_password(std::string_view authzid, std::string_view authcid, std::string_view password) {
    auto v = start(authzid, authcid, PassdbMode::verify, {}, password);
    return v == Verdict::ok ? finish() : v;
}

Verdict SaslBackend::lookup_credentials(std::string_view authzid, std::string_view authcid, std::string_view scheme,
                                        std::string& out) {
    auto v = start(authzid, authcid, PassdbMode::credentials, scheme, {});
    if (v != Verdict::ok)
        return v;
    // The chain stored the credentials of the passdb that succeeded.
    out = credentials_;
    pending_ = true;
    return Verdict::ok;
}

Verdict SaslBackend::credentials_verified() {
    if (!pending_)
        return fail(Verdict::temp_fail, "credentials_verified without a lookup");
    pending_ = false;
    return finish();
}

Verdict SaslBackend::login_without_password(std::string_view authzid, std::string_view user) {
    if (request_.mechanism == "ANONYMOUS") {
        // RFC 4505: no identity is proven; the session is the configured
        // anonymous user, which only the userdb has to know.
        request_.user = impl_.settings.anonymous_username;
        attempted_ = request_.user;
        reply_user_ = request_.user;
        if (request_.user.empty())
            return fail(Verdict::refused, "anonymous logins are disabled (auth_anonymous_username is empty)");
        return finish();
    }
    auto v = start(authzid, user, PassdbMode::lookup, {}, {});
    if (v != Verdict::ok)
        return v;
    return finish();
}

} // namespace mailstore::auth
