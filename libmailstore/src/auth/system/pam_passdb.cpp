// passdb { driver = pam  args = [session=yes] [setcred=yes]
// [failure_show_msg=yes] [max_requests=N] [cache_key=KEY] [SERVICE] }:
// the password is checked by PAM (pam_authenticate, then pam_acct_mgmt),
// so the driver never sees a stored password and only plaintext
// mechanisms (PLAIN, LOGIN) work with it.
#include "auth/system/system_users.hpp"

#include <security/pam_appl.h>

#include <cstdlib>
#include <cstring>
#include <mutex>
#include <sstream>

namespace mailstore::auth {
namespace {

// PAM modules are not all thread-safe (pam_unix keeps static state, some
// NSS modules too): one PAM transaction at a time in this process.
std::mutex pam_mutex;

// What the conversation function answers with, and what it heard.
struct Conversation {
    std::string user;
    std::string password;
    std::string message; // the last PAM_ERROR_MSG / PAM_TEXT_INFO
};

// The PAM conversation (pam_conv(3)): the password for a hidden prompt,
// the user name for a visible one; messages are remembered. The replies
// are malloc'ed: PAM frees them.
extern "C" int loft_pam_conv(int num_msg, const struct pam_message** msg, struct pam_response** resp,
                             void* appdata) {
    if (num_msg <= 0 || num_msg > PAM_MAX_NUM_MSG || appdata == nullptr)
        return PAM_CONV_ERR;
    auto* conv = static_cast<Conversation*>(appdata);
    auto* replies = static_cast<struct pam_response*>(std::calloc(static_cast<std::size_t>(num_msg), sizeof(struct pam_response)));
    if (replies == nullptr)
        return PAM_BUF_ERR;
    for (int i = 0; i < num_msg; ++i) {
        const char* answer = nullptr;
        switch (msg[i]->msg_style) {
        case PAM_PROMPT_ECHO_OFF:
            answer = conv->password.c_str();
            break;
        case PAM_PROMPT_ECHO_ON:
            answer = conv->user.c_str();
            break;
        case PAM_ERROR_MSG:
        case PAM_TEXT_INFO:
            if (msg[i]->msg != nullptr)
                conv->message.assign(msg[i]->msg, strnlen(msg[i]->msg, PAM_MAX_MSG_SIZE));
            break;
        default:
            break;
        }
        if (answer != nullptr) {
            replies[i].resp = strdup(answer);
            if (replies[i].resp == nullptr) {
                for (int j = 0; j < i; ++j) {
                    if (replies[j].resp != nullptr) {
                        explicit_bzero(replies[j].resp, std::strlen(replies[j].resp));
                        std::free(replies[j].resp);
                    }
                }
                std::free(replies);
                return PAM_BUF_ERR;
            }
        }
    }
    *resp = replies;
    return PAM_SUCCESS;
}

// PAM_FAIL_DELAY: the framework applies auth_failure_delay itself; a
// module's own delay (pam_unix's 2 s) would only hold the PAM lock.
extern "C" void loft_pam_no_delay(int, unsigned, void*) {}

struct PamOptions {
    bool session = false;
    bool setcred = false;
    bool failure_show_msg = false;
    std::string cache_key;
    std::string service = "dovecot";
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

        Conversation conv{request.user, std::string(password), {}};
        struct pam_conv pc {loft_pam_conv, &conv};
        std::string where;
        int rc;
        {
            std::lock_guard lock(pam_mutex);
            pam_handle_t* h = nullptr;
            rc = pam_start(service.c_str(), request.user.c_str(), &pc, &h);
            if (rc != PAM_SUCCESS) {
                where = "pam_start";
            } else {
                if (!request.client.remote_ip.empty())
                    pam_set_item(h, PAM_RHOST, request.client.remote_ip.c_str());
                pam_set_item(h, PAM_FAIL_DELAY, reinterpret_cast<const void*>(&loft_pam_no_delay));
                rc = pam_authenticate(h, PAM_SILENT);
                where = "pam_authenticate";
                if (rc == PAM_SUCCESS) {
                    rc = pam_acct_mgmt(h, PAM_SILENT);
                    where = "pam_acct_mgmt";
                }
                if (rc == PAM_SUCCESS && opt_.setcred) {
                    rc = pam_setcred(h, PAM_ESTABLISH_CRED);
                    where = "pam_setcred";
                }
                if (rc == PAM_SUCCESS && opt_.session) {
                    // Opened and closed at once: the session modules run
                    // (lastlog, mkhomedir) without a long-lived session.
                    rc = pam_open_session(h, 0);
                    where = "pam_open_session";
                    if (rc == PAM_SUCCESS)
                        pam_close_session(h, 0);
                }
                if (opt_.setcred && where != "pam_setcred" && rc == PAM_SUCCESS)
                    pam_setcred(h, PAM_DELETE_CRED);
                std::string err = pam_strerror(h, rc);
                pam_end(h, rc);
                if (rc != PAM_SUCCESS)
                    where += "() failed: " + err;
            }
        }
        explicit_bzero(conv.password.data(), conv.password.size());
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
            if (opt_.failure_show_msg && !conv.message.empty())
                r.fields.set("reason", conv.message);
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
        } else if (key == "cache_key") {
            opt.cache_key = value;
        } else if (key == "blocking") {
            // Accepted for old configs; PAM calls always run in the caller.
        } else {
            return bad("unknown argument '" + key + "'");
        }
    }
    return std::unique_ptr<PassdbDriver>(std::make_unique<PamPassdb>(std::move(opt)));
}

} // namespace mailstore::auth
