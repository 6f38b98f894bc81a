#include "client_session.hpp"

#include "auth_protocol.hpp"
#include "outbox.hpp"

#include "auth/crypto.hpp"

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/redirect_error.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>

#include <map>
#include <optional>
#include <unistd.h>

namespace authd {

namespace ap = loft::authproto;
namespace crypto = mailstore::auth::crypto;
using mailstore::auth::AuthReply;
using mailstore::auth::AuthSession;
using mailstore::auth::Authenticator;
using mailstore::auth::ClientInfo;

namespace {

bool is_plus_mechanism(std::string_view name) {
    return name.size() > 5 && name.substr(name.size() - 5) == "-PLUS";
}

// A proxy or referral: the passdb told the login process to forward the
// user elsewhere (proxy, proxy_maybe with host=...). Dovecot answers OK with
// the fields, nologin and reason included, and the login process proxies or
// sends the referral instead of logging in here.
bool is_proxy(const mailstore::auth::FieldList& fields) {
    return fields.has("proxy") || fields.has("proxy_maybe");
}

// A success that must be refused: nologin without proxy/proxy_maybe.
// Dovecot answers OK with a nologin field and leaves the refusal to the
// client; Postfix does not look at it and would let the user in.
bool refused_nologin(const AuthReply& reply) {
    return reply.kind == AuthReply::Kind::success && reply.passdb_fields.has("nologin") &&
           !is_proxy(reply.passdb_fields);
}

// Fields of a successful passdb lookup that never go back to the client:
// the stored password, and what only the passdb chain itself acts on.
// nologin and reason go out for proxies (the login process needs them).
bool hidden_field(const std::string& key, bool proxy) {
    if (proxy && (key == "nologin" || key == "reason"))
        return false;
    return key == "pass" || key == "password" || key == "nopassword" || key == "nologin" || key == "reason" ||
           key == "allow_nets" || key == "nodelay";
}

// The passdb fields a nologin refusal's FAIL carries (docs/authd.md
// "Protocol"): what the login process needs for an RFC 2221 referral
// (nologin, host, port, destuser ...), never the password or what only the
// passdb chain acts on; reason= goes out in its own place. Only nologin
// refusals carry them: a wrong password has no fields, and other refusals
// (allow_nets, deny) must not tell the client where the user lives.
std::vector<std::pair<std::string, std::string>> refusal_fields(const AuthReply& reply) {
    std::vector<std::pair<std::string, std::string>> fields;
    if (!reply.passdb_fields.has("nologin"))
        return fields;
    for (const auto& [k, v] : reply.passdb_fields.items())
        if (!hidden_field(k, true) && k != "reason")
            fields.emplace_back(k, v);
    return fields;
}

struct Pending {
    std::uint32_t id = 0;
    std::shared_ptr<const Authenticator> auth; // the one this exchange began on
    std::optional<AuthSession> session;
    ClientInfo client;
    bool busy = false;     // a step is running on the pool (or its failure delay)
    bool aborted = false;  // answered already (unexpected CONT); drop the result
    bool waiting = false;  // a CONT was sent; the client's answer is due
};

// The pool job is made here, outside any coroutine: GCC 12 destroys a
// lambda temporary with captures twice when it is built inside a co_await
// expression.
asio::awaitable<AuthReply> run_step(loft::BlockingPool& pool, std::shared_ptr<Pending> p, std::string response,
                                    bool has_response) {
    return pool.run([p = std::move(p), response = std::move(response), has_response] {
        return p->session->step(response, has_response);
    });
}

class ClientSession : public std::enable_shared_from_this<ClientSession> {
public:
    ClientSession(std::shared_ptr<loft::Connection> conn, std::shared_ptr<AuthdState> state)
        : conn_(std::move(conn)), state_(std::move(state)), out_(std::make_shared<Outbox>(conn_)) {}

