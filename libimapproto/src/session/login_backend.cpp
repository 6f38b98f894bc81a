// A LoginBackend over an in-process Authenticator: what unit tests,
// embedding programs and loft-imapd without loft-authd use.
#include <imapproto/login_backend.hpp>

namespace imapproto {

namespace {

namespace auth = mailstore::auth;

class AuthExchange final : public SaslExchange {
public:
    explicit AuthExchange(auth::AuthSession session) : session_(std::move(session)) {}
    auth::AuthReply step(std::string_view response, bool has_initial_response) override {
        return session_.step(response, has_initial_response);
    }

private:
    auth::AuthSession session_;
};

class AuthenticatorBackend final : public LoginBackend {
public:
    explicit AuthenticatorBackend(std::shared_ptr<const auth::Authenticator> a) : auth_(std::move(a)) {}

    std::vector<auth::MechanismInfo> mechanisms() const override { return auth_->mechanisms(); }

    mailstore::Result<std::unique_ptr<SaslExchange>> begin(std::string_view mechanism,
                                                           const auth::ClientInfo& client) override {
        auto s = auth_->begin(mechanism, client);
        if (!s)
            return s.status();
        return std::unique_ptr<SaslExchange>(std::make_unique<AuthExchange>(std::move(*s)));
    }

    auth::AuthReply verify_plain(std::string_view user, std::string_view password,
                                 const auth::ClientInfo& client) override {
        return auth_->verify_plain(user, password, client);
    }

    auth::LookupResult lookup_user(std::string_view user, const auth::ClientInfo& client) override {
        return auth_->lookup_user(user, client);
    }

private:
    std::shared_ptr<const auth::Authenticator> auth_;
};

} // namespace

std::shared_ptr<LoginBackend> authenticator_backend(std::shared_ptr<const auth::Authenticator> authenticator) {
    if (!authenticator)
        return nullptr;
    return std::make_shared<AuthenticatorBackend>(std::move(authenticator));
}

} // namespace imapproto
