#include "auth_client.hpp"

#include "auth_protocol.hpp"

#include "auth/crypto.hpp"

#include <cerrno>
#include <cstring>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

namespace loft {

namespace ap = authproto;
namespace crypto = mailstore::auth::crypto;
using mailstore::Result;
using mailstore::Status;

namespace {

// SASL round trips of one exchange (SCRAM needs 2, LOGIN 2, DIGEST-MD5 2).
constexpr int kMaxRoundTrips = 32;

std::string errno_text() { return std::strerror(errno); }

AuthFields split_kv(const std::vector<std::string>& args, std::size_t first) {
    AuthFields out;
    for (std::size_t i = first; i < args.size(); ++i) {
        if (args[i].empty())
            continue;
        auto eq = args[i].find('=');
        if (eq == std::string::npos)
            out.emplace_back(args[i], "");
        else
            out.emplace_back(args[i].substr(0, eq), args[i].substr(eq + 1));
    }
    return out;
}

} // namespace

AuthClient::~AuthClient() { close(); }

AuthClient::AuthClient(AuthClient&& other) noexcept { *this = std::move(other); }

AuthClient& AuthClient::operator=(AuthClient&& other) noexcept {
    if (this != &other) {
        close();
        fd_ = std::exchange(other.fd_, -1);
        path_ = std::move(other.path_);
        timeout_ = other.timeout_;
        buffer_ = std::move(other.buffer_);
        next_id_ = other.next_id_;
        exchange_id_ = other.exchange_id_;
        exchange_rounds_ = other.exchange_rounds_;
        mechs_ = std::move(other.mechs_);
    }
    return *this;
}

void AuthClient::close() {
    if (fd_ >= 0)
        ::close(fd_);
    fd_ = -1;
}

Result<AuthClient> AuthClient::connect(const std::string& path, bool master, std::chrono::milliseconds timeout) {
    AuthClient c;
    c.path_ = path;
    c.timeout_ = timeout;
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (path.empty() || path.size() >= sizeof(addr.sun_path))
        return Status::invalid("auth socket path " + path + " is empty or too long");
    std::memcpy(addr.sun_path, path.data(), path.size());
    c.fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (c.fd_ < 0)
        return Status::io("socket(): " + errno_text());
    if (::connect(c.fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
        auto code = errno == EACCES ? Status::Code::permission_denied : Status::Code::io_error;
        return Status::error(code, "connect(" + path + "): " + errno_text());
    }
    // Our half of the handshake first: the server sends its own at once.
    std::string hello = master ? "VERSION\t1\t1" : "VERSION\t1\t2\nCPID\t" + std::to_string(::getpid());
    if (auto st = c.send_line(hello); !st)
        return st;
    bool version_seen = false;
    for (int lines = 0; lines < 1000; ++lines) {
        auto line = c.read_line();
        if (!line)
            return line.status();
        auto fields = ap::split_fields(*line);
        if (!fields)
            return Status::error(Status::Code::io_error, path + ": malformed handshake line");
        const auto& f = *fields;
        if (f[0] == "VERSION") {
            auto v = ap::parse_version(f);
            unsigned want = master ? ap::kMasterMajor : ap::kClientMajor;
            if (!v || v->major != want)
                return Status::error(Status::Code::io_error, path + ": incompatible auth protocol version " +
                                                                 std::string(f.size() > 1 ? f[1] : ""));
            version_seen = true;
        } else if (!version_seen) {
            return Status::error(Status::Code::io_error, path + ": the server did not start with VERSION");
        } else if (f[0] == "MECH" && f.size() >= 2) {
            std::vector<std::string> flags;
            for (std::size_t i = 2; i < f.size(); ++i)
                flags.emplace_back(f[i]);
            c.mechs_.emplace_back(std::string(f[1]), std::move(flags));
        } else if (f[0] == "SPID" && master) {
            return c; // the master handshake ends with SPID
        } else if (f[0] == "DONE" && !master) {
            return c;
        }
    }
    return Status::error(Status::Code::io_error, path + ": handshake too long");
}

Status AuthClient::send_line(const std::string& line) {
    if (fd_ < 0)
        return Status::io(path_ + ": not connected");
    std::string data = line + "\n";
    std::size_t done = 0;
    while (done < data.size()) {
        pollfd p{fd_, POLLOUT, 0};
        int r = ::poll(&p, 1, static_cast<int>(timeout_.count()));
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            close();
            return Status::error(Status::Code::temporary_failure, path_ + ": timed out writing");
        }
        ssize_t n = ::send(fd_, data.data() + done, data.size() - done, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR || errno == EAGAIN)
                continue;
            std::string err = errno_text();
            close();
            return Status::io(path_ + ": " + err);
        }
        done += static_cast<std::size_t>(n);
    }
    return Status::ok();
}

