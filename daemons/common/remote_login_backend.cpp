// Logins through loft-authd (docs/authd.md): SASL exchanges on the
// auth-login socket (the auth-client protocol), userdb lookups on
// auth-userdb (the master protocol). The worker runs as the mail user and
// never sees shadow, PAM or SQL credentials; the auth cache and the failure
// penalties are loft-authd's, shared with every other service.
//
// AuthClient is blocking and not thread-safe: each exchange takes a
// connection from a small pool and gives it back when the exchange ended
// cleanly. Every call here runs on the blocking pool (LoginBackend's
// contract), never on the event loop.
#include "login_backends.hpp"

#include <auth_client.hpp>

#include <algorithm>
#include <cctype>
#include <mutex>
#include <utility>
#include <vector>

namespace loft {

namespace {

namespace auth = mailstore::auth;
using loft::AuthClient;
using mailstore::Result;
using mailstore::Status;

// Idle connections kept per socket; more exchanges at once open more.
constexpr std::size_t kMaxIdleClients = 16;

auth::MechanismInfo mechanism_info(const std::string& name, const std::vector<std::string>& flags) {
    auth::MechanismInfo m;
    m.name = name;
    for (const auto& f : flags) {
        if (f == "plaintext")
            m.plaintext = true;
        else if (f == "dictionary")
            m.dictionary = true;
        else if (f == "active")
            m.active = true;
        else if (f == "anonymous")
            m.anonymous = true;
        else if (f == "forward-secrecy")
            m.forward_secrecy = true;
        else if (f == "mutual-auth")
            m.mutual_auth = true;
        else if (f == "private")
            m.private_ = true;
    }
    return m;
}

loft::AuthClientParams params_of(const auth::ClientInfo& client) {
    loft::AuthClientParams p;
    p.service = client.service.empty() ? "imap" : client.service;
    p.local_ip = client.local_ip;
    p.remote_ip = client.remote_ip;
    p.local_port = client.local_port;
    p.remote_port = client.remote_port;
    p.secured = client.secured;
    p.no_penalty = client.no_penalty;
    p.session = client.session_id;
    return p;
}

auth::AuthReply reply_of(const Result<loft::AuthStep>& step) {
    auth::AuthReply reply;
    if (!step) {
        reply.kind = auth::AuthReply::Kind::temporary_failure;
        reply.reason = "";
        return reply;
    }
    if (step->kind == loft::AuthStep::Kind::challenge) {
        reply.kind = auth::AuthReply::Kind::challenge;
        reply.data = step->challenge;
        return reply;
    }
    const loft::AuthResult& r = step->result;
    switch (r.kind) {
    case loft::AuthResult::Kind::ok: reply.kind = auth::AuthReply::Kind::success; break;
    case loft::AuthResult::Kind::fail: reply.kind = auth::AuthReply::Kind::failure; break;
    case loft::AuthResult::Kind::temp_fail: reply.kind = auth::AuthReply::Kind::temporary_failure; break;
    }
    reply.user = r.user;
    reply.reason = r.reason;
    for (const auto& [k, v] : r.fields) {
        if (k.rfind("userdb_", 0) == 0)
            reply.userdb_fields.set(k.substr(7), v);
        else
            reply.passdb_fields.set(k, v);
    }
    // Dovecot's auth server answers a nologin user (without proxy) with OK
    // and the nologin field, leaving the refusal to its login process:
    // refuse here, as loft-authd and the in-process passdb chain do, so
    // that such a user never logs in and a host= still makes a referral.
    if (reply.kind == auth::AuthReply::Kind::success && reply.passdb_fields.has("nologin") &&
        !reply.passdb_fields.has("proxy") && !reply.passdb_fields.has("proxy_maybe")) {
        reply.kind = auth::AuthReply::Kind::failure;
        reply.reason = reply.passdb_fields.get_or("reason", "");
    }
    // A nologin refusal's reason= is the passdb's reason field (loft-authd
    // sends it in FAIL's own reason= place): the referral's text
    // (auth_reply.cpp) reads it from the passdb fields, as in-process.
    if (reply.kind == auth::AuthReply::Kind::failure && reply.passdb_fields.has("nologin") && !r.reason.empty() &&
        !reply.passdb_fields.has("reason"))
        reply.passdb_fields.set("reason", r.reason);
    // loft-authd has already waited out the failure delay before its FAIL.
    reply.delay = std::chrono::milliseconds(0);
    return reply;
}

class RemoteLoginBackend;

class RemoteExchange final : public mailstore::auth::SaslExchange {
public:
    RemoteExchange(std::shared_ptr<RemoteLoginBackend> backend, AuthClient client, std::string mechanism,
                   loft::AuthClientParams params)
        : backend_(std::move(backend)), client_(std::move(client)), mechanism_(std::move(mechanism)),
          params_(std::move(params)) {}
    ~RemoteExchange() override;
    auth::AuthReply step(std::string_view response, bool has_initial_response) override;

private:
    std::shared_ptr<RemoteLoginBackend> backend_;
    AuthClient client_;
    std::string mechanism_;
    loft::AuthClientParams params_;
    bool started_ = false;
    bool finished_ = false; // ended with OK/FAIL: the connection is clean
    bool broken_ = false;
};

class RemoteLoginBackend final : public mailstore::auth::LoginBackend,
                                 public std::enable_shared_from_this<RemoteLoginBackend> {
public:
    RemoteLoginBackend(AuthSockets sockets, std::chrono::milliseconds timeout, bool disable_plaintext,
                       mailstore::log::Logger log)
        : sockets_(std::move(sockets)), timeout_(timeout), disable_plaintext_(disable_plaintext), log_(std::move(log)) {}

    Status connect_first() {
        auto client = AuthClient::connect(sockets_.login, false, timeout_);
        if (!client)
            return client.status();
        for (const auto& [name, flags] : client->mechanisms())
            mechs_.push_back(mechanism_info(name, flags));
        give(std::move(*client), false);
        return Status::ok();
    }

    std::vector<auth::MechanismInfo> mechanisms() const override { return mechs_; }

    Result<std::unique_ptr<mailstore::auth::SaslExchange>> begin(std::string_view mechanism,
                                                           const auth::ClientInfo& client) override {
        const auth::MechanismInfo* found = nullptr;
        for (const auto& m : mechs_)
            if (m.name.size() == mechanism.size() &&
                std::equal(m.name.begin(), m.name.end(), mechanism.begin(),
                           [](char a, char b) { return std::toupper(static_cast<unsigned char>(a)) ==
                                                       std::toupper(static_cast<unsigned char>(b)); }))
                found = &m;
        if (!found)
            return Status::not_found("Unsupported authentication mechanism");
        if (found->plaintext && disable_plaintext_ && !client.secured)
            return Status::error(Status::Code::permission_denied, "Plaintext authentication disallowed");
        auto conn = take(false);
        if (!conn)
            return conn.status();
        return std::unique_ptr<mailstore::auth::SaslExchange>(
            std::make_unique<RemoteExchange>(shared_from_this(), std::move(*conn), found->name, params_of(client)));
    }

    auth::AuthReply verify_plain(std::string_view user, std::string_view password,
                                 const auth::ClientInfo& client) override {
        auto conn = take(false);
        if (!conn) {
            log_.errorf("Login through loft-authd failed: {}", conn.status().message());
            return reply_of(Result<loft::AuthStep>(conn.status()));
        }
        auto result = conn->auth_plain(user, password, params_of(client));
        if (!result) {
            log_.errorf("Login through loft-authd failed: {}", result.status().message());
            return reply_of(Result<loft::AuthStep>(result.status()));
        }
        loft::AuthStep step;
        step.result = std::move(*result);
        give(std::move(*conn), false);
        auth::AuthReply reply = reply_of(Result<loft::AuthStep>(std::move(step)));
        if (reply.user.empty())
            reply.user = std::string(user);
        return reply;
    }

    auth::LookupResult lookup_user(std::string_view user, const auth::ClientInfo& client) override {
        auth::LookupResult out;
        if (sockets_.userdb.empty()) {
            out.kind = auth::LookupResult::Kind::temporary_failure;
            out.error = "no auth-userdb socket for userdb lookups";
            return out;
        }
        bool reused = false;
        auto conn = take(true, &reused);
        if (!conn) {
            out.kind = auth::LookupResult::Kind::temporary_failure;
            out.error = conn.status().message();
            return out;
        }
        const std::string_view service =
            client.service.empty() ? std::string_view("imap") : std::string_view(client.service);
        auto reply = conn->lookup_user(user, service);
        if (!reply && reused) {
            // An idle connection may have outlived its loft-authd (a
            // restart): once more on a new one before answering "temporary
            // failure" (LMTP 451, an address verification probe deferred).
            conn = AuthClient::connect(sockets_.userdb, true, timeout_);
            if (conn)
                reply = conn->lookup_user(user, service);
        }
        if (!conn || !reply) {
            out.kind = auth::LookupResult::Kind::temporary_failure;
            out.error = !conn ? conn.status().message() : reply.status().message();
            return out;
        }
        give(std::move(*conn), true);
        switch (reply->kind) {
        case loft::LookupReply::Kind::found:
            out.kind = auth::LookupResult::Kind::found;
            out.user = reply->user.empty() ? std::string(user) : reply->user;
            for (const auto& [k, v] : reply->fields)
                out.fields.set(k, v);
            break;
        case loft::LookupReply::Kind::not_found: out.kind = auth::LookupResult::Kind::not_found; break;
        case loft::LookupReply::Kind::fail:
            out.kind = auth::LookupResult::Kind::temporary_failure;
            out.error = reply->reason;
            break;
        }
        return out;
    }

    // `reused` (when given) tells whether the connection was idle in the pool.
    Result<AuthClient> take(bool master, bool* reused = nullptr) {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            auto& idle = master ? idle_userdb_ : idle_login_;
            if (!idle.empty()) {
                AuthClient c = std::move(idle.back());
                idle.pop_back();
                if (reused)
                    *reused = true;
                return c;
            }
        }
        return AuthClient::connect(master ? sockets_.userdb : sockets_.login, master, timeout_);
    }

