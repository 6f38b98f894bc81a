// The auth-master/userdb protocol on one connection (what LMTP and
// `loftadm -a SOCKET` use; docs/authd.md "Protocol"): USER, PASS and LIST
// requests, answered by id as they finish.
#pragma once

#include "authd_state.hpp"
#include "connection.hpp"

#include <asio/awaitable.hpp>

#include <memory>

namespace authd {

asio::awaitable<void> serve_master(std::shared_ptr<loft::Connection> conn, std::shared_ptr<AuthdState> state);

} // namespace authd
