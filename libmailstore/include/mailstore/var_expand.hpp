// %variables in templates, as Dovecot writes them: %u, %Ln, %{user},
// %{lower:...}-free 2.3 syntax. Used by the auth drivers (passwd-file paths,
// SQL queries, static fields), mail_location and every setting that names a
// per-user path.
//
// Syntax: '%' [modifiers] [offset.length] key, where key is one letter or a
// {long_name}; '%%' is a literal '%'. Modifiers (any number, applied right
// to left as Dovecot does): L lower-case, U upper-case, E escape with the
// caller's escape function (SQL quoting, LDAP filter escaping), X parse a
// decimal value and write it in hex, R reverse, T trim trailing whitespace,
// H hash (Dovecot's %H: a 32-bit hash of the value, modulo the length
// prefix, in hex), M the MD5 of the value in hex, N like M but only its
// first 8 hex digits, D the domain as a DN (example.com ->
// "dc=example,dc=com"). [offset.length] takes part of the value: %1n is the
// first letter, %.2n the first two, %-1n the last, %0.1n the first.
#pragma once

#include <mailstore/export.hpp>
#include <mailstore/status.hpp>

#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace mailstore {

struct ExpandVariable {
    char key;                   // 'u', or '\0' for a long-name-only variable
    std::string_view long_name; // "user", or empty
    std::string_view value;
};

struct ExpandOptions {
    // Called for a {long_name} not in the table ("passdb:field",
    // "userdb:field", "env:NAME"): the value, or nullopt when unknown.
    std::function<std::optional<std::string>(std::string_view long_name)> resolve;
    // The E modifier, and every expanded value when escape_all is set (SQL
    // queries escape every value, not only %E ones).
    std::function<std::string(std::string_view)> escape;
    bool escape_all = false;
};

// Expands `text`. Fails with Code::invalid_argument for an unknown variable
// ("unknown variable %q in ..."), a '%' at the end, or an unterminated
// "%{". Values are inserted as they are (no further expansion).
MAILSTORE_API Result<std::string> expand_variables(std::string_view text, std::span<const ExpandVariable> variables,
                                                   const ExpandOptions& options = {});

// Whether `text` contains any %variable (so a path needs per-user expansion).
MAILSTORE_API bool has_variables(std::string_view text);

} // namespace mailstore
