// passdb { driver = pam  args = [session=yes] [setcred=yes]
// [failure_show_msg=yes] [max_requests=N] [cache_key=KEY] [timeout=TIME]
// [max_queue=N] [SERVICE] }:
// the password is checked by PAM (pam_authenticate, then pam_acct_mgmt),
// so the driver never sees a stored password and only plaintext
// mechanisms (PLAIN, LOGIN) work with it. The transaction runs on the PAM
// thread (pam_thread.hpp): a caller waits at most `timeout` (30 s).
#include "auth/system/system_users.hpp"

#include "auth/system/pam_thread.hpp"

#include <security/pam_appl.h>

#include <sstream>

namespace mailstore::auth {
namespace {

struct PamOptions {
    bool session = false;
    bool setcred = false;
    bool failure_show_msg = false;
    std::string cache_key;
    std::string service = "dovecot";
    system::PamLimits limits;
};

class PamPassdb final : public PassdbDriver {
public:
    explicit PamPassdb(PamOptions opt) : opt_(std::move(opt)) {}

    bool verifies_plaintext() const override { return true; }

    // PAM reveals no stored password: a lookup without one cannot be
    // answered.
    PassdbResult lookup(const AuthRequest& request) override {
        PassdbResult r;
        r.kind = PassdbResult::Kind::internal_failure;
        r.error = "pam: cannot look up users without a password (PAM only verifies plaintext passwords)";
        request.log.error(driver_log_prefix("pam", request) + ": " + r.error.substr(5));
        return r;
    }

    PassdbResult verify(const AuthRequest& request, std::string_view password) override {
        PassdbResult r;
        std::string service = opt_.service;
        if (service == "*")
            service = "%s"; // Dovecot's old spelling
        if (service.find('%') != std::string::npos) {
            auto s = request.expand(service);
            if (!s)
                return failure(request, r, "service name " + service + ": " + s.status().message());
            service = *s;
            if (service == "%s") // no expansion available: the protocol service itself
                service = request.client.service;
        }
        if (service.empty())
            return failure(request, r, "empty PAM service name");

        system::PamTransaction t;
        t.service = service;
        t.user = request.user;
        t.password = std::string(password);
        t.rhost = request.client.remote_ip;
        t.setcred = opt_.setcred;
        t.session = opt_.session;
        // On the PAM thread, so a slow or stuck module holds this thread
        // for at most the timeout.
        system::PamOutcome out = system::run_pam(std::move(t), opt_.limits);
        if (out.state != system::PamOutcome::State::done)
            return failure(request, r, out.error);
        const int rc = out.rc;
        const std::string& where = out.where;
        switch (rc) {
        case PAM_SUCCESS:
            r.kind = PassdbResult::Kind::ok;
            return r;
        case PAM_USER_UNKNOWN:
            r.kind = PassdbResult::Kind::user_unknown;
            request.log.info(driver_log_prefix("pam", request) + ": unknown user", log::Category::auth);
            return r;
        case PAM_AUTH_ERR:
        case PAM_PERM_DENIED:
        case PAM_ACCT_EXPIRED:
        case PAM_NEW_AUTHTOK_REQD:
        case PAM_CRED_EXPIRED:
        case PAM_MAXTRIES:
            r.kind = PassdbResult::Kind::password_mismatch;
            r.error = "pam: " + where;
            if (opt_.failure_show_msg && !out.message.empty())
                r.fields.set("reason", out.message);
            request.log.info(driver_log_prefix("pam", request) + ": " + where, log::Category::auth);
            return r;
        default: // PAM_AUTHINFO_UNAVAIL, PAM_SYSTEM_ERR, PAM_BUF_ERR, ...
            return failure(request, r, where);
        }
    }

    std::string cache_key() const override { return opt_.cache_key; }

private:
    PassdbResult failure(const AuthRequest& request, PassdbResult& r, const std::string& msg) const {
        r.kind = PassdbResult::Kind::internal_failure;
        r.error = "pam: " + msg;
        request.log.error(driver_log_prefix("pam", request) + ": " + msg);
        return r;
    }

    PamOptions opt_;
};

} // namespace

Result<std::unique_ptr<PassdbDriver>> make_pam_passdb(const DriverArgs& args) {
    PamOptions opt;
    std::istringstream in(args.args);
    std::string word;
    bool have_service = false;
    auto bad = [&](const std::string& what) {
        return Status::invalid(args.where.to_string() + ": pam: " + what);
    };
    while (in >> word) {
        if (have_service)
            return bad("unexpected argument '" + word + "' after the service name");
        std::size_t eq = word.find('=');
        if (eq == std::string::npos) {
            opt.service = word;
            have_service = true;
            continue;
        }
        std::string key = word.substr(0, eq), value = word.substr(eq + 1);
        auto yes = [&](bool& out) {
            auto b = config::parse_bool(value);
            if (!b)
                return false;
            out = *b;
            return true;
        };
        if (key == "session") {
            if (!yes(opt.session))
                return bad("session: expected yes or no, got '" + value + "'");
        } else if (key == "setcred") {
            if (!yes(opt.setcred))
                return bad("setcred: expected yes or no, got '" + value + "'");
        } else if (key == "failure_show_msg") {
            if (!yes(opt.failure_show_msg))
                return bad("failure_show_msg: expected yes or no, got '" + value + "'");
        } else if (key == "max_requests") {
            // Dovecot restarts its PAM worker processes after this many
            // requests to contain leaky modules; Loft has no such workers.
            if (!config::parse_uint(value))
                return bad("max_requests: expected a number, got '" + value + "'");
        } else if (key == "timeout") {
            // Not in Dovecot (its PAM runs in worker processes the auth
            // process does not wait on): how long a login waits for PAM.
            auto t = config::parse_time(value);
            if (!t || *t < std::chrono::milliseconds(1) || *t > std::chrono::hours(1))
                return bad("timeout: expected a time from 1ms to 1h (30s, 500ms), got '" + value + "'");
            opt.limits.timeout = *t;
        } else if (key == "max_queue") {
            auto n = config::parse_uint(value);
            if (!n || *n < 1 || *n > 10000)
                return bad("max_queue: expected a number (1-10000), got '" + value + "'");
            opt.limits.max_queue = static_cast<std::size_t>(*n);
        } else if (key == "cache_key") {
            opt.cache_key = value;
        } else if (key == "blocking") {
            // Accepted for old configs; PAM calls always run on the PAM thread.
        } else {
            return bad("unknown argument '" + key + "'");
        }
    }
    return std::unique_ptr<PassdbDriver>(std::make_unique<PamPassdb>(std::move(opt)));
}

} // namespace mailstore::auth
