// The passdb and userdb driver interfaces and the factory for every driver.
// A driver is created once per passdb { } / userdb { } block and used from
// many threads at once: its lookups must be thread-safe.
#pragma once

#include "auth/request.hpp"

#include <mailstore/auth/fields.hpp>
#include <mailstore/config.hpp>
#include <mailstore/log.hpp>
#include <mailstore/status.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace mailstore::auth {

struct PassdbResult {
    enum class Kind {
        ok,                // found; `password` holds the stored password (or nopassword is set)
        user_unknown,      // no such user here
        password_mismatch, // only from verify(): the driver checked the password itself
        internal_failure,  // the backend failed (file unreadable, SQL error): a temporary error
    };
    Kind kind = Kind::user_unknown;
    // The stored password: "{SCHEME}data", or bare data in default_scheme.
    // Empty when the passdb has no password for the user.
    std::string password;
    std::string default_scheme = "PLAIN";
    // Extra fields: user, nologin, reason, nodelay, nopassword, allow_nets,
    // proxy, host, ..., and userdb_* for prefetch.
    FieldList fields;
    std::string error; // internal_failure: for the log
};

struct UserdbResult {
    enum class Kind { ok, user_unknown, internal_failure };
    Kind kind = Kind::user_unknown;
    FieldList fields; // uid, gid, home, mail, ..., and `user` to rename
    std::string error;
};

class MAILSTORE_INTERNAL_API PassdbDriver {
public:
    virtual ~PassdbDriver() = default;
    // Looks up `request.user`: the stored password and extra fields. The
    // framework compares the password.
    virtual PassdbResult lookup(const AuthRequest& request) = 0;
    // Drivers that never reveal a password (pam) check it themselves: they
    // return true here and implement verify().
    virtual bool verifies_plaintext() const { return false; }
    // Whether lookups may return a plaintext password (APOP needs one, so
    // POP3 offers it only when some passdb may): passwd-file says so from
    // its scheme=, the system passdbs never, others (sql, static) may.
    virtual bool may_store_plaintext() const { return !verifies_plaintext(); }
    virtual PassdbResult verify(const AuthRequest& request, std::string_view password) {
        (void)password;
        return lookup(request);
    }
    // The %variable template naming what a result depends on (for the auth
    // cache); empty: do not cache this driver's results.
    virtual std::string cache_key() const { return "%u"; }
    // Changes whenever the data behind the driver changed (a passwd-file
    // was re-read): the auth cache drops results of an older generation.
    virtual std::uint64_t generation() const { return 0; }
};

class MAILSTORE_INTERNAL_API UserdbDriver {
public:
    virtual ~UserdbDriver() = default;
    virtual UserdbResult lookup(const AuthRequest& request) = 0;
    // Listing users (loftadm user '*'): drivers that cannot list keep these.
    virtual bool can_iterate() const { return false; }
    virtual Status iterate(const std::function<bool(std::string_view user)>& each) {
        (void)each;
        return Status::error(Status::Code::not_found, "this userdb cannot list its users");
    }
    virtual std::string cache_key() const { return "%u"; }
    virtual std::uint64_t generation() const { return 0; }
};

// What a driver is created from: a passdb { } or userdb { } block.
struct DriverArgs {
    std::string driver;     // "passwd-file"
    std::string args;       // the block's args, unexpanded
    config::Location where; // of `args` (or the block) for messages
    const config::Config* config = nullptr;
    log::Logger log;
    // For a static userdb without allow_all_users: does this user exist in
    // the passdbs? (Set by the framework for userdb drivers.)
    std::function<PassdbResult(const AuthRequest&)> passdb_lookup;
};

// Creates the driver `args.driver` (errors name args.where and the problem).
MAILSTORE_INTERNAL_API Result<std::unique_ptr<PassdbDriver>> make_passdb(const DriverArgs& args);
MAILSTORE_INTERNAL_API Result<std::unique_ptr<UserdbDriver>> make_userdb(const DriverArgs& args);

// One factory per driver; make_passdb/make_userdb dispatch to these.
MAILSTORE_INTERNAL_API Result<std::unique_ptr<PassdbDriver>> make_passwd_file_passdb(const DriverArgs& args);
MAILSTORE_INTERNAL_API Result<std::unique_ptr<UserdbDriver>> make_passwd_file_userdb(const DriverArgs& args);
MAILSTORE_INTERNAL_API Result<std::unique_ptr<PassdbDriver>> make_static_passdb(const DriverArgs& args);
MAILSTORE_INTERNAL_API Result<std::unique_ptr<UserdbDriver>> make_static_userdb(const DriverArgs& args);
MAILSTORE_INTERNAL_API Result<std::unique_ptr<UserdbDriver>> make_prefetch_userdb(const DriverArgs& args);
// System users: userdb passwd (getpwnam), passdb passwd (the crypt() hash
// in /etc/passwd), passdb shadow (getspnam), passdb pam.
MAILSTORE_INTERNAL_API Result<std::unique_ptr<UserdbDriver>> make_passwd_userdb(const DriverArgs& args);
MAILSTORE_INTERNAL_API Result<std::unique_ptr<PassdbDriver>> make_passwd_passdb(const DriverArgs& args);
MAILSTORE_INTERNAL_API Result<std::unique_ptr<PassdbDriver>> make_shadow_passdb(const DriverArgs& args);
MAILSTORE_INTERNAL_API Result<std::unique_ptr<PassdbDriver>> make_pam_passdb(const DriverArgs& args);
// SQL: args is the path of a dovecot-sql.conf.ext-style file.
MAILSTORE_INTERNAL_API Result<std::unique_ptr<PassdbDriver>> make_sql_passdb(const DriverArgs& args);
MAILSTORE_INTERNAL_API Result<std::unique_ptr<UserdbDriver>> make_sql_userdb(const DriverArgs& args);

// Splits a Dovecot field string "key=value key2 key3=value with=more" on
// spaces into fields (values cannot contain spaces; passwd-file extra
// fields, default_fields/override_fields, static args). Values may contain
// %variables; they are not expanded here.
MAILSTORE_INTERNAL_API FieldList parse_field_string(std::string_view text);

} // namespace mailstore::auth
