// A user's settings: UserSettings from a userdb reply, the mail location
// with its variables expanded, and the StorageSettings a driver uses (config
// values, overridden per user by userdb fields of the same name, as Dovecot
// does with e.g. `userdb_mail_fsync`-style extra fields).
#include "user/user_impl.hpp"

#include <mailstore/var_expand.hpp>

#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <climits>
#include <optional>
#include <vector>

namespace mailstore::storage {

namespace {

// A userdb field overrides the setting of the same name for this user.
std::string setting_value(const User::Impl& impl, std::string_view name) {
    if (auto v = impl.settings.userdb_fields.get(name))
        return *v;
    config::LookupContext ctx;
    ctx.protocol = impl.settings.service;
    return impl.config.get(name, ctx);
}

// `plugin { KEY = VALUE }`, or a userdb field KEY (Dovecot's userdb can set
// plugin settings by name, e.g. `zlib_save=gz`).
std::string plugin_value(const User::Impl& impl, std::string_view key) {
    if (auto v = impl.settings.userdb_fields.get(key))
        return *v;
    std::string value;
    for (const auto& section : impl.config.sections("plugin"))
        if (auto raw = section.raw(key))
            value = *raw;
    return value;
}

// Maildir file names carry the host name; '/' and ':' would break the name
// (a path separator, the info separator), so they are escaped the way Dovecot
// does it (\057 and \072).
std::string maildir_hostname() {
    std::array<char, HOST_NAME_MAX + 1> buf{};
    if (gethostname(buf.data(), buf.size() - 1) != 0 || buf[0] == '\0')
        return "localhost";
    std::string out;
    for (const char* p = buf.data(); *p != '\0'; ++p) {
        if (*p == '/')
            out += "\\057";
        else if (*p == ':')
            out += "\\072";
        else
            out += *p;
    }
    return out;
}

// The uid of system user `name` (getpwnam_r), or nullopt.
std::optional<unsigned> lookup_user_id(const std::string& name) {
    std::vector<char> buf(16384);
    struct passwd pw {};
    struct passwd* found = nullptr;
    if (name.empty() || ::getpwnam_r(name.c_str(), &pw, buf.data(), buf.size(), &found) != 0 || found == nullptr)
        return std::nullopt;
    return static_cast<unsigned>(found->pw_uid);
}

// The gid of system group `name` (getgrnam_r), or nullopt.
std::optional<unsigned> lookup_group_id(const std::string& name) {
    std::vector<char> buf(65536);
    struct group gr {};
    struct group* found = nullptr;
    if (name.empty() || ::getgrnam_r(name.c_str(), &gr, buf.data(), buf.size(), &found) != 0 || found == nullptr)
        return std::nullopt;
    return static_cast<unsigned>(found->gr_gid);
}

} // namespace

UserSettings user_settings_from_userdb(std::string_view username, const auth::FieldList& userdb_fields,
                                       std::string_view service) {
    UserSettings s;
    s.username = std::string(username);
    s.service = std::string(service);
    for (const auto& [key, value] : userdb_fields) {
        if (key == "home") {
            s.home = value;
        } else if (key == "mail") {
            s.mail_location = value;
        } else if (key == "uid" || key == "gid") {
            // A number, or a user/group name as Dovecot accepts ("vmail").
            std::optional<unsigned> id;
            if (auto n = config::parse_uint(value); n && *n <= UINT_MAX)
                id = static_cast<unsigned>(*n);
            else
                id = key == "uid" ? lookup_user_id(value) : lookup_group_id(value);
            if (id)
                (key == "uid" ? s.uid : s.gid) = *id;
            else
                s.userdb_fields.set(key, value);
        } else if (key == "user") {
            // The userdb may change the user name (Dovecot's `user` field).
            if (!value.empty())
                s.username = value;
        } else {
            s.userdb_fields.set(key, value);
        }
    }
    return s;
}

Result<std::string> expand_user_variables(std::string_view text, const UserSettings& settings) {
    const std::string& user = settings.username;
    auto at = user.find('@');
    std::string_view n = at == std::string::npos ? std::string_view(user) : std::string_view(user).substr(0, at);
    std::string_view d = at == std::string::npos ? std::string_view() : std::string_view(user).substr(at + 1);
    const ExpandVariable vars[] = {
        {'u', "user", user},       {'n', "username", n}, {'d', "domain", d},
        {'h', "home", settings.home}, {'s', "service", settings.service},
    };
    ExpandOptions options;
    options.resolve = [&](std::string_view name) -> std::optional<std::string> {
        if (name.starts_with("userdb:"))
            return settings.userdb_fields.get(name.substr(7));
        return std::nullopt;
    };
    return expand_variables(text, vars, options);
}

Status load_storage_settings(User::Impl& impl) {
    StorageSettings& st = impl.storage;
    std::string fsync = setting_value(impl, "mail_fsync");
    if (fsync == "optimized")
        st.fsync = index::FsyncMode::optimized;
    else if (fsync == "always")
        st.fsync = index::FsyncMode::always;
    else if (fsync == "never")
        st.fsync = index::FsyncMode::never;
    else
        return Status::invalid("mail_fsync: '" + fsync + "' is not optimized, always or never");

    auto bool_setting = [&](std::string_view name, bool& out) -> Status {
        std::string v = setting_value(impl, name);
        auto b = config::parse_bool(v);
        if (!b)
            return Status::invalid(std::string(name) + ": '" + v + "' is not yes or no");
        out = *b;
        return Status::ok();
    };
    if (Status s = bool_setting("mail_save_crlf", st.save_crlf); !s)
        return s;
    if (Status s = bool_setting("maildir_copy_with_hardlinks", st.copy_with_hardlinks); !s)
        return s;

    std::string timeout = setting_value(impl, "mail_max_lock_timeout");
    auto t = config::parse_time(timeout);
    if (!t)
        return Status::invalid("mail_max_lock_timeout: '" + timeout + "' is not a time (e.g. 30s)");
    // 0 means "no limit" in Dovecot; a lock wait is still bounded here so that
    // a stuck process cannot hang every session.
    st.lock_timeout = t->count() == 0 ? std::chrono::milliseconds(30000) : *t;

    std::string zlib = plugin_value(impl, "zlib_save");
    if (zlib.empty() || zlib == "none")
        st.compress = CompressFormat::none;
    else if (zlib == "gz")
        st.compress = CompressFormat::gz;
    else if (zlib == "bz2")
        st.compress = CompressFormat::bz2;
    else
        return Status::invalid("plugin zlib_save: '" + zlib + "' is not supported (use gz or bz2)");
    std::string level = plugin_value(impl, "zlib_save_level");
    if (!level.empty()) {
        auto n = config::parse_uint(level);
        if (!n || *n < 1 || *n > 9)
            return Status::invalid("plugin zlib_save_level: '" + level + "' is not 1..9");
        st.compress_level = static_cast<int>(*n);
    }
    st.hostname = maildir_hostname();

    // The location: userdb `mail`, else mail_location, else a Maildir found in
    // the home directory.
    std::string location = impl.settings.mail_location;
    if (location.empty())
        location = setting_value(impl, "mail_location");
    if (location.empty()) {
        struct stat sb {};
        if (!impl.settings.home.empty() && stat((impl.settings.home + "/Maildir").c_str(), &sb) == 0 &&
            S_ISDIR(sb.st_mode))
            location = "maildir:~/Maildir";
        else
            return Status::not_found("mail_location is not set and no ~/Maildir was found in the home directory '" +
                                     impl.settings.home + "' of user " + impl.settings.username +
                                     ": set mail_location (e.g. maildir:~/Maildir)");
    }
    auto expanded = expand_user_variables(location, impl.settings);
    if (!expanded)
        return Status::invalid("mail_location: " + expanded.status().message());
    impl.mail_location = std::move(*expanded);
    return Status::ok();
}

} // namespace mailstore::storage
