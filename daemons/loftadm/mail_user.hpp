// What every storage command of loftadm does first: look the user up in the
// userdbs and open its mail storage; and how storage errors become doveadm's
// messages and exit codes.
#pragma once

#include "backend.hpp"

#include <mailstore/config.hpp>
#include <mailstore/status.hpp>
#include <mailstore/storage/user.hpp>

#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace loftadm {

// Looks `username` up (service "doveadm") and opens the mail user into
// `out`. Returns exit_ok, or prints the reason to stderr and returns the exit
// code: 67 with "loftadm: user X doesn't exist" for a user the userdbs don't
// know, 75 for a lookup failure, the storage's code (exit_code_of) when the
// mail location cannot be used.
int open_mail_user(Backend& backend, const mailstore::config::Config& config, const std::string& username,
                   std::optional<mailstore::storage::User>& out);

// Runs `each` for one user (`username`), or for several as doveadm's -A
// (`all_users`: every user the userdbs can list) and -u MASK (a name with
// '*' or '?': the listed users matching it) do. With several users `prefix`
// is "USER " (doveadm prints the user first on each line), else "". A user
// listed but no longer found is skipped. Returns the last failure's code.
int for_each_mail_user(Backend& backend, const mailstore::config::Config& config, const std::string& username,
                       bool all_users,
                       const std::function<int(const mailstore::storage::User&, const std::string& prefix)>& each);

// doveadm's exit code for a failed storage call: 68 not found, 65 already
// exists, 64 a bad name or argument, 77 permission denied, 75 otherwise.
int exit_code_of(const mailstore::Status& status);

// Prints "Error: WHAT: MESSAGE" to stderr (control characters made '?') and
// returns exit_code_of(status).
int report_error(std::string_view what, const mailstore::Status& status);

// True when a mailbox argument is a pattern ('*' or '%').
bool has_wildcards(std::string_view name);

} // namespace loftadm
