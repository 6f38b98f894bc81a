#include "auth/db/drivers.hpp"

namespace mailstore::auth {
namespace {
Status not_yet(const DriverArgs& a) {
    return Status::invalid(a.where.to_string() + ": driver " + a.driver + " is not implemented yet");
}
} // namespace
Result<std::unique_ptr<PassdbDriver>> make_passdb(const DriverArgs& a) { return not_yet(a); }
Result<std::unique_ptr<UserdbDriver>> make_userdb(const DriverArgs& a) { return not_yet(a); }
Result<std::unique_ptr<PassdbDriver>> make_passwd_file_passdb(const DriverArgs& a) { return not_yet(a); }
Result<std::unique_ptr<UserdbDriver>> make_passwd_file_userdb(const DriverArgs& a) { return not_yet(a); }
Result<std::unique_ptr<PassdbDriver>> make_static_passdb(const DriverArgs& a) { return not_yet(a); }
Result<std::unique_ptr<UserdbDriver>> make_static_userdb(const DriverArgs& a) { return not_yet(a); }
Result<std::unique_ptr<UserdbDriver>> make_prefetch_userdb(const DriverArgs& a) { return not_yet(a); }
FieldList parse_field_string(std::string_view) { return {}; }
} // namespace mailstore::auth
