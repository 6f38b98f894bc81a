#include <mailstore/auth/authenticator.hpp>
#include <mailstore/config.hpp>

namespace mailstore::auth {

class AuthenticatorImpl {};
struct AuthSession::State {
    std::string mechanism;
};

AuthReply AuthSession::step(std::string_view, bool) { return {}; }
const std::string& AuthSession::mechanism() const { return state_->mechanism; }
AuthSession::AuthSession(AuthSession&&) noexcept = default;
AuthSession& AuthSession::operator=(AuthSession&&) noexcept = default;
AuthSession::~AuthSession() = default;
AuthSession::AuthSession(std::unique_ptr<State> state) : state_(std::move(state)) {}

Result<Authenticator> Authenticator::create(const config::Config&, log::Logger) {
    return Status::error(Status::Code::internal, "authentication: not implemented yet");
}
Authenticator::Authenticator(std::shared_ptr<AuthenticatorImpl> impl) : impl_(std::move(impl)) {}
std::vector<MechanismInfo> Authenticator::mechanisms() const { return {}; }
Result<AuthSession> Authenticator::begin(std::string_view, const ClientInfo&) const {
    return Status::not_found("not implemented yet");
}
AuthReply Authenticator::verify_plain(std::string_view, std::string_view, const ClientInfo&) const { return {}; }
LookupResult Authenticator::lookup_user(std::string_view, const ClientInfo&) const { return {}; }
LookupResult Authenticator::lookup_pass(std::string_view, const ClientInfo&) const { return {}; }
Status Authenticator::iterate_users(const std::function<bool(std::string_view)>&) const {
    return Status::error(Status::Code::internal, "not implemented yet");
}
void Authenticator::flush_cache() const {}
Authenticator::CacheStats Authenticator::cache_stats() const { return {}; }

} // namespace mailstore::auth
