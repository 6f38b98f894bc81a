#include "master_session.hpp"

#include "auth_protocol.hpp"
#include "outbox.hpp"

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>

#include <asio/post.hpp>
#include <asio/redirect_error.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <set>
#include <vector>
#include <unistd.h>

namespace authd {

namespace ap = loft::authproto;
using mailstore::auth::Authenticator;
using mailstore::auth::ClientInfo;
using mailstore::auth::LookupResult;
using mailstore::Status;

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
    asio::awaitable<void> list(std::shared_ptr<const Authenticator> auth, const ap::MasterCommand& cmd);
    asio::awaitable<void> wait_list_done();
    void violation(const std::string& what) { conn_->log().errorf("auth-master client: {}; disconnecting", what); }

    std::shared_ptr<loft::Connection> conn_;
    std::shared_ptr<AuthdState> state_;
    std::shared_ptr<Outbox> out_;
    std::set<std::uint32_t> in_flight_;
    bool got_version_ = false;
    bool list_running_ = false;
    std::vector<asio::steady_timer*> list_waiters_; // LISTs waiting for the running one
};

asio::awaitable<void> MasterSession::run() {
    out_->send("VERSION\t" + std::to_string(ap::kMasterMajor) + "\t" + std::to_string(ap::kMasterMinor));
    out_->send("SPID\t" + std::to_string(::getpid()));
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

// A LIST runs on a pool thread (iterate_users calls back for each user);
// its names go out on the connection's strand in batches. The pool thread
// waits while a batch is still with the strand, and the strand takes the
// next one only once the outbox is below its limit: a listing of millions
// of users holds at most two batches in memory, and a client that stops
// reading stalls the listing instead of growing loft-authd.
constexpr std::size_t kListBatchBytes = 16 * 1024;
// A client that reads nothing for this long loses its listing (DONE fail),
// so a stalled reader does not keep a pool thread for ever.
constexpr std::chrono::minutes kListStallLimit{5};

struct ListStream {
    // Shared by the pool thread and the strand.
    std::mutex mutex;
    std::condition_variable taken; // the strand took `batch`, or cancelled
    std::vector<std::string> batch;
    bool batch_ready = false;
    bool cancelled = false; // the connection is gone or stopped reading
    // Strand only.
    bool finished = false;  // the pool job returned
    bool ok = true;
    std::string error;
    asio::steady_timer* waiter = nullptr;

    void wake() {
        if (waiter)
            waiter->cancel();
    }
};

// Pool thread: hands `users` to the strand and waits until it is taken.
// false: the listing is cancelled.
bool hand_over(const std::shared_ptr<ListStream>& stream, loft::Connection::Executor strand,
               std::vector<std::string>& users) {
    std::unique_lock lock(stream->mutex);
    if (!stream->taken.wait_for(lock, kListStallLimit, [&] { return !stream->batch_ready || stream->cancelled; }))
        stream->cancelled = true;
    if (stream->cancelled)
        return false;
    stream->batch = std::move(users);
    users.clear();
    stream->batch_ready = true;
    lock.unlock();
    asio::post(strand, [stream] { stream->wake(); });
    return true;
}

// The pool job is made here, outside any coroutine: GCC 12 destroys a
// lambda temporary with captures twice when it is built inside a co_await
// expression.
asio::awaitable<Status> run_list(loft::BlockingPool& pool, std::shared_ptr<const Authenticator> auth,
                                 std::string mask, std::shared_ptr<ListStream> stream,
                                 loft::Connection::Executor strand) {
    return pool.run([auth = std::move(auth), mask = std::move(mask), stream = std::move(stream), strand] {
        std::vector<std::string> users;
        std::size_t bytes = 0, total = 0;
        bool cancelled = false;
        auto st = auth->iterate_users([&](std::string_view user) {
            if (!mask.empty() && !ap::mask_matches(mask, user))
                return true;
            if (++total > kMaxListUsers)
                return false;
            users.emplace_back(user);
            bytes += user.size() + 16;
            if (bytes >= kListBatchBytes) {
                bytes = 0;
                if (!hand_over(stream, strand, users)) {
                    cancelled = true;
                    return false;
                }
            }
            return true;
        });
        if (st && !cancelled && total > kMaxListUsers)
            st = Status::error(mailstore::Status::Code::temporary_failure,
                               "more than " + std::to_string(kMaxListUsers) + " users");
        if (st && !cancelled && !users.empty() && !hand_over(stream, strand, users))
            cancelled = true;
        if (st && cancelled)
            st = Status::error(mailstore::Status::Code::temporary_failure, "the client stopped reading the listing");
        return st;
    });
}

// Strand: runs the pool job and marks the stream finished.
asio::awaitable<void> list_job(loft::BlockingPool& pool, std::shared_ptr<const Authenticator> auth, std::string mask,
                               std::shared_ptr<ListStream> stream, loft::Connection::Executor strand) {
    Status st;
    try {
        st = co_await run_list(pool, std::move(auth), std::move(mask), stream, strand);
    } catch (const std::exception& e) {
        st = Status::error(mailstore::Status::Code::temporary_failure, e.what());
    }
    stream->finished = true;
    if (!st) {
        stream->ok = false;
        stream->error = st.message();
    }
    stream->wake();
}

asio::awaitable<LookupResult> run_lookup(loft::BlockingPool& pool, std::shared_ptr<const Authenticator> auth,
                                         const ap::MasterCommand& cmd) {
    return pool.run([auth = std::move(auth), client = client_of(cmd), user = cmd.user,
                     is_user = cmd.kind == ap::MasterCommand::Kind::user] {
        return is_user ? auth->lookup_user(user, client) : auth->lookup_pass(user, client);
    });
}

asio::awaitable<void> MasterSession::list(std::shared_ptr<const Authenticator> auth, const ap::MasterCommand& cmd) {
    // One listing at a time per connection: each holds a pool thread while
    // its client reads.
    while (list_running_)
        co_await wait_list_done();
    list_running_ = true;
    const std::string id = std::to_string(cmd.id);
    auto stream = std::make_shared<ListStream>();
    asio::co_spawn(conn_->executor(), list_job(conn_->pool(), std::move(auth), cmd.user_mask, stream, conn_->executor()),
                   asio::detached);
    for (;;) {
        std::vector<std::string> batch;
        bool ready;
        {
            std::lock_guard lock(stream->mutex);
            ready = stream->batch_ready;
            if (ready)
                batch = std::move(stream->batch);
        }
        if (ready) {
            for (const auto& u : batch)
                out_->send("LIST\t" + id + "\t" + ap::tab_escape(u));
            batch.clear();
            co_await out_->wait_writable();
            {
                std::lock_guard lock(stream->mutex);
                stream->batch_ready = false;
                if (out_->failed())
                    stream->cancelled = true;
            }
            stream->taken.notify_all();
            continue;
        }
        if (stream->finished)
            break;
        asio::steady_timer timer(conn_->executor(), asio::steady_timer::time_point::max());
        stream->waiter = &timer;
        std::error_code ec;
        co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
        stream->waiter = nullptr;
    }
    if (!stream->ok)
        conn_->log().errorf("LIST {}: {}", id, stream->error);
    // Dovecot ends a good listing with an empty field too ("DONE\t5\t").
    out_->send("DONE\t" + id + (stream->ok ? "\t" : "\tfail"));
    list_running_ = false;
    for (auto* t : list_waiters_)
        t->cancel();
}

asio::awaitable<void> MasterSession::wait_list_done() {
    asio::steady_timer timer(conn_->executor(), asio::steady_timer::time_point::max());
    list_waiters_.push_back(&timer);
    std::error_code ec;
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    std::erase(list_waiters_, &timer);
}

asio::awaitable<void> MasterSession::lookup(std::shared_ptr<MasterSession> self, ap::MasterCommand cmd) {
    auto auth = self->state_->authenticator();
    const std::string id = std::to_string(cmd.id);
    using Kind = ap::MasterCommand::Kind;
    if (cmd.kind == Kind::list) {
        co_await self->list(std::move(auth), cmd);
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
