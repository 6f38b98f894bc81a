// passdb { driver = passwd } and { driver = shadow }: the crypt() hash of a
// system user, from /etc/passwd (rare today: it holds "x") or /etc/shadow.
// The framework verifies it; the default scheme is CRYPT, so "$6$..." and
// the other crypt(3) formats verify as SHA512-CRYPT etc.
#include "auth/system/system_users.hpp"

namespace mailstore::auth {
namespace {

class SystemPassdb final : public PassdbDriver {
public:
    // crypt() hashes only (APOP cannot use them).
    bool may_store_plaintext() const override { return false; }
    explicit SystemPassdb(bool shadow) : shadow_(shadow) {}

    PassdbResult lookup(const AuthRequest& request) override {
        PassdbResult r;
        r.default_scheme = "CRYPT";
        const char* name = shadow_ ? "shadow" : "passwd";
        system::Found found;
        std::string error;
        if (shadow_) {
            auto e = system::lookup_shadow(request.user);
            found = e.found;
            error = e.error;
            r.password = e.hash;
        } else {
            auto e = system::lookup_passwd(request.user);
            found = e.found;
            error = e.error;
            r.password = e.passwd;
        }
        if (found == system::Found::error) {
            r.kind = PassdbResult::Kind::internal_failure;
            r.password.clear();
            r.error = std::string(name) + ": " + error;
            request.log.error(driver_log_prefix(name, request) + ": " + error);
            return r;
        }
        if (found == system::Found::no) {
            request.log.info(driver_log_prefix(name, request) + ": unknown user", log::Category::auth);
            return r;
        }
        // An empty hash lets anyone in to crypt(3)-based logins; never here.
        // "*" matches no crypt() result, so the login fails as a mismatch.
        if (r.password.empty())
            r.password = "*";
        // A hash that is braces-prefixed would be read as a scheme; crypt
        // hashes never are, but make sure the data stays CRYPT data.
        if (!r.password.empty() && r.password.front() == '{')
            r.password = "{CRYPT}" + r.password;
        // A locked or disabled account ("!", "*", "x", "!$6$...") can never
        // match a crypt() result: leave it to fail as a mismatch, as Dovecot
        // does, rather than calling it unknown.
        r.kind = PassdbResult::Kind::ok;
        return r;
    }

private:
    bool shadow_;
};

} // namespace

Result<std::unique_ptr<PassdbDriver>> make_passwd_passdb(const DriverArgs& args) {
    if (Status st = system::check_plain_args(args); !st)
        return st;
    return std::unique_ptr<PassdbDriver>(std::make_unique<SystemPassdb>(false));
}

Result<std::unique_ptr<PassdbDriver>> make_shadow_passdb(const DriverArgs& args) {
    if (Status st = system::check_plain_args(args); !st)
        return st;
    return std::unique_ptr<PassdbDriver>(std::make_unique<SystemPassdb>(true));
}

} // namespace mailstore::auth