Result<std::string> AuthClient::read_line() {
    if (fd_ < 0)
        return Status::io(path_ + ": not connected");
    for (;;) {
        auto nl = buffer_.find('\n');
        if (nl != std::string::npos) {
            std::string line = buffer_.substr(0, nl);
            buffer_.erase(0, nl + 1);
            return line;
        }
        // The server's lines are bounded too (a LIST line is one user).
        if (buffer_.size() > 4 * ap::kMaxLineLength) {
            close();
            return Status::io(path_ + ": reply line too long");
        }
        pollfd p{fd_, POLLIN, 0};
        int r = ::poll(&p, 1, static_cast<int>(timeout_.count()));
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            close();
            return Status::error(Status::Code::temporary_failure,
                                 path_ + ": no answer within " + std::to_string(timeout_.count()) + " ms");
        }
        char chunk[8192];
        ssize_t n = ::recv(fd_, chunk, sizeof(chunk), 0);
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (n <= 0) {
            std::string err = n == 0 ? "the server closed the connection" : errno_text();
            close();
            return Status::io(path_ + ": " + err);
        }
        buffer_.append(chunk, static_cast<std::size_t>(n));
    }
}

Result<AuthResult> AuthClient::auth_plain(std::string_view user, std::string_view password,
                                          const AuthClientParams& params) {
    // RFC 4616: [authzid] NUL authcid NUL passwd
    std::string ir;
    ir += '\0';
    ir += user;
    ir += '\0';
    ir += password;
    return authenticate("PLAIN", params, &ir, [](std::string_view) { return std::string(); });
}

Result<AuthResult> AuthClient::authenticate(std::string_view mechanism, const AuthClientParams& params,
                                            const std::string* initial_response,
                                            const std::function<std::string(std::string_view)>& respond) {
    auto step = begin(mechanism, params, initial_response);
    while (step && step->kind == AuthStep::Kind::challenge)
        step = cont(respond(step->challenge));
    if (!step)
        return step.status();
    return std::move(step->result);
}

Result<AuthStep> AuthClient::begin(std::string_view mechanism, const AuthClientParams& params,
                                   const std::string* initial_response) {
    const std::uint32_t id = next_id_++;
    exchange_id_ = id;
    exchange_rounds_ = 0;
    std::string line = "AUTH\t" + std::to_string(id) + "\t" + ap::tab_escape(mechanism) + "\tservice=" +
                       ap::tab_escape(params.service);
    if (!params.local_ip.empty())
        line += "\tlip=" + ap::tab_escape(params.local_ip);
    if (!params.remote_ip.empty())
        line += "\trip=" + ap::tab_escape(params.remote_ip);
    if (params.local_port)
        line += "\tlport=" + std::to_string(params.local_port);
    if (params.remote_port)
        line += "\trport=" + std::to_string(params.remote_port);
    if (params.secured)
        line += "\tsecured";
    if (params.no_penalty)
        line += "\tno-penalty";
    if (!params.session.empty())
        line += "\tsession=" + ap::tab_escape(params.session);
    if (initial_response)
        line += "\tresp=" + (initial_response->empty() ? std::string("=") : crypto::base64(*initial_response));
    if (auto st = send_line(line); !st)
        return st;
    return read_step();
}

Result<AuthStep> AuthClient::cont(std::string_view response) {
    if (exchange_id_ == 0)
        return Status::invalid(path_ + ": no authentication in progress");
    if (++exchange_rounds_ > kMaxRoundTrips) {
        exchange_id_ = 0;
        return Status::io(path_ + ": more than " + std::to_string(kMaxRoundTrips) + " SASL round trips");
    }
    if (auto st = send_line("CONT\t" + std::to_string(exchange_id_) + "\t" + crypto::base64(std::string(response)));
        !st)
        return st;
    return read_step();
}

