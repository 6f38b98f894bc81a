#include "auth/username.hpp"

#include <cctype>

namespace mailstore::auth {

LoginName split_master_login(std::string_view name, std::string_view separator) {
    LoginName out{std::string(name), {}};
    if (separator.empty())
        return out;
    auto pos = name.find(separator);
    if (pos == std::string_view::npos || pos == 0 || pos + separator.size() >= name.size())
        return out;
    out.user.assign(name.substr(0, pos));
    out.master.assign(name.substr(pos + separator.size()));
    return out;
}

bool username_allowed(std::string_view name, std::string_view chars) {
    if (name.empty() || name.size() > kMaxUsernameLength)
        return false;
    if (chars.empty())
        return true;
    for (char c : name)
        if (chars.find(c) == std::string_view::npos)
            return false;
    return true;
}

Result<std::string> format_username(std::string_view name, const AuthSettings& settings,
                                    const AuthRequest& context) {
    std::string user(name);
    if (!settings.default_realm.empty() && user.find('@') == std::string::npos)
        user += "@" + settings.default_realm;
    // The defaults are handled here directly: they are on every login's
    // path and need no template machinery.
    if (settings.username_format.empty() || settings.username_format == "%u" ||
        settings.username_format == "%{user}")
        return user;
    if (settings.username_format == "%Lu" || settings.username_format == "%L{user}") {
        for (auto& c : user)
            c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        return user;
    }
    AuthRequest req = context;
    req.user = user;
    auto expanded = req.expand(settings.username_format);
    if (!expanded)
        return expanded.status();
    if (expanded->empty() || expanded->size() > kMaxUsernameLength)
        return Status::invalid("auth_username_format gives an unusable name for \"" + user + "\"");
    return expanded;
}

} // namespace mailstore::auth
