#include <mailstore/auth/password.hpp>

namespace mailstore::auth {

StoredPassword split_stored_password(std::string_view stored, std::string_view default_scheme) {
    return {std::string(default_scheme), std::string(stored)};
}
bool is_known_scheme(std::string_view) { return false; }
std::vector<std::string> password_schemes() { return {}; }
Result<bool> verify_password(std::string_view, std::string_view, std::string_view, std::string_view) {
    return Status::error(Status::Code::internal, "password schemes: not implemented yet");
}
Result<std::string> hash_password(std::string_view, std::string_view, std::string_view) {
    return Status::error(Status::Code::internal, "password schemes: not implemented yet");
}
Result<std::string> credentials_for(std::string_view, std::string_view, std::string_view, std::string_view) {
    return Status::error(Status::Code::internal, "password schemes: not implemented yet");
}

} // namespace mailstore::auth
