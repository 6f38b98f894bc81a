#include <imapproto/login_backend.hpp>

namespace imapproto {

std::shared_ptr<LoginBackend> authenticator_backend(std::shared_ptr<const mailstore::auth::Authenticator>) {
    return nullptr;
}

} // namespace imapproto
