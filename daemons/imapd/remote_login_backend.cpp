// Placeholder until the step-wise AuthClient API lands.
#include "login_backends.hpp"

namespace imapd {

mailstore::Result<std::shared_ptr<imapproto::LoginBackend>> remote_login_backend(const AuthSockets&,
                                                                                std::chrono::milliseconds) {
    return mailstore::Status::error(mailstore::Status::Code::not_supported, "not implemented yet");
}

} // namespace imapd
