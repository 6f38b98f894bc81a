// One authentication or lookup as the passdb/userdb drivers see it: the user
// name (already through auth_username_format), who asks, what the passdbs
// and userdbs have said so far, and %variable expansion over all of it.
#pragma once

#include <mailstore/auth/authenticator.hpp>
#include <mailstore/auth/fields.hpp>
#include <mailstore/export.hpp>
#include <mailstore/log.hpp>
#include <mailstore/status.hpp>

#include <functional>
#include <string>
#include <string_view>

namespace mailstore::auth {

struct MAILSTORE_INTERNAL_API AuthRequest {
    std::string user;          // %u: the name being looked up (rewritten by a passdb `user=`)
    std::string original_user; // %{orig_user}: as the client sent it
    std::string master_user;   // %{master_user}: set during a master login
    std::string mechanism;     // %m: "PLAIN", ... ("" for lookups)
    std::string password;      // %w: the plaintext password when the mechanism has one
    ClientInfo client;         // %s %r %l ...
    std::string home;          // %h: the userdb home once known
    FieldList passdb_fields;   // %{passdb:NAME}
    FieldList userdb_fields;   // %{userdb:NAME}
    log::Logger log;           // "auth: passwd-file(alice,192.0.2.1): ..."

    // Expands `text` with this request's variables: %u %n %d %s %r %l %h %p
    // %w %m %c (secured: "secured" or "") and their long forms (user,
    // username, domain, service, rip, lip, rport, lport, home, pid,
    // password, mech, secured, session, orig_user, orig_username,
    // orig_domain, master_user, hostname), %{passdb:X}, %{userdb:X},
    // %{env:X}. `escape` is applied to every inserted value when
    // `escape_all` (SQL queries), else only to %E.
    Result<std::string> expand(std::string_view text,
                               const std::function<std::string(std::string_view)>& escape = {},
                               bool escape_all = false) const;
};

// "name(user,rip[,session])", the prefix Dovecot puts on a driver's log
// lines and fail2ban's filters match.
MAILSTORE_INTERNAL_API std::string driver_log_prefix(std::string_view driver, const AuthRequest& request);

} // namespace mailstore::auth
