// One POP3 connection: a pop3proto::Session driven by a coroutine on the
// connection's strand. The session is sans-I/O and its run() may block on
// storage and authentication, so every run() goes to the blocking pool, one
// call at a time (the session is never touched on two threads at once).
// Before login, and with TLS, output goes out through Connection::write with
// its backpressure. A logged-in plaintext session borrows its socket for the
// pool job instead (direct_io.hpp): the job writes the answers and reads the
// next commands itself while the client keeps it busy, and hands the socket
// back when the client goes quiet or the socket is full.
#pragma once

#include <user_limits.hpp>

#include <connection.hpp>
#include <server.hpp>

#include <mailstore/auth/login_backend.hpp>

#include <asio/awaitable.hpp>

#include <memory>
#include <sys/types.h>

namespace pop3d {

// What every connection of the process shares.
struct Pop3Service {
    loft::Server* server = nullptr; // set before Server::start()
    // How logins are checked: loft-authd's auth-login socket, or an
    // in-process Authenticator (main.cpp decides at start).
    std::shared_ptr<mailstore::auth::LoginBackend> login;
    loft::UserIpLimits userip;
    uid_t euid = 0; // the only uid a userdb may give (workers run as one user)
};

asio::awaitable<void> serve_connection(std::shared_ptr<loft::Connection> conn, std::shared_ptr<Pop3Service> service);

} // namespace pop3d