Result<AuthStep> AuthClient::read_step() {
    const std::uint32_t id = exchange_id_;
    // Replies to an exchange abandoned by a new begin() are skipped (a
    // bounded number: the server answers each request once).
    for (int skipped = 0;; ++skipped) {
        auto text = read_line();
        if (!text)
            return text.status();
        auto reply = ap::parse_reply(*text);
        if (!reply || !reply->id)
            return Status::io(path_ + ": unexpected reply: " + text->substr(0, 200));
        if (*reply->id != id) {
            if (*reply->id < id && skipped < kMaxRoundTrips)
                continue;
            return Status::io(path_ + ": unexpected reply: " + text->substr(0, 200));
        }
        AuthStep step;
        if (reply->command == "CONT") {
            auto challenge = crypto::unbase64(reply->args.empty() ? "" : reply->args[0]);
            if (!challenge)
                return Status::io(path_ + ": bad base64 in CONT");
            step.kind = AuthStep::Kind::challenge;
            step.challenge = std::move(*challenge);
            return step;
        }
        AuthResult& result = step.result;
        if (reply->command == "OK")
            result.kind = AuthResult::Kind::ok;
        else if (reply->command == "FAIL")
            result.kind = AuthResult::Kind::fail;
        else
            return Status::io(path_ + ": unexpected reply: " + text->substr(0, 200));
        exchange_id_ = 0;
        for (auto& [k, v] : split_kv(reply->args, 0)) {
            if (k == "user")
                result.user = v;
            else if (k == "reason" && result.kind == AuthResult::Kind::fail)
                result.reason = v;
            else if (k == "temp" && result.kind == AuthResult::Kind::fail)
                result.kind = AuthResult::Kind::temp_fail;
            else
                result.fields.emplace_back(k, v);
        }
        return step;
    }
}

Result<LookupReply> AuthClient::lookup(std::string_view command, std::string_view user, std::string_view service) {
    const std::uint32_t id = next_id_++;
    if (auto st = send_line(std::string(command) + "\t" + std::to_string(id) + "\t" + ap::tab_escape(user) +
                            "\tservice=" + ap::tab_escape(service));
        !st)
        return st;
    auto text = read_line();
    if (!text)
        return text.status();
    auto reply = ap::parse_reply(*text);
    if (!reply || !reply->id || *reply->id != id)
        return Status::io(path_ + ": unexpected reply: " + text->substr(0, 200));
    LookupReply out;
    if (reply->command == "NOTFOUND") {
        out.kind = LookupReply::Kind::not_found;
    } else if (reply->command == "FAIL") {
        out.kind = LookupReply::Kind::fail;
        for (auto& [k, v] : split_kv(reply->args, 0))
            if (k == "reason")
                out.reason = v;
    } else if (reply->command == command && command == "USER" && !reply->args.empty()) {
        out.kind = LookupReply::Kind::found;
        out.user = reply->args[0];
        out.fields = split_kv(reply->args, 1);
    } else if (reply->command == command && command == "PASS") {
        out.kind = LookupReply::Kind::found;
        for (auto& [k, v] : split_kv(reply->args, 0)) {
            if (k == "user" && out.user.empty())
                out.user = v;
            else
                out.fields.emplace_back(k, v);
        }
    } else {
        return Status::io(path_ + ": unexpected reply: " + text->substr(0, 200));
    }
    return out;
}

Result<LookupReply> AuthClient::lookup_user(std::string_view user, std::string_view service) {
    return lookup("USER", user, service);
}

Result<LookupReply> AuthClient::lookup_pass(std::string_view user, std::string_view service) {
    return lookup("PASS", user, service);
}

Status AuthClient::list_users(std::string_view mask, const std::function<bool(std::string_view)>& each) {
    const std::uint32_t id = next_id_++;
    std::string line = "LIST\t" + std::to_string(id);
    if (!mask.empty())
        line += "\tuser=" + ap::tab_escape(mask);
    if (auto st = send_line(line); !st)
        return st;
    for (;;) {
        auto text = read_line();
        if (!text)
            return text.status();
        auto reply = ap::parse_reply(*text);
        if (!reply || !reply->id || *reply->id != id)
            return Status::io(path_ + ": unexpected reply: " + text->substr(0, 200));
        if (reply->command == "DONE") {
            if (!reply->args.empty() && reply->args[0] == "fail")
                return Status::error(Status::Code::temporary_failure, path_ + ": listing users failed");
            return Status::ok();
        }
        if (reply->command != "LIST" || reply->args.empty())
            return Status::io(path_ + ": unexpected reply: " + text->substr(0, 200));
        if (!each(reply->args[0])) {
            close();
            return Status::ok();
        }
    }
}

} // namespace loft
