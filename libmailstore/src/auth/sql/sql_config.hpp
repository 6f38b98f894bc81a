// The SQL driver's settings file (Dovecot's dovecot-sql.conf.ext):
//
//   driver = sqlite
//   connect = /etc/loft/users.sqlite
//   default_pass_scheme = SHA512-CRYPT
//   password_query = SELECT username, domain, password FROM users \ (newline)
//     WHERE username = '%n' AND domain = '%d'
//
// One `key = value` per line; `#` starts a comment line; a trailing
// backslash continues the value on the next line (joined with one space, as
// Dovecot does); a value in double quotes may hold \" and \\ escapes.
// Everything is bounded: the file size, the line count and the length of a
// joined line.
#pragma once

#include <mailstore/export.hpp>
#include <mailstore/status.hpp>

#include <cstddef>
#include <string>
#include <string_view>

namespace mailstore::auth::sql {

struct SqlConfig {
    std::string path; // the file, for messages
    std::string driver;
    int driver_line = 0;
    std::string connect;
    // Dovecot's defaults: the split username/domain form of the users table.
    std::string password_query =
        "SELECT username, domain, password FROM users WHERE username = '%n' AND domain = '%d'";
    std::string user_query = "SELECT home, uid, gid FROM users WHERE username = '%n' AND domain = '%d'";
    std::string iterate_query = "SELECT username, domain FROM users";
    // Dovecot's SQL default is MD5 (MD5-CRYPT), not PLAIN.
    std::string default_pass_scheme = "MD5";
};

inline constexpr std::size_t sql_config_max_bytes = 1024 * 1024;
inline constexpr std::size_t sql_config_max_line = 64 * 1024; // after joining continuations

// Parses the text of a settings file; `path` names it in messages
// ("path:line: unknown setting 'x'"). Unknown keys, a line without `=`, an
// unterminated quote, a NUL byte, a missing `driver` or `connect` are
// errors (Code::invalid_argument). The driver name is not checked here.
MAILSTORE_INTERNAL_API Result<SqlConfig> parse_sql_config(std::string_view text, std::string_view path);

// Reads and parses the file (Code::not_found when it cannot be read).
MAILSTORE_INTERNAL_API Result<SqlConfig> load_sql_config(const std::string& path);

} // namespace mailstore::auth::sql
