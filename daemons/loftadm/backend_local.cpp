// The in-process backend: one Authenticator built from the config, as
// loft-authd builds its own.
#include "backend.hpp"

#include <mailstore/config.hpp>

namespace loftadm {

namespace auth = mailstore::auth;

namespace {

class LocalBackend final : public Backend {
public:
    explicit LocalBackend(auth::Authenticator authenticator) : authenticator_(std::move(authenticator)) {}

    auth::AuthReply verify_plain(std::string_view user, std::string_view password,
                                 const auth::ClientInfo& client) override {
        // verify_plain leaves the plaintext policy (disable_plaintext_auth)
        // to the protocol, which asks begin("PLAIN") first, as loft-authd
        // does for -a: ask it too, so that an insecure request (-x rip= or
        // -x secured=no) is refused here as it would be there. A config
        // without PLAIN in auth_mechanisms still tests its passdbs.
        if (auto session = authenticator_.begin("PLAIN", client);
            !session && session.status().code() == mailstore::Status::Code::permission_denied) {
            auth::AuthReply refused;
            refused.kind = auth::AuthReply::Kind::failure;
            // loft-authd's reason, in Dovecot's words, so both modes print
            // the same line.
            refused.reason = "Plaintext authentication disallowed on non-secure (SSL/TLS) connections.";
            return refused;
        }
        return authenticator_.verify_plain(user, password, client);
    }
    auth::LookupResult lookup_pass(std::string_view user, const auth::ClientInfo& client) override {
        return authenticator_.lookup_pass(user, client);
    }
    auth::LookupResult lookup_user(std::string_view user, const auth::ClientInfo& client) override {
        return authenticator_.lookup_user(user, client);
    }
    mailstore::Status iterate_users(const std::function<bool(std::string_view)>& each) override {
        return authenticator_.iterate_users(each);
    }

private:
    auth::Authenticator authenticator_;
};

} // namespace

mailstore::Result<std::unique_ptr<Backend>> make_local_backend(const mailstore::config::Config& config) {
    // Log lines of the auth framework go to stderr through the default
    // logger, so an admin sees why a lookup failed.
    auto created = auth::Authenticator::create(config, mailstore::log::Logger("auth"));
    if (!created) {
        return created.status();
    }
    return std::unique_ptr<Backend>(std::make_unique<LocalBackend>(std::move(created).value()));
}

} // namespace loftadm
