// Preparing ./var for the built-in default: directories, the demo user, the
// self-signed certificate and the mail user the workers run as. First start
// creates them; later starts reuse them (and repair ownership and modes).
#pragma once

#include "builtin_default.hpp"
#include "privileges.hpp"

#include <mailstore/status.hpp>

#include <optional>
#include <string>

namespace loftd {

struct BuiltinSetup {
    BuiltinDefaultOptions options;
    std::string config_text;     // builtin_default_config(options)
    std::string demo_user = "demo";
    std::string demo_password;   // "" when var/demo-password is gone
    bool users_created = false;  // this start created var/users
    bool cert_created = false;   // this start created var/tls/*.pem
    // When loftd runs as root: who the workers run as, and why that user.
    std::optional<loft::Credentials> mail_credentials;
    std::string mail_user_reason;
    // A problem the admin should hear about (e.g. the mail user cannot
    // reach var because a parent directory is closed to it); "" if none.
    std::string warning;
};

// The absolute path of ./var in the current directory.
std::string default_var_dir();

// Whether ::1 can be bound (IPv6 may be disabled on the host).
bool ipv6_loopback_available();

// Create or reuse everything under `var_dir` and produce the config text.
mailstore::Result<BuiltinSetup> prepare_builtin_default(const std::string& var_dir);

} // namespace loftd
