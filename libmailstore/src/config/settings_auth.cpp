// The auth_* settings Loft implements (docs/auth.md explains each in full).
// Registered before the Dovecot list, so these rows win over the
// "accepted but ignored" entries of the same names.
#include "config/settings_tables.hpp"

namespace mailstore::config {
namespace {

using T = SettingType;

constexpr SettingInfo kAuth[] = {
    {"auth_worker_max_count", T::uint, "30", "1..256",
     "Threads loft-authd runs blocking lookups on (passdb/userdb queries, PAM, password hashing), so a slow "
     "backend does not hold up every login.",
     "", true},
    {"auth_mechanisms", T::list, "plain", "",
     "SASL mechanisms offered: plain login cram-md5 digest-md5 scram-sha-1 scram-sha-1-plus scram-sha-256 "
     "scram-sha-256-plus external anonymous.",
     "", true},
    {"auth_username_format", T::string, "%Lu", "",
     "Template applied to every user name before the passdb/userdb lookups (%Lu: lower-case; %n: drop the "
     "domain).",
     "", true},
    {"auth_username_chars", T::string, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ01234567890.-_@", "",
     "Characters allowed in user names; a name with any other character fails before any lookup. Empty "
     "allows everything.",
     "", true},
    {"auth_default_realm", T::string, "", "",
     "Domain appended as @realm to user names that have none (before auth_username_format).", "", true},
    {"auth_realms", T::list, "", "", "Realms DIGEST-MD5 offers to clients (default: the host name).", "", true},
    {"auth_master_user_separator", T::string, "", "",
     "Character separating the target user from the master user in \"user*master\" logins; empty disables "
     "that form (SASL authorization ids still work).",
     "", true},
    {"auth_anonymous_username", T::string, "anonymous", "",
     "User name the ANONYMOUS mechanism logs in as; empty disables anonymous logins.", "", true},
    {"auth_failure_delay", T::time, "2 secs", "",
     "Delay before answering a failed login; grows for addresses that keep failing (up to 15 s).", "", true},
    {"auth_cache_size", T::size, "0", "",
     "Memory for caching passdb and userdb results, e.g. 10M; 0 disables the cache.", "", true},
    {"auth_cache_ttl", T::time, "1 hour", "", "How long a cached passdb/userdb result is used.", "", true},
    {"auth_cache_negative_ttl", T::time, "1 hour", "",
     "How long a cached \"user unknown\" result is used; 0 does not cache them.", "", true},
    {"auth_debug_passwords", T::boolean, "no", "",
     "Include passwords in authentication debug and mismatch log lines (implies auth_debug).", "", true},
    {"auth_verbose_passwords", T::string, "no", "",
     "Show the given password in \"Password mismatch\" lines: no, plain (or yes), sha1.", "", true},
    {"disable_plaintext_auth", T::boolean, "yes", "",
     "Refuse PLAIN and LOGIN on connections that are neither TLS, loopback nor in login_trusted_networks.", "",
     true},
    {"auth_allow_cleartext", T::boolean, "no", "",
     "Dovecot 2.4 name for the opposite of disable_plaintext_auth; when set in the file it wins over "
     "disable_plaintext_auth.",
     "", true},
    {"login_trusted_networks", T::list, "", "",
     "Client networks (CIDR) treated as secured for the plaintext policy.", "", true},
    {"hostname", T::string, "", "", "Host name for DIGEST-MD5's realm and logs; empty: the system's.", "", true},
};

} // namespace

std::span<const SettingInfo> auth_settings() { return kAuth; }

} // namespace mailstore::config
