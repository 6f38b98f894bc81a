// make_passdb/make_userdb: the driver named in a passdb { } / userdb { }
// block. Dovecot drivers Loft does not have yet fail with a clear message
// rather than being silently skipped.
#include "auth/db/drivers.hpp"

#include <array>

namespace mailstore::auth {
namespace {

// Dovecot 2.3 drivers that Loft does not implement (yet).
constexpr std::array<std::string_view, 12> unsupported{
    "ldap", "checkpassword", "vpopmail", "dict", "bsdauth", "lua", "oauth2", "imap", "nss", "passwd-sql",
    "sia", "ldap-sasl"};

Status not_supported(const DriverArgs& a, std::string_view kind) {
    for (auto name : unsupported)
        if (a.driver == name)
            return Status::invalid(a.where.to_string() + ": " + std::string(kind) + " driver " + a.driver +
                                   " is not supported yet");
    return Status::invalid(a.where.to_string() + ": unknown " + std::string(kind) + " driver '" + a.driver + "'");
}

} // namespace

Result<std::unique_ptr<PassdbDriver>> make_passdb(const DriverArgs& a) {
    if (a.driver == "passwd-file")
        return make_passwd_file_passdb(a);
    if (a.driver == "static")
        return make_static_passdb(a);
    if (a.driver == "passwd")
        return make_passwd_passdb(a);
    if (a.driver == "shadow")
        return make_shadow_passdb(a);
    if (a.driver == "pam")
        return make_pam_passdb(a);
    if (a.driver == "sql")
        return make_sql_passdb(a);
    if (a.driver == "prefetch")
        return Status::invalid(a.where.to_string() + ": prefetch is a userdb driver, not a passdb driver");
    return not_supported(a, "passdb");
}

Result<std::unique_ptr<UserdbDriver>> make_userdb(const DriverArgs& a) {
    if (a.driver == "passwd-file")
        return make_passwd_file_userdb(a);
    if (a.driver == "static")
        return make_static_userdb(a);
    if (a.driver == "prefetch")
        return make_prefetch_userdb(a);
    if (a.driver == "passwd")
        return make_passwd_userdb(a);
    if (a.driver == "sql")
        return make_sql_userdb(a);
    if (a.driver == "shadow" || a.driver == "pam")
        return Status::invalid(a.where.to_string() + ": " + a.driver + " is a passdb driver, not a userdb driver");
    return not_supported(a, "userdb");
}

} // namespace mailstore::auth
