// Finding the recipient's userdb entry from an unprivileged process: through
// loft-authd's auth-userdb socket (the master protocol), as dovecot-lda asks
// Dovecot's auth process, or, when no loft-authd runs, through the config's
// userdb blocks in this process (a passwd-file the user may read,
// `driver = passwd`). docs/lda.md "User lookup".
#pragma once

#include <mailstore/auth/authenticator.hpp>
#include <mailstore/config.hpp>

#include <string_view>

namespace lda {

// The userdb entry of `user` for service "lda". temporary_failure (exit 75)
// when the socket the config names cannot be reached or the userdb fails;
// `error` then says what failed. The socket is auth_socket_path when the
// config sets it, else the auth service's auth-userdb listener; it is
// mandatory when the config names it (auth_socket_path, or `service auth {
// unix_listener auth-userdb { } }`); with only the built-in listener it is
// used when it exists, else the lookup runs in this process.
mailstore::auth::LookupResult lookup_user(const mailstore::config::Config& config, std::string_view user);

} // namespace lda
