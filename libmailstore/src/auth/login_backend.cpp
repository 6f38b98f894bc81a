// A LoginBackend over an in-process Authenticator: what unit tests,
// embedding programs and daemons without loft-authd use.
#include <mailstore/auth/login_backend.hpp>

namespace mailstore::auth {

namespace {

class AuthExchange final : public SaslExchange {
public:
    explicit AuthExchange(AuthSession session) : session_(std::move(session)) {}
    AuthReply step(std::string_view response, bool has_initial_response) override {
        return session_.step(response, has_initial_response);
    }

private:
    AuthSession session_;
};

class AuthenticatorBackend final : public LoginBackend {
public:
    explicit AuthenticatorBackend(std::shared_ptr<const Authenticator> a) : auth_(std::move(a)) {}

    std::vector<MechanismInfo> mechanisms() const override { return auth_->mechanisms(); }

    Result<std::unique_ptr<SaslExchange>> begin(std::string_view mechanism,
                                                           const ClientInfo& client) override {
        auto s = auth_->begin(mechanism, client);
        if (!s)
            return s.status();
        return std::unique_ptr<SaslExchange>(std::make_unique<AuthExchange>(std::move(*s)));
    }

    AuthReply verify_plain(std::string_view user, std::string_view password,
                                 const ClientInfo& client) override {
        return auth_->verify_plain(user, password, client);
    }

    LookupResult lookup_user(std::string_view user, const ClientInfo& client) override {
        return auth_->lookup_user(user, client);
    }

private:
    std::shared_ptr<const Authenticator> auth_;
};

} // namespace

std::shared_ptr<LoginBackend> authenticator_backend(std::shared_ptr<const Authenticator> authenticator) {
    if (!authenticator)
        return nullptr;
    return std::make_shared<AuthenticatorBackend>(std::move(authenticator));
}

} // namespace mailstore::auth
