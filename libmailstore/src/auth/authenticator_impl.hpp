// What an Authenticator holds, shared by its files: the passdb and userdb
// chains (passdb_chain.cpp, userdb_chain.cpp), the settings, the cache and
// the penalty table. Internal to libmailstore.
#pragma once

#include "auth/auth_cache.hpp"
#include "auth/auth_settings.hpp"
#include "auth/db/drivers.hpp"
#include "auth/penalty.hpp"
#include "auth/request.hpp"

#include <mailstore/auth/authenticator.hpp>
#include <mailstore/config.hpp>
#include <mailstore/log.hpp>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace mailstore::auth {

// result_success / result_failure / result_internalfail.
enum class DbRule { return_ok, return_fail, return_, continue_, continue_ok, continue_fail };
std::optional<DbRule> parse_db_rule(std::string_view text);

struct PassdbBlock {
    std::string name;   // for log lines: the block name, else the driver
    std::string driver;
    config::Location where;
    std::unique_ptr<PassdbDriver> db;
    FieldList default_fields, override_fields;
    enum class Skip { never, authenticated, unauthenticated } skip = Skip::never;
    DbRule on_success = DbRule::return_ok, on_failure = DbRule::continue_, on_internalfail = DbRule::continue_;
    bool deny = false, pass = false, master = false;
    std::vector<std::string> mechanisms; // upper-case; "NONE": requests without a mechanism
    std::vector<std::string> username_filter;
    int verbose = -1; // auth_verbose override: -1 default, 0 no, 1 yes
};

struct UserdbBlock {
    std::string name;
    std::string driver;
    config::Location where;
    std::unique_ptr<UserdbDriver> db;
    FieldList default_fields, override_fields;
    enum class Skip { never, found, notfound } skip = Skip::never;
    DbRule on_success = DbRule::return_ok, on_failure = DbRule::continue_, on_internalfail = DbRule::continue_;
    int verbose = -1;
};

// How the passdb chain treats the password.
enum class PassdbMode {
    verify,      // check request.password
    credentials, // fetch the credentials of a scheme for a SASL mechanism
    lookup,      // no password: the user's existence and extra fields
};

// The outcome of running one chain.
struct ChainOutcome {
    enum class Kind { ok, mismatch, unknown, temp_fail, denied, unusable };
    Kind kind = Kind::unknown;
    std::string credentials;  // PassdbMode::credentials
    bool last_pass = false;   // the passdb that succeeded had pass=yes (master chains)
    std::string driver;       // the block that decided, for log lines
    std::string error;        // temp_fail: what failed
};

struct UserdbOutcome {
    enum class Kind { ok, unknown, temp_fail };
    Kind kind = Kind::unknown;
    std::string error;
};

class AuthenticatorImpl {
public:
    AuthSettings settings;
    log::Logger log;
    std::vector<PassdbBlock> passdbs;
    std::vector<UserdbBlock> userdbs;
    std::unique_ptr<AuthCache> cache;
    mutable PenaltyTable penalty;
    // Stored-hash checks made by the passdb chain (verify_password calls):
    // what a wrong password costs, for tests and benchmarks.
    mutable std::atomic<std::uint64_t> password_verifications{0};
    std::string hostname;

    // passdb_chain.cpp. Runs the normal (master = false) or the master
    // passdbs for request.user, merging the extra fields of each
    // successful passdb into request (user= renames, userdb_* prefetch).
    // `already_verified`: the password is known to be right (master login
    // with pass=yes): passdbs only look the user up.
    ChainOutcome run_passdbs(AuthRequest& request, bool master, PassdbMode mode, std::string_view scheme = {},
                             bool already_verified = false) const;
    bool has_master_passdbs() const;
    // userdb_chain.cpp: merges the userdbs' fields into request.userdb_fields.
    UserdbOutcome run_userdbs(AuthRequest& request) const;

    // Whether auth_verbose lines are written for a block (its own
    // auth_verbose override, else the global one).
    bool verbose(int block_override) const {
        return block_override < 0 ? (settings.verbose || settings.debug) : block_override == 1;
    }
    // auth_debug: "passwd-file(alice,192.0.2.7): Performing passdb lookup"
    // at debug level (Category::auth). Never called with a password.
    void debug_line(std::string_view driver, const AuthRequest& request, std::string_view message) const {
        if (settings.debug || settings.debug_passwords)
            log.log(log::Level::debug, log::Category::auth,
                    driver_log_prefix(driver, request) + ": " + std::string(message));
    }
    // "passwd-file(alice,192.0.2.7): unknown user" at info when verbose.
    void verbose_line(int block_override, std::string_view driver, const AuthRequest& request,
                      std::string_view message) const;
};

// Fields of a default_fields/override_fields string with their values
// %expanded for `request`; a value that fails to expand is kept as written.
FieldList expand_fields(const FieldList& fields, const AuthRequest& request);

// Dovecot's username_filter: space-separated wildcard patterns (* and ?),
// "!pattern" excludes. Empty: every user.
bool username_filter_matches(const std::vector<std::string>& filter, std::string_view user);

} // namespace mailstore::auth
