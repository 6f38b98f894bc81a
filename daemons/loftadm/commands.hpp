// loftadm's command groups; main.cpp parses the command line and calls one.
// Each returns the process exit code (output.hpp).
#pragma once

#include "backend.hpp"

#include <mailstore/auth/authenticator.hpp>
#include <mailstore/config.hpp>

#include <optional>
#include <string>
#include <vector>

namespace loftadm {

struct PwOptions {
    std::string scheme;                 // -s; empty: CRYPT, as doveadm 2.3
    std::optional<std::string> password; // -p
    std::string user;                   // -u (DIGEST-MD5)
    std::optional<unsigned> rounds;     // -r, passed to hash_password_rounds as given
    std::optional<std::string> test;    // -t HASH
    bool list = false;                  // -l
    bool reverse_verify = false;        // -V
};
int run_pw(const PwOptions& options);

// -x key=value request fields (service, rip, lip, rport, lport, secured,
// session, cert_username), as doveadm's -x. Sets client.secured: true
// unless rip= is given or -x secured=no says otherwise. Returns an error
// message, or "" when every field was applied.
std::string apply_request_fields(const std::vector<std::string>& fields, mailstore::auth::ClientInfo& client);

struct AuthTestOptions {
    std::string user;
    std::optional<std::string> password;
    std::string master_user;            // -M: log in as `user` with this master's password
    std::vector<std::string> request_fields;
};
int run_auth_test(Backend& backend, const mailstore::config::Config& config, const AuthTestOptions& options);

struct LookupOptions {
    std::vector<std::string> users;
    std::string field;                  // -f: print only this field's value
    std::vector<std::string> request_fields;
};
int run_auth_lookup(Backend& backend, const LookupOptions& options);

struct UserOptions {
    std::vector<std::string> users;     // names or masks with * and ?
    std::string field;                  // -f
    std::string expand;                 // -e TEMPLATE
    bool userdb_only = false;           // -u
    std::vector<std::string> request_fields;
};
int run_user(Backend& backend, const mailstore::config::Config& config, const UserOptions& options);

} // namespace loftadm
