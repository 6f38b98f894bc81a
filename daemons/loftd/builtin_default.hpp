// The built-in default configuration: what loftd (and `make run`) serves
// when there is no config file. It is config text, not a hard-wired set of
// values, so it goes through the same parser and validation as a real file,
// the workers read it the same way, and `loftconf` can show it.
#pragma once

#include <cstdint>
#include <string>

namespace loftd {

// The ports of the built-in default: the standard ones plus 10000 (14190 for
// ManageSieve), unprivileged, so nobody needs root to try Loft.
struct BuiltinPorts {
    static constexpr std::uint16_t imap = 10143;
    static constexpr std::uint16_t imaps = 10993;
    static constexpr std::uint16_t pop3 = 10110;
    static constexpr std::uint16_t pop3s = 10995;
    static constexpr std::uint16_t lmtp = 10024;
    static constexpr std::uint16_t managesieve = 14190;
};

struct BuiltinDefaultOptions {
    std::string var_dir;    // absolute path of ./var
    std::string mail_user;  // mail_uid; empty when loftd does not run as root
    std::string mail_group; // mail_gid
    bool ipv6 = true;       // listen on ::1 as well as 127.0.0.1
};

// The config text of the built-in default for `options`: loopback only, data,
// users, certificate and runtime files under var_dir.
std::string builtin_default_config(const BuiltinDefaultOptions& options);

} // namespace loftd
