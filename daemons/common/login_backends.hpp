// Which LoginBackend a protocol daemon uses (docs/imapd.md "Authentication"):
// loft-authd's auth-login socket when it is there (the normal case under
// loftd: workers run as the mail user and cannot read shadow or PAM), else
// an in-process Authenticator over the config's passdb/userdb blocks.
#pragma once

#include <mailstore/auth/login_backend.hpp>

#include <mailstore/config.hpp>
#include <mailstore/log.hpp>
#include <mailstore/status.hpp>

#include <chrono>
#include <memory>
#include <string>

namespace loft {

// The sockets of `service auth`: auth-login (the auth-client protocol) and
// auth-userdb (the master protocol), absolute paths ("" when the config
// has no such listener).
struct AuthSockets {
    std::string login;
    std::string userdb;
};
AuthSockets auth_sockets(const mailstore::config::Config& config);

// Logins through loft-authd: SASL on auth-login, userdb lookups on
// auth-userdb. Fails when auth-login cannot be connected to.
// `disable_plaintext`: plaintext mechanisms are refused on connections that
// are not secured (disable_plaintext_auth / auth_allow_cleartext).
mailstore::Result<std::shared_ptr<mailstore::auth::LoginBackend>>
remote_login_backend(const AuthSockets& sockets, std::chrono::milliseconds timeout, bool disable_plaintext,
                     const mailstore::log::Logger& log);

// The remote backend when loft-authd answers on auth-login, else the
// in-process one; logs which.
mailstore::Result<std::shared_ptr<mailstore::auth::LoginBackend>> make_login_backend(const mailstore::config::Config& config,
                                                                              const mailstore::log::Logger& log);

// Userdb lookups only, through loft-authd's auth-userdb socket (the master
// protocol). Fails when it cannot be connected to. The SASL side is empty.
mailstore::Result<std::shared_ptr<mailstore::auth::LoginBackend>>
remote_userdb_backend(const AuthSockets& sockets, std::chrono::milliseconds timeout, const mailstore::log::Logger& log);

// For services that only look users up (LMTP, the LDA): the remote userdb
// backend when loft-authd answers on auth-userdb, else the in-process one;
// logs which. Once chosen, an unreachable loft-authd makes lookups fail
// temporarily (LMTP: 451 4.3.0), never silently switches.
mailstore::Result<std::shared_ptr<mailstore::auth::LoginBackend>> make_userdb_backend(const mailstore::config::Config& config,
                                                                               const mailstore::log::Logger& log);

} // namespace loft
