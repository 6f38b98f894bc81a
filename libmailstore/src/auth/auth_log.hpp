// The line written for every failed login, whatever auth_verbose says, so
// that an admin can feed it to fail2ban (docs/auth.md has the filter):
//
//   auth: Info: Authentication failed: user=<alice>, method=PLAIN,
//   rip=192.0.2.7, lip=198.51.100.1, service=smtp, session=<ab12>,
//   reason=password mismatch
//
// (one line). The user name is the client's own text, so every byte that
// could fake a field or end the value early ('<', '>', ',', space,
// non-printable) is written as \xHH, and it is cut to 128 bytes.
#pragma once

#include <mailstore/export.hpp>

#include <mailstore/auth/authenticator.hpp>

#include <string>
#include <string_view>

namespace mailstore::auth {

MAILSTORE_INTERNAL_API std::string failure_log_line(std::string_view user, std::string_view method, const ClientInfo& client,
                             std::string_view reason);

// `user` with the escapes described above.
MAILSTORE_INTERNAL_API std::string log_safe_user(std::string_view user);

} // namespace mailstore::auth
