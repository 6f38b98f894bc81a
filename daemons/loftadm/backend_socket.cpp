// loft-authd's sockets as a backend (-a).
#include "backend.hpp"

namespace loftadm {

mailstore::Result<std::unique_ptr<Backend>> make_socket_backend(const std::string& path) {
    return mailstore::Status::error(mailstore::Status::Code::internal,
                                    "-a " + path + ": talking to loft-authd is not available in this build");
}

} // namespace loftadm
