// The per-worker admin socket: WHO lists connections, KICK ends them. Admin
// clients run on the server strand; requests are tiny and rare.
#include "admin_protocol.hpp"
#include "server.hpp"

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/read_until.hpp>
#include <asio/redirect_error.hpp>
#include <asio/streambuf.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>

namespace loft {

namespace {
constexpr std::size_t kMaxAdminLine = 4096;
}

asio::awaitable<void> Server::admin_loop() {
    while (!stopping_ && admin_ && admin_->is_open()) {
        std::error_code ec;
        auto socket = co_await admin_->async_accept(strand_, asio::redirect_error(asio::use_awaitable, ec));
        if (ec) {
            if (ec == asio::error::operation_aborted || stopping_)
                break;
            continue;
        }
        auto shared = std::make_shared<asio::generic::stream_protocol::socket>(std::move(socket));
        admin_clients_.push_back(shared);
        asio::co_spawn(strand_, admin_client(shared), asio::detached);
    }
}

std::vector<std::string> Server::admin_command(const std::vector<std::string>& request) {
    std::vector<std::string> lines;
    const std::string& cmd = request[0];
    if (cmd == "WHO") {
        for (const auto& conn : connections()) {
            lines.push_back(admin::join({std::to_string(conn->id()), conn->remote_ip_shared(), conn->user(), conn->state(),
                                         std::to_string(static_cast<long long>(conn->since())), conn->session_id(),
                                         conn->tls_active() ? "tls" : "plain", conn->listener_name()}));
        }
        lines.push_back("OK");
    } else if (cmd == "KICK") {
        if (request.size() < 2 || request[1].empty()) {
            lines.push_back(admin::join({"ERROR", "KICK needs a user name or connection id"}));
            return lines;
        }
        for (const auto& conn : connections()) {
            if (std::to_string(conn->id()) == request[1] || conn->user() == request[1]) {
                conn->kick();
                lines.push_back(admin::join({std::to_string(conn->id()), conn->remote_ip_shared(), conn->user()}));
            }
        }
        lines.push_back("OK");
    } else {
        lines.push_back(admin::join({"ERROR", "unknown command " + cmd}));
    }
    return lines;
}

asio::awaitable<void> Server::admin_client(std::shared_ptr<asio::generic::stream_protocol::socket> socket) {
    std::error_code ec;
    std::string hello = std::string(admin::kHandshake) + "\n";
    co_await asio::async_write(*socket, asio::buffer(hello), asio::redirect_error(asio::use_awaitable, ec));
    std::string buffer;
    while (!ec && !stopping_) {
        std::size_t n = co_await asio::async_read_until(*socket, asio::dynamic_buffer(buffer, kMaxAdminLine), '\n',
                                                        asio::redirect_error(asio::use_awaitable, ec));
        if (ec) {
            if (ec == asio::error::not_found) {
                std::string err = admin::join({"ERROR", "line too long"}) + "\n";
                co_await asio::async_write(*socket, asio::buffer(err), asio::redirect_error(asio::use_awaitable, ec));
            }
            break;
        }
        std::string line = buffer.substr(0, n - 1);
        buffer.erase(0, n);
        if (!line.empty() && line.back() == '\r')
            line.pop_back();
        if (line.empty())
            continue;
        auto request = admin::split(line);
        std::string reply;
        if (request[0] == "VERSION") {
            // The client's handshake: only the major version must match.
            if (request.size() < 3 || request[1] != "loft-admin" || request[2] != "1") {
                reply = admin::join({"ERROR", "unsupported protocol version"}) + "\n";
                co_await asio::async_write(*socket, asio::buffer(reply), asio::redirect_error(asio::use_awaitable, ec));
                break;
            }
            continue;
        }
        if (request[0] == "QUIT")
            break;
        for (const auto& l : admin_command(request))
            reply += l + "\n";
        co_await asio::async_write(*socket, asio::buffer(reply), asio::redirect_error(asio::use_awaitable, ec));
    }
    std::error_code ignored;
    socket->close(ignored);
}

} // namespace loft
