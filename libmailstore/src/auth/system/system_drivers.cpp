#include "auth/db/drivers.hpp"

namespace mailstore::auth {
namespace {
Status not_yet(const DriverArgs& a) {
    return Status::invalid(a.where.to_string() + ": driver " + a.driver + " is not implemented yet");
}
} // namespace
Result<std::unique_ptr<UserdbDriver>> make_passwd_userdb(const DriverArgs& a) { return not_yet(a); }
Result<std::unique_ptr<PassdbDriver>> make_passwd_passdb(const DriverArgs& a) { return not_yet(a); }
Result<std::unique_ptr<PassdbDriver>> make_shadow_passdb(const DriverArgs& a) { return not_yet(a); }
Result<std::unique_ptr<PassdbDriver>> make_pam_passdb(const DriverArgs& a) { return not_yet(a); }
} // namespace mailstore::auth