    asio::awaitable<void> run();

private:
    // false: a protocol violation; the connection closes.
    bool handle_line(const std::string& line);
    bool handle_auth(const std::vector<std::string_view>& fields);
    bool handle_cont(const std::vector<std::string_view>& fields);
    void start_step(std::shared_ptr<Pending> p, std::string response, bool has_response);
    static asio::awaitable<void> step(std::shared_ptr<ClientSession> self, std::shared_ptr<Pending> p,
                                      std::string response, bool has_response);
    void finish(const std::shared_ptr<Pending>& p, const AuthReply& reply);
    void fail(std::uint32_t id, const ap::FailInfo& info) {
        bool dropped = false;
        out_->send(ap::fail_line(id, info, &dropped));
        if (dropped)
            conn_->log().warningf("auth client {}: request {}: more passdb fields than fit in a FAIL line "
                                  "(at most {} fields, {} bytes); sent without them",
                                  cpid_, id, ap::kMaxFailFields, ap::kMaxLineLength);
    }
    void violation(const std::string& what) {
        conn_->log().errorf("auth client {}: {}; disconnecting", cpid_, what);
    }

    std::shared_ptr<loft::Connection> conn_;
    std::shared_ptr<AuthdState> state_;
    std::shared_ptr<Outbox> out_;
    std::map<std::uint32_t, std::shared_ptr<Pending>> pending_;
    bool got_version_ = false;
    bool got_cpid_ = false;
    std::string cpid_ = "?";
};

asio::awaitable<void> ClientSession::run() {
    auto auth = state_->authenticator();
    // The server handshake goes out at once, before the client's VERSION,
    // as Dovecot does: clients read both directions' handshakes in parallel.
    out_->send("VERSION\t" + std::to_string(ap::kClientMajor) + "\t" + std::to_string(ap::kClientMinor));
    for (const auto& m : auth->mechanisms()) {
        // SCRAM-*-PLUS needs the TLS channel binding, which Postfix and the
        // other clients of Dovecot's protocol cannot pass: announcing it
        // would make them offer a mechanism that always fails. A client
        // that can (Loft's channel_binding parameters) asks for it by name.
        if (is_plus_mechanism(m.name))
            continue;
        ap::MechFlags flags;
        flags.anonymous = m.anonymous;
        flags.plaintext = m.plaintext;
        flags.dictionary = m.dictionary;
        flags.active = m.active;
        flags.forward_secrecy = m.forward_secrecy;
        flags.mutual_auth = m.mutual_auth;
        flags.private_ = m.private_;
        out_->send(ap::mech_line(m.name, flags));
    }
    out_->send("SPID\t" + std::to_string(::getpid()));
    out_->send("CUID\t" + std::to_string(state_->next_client_id()));
    out_->send("COOKIE\t" + crypto::hex(crypto::random_bytes(16)));
    out_->send("DONE");

    std::string line;
    for (;;) {
        // Backpressure (outbox.hpp): no more requests while the client
        // leaves its replies unread.
        co_await out_->wait_writable();
        if (out_->failed())
            break;
        loft::ReadStatus st = co_await conn_->read_line(line);
        if (st == loft::ReadStatus::too_long) {
            violation("line longer than " + std::to_string(ap::kMaxLineLength) + " bytes");
            break;
        }
        if (st != loft::ReadStatus::ok) {
            if (!pending_.empty() && st == loft::ReadStatus::eof)
                conn_->log().infof("auth client {} disconnected with {} pending requests", cpid_, pending_.size());
            break;
        }
        if (!handle_line(line))
            break;
        if (out_->failed())
            break;
    }
    co_await out_->settle();
}

bool ClientSession::handle_line(const std::string& line) {
    auto fields = ap::split_fields(line);
    if (!fields) {
        violation("too many fields in a line");
        return false;
    }
    const auto& f = *fields;
    if (!got_version_) {
        auto v = ap::parse_version(f);
        if (!v) {
            violation("expected VERSION, got " + std::string(f[0].substr(0, 32)));
            return false;
        }
        if (v->major != ap::kClientMajor) {
            violation("protocol version " + std::to_string(v->major) + " is not compatible with " +
                      std::to_string(ap::kClientMajor));
            return false;
        }
        got_version_ = true;
        return true;
    }
    if (!got_cpid_) {
        if (f[0] == "CPID" && f.size() >= 2 && ap::parse_uint(f[1])) {
            got_cpid_ = true;
            cpid_ = std::string(f[1]);
            return true;
        }
        violation("unknown handshake command " + std::string(f[0].substr(0, 32)));
        return false;
    }
    if (f[0] == "AUTH")
        return handle_auth(f);
    if (f[0] == "CONT")
        return handle_cont(f);
    violation("unknown command " + std::string(f[0].substr(0, 32)));
    return false;
}

bool ClientSession::handle_auth(const std::vector<std::string_view>& fields) {
    ap::ParseError error;
    auto cmd = ap::parse_auth(fields, error);
    if (!cmd) {
        violation(error.message);
        if (fields.size() > 1)
            if (auto id = ap::parse_id(fields[1]); id && !pending_.count(*id))
                fail(*id, {.user = {}, .code = {}, .reason = "Invalid AUTH request", .temp = false});
        return false;
    }
    if (pending_.count(cmd->id)) {
        violation("duplicate request id " + std::to_string(cmd->id));
        return false;
    }
    if (pending_.size() >= ap::kMaxPendingRequests) {
        conn_->log().warningf("auth client {}: more than {} requests in flight; refusing request {}", cpid_,
                              ap::kMaxPendingRequests, cmd->id);
        fail(cmd->id, {.user = {}, .code = {}, .reason = "Too many requests in progress", .temp = true});
        return true;
    }
    auto p = std::make_shared<Pending>();
    p->id = cmd->id;
    p->auth = state_->authenticator();
    p->client.service = cmd->service;
    p->client.remote_ip = cmd->remote_ip;
    p->client.local_ip = cmd->local_ip;
    p->client.remote_port = cmd->remote_port;
    p->client.local_port = cmd->local_port;
    p->client.secured = cmd->secured;
    p->client.session_id = cmd->session;
    p->client.no_penalty = cmd->no_penalty;
    if (cmd->valid_client_cert)
        p->client.cert_username = cmd->cert_username;

    if (!cmd->channel_binding_type.empty() || !cmd->channel_binding.empty()) {
        auto data = crypto::unbase64(cmd->channel_binding);
        if (cmd->channel_binding_type.empty() || !data || data->empty()) {
            fail(cmd->id, {.user = {}, .code = {},
                           .reason = "Invalid channel binding (channel_binding_type and base64 channel_binding)",
                           .temp = false});
            return true;
        }
        p->client.channel_binding_type = cmd->channel_binding_type;
        p->client.channel_binding_data = std::move(*data);
    }

    std::string response;
    if (cmd->has_initial_response && cmd->initial_response != "=" && !cmd->initial_response.empty()) {
        auto decoded = crypto::unbase64(cmd->initial_response);
        if (!decoded) {
            fail(cmd->id, {.user = {}, .code = "invalid_base64",
                           .reason = "Invalid base64 data in initial response", .temp = false});
            return true;
        }
        response = std::move(*decoded);
    }
    auto session = p->auth->begin(cmd->mechanism, p->client);
    if (!session) {
        using Code = mailstore::Status::Code;
        ap::FailInfo info;
        if (session.status().code() == Code::not_found) {
            conn_->log().errorf("auth client {}: request {} for unsupported mechanism {}", cpid_, cmd->id,
                                cmd->mechanism);
            info.reason = "Unsupported authentication mechanism";
        } else if (session.status().code() == Code::permission_denied) {
            info.reason = "Plaintext authentication disallowed on non-secure (SSL/TLS) connections.";
        } else {
            conn_->log().errorf("auth client {}: request {}: {}", cpid_, cmd->id, session.status().message());
            info.temp = true;
        }
        fail(cmd->id, info);
        return true;
    }
    p->session.emplace(std::move(*session));
    pending_[p->id] = p;
    start_step(p, std::move(response), cmd->has_initial_response);
    return true;
}

bool ClientSession::handle_cont(const std::vector<std::string_view>& fields) {
    ap::ParseError error;
    auto cmd = ap::parse_cont(fields, error);
    if (!cmd) {
        violation(error.message);
        return false;
    }
    auto it = pending_.find(cmd->id);
    if (it == pending_.end()) {
        // Dovecot's answer for a request it no longer has.
        fail(cmd->id, {.user = {}, .code = {}, .reason = "Authentication request timed out", .temp = false});
        return true;
    }
    auto p = it->second;
    if (p->busy || !p->waiting) {
        // The client answered before it was asked (RFC 4422 §3: the server
        // goes next); the exchange is over.
        fail(cmd->id, {.user = {}, .code = {}, .reason = "Unexpected continuation", .temp = false});
        p->aborted = true;
        if (!p->busy)
            pending_.erase(it);
        return true;
    }
    auto decoded = crypto::unbase64(cmd->data);
    if (!decoded && cmd->data != "=") {
        fail(cmd->id, {.user = {}, .code = "invalid_base64", .reason = "Invalid base64 data in continued response",
                       .temp = false});
        pending_.erase(it);
        return true;
    }
    p->waiting = false;
    start_step(p, decoded ? std::move(*decoded) : std::string(), true);
    return true;
}

void ClientSession::start_step(std::shared_ptr<Pending> p, std::string response, bool has_response) {
    p->busy = true;
    asio::co_spawn(conn_->executor(), step(shared_from_this(), std::move(p), std::move(response), has_response),
                   asio::detached);
}

asio::awaitable<void> ClientSession::step(std::shared_ptr<ClientSession> self, std::shared_ptr<Pending> p,
                                          std::string response, bool has_response) {
    AuthReply reply;
    try {
        reply = co_await run_step(self->conn_->pool(), p, std::move(response), has_response);
    } catch (const loft::BlockingPoolFull&) {
        reply.kind = AuthReply::Kind::temporary_failure;
        self->conn_->log().warning("auth request refused: the worker pool is full");
    } catch (const std::exception& e) {
        reply.kind = AuthReply::Kind::temporary_failure;
        self->conn_->log().errorf("auth request failed: {}", e.what());
    }
    // The failure delay runs here, on a timer: no thread sleeps, and other
    // requests of this connection go on meanwhile.
    bool failed = reply.kind == AuthReply::Kind::failure || reply.kind == AuthReply::Kind::temporary_failure ||
                  refused_nologin(reply);
    if (failed && reply.delay.count() > 0) {
        asio::steady_timer timer(self->conn_->executor(), reply.delay);
        std::error_code ec;
        co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
    p->busy = false;
    if (p->aborted) {
        self->pending_.erase(p->id);
        co_return;
    }
    self->finish(p, reply);
}

void ClientSession::finish(const std::shared_ptr<Pending>& p, const AuthReply& reply) {
    switch (reply.kind) {
    case AuthReply::Kind::challenge:
        p->waiting = true;
        out_->send(ap::cont_line(p->id, crypto::base64(reply.data)));
        return;
    case AuthReply::Kind::success:
        if (refused_nologin(reply)) {
            // Loft refuses here, with the reason (docs/authd.md "nologin").
            ap::FailInfo info;
            info.user = reply.user;
            info.reason = reply.passdb_fields.get_or("reason", "");
            info.fields = refusal_fields(reply);
            fail(p->id, info);
        } else {
            std::vector<std::pair<std::string, std::string>> fields;
            const bool proxy = is_proxy(reply.passdb_fields);
            for (const auto& [k, v] : reply.passdb_fields.items())
                if (!hidden_field(k, proxy))
                    fields.emplace_back(k, v);
            if (!reply.master_user.empty())
                fields.emplace_back("master_user", reply.master_user);
            if (!reply.data.empty())
                fields.emplace_back("resp", crypto::base64(reply.data));
            out_->send(ap::ok_line(p->id, reply.user, fields));
        }
        break;
    case AuthReply::Kind::failure: {
        ap::FailInfo info;
        info.user = reply.user;
        info.reason = reply.reason;
        info.fields = refusal_fields(reply);
        fail(p->id, info);
        break;
    }
    case AuthReply::Kind::temporary_failure: {
        ap::FailInfo info;
        info.user = reply.user;
        info.reason = reply.reason;
        info.temp = true;
        fail(p->id, info);
        break;
    }
    }
    pending_.erase(p->id);
}

} // namespace

asio::awaitable<void> serve_client(std::shared_ptr<loft::Connection> conn, std::shared_ptr<AuthdState> state) {
    auto session = std::make_shared<ClientSession>(std::move(conn), std::move(state));
    co_await session->run();
}

} // namespace authd
