// One IMAP connection: an imapproto::Session driven by a coroutine on the
// connection's strand. The session is sans-I/O and its run() may block on
// storage and authentication, so every run() goes to the blocking pool
// (one call at a time; the session is never touched on two threads at
// once). Output goes out through Connection::write with its backpressure,
// or, for a logged-in plaintext session, straight from the pool job that
// ran the command (direct_io.hpp); IDLE waits for input or a wake-up from
// the mailbox change watcher.
#pragma once

#include <user_limits.hpp>
#include "watcher.hpp"

#include <connection.hpp>
#include <server.hpp>

#include <imapproto/login_backend.hpp>

#include <asio/awaitable.hpp>

#include <memory>
#include <sys/types.h>

namespace imapd {

// What every connection of the process shares.
struct ImapService {
    loft::Server* server = nullptr; // set before Server::start()
    // How logins are checked: loft-authd's auth-login socket, or an
    // in-process Authenticator (main.cpp decides at start).
    std::shared_ptr<imapproto::LoginBackend> login;
    loft::UserIpLimits userip;
    ChangePump pump;
    uid_t euid = 0; // the only uid a userdb may give (workers run as one user)
};

asio::awaitable<void> serve_connection(std::shared_ptr<loft::Connection> conn, std::shared_ptr<ImapService> service);

} // namespace imapd