    void give(AuthClient client, bool master) {
        std::lock_guard<std::mutex> lock(mutex_);
        auto& idle = master ? idle_userdb_ : idle_login_;
        if (idle.size() < kMaxIdleClients)
            idle.push_back(std::move(client));
    }

    const mailstore::log::Logger& log() const { return log_; }

private:
    AuthSockets sockets_;
    std::chrono::milliseconds timeout_;
    bool disable_plaintext_;
    std::vector<auth::MechanismInfo> mechs_;
    std::mutex mutex_;
    std::vector<AuthClient> idle_login_, idle_userdb_;
    mailstore::log::Logger log_;
};

RemoteExchange::~RemoteExchange() {
    // A connection left half way through an exchange is dropped: loft-authd
    // forgets the request when the connection closes.
    if (finished_ && !broken_)
        backend_->give(std::move(client_), false);
}

auth::AuthReply RemoteExchange::step(std::string_view response, bool has_initial_response) {
    if (finished_ || broken_) {
        auth::AuthReply r;
        r.kind = auth::AuthReply::Kind::failure;
        return r;
    }
    std::string ir(response);
    const bool first = !started_;
    started_ = true;
    Result<loft::AuthStep> step = first ? client_.begin(mechanism_, params_, has_initial_response ? &ir : nullptr)
                                        : client_.cont(response);
    if (!step) {
        broken_ = true;
        backend_->log().errorf("Login through loft-authd failed: {}", step.status().message());
    } else if (step->kind == loft::AuthStep::Kind::done) {
        finished_ = true;
    }
    return reply_of(step);
}

} // namespace

Result<std::shared_ptr<mailstore::auth::LoginBackend>>
remote_login_backend(const AuthSockets& sockets, std::chrono::milliseconds timeout, bool disable_plaintext,
                     const mailstore::log::Logger& log) {
    auto backend = std::make_shared<RemoteLoginBackend>(sockets, timeout, disable_plaintext, log);
    if (auto st = backend->connect_first(); !st)
        return st;
    return std::shared_ptr<mailstore::auth::LoginBackend>(std::move(backend));
}

Result<std::shared_ptr<mailstore::auth::LoginBackend>>
remote_userdb_backend(const AuthSockets& sockets, std::chrono::milliseconds timeout, const mailstore::log::Logger& log) {
    // No auth-login: mechanisms() is empty and logins fail (temporarily).
    AuthSockets userdb_only;
    userdb_only.userdb = sockets.userdb;
    auto backend = std::make_shared<RemoteLoginBackend>(userdb_only, timeout, true, log);
    auto first = backend->take(true);
    if (!first)
        return first.status();
    backend->give(std::move(*first), true);
    return std::shared_ptr<mailstore::auth::LoginBackend>(std::move(backend));
}

} // namespace loft
