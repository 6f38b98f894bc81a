#include "master_session.hpp"

#include "auth_protocol.hpp"
#include "outbox.hpp"

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>

#include <set>
#include <unistd.h>

namespace authd {

namespace ap = loft::authproto;
using mailstore::auth::Authenticator;
using mailstore::auth::ClientInfo;
using mailstore::auth::LookupResult;

namespace {

// LIST answers at most this many users (a guard against a runaway userdb;
// DONE then says "fail").
constexpr std::size_t kMaxListUsers = 10'000'000;

class MasterSession : public std::enable_shared_from_this<MasterSession> {
public:
    MasterSession(std::shared_ptr<loft::Connection> conn, std::shared_ptr<AuthdState> state)
        : conn_(std::move(conn)), state_(std::move(state)), out_(std::make_shared<Outbox>(conn_)) {}

    asio::awaitable<void> run();

private:
    bool handle_line(const std::string& line);
    static asio::awaitable<void> lookup(std::shared_ptr<MasterSession> self, ap::MasterCommand cmd);
    void violation(const std::string& what) { conn_->log().errorf("auth-master client: {}; disconnecting", what); }

    std::shared_ptr<loft::Connection> conn_;
    std::shared_ptr<AuthdState> state_;
    std::shared_ptr<Outbox> out_;
    std::set<std::uint32_t> in_flight_;
    bool got_version_ = false;
};

asio::awaitable<void> MasterSession::run() {
    out_->send("VERSION\t" + std::to_string(ap::kMasterMajor) + "\t" + std::to_string(ap::kMasterMinor));
    out_->send("SPID\t" + std::to_string(::getpid()));
    std::string line;
    for (;;) {
        loft::ReadStatus st = co_await conn_->read_line(line);
        if (st == loft::ReadStatus::too_long) {
            violation("line longer than " + std::to_string(ap::kMaxLineLength) + " bytes");
            break;
        }
        if (st != loft::ReadStatus::ok)
            break;
        if (!handle_line(line) || out_->failed())
            break;
    }
    co_await out_->settle();
}

bool MasterSession::handle_line(const std::string& line) {
    auto fields = ap::split_fields(line);
    if (!fields) {
        violation("too many fields in a line");
        return false;
    }
    if (!got_version_) {
        auto v = ap::parse_version(*fields);
        if (!v) {
            violation("expected VERSION, got " + std::string((*fields)[0].substr(0, 32)));
            return false;
        }
        if (v->major != ap::kMasterMajor) {
            violation("protocol version " + std::to_string(v->major) + " is not compatible with " +
                      std::to_string(ap::kMasterMajor));
            return false;
        }
        got_version_ = true;
        return true;
    }
    ap::ParseError error;
    auto cmd = ap::parse_master(*fields, error);
    if (!cmd) {
        violation(error.message + ": " + std::string((*fields)[0].substr(0, 32)));
        return false;
    }
    if (in_flight_.count(cmd->id)) {
        violation("duplicate request id " + std::to_string(cmd->id));
        return false;
    }
    if (in_flight_.size() >= ap::kMaxPendingRequests) {
        conn_->log().warningf("auth-master client: more than {} requests in flight; refusing request {}",
                              ap::kMaxPendingRequests, cmd->id);
        if (cmd->kind == ap::MasterCommand::Kind::list)
            out_->send("DONE\t" + std::to_string(cmd->id) + "\tfail");
        else
            out_->send("FAIL\t" + std::to_string(cmd->id) + "\treason=Too many requests in progress");
        return true;
    }
    in_flight_.insert(cmd->id);
    asio::co_spawn(conn_->executor(), lookup(shared_from_this(), std::move(*cmd)), asio::detached);
    return true;
}

ClientInfo client_of(const ap::MasterCommand& cmd) {
    ClientInfo c;
    c.service = cmd.service;
    for (const auto& p : cmd.params) {
        if (p.key == "rip")
            c.remote_ip = p.value;
        else if (p.key == "lip")
            c.local_ip = p.value;
        else if (p.key == "rport")
            c.remote_port = ap::parse_uint(p.value).value_or(0);
        else if (p.key == "lport")
            c.local_port = ap::parse_uint(p.value).value_or(0);
        else if (p.key == "session")
            c.session_id = p.value;
    }
    return c;
}

std::vector<std::pair<std::string, std::string>> visible_fields(const mailstore::auth::FieldList& fields) {
    std::vector<std::pair<std::string, std::string>> out;
    for (const auto& [k, v] : fields.items())
        if (k != "password" && k != "pass")
            out.emplace_back(k, v);
    return out;
}

struct Listing {
    std::vector<std::string> users;
    bool ok = true;
    std::string error;
};

// The pool jobs are made here, outside any coroutine: GCC 12 destroys a
// lambda temporary with captures twice when it is built inside a co_await
// expression.
asio::awaitable<Listing> run_list(loft::BlockingPool& pool, std::shared_ptr<const Authenticator> auth,
                                  std::string mask) {
    return pool.run([auth = std::move(auth), mask = std::move(mask)] {
        Listing l;
        auto st = auth->iterate_users([&](std::string_view user) {
            if (!mask.empty() && !ap::mask_matches(mask, user))
                return true;
            if (l.users.size() >= kMaxListUsers) {
                l.ok = false;
                l.error = "more than " + std::to_string(kMaxListUsers) + " users";
                return false;
            }
            l.users.emplace_back(user);
            return true;
        });
        if (!st) {
            l.ok = false;
            l.error = st.message();
        }
        return l;
    });
}

asio::awaitable<LookupResult> run_lookup(loft::BlockingPool& pool, std::shared_ptr<const Authenticator> auth,
                                         const ap::MasterCommand& cmd) {
    return pool.run([auth = std::move(auth), client = client_of(cmd), user = cmd.user,
                     is_user = cmd.kind == ap::MasterCommand::Kind::user] {
        return is_user ? auth->lookup_user(user, client) : auth->lookup_pass(user, client);
    });
}

asio::awaitable<void> MasterSession::lookup(std::shared_ptr<MasterSession> self, ap::MasterCommand cmd) {
    auto auth = self->state_->authenticator();
    const std::string id = std::to_string(cmd.id);
    using Kind = ap::MasterCommand::Kind;
    if (cmd.kind == Kind::list) {
        Listing listing;
        try {
            listing = co_await run_list(self->conn_->pool(), auth, cmd.user_mask);
        } catch (const std::exception& e) {
            listing.ok = false;
            listing.error = e.what();
        }
        for (const auto& u : listing.users)
            self->out_->send("LIST\t" + id + "\t" + ap::tab_escape(u));
        if (!listing.ok)
            self->conn_->log().errorf("LIST {}: {}", id, listing.error);
        // Dovecot ends a good listing with an empty field too ("DONE\t5\t").
        self->out_->send("DONE\t" + id + (listing.ok ? "\t" : "\tfail"));
        self->in_flight_.erase(cmd.id);
        co_return;
    }

    LookupResult result;
    try {
        result = co_await run_lookup(self->conn_->pool(), auth, cmd);
    } catch (const std::exception& e) {
        result.kind = LookupResult::Kind::temporary_failure;
        result.error = e.what();
    }
    switch (result.kind) {
    case LookupResult::Kind::found: {
        std::string user = result.user.empty() ? cmd.user : result.user;
        auto fields = visible_fields(result.fields);
        // USER answers with the user as its own field, PASS as user=; both
        // end with an empty field when nothing follows (Dovecot's forms).
        if (cmd.kind == Kind::user)
            self->out_->send("USER\t" + id + "\t" + ap::tab_escape(user) + "\t" + ap::format_fields(fields));
        else
            self->out_->send("PASS\t" + id + "\tuser=" + ap::tab_escape(user) + "\t" + ap::format_fields(fields));
        break;
    }
    case LookupResult::Kind::not_found:
        self->out_->send("NOTFOUND\t" + id);
        break;
    case LookupResult::Kind::temporary_failure:
        self->conn_->log().errorf("{} {} {}: {}", cmd.kind == Kind::user ? "USER" : "PASS", id, cmd.user,
                                  result.error);
        self->out_->send("FAIL\t" + id + "\treason=" +
                         ap::tab_escape(result.error.empty() ? "Temporary lookup failure" : result.error));
        break;
    }
    self->in_flight_.erase(cmd.id);
}

} // namespace

asio::awaitable<void> serve_master(std::shared_ptr<loft::Connection> conn, std::shared_ptr<AuthdState> state) {
    auto session = std::make_shared<MasterSession>(std::move(conn), std::move(state));
    co_await session->run();
}

} // namespace authd
