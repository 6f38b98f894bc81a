// The auth_* settings the framework acts on, read once from the Config when
// an Authenticator is created (docs/auth.md lists them with their defaults).
#pragma once

#include <mailstore/export.hpp>

#include <mailstore/config.hpp>
#include <mailstore/status.hpp>

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace mailstore::auth {

struct AuthSettings {
    std::vector<std::string> mechanisms; // upper-case, config order
    std::string username_format = "%Lu";
    std::string username_chars;          // empty: every character allowed
    std::string default_realm;
    std::vector<std::string> realms;
    std::string master_user_separator;
    std::string anonymous_username = "anonymous";
    std::string hostname;
    std::chrono::milliseconds failure_delay{2000};
    std::uint64_t cache_size = 0; // bytes; 0 = no cache
    std::chrono::milliseconds cache_ttl{3600 * 1000};
    std::chrono::milliseconds cache_negative_ttl{3600 * 1000};
    bool verbose = false;
    bool debug = false;
    bool debug_passwords = false;
    // auth_verbose_passwords: "no", "plain" or "sha1" (Dovecot's values;
    // yes = plain). Shown in password-mismatch lines.
    std::string verbose_passwords = "no";
    // disable_plaintext_auth=yes or auth_allow_cleartext=no.
    bool plaintext_only_secured = true;
    std::vector<std::string> trusted_networks;
};

// Reads and checks the settings; errors name file:line of the bad value.
MAILSTORE_INTERNAL_API Result<AuthSettings> read_auth_settings(const config::Config& config);

// Whether `ip` is inside one of `networks` ("192.0.2.0/24", "::1",
// "2001:db8::/32", a bare address = a host). `ip` must be a literal
// address; anything that does not parse never matches. The word "local"
// matches only an empty `ip` (a local tool with no remote address), as
// Dovecot's allow_nets does.
MAILSTORE_INTERNAL_API bool ip_in_networks(std::string_view ip, const std::vector<std::string>& networks);
// Whether a network list entry parses (for allow_nets/login_trusted_networks
// checks at load time).
MAILSTORE_INTERNAL_API bool valid_network(std::string_view network);
// 127.0.0.0/8 and ::1 (and ::ffff:127.x.y.z).
MAILSTORE_INTERNAL_API bool is_loopback(std::string_view ip);

} // namespace mailstore::auth
