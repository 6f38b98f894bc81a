// What loftadm prints, kept apart from the commands so the formats (copied
// from doveadm 2.3.19, docs/loftadm.md) live in one place.
#pragma once

#include <mailstore/auth/fields.hpp>

#include <string>
#include <string_view>

namespace loftadm {

// Exit codes, from sysexits.h as doveadm uses them.
inline constexpr int exit_ok = 0;
inline constexpr int exit_usage = 64;     // EX_USAGE: bad arguments
inline constexpr int exit_data_error = 65; // EX_DATAERR: a mailbox exists already, a change not possible
inline constexpr int exit_no_user = 67;   // EX_NOUSER: the user does not exist
inline constexpr int exit_not_found = 68; // doveadm's EX_NOTFOUND (EX_NOHOST): no such mailbox
inline constexpr int exit_software = 70;  // EX_SOFTWARE
inline constexpr int exit_tempfail = 75;  // EX_TEMPFAIL: backend failure; also doveadm's "Fatal:"
inline constexpr int exit_no_perm = 77;   // EX_NOPERM: authentication failed
inline constexpr int exit_config = 78;    // EX_CONFIG: the config or its auth blocks are broken

// "  key=value" per field (a bare key for a boolean), as `doveadm auth test`
// prints its extra fields.
std::string format_extra_fields(const mailstore::auth::FieldList& fields);

// "  key       : value" per field: the key padded to 10 columns, a boolean
// (empty value) as the padded key alone. `doveadm auth lookup` and
// `doveadm user -u` print fields this way.
std::string format_aligned_fields(const mailstore::auth::FieldList& fields);

// One "key\tvalue" row per field: `doveadm user`'s table.
std::string format_table_rows(const mailstore::auth::FieldList& fields);

// Removes control characters (a TAB or newline inside a value would break
// the line-per-field formats): each becomes '?'.
std::string printable(std::string_view text);

} // namespace loftadm
