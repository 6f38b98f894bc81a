// %variables in templates, as Dovecot writes them: %u, %Ln, %{user},
// %{lower:...}-free 2.3 syntax. Used by the auth drivers (passwd-file paths,
// SQL queries, static fields), mail_location and every setting that names a
// per-user path.
//
// Syntax: '%' [offset.length] [modifiers] key, where key is one letter or a
// {long_name}; '%%' is a literal '%'. Modifiers (at most 8) are applied left
// to right, as Dovecot 2.3 does (%MUu is the upper-cased MD5 of %u, %UMu the
// MD5 of the upper-cased %u): L lower-case, U upper-case, E escape with the
// caller's escape function (SQL quoting, LDAP filter escaping), X parse a
// decimal value and write it in hex ("0" when it is not a number), R
// reverse, T trim trailing whitespace, H Dovecot's 32-bit string hash (the
// ELF hash) in hex, M the MD5 of the value in hex, N a 32-bit number from
// bytes 4..7 of the MD5 in hex, D replace every '.' with ",dc="
// ("example.com" -> "example,dc=com": write dc=%Dd for a DN). For H and N a
// length is the modulus instead: %256Hu is 0..ff.
// [offset.length] takes part of the value after the modifiers: %1n is the
// first letter, %.2n the first two, %1.2n the second and third, %-2.1n the
// second-to-last, %2.-1n from the third to all but the last. A number
// without '.' is a length from the start (its sign is ignored: Dovecot
// reads %-1n as %1n). Output is capped at 64 KiB.
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
// ("unknown variable %q in ..."), a '%' at the end, an unterminated "%{",
// or output over 64 KiB. Values are inserted as they are (no further
// expansion).
MAILSTORE_API Result<std::string> expand_variables(std::string_view text, std::span<const ExpandVariable> variables,
                                                   const ExpandOptions& options = {});

// Whether `text` contains any %variable (so a path needs per-user expansion).
MAILSTORE_API bool has_variables(std::string_view text);

} // namespace mailstore
