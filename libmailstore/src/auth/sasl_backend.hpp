// sasl::Backend over the passdb and userdb chains: what every login goes
// through, SASL or verify_plain(). It keeps the request of the exchange so
// the framework can build the reply (user, master_user, fields) and the
// failure log line from it once the mechanism has decided.
#pragma once

#include "auth/authenticator_impl.hpp"
#include "auth/sasl/mechanism.hpp"

#include <string>
#include <string_view>

namespace mailstore::auth {

class SaslBackend final : public sasl::Backend {
public:
    SaslBackend(const AuthenticatorImpl& impl, const ClientInfo& client, std::string_view mechanism);

    sasl::Verdict verify_password(std::string_view authzid, std::string_view authcid,
                                  std::string_view password) override;
    sasl::Verdict lookup_credentials(std::string_view authzid, std::string_view authcid, std::string_view scheme,
                                     std::string& out) override;
    sasl::Verdict credentials_verified() override;
    sasl::Verdict login_without_password(std::string_view authzid, std::string_view user) override;
    const ClientInfo& client() const override { return request_.client; }

    const AuthRequest& request() const { return request_; }
    // The name the client tried (for the failure line): the target of a
    // master login, else the login name as formatted (or as sent, when it
    // was refused before formatting).
    const std::string& attempted_user() const { return attempted_; }
    // The user name a failure reply carries (FAIL user=, as Dovecot sends
    // it): the attempted name after auth_username_format (and a passdb
    // user= rename); for a master login its target user. Empty when the
    // login was refused before the name was formatted (invalid characters,
    // a malformed message).
    const std::string& reply_user() const { return reply_user_; }
    // Whose failure penalty a failure counts against: the account whose
    // password was checked (for a master login the master user), as
    // formatted; empty when no name was known.
    const std::string& penalty_user() const { return master_login_ ? master_ : reply_user_; }
    // Why the login failed, for the log line ("password mismatch", ...).
    const std::string& failure_reason() const { return failure_reason_; }
    // A reason the client may see (nologin's reason=), else empty.
    const std::string& client_reason() const { return client_reason_; }

private:
    // Names, then the first passdb chain (master or normal) in `mode`.
    sasl::Verdict start(std::string_view authzid, std::string_view authcid, PassdbMode mode,
                        std::string_view scheme, std::string_view password);
    // After the password or proof checked out: the master target, nologin,
    // allow_nets and the userdb chain.
    sasl::Verdict finish();
    sasl::Verdict fail(sasl::Verdict verdict, std::string reason);

    const AuthenticatorImpl& impl_;
    AuthRequest request_;
    std::string attempted_;
    std::string reply_user_;
    std::string target_;     // master login: who to log in as
    std::string master_;     // master login: the master user, formatted
    bool master_login_ = false;
    bool pass_ = false;      // the master passdb had pass=yes
    bool pending_ = false;   // lookup_credentials succeeded, finish() not yet run
    std::string credentials_;
    std::string last_driver_ = "passdb"; // the passdb that decided, for log lines
    std::string failure_reason_, client_reason_;
};

} // namespace mailstore::auth
