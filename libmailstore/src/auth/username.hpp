// The user name a client sends, turned into the name the databases see:
// master-user split (auth_master_user_separator), auth_username_chars,
// auth_default_realm and auth_username_format, in Dovecot's order.
#pragma once

#include <mailstore/export.hpp>

#include "auth/auth_settings.hpp"
#include "auth/request.hpp"

#include <mailstore/status.hpp>

#include <string>
#include <string_view>

namespace mailstore::auth {

// Longest user name accepted from a client (Dovecot's own limit is similar);
// longer names fail before any lookup.
inline constexpr std::size_t kMaxUsernameLength = 255;

struct LoginName {
    std::string user;   // who to log in as (the target of a master login)
    std::string master; // the master user who authenticates, or empty
};

// "target*master" with separator "*" → {target, master} (the first
// separator splits). Without a separator, or with none configured, the name
// is the user. An empty part on either side is not a master login.
MAILSTORE_INTERNAL_API LoginName split_master_login(std::string_view name, std::string_view separator);

// Every character of `name` is in `chars` (empty `chars`: anything goes),
// the name is not empty and not longer than kMaxUsernameLength.
MAILSTORE_INTERNAL_API bool username_allowed(std::string_view name, std::string_view chars);

// auth_default_realm appended when the name has no '@', then
// auth_username_format expanded with %u = that name. Fails for a bad
// template (a config error, reported as a temporary failure).
MAILSTORE_INTERNAL_API Result<std::string> format_username(std::string_view name, const AuthSettings& settings,
                                    const AuthRequest& context);

} // namespace mailstore::auth
