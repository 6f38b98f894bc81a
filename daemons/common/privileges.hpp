// Who a worker process runs as, and becoming that user.
//
// loftd stays root; every worker it starts gives up root before it execs the
// service binary. The rules live here so loftd, the tests and any daemon run
// on its own apply the same ones: uid 0 is never a worker uid, and uids below
// first_valid_uid (system accounts) are refused.
#pragma once

#include <mailstore/status.hpp>

#include <string>
#include <string_view>
#include <sys/types.h>
#include <vector>

namespace loft {

// A user account as the system's user database (NSS) reports it.
struct UserAccount {
    std::string name;
    uid_t uid = 0;
    gid_t gid = 0; // primary group
    std::string home;
};

// `name_or_uid` is a user name or a numeric uid. A numeric uid without a
// passwd entry is accepted (name = the number, gid = the uid), the way Dovecot
// accepts `mail_uid = 5000`. Fails with not_found naming the user.
mailstore::Result<UserAccount> lookup_user(std::string_view name_or_uid);

// `name_or_gid` is a group name or a numeric gid.
mailstore::Result<gid_t> lookup_group(std::string_view name_or_gid);

// The identity a worker runs as.
struct Credentials {
    std::string user_name; // for messages and initgroups()
    uid_t uid = 0;
    gid_t gid = 0;
    // Supplementary groups from the group database (initgroups); false keeps
    // only `gid`, for numeric uids that have no passwd entry.
    bool init_supplementary_groups = true;

    std::string describe() const; // "nobody (uid 65534, gid 65534)"
};

// Resolve the user (and optional group; empty = the user's primary group)
// that a worker should run as. `what` names where the setting came from
// ("mail_uid", "service imap-login { user }") for error messages.
mailstore::Result<Credentials> resolve_credentials(std::string_view user, std::string_view group,
                                                   std::string_view what);

// The refusal rules: uid 0 and gid 0 are never allowed; uid < first_valid_uid
// and (when last_valid_uid != 0) uid > last_valid_uid are refused. The
// message names the setting and the fix.
mailstore::Status check_worker_credentials(const Credentials& creds, std::string_view what,
                                           unsigned long first_valid_uid,
                                           unsigned long last_valid_uid = 0);

// Become `creds` for good: supplementary groups, then gid, then uid (in that
// order: after setuid() the process may no longer change its groups), and
// verify that root cannot be regained.
mailstore::Status drop_privileges(const Credentials& creds);

// Same, with the supplementary group list resolved in advance (for use
// between fork() and exec() in a multi-threaded parent, where NSS calls are
// not safe): only setgroups/setgid/setuid and checks, no allocation.
// On failure returns the errno and stores a static description in `*step`.
int drop_privileges_prepared(uid_t uid, gid_t gid, const std::vector<gid_t>& groups,
                             const char** step) noexcept;

// The supplementary groups of `creds` (initgroups() semantics), resolved in
// the parent so the child needs no NSS lookup.
std::vector<gid_t> supplementary_groups(const Credentials& creds);

} // namespace loft
