#include "auth/request.hpp"

namespace mailstore::auth {

Result<std::string> AuthRequest::expand(std::string_view text, const std::function<std::string(std::string_view)>&,
                                        bool) const {
    return std::string(text);
}

std::string driver_log_prefix(std::string_view driver, const AuthRequest& request) {
    return std::string(driver) + "(" + request.user + "," + request.client.remote_ip + ")";
}

} // namespace mailstore::auth
