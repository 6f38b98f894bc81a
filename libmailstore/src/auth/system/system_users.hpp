// Helpers shared by the system-user drivers: reentrant getpwnam/getspnam
// with a growing buffer, and the driver args they accept.
#pragma once

#include "auth/db/drivers.hpp"

#include <pwd.h>
#include <shadow.h>

#include <string>
#include <string_view>
#include <vector>

namespace mailstore::auth::system {

// Buffers for the reentrant lookups grow up to this size.
inline constexpr std::size_t pw_buffer_max = 1024 * 1024;

enum class Found { yes, no, error };

struct PasswdEntry {
    Found found = Found::no;
    std::string error; // Found::error: strerror of the failure
    std::string name, passwd, gecos, dir, shell;
    uid_t uid = 0;
    gid_t gid = 0;
};
PasswdEntry lookup_passwd(const std::string& user);

struct ShadowEntry {
    Found found = Found::no;
    std::string error;
    std::string hash;
};
ShadowEntry lookup_shadow(const std::string& user);

// Checks `args` for the options passwd/shadow accept (`blocking=yes|no`,
// which Loft ignores: lookups always run in the caller's thread).
Status check_plain_args(const DriverArgs& args);

} // namespace mailstore::auth::system
