// The auth-client protocol on one connection (what Postfix's
// smtpd_sasl_type = dovecot speaks; docs/authd.md "Protocol"): the server
// handshake, then AUTH/CONT requests answered with OK, CONT or FAIL.
// Requests may be pipelined and are answered by id as they finish.
#pragma once

#include "authd_state.hpp"
#include "connection.hpp"

#include <asio/awaitable.hpp>

#include <memory>

namespace authd {

asio::awaitable<void> serve_client(std::shared_ptr<loft::Connection> conn, std::shared_ptr<AuthdState> state);

} // namespace authd
