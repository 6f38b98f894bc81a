// loftadm's command groups; main.cpp parses the command line and calls one.
// Each returns the process exit code (output.hpp).
#pragma once

#include "backend.hpp"

#include <mailstore/auth/authenticator.hpp>
#include <mailstore/config.hpp>

#include <cstdint>
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

// ---- Storage commands (cmd_mailbox.cpp, cmd_import.cpp, cmd_index.cpp) ----
// Each looks USER up through `backend` (the userdb chain, or loft-authd with
// -a) and opens the mail user as a mail process would (service "doveadm").
// Exit codes as doveadm 2.3.19: 67 unknown user, 68 a mailbox that does not
// exist, 65 one that already exists or a change that is not possible, 64 a
// bad name or field, 75 a temporary or I/O failure (output.hpp).

struct MailboxListOptions {
    std::string user;                   // a name, or a mask with * and ? (several users)
    bool all_users = false;             // -A: every user the userdbs list
    bool subscribed = false;            // -s: subscribed mailboxes only
    std::vector<std::string> masks;     // '*' and '%' wildcards; none = every mailbox
};
int run_mailbox_list(Backend& backend, const mailstore::config::Config& config, const MailboxListOptions& options);

struct MailboxCreateOptions {
    std::string user;
    bool subscribe = false;             // -s
    std::string special_use;            // --special-use "\\Sent" (RFC 6154 CREATE USE)
    std::vector<std::string> names;
};
int run_mailbox_create(Backend& backend, const mailstore::config::Config& config, const MailboxCreateOptions& options);

struct MailboxDeleteOptions {
    std::string user;
    bool recursive = false;             // -r: children first
    bool unsubscribe = false;           // -s
    std::vector<std::string> names;
};
int run_mailbox_delete(Backend& backend, const mailstore::config::Config& config, const MailboxDeleteOptions& options);

struct MailboxRenameOptions {
    std::string user;
    bool subscriptions = false;         // -s: move the subscription too
    std::string from;
    std::string to;
};
int run_mailbox_rename(Backend& backend, const mailstore::config::Config& config, const MailboxRenameOptions& options);

struct MailboxSubscribeOptions {
    std::string user;
    bool subscribe = true;              // false: unsubscribe
    std::vector<std::string> names;
};
int run_mailbox_subscribe(Backend& backend, const mailstore::config::Config& config,
                          const MailboxSubscribeOptions& options);

struct MailboxStatusOptions {
    std::string user;                   // a name, or a mask with * and ? (several users)
    bool all_users = false;             // -A: every user the userdbs list
    bool totals = false;                // -t: one line of sums
    std::string fields;                 // "messages unseen", "all"
    std::vector<std::string> names;     // names or masks
};
int run_mailbox_status(Backend& backend, const mailstore::config::Config& config, const MailboxStatusOptions& options);

struct ForceResyncOptions {
    std::string user;                   // a name, or a mask with * and ? (several users)
    bool all_users = false;             // -A: every user the userdbs list
    std::vector<std::string> names;     // names or masks ('*': every mailbox)
};
int run_force_resync(Backend& backend, const mailstore::config::Config& config, const ForceResyncOptions& options);

struct ImportOptions {
    std::string user;
    bool subscribe = false;             // -s: subscribe DEST when it is created
    std::string source;                 // an mbox file or a Maildir directory
    std::string dest;                   // mailbox name
    std::uint32_t batch = 500;          // messages per transaction
};
int run_import(Backend& backend, const mailstore::config::Config& config, const ImportOptions& options);

struct IndexDumpOptions {
    std::string user;                   // with `mailbox`: that mailbox's index
    std::string target;                 // MAILBOX with -u, else an index directory or file
};
int run_index_dump(Backend& backend, const mailstore::config::Config& config, const IndexDumpOptions& options);

// ---- Connected users (cmd_who.cpp) ----
// Through every worker's admin socket (docs/admin-socket.md): by default
// those in BASE_DIR/admin, else in the -a directories.

struct WhoOptions {
    std::vector<std::string> admin_dirs; // -a DIR (repeatable)
    std::string mask;                    // a user mask with * and ?, or an IP / network
    bool separate = false;               // -1: one line per connection
};
int run_who(const mailstore::config::Config& config, const WhoOptions& options);

struct KickOptions {
    std::vector<std::string> admin_dirs; // -a DIR (repeatable)
    std::string user;                    // user name (or a connection id)
};
int run_kick(const mailstore::config::Config& config, const KickOptions& options);

} // namespace loftadm
