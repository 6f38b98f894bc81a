// Opening a mail user for loftadm's storage commands (mail_user.hpp).
#include "mail_user.hpp"

#include "output.hpp"

#include <mailstore/log.hpp>

#include <cerrno>
#include <cstring>
#include <fnmatch.h>
#include <grp.h>
#include <iostream>
#include <unistd.h>
#include <vector>

namespace loftadm {

namespace auth = mailstore::auth;
namespace storage = mailstore::storage;

int exit_code_of(const mailstore::Status& status) {
    using Code = mailstore::Status::Code;
    switch (status.code()) {
    case Code::ok:
        return exit_ok;
    case Code::not_found:
        return exit_not_found;
    case Code::already_exists:
        return exit_data_error;
    case Code::invalid_argument:
    case Code::not_supported:
        return exit_usage;
    case Code::permission_denied:
        return exit_no_perm;
    case Code::io_error:
    case Code::temporary_failure:
    case Code::internal:
        break;
    }
    return exit_tempfail;
}

int report_error(std::string_view what, const mailstore::Status& status) {
    std::cerr << "Error: " << printable(what) << ": " << printable(status.message()) << "\n";
    return exit_code_of(status);
}

namespace {

// The storage logs what it does on its own at info level ("dovecot-uidlist
// missing, new UIDVALIDITY ..."): fine in a server's log, noise on the
// admin's terminal between a command's output lines. When info lines would
// go to stderr they are dropped; warnings and errors still show, as
// doveadm's do.
void quiet_info_lines() {
    namespace log = mailstore::log;
    log::LogSettings settings = log::current_settings();
    const std::string& info = settings.info_log_path().empty() ? settings.log_path() : settings.info_log_path();
    if (info.empty() || info == "/dev/stderr") {
        settings.set_info_log_path("/dev/null");
        (void)log::configure(settings);
    }
}

} // namespace

bool has_wildcards(std::string_view name) { return name.find_first_of("*%") != std::string_view::npos; }

namespace {

// A user listed by -A that the userdb no longer knows.
constexpr int vanished = -1;

// Run as root, loftadm works on a user's mail with the userdb's uid and gid
// as effective ids, as doveadm drops privileges to them: files it creates
// (new folders, messages, uidlists, index files) then belong to the user, and
// the mail processes running as that user can read and replace them. Only
// the effective ids change, so -A can go back to root for the next user.
// A userdb without uid takes mail_uid/mail_gid of the config; with neither
// (or uid 0) root's ids stay.
mailstore::Status become_user(const storage::UserSettings& settings) {
    static const bool started_as_root = ::getuid() == 0;
    if (!started_as_root) {
        return mailstore::Status::ok();
    }
    if (::geteuid() != 0 && ::seteuid(0) != 0) {
        return mailstore::Status::error(mailstore::Status::Code::permission_denied,
                                        std::string("seteuid(0): ") + std::strerror(errno));
    }
    unsigned uid = settings.uid.value_or(0);
    unsigned gid = settings.gid.value_or(0);
    if (uid == 0) {
        if (::setegid(0) != 0) {
            return mailstore::Status::error(mailstore::Status::Code::permission_denied,
                                            std::string("setegid(0): ") + std::strerror(errno));
        }
        return mailstore::Status::ok();
    }
    gid_t group = static_cast<gid_t>(gid);
    if (::setgroups(1, &group) != 0 || ::setegid(group) != 0 || ::seteuid(static_cast<uid_t>(uid)) != 0) {
        return mailstore::Status::error(mailstore::Status::Code::permission_denied,
                                        "cannot take the userdb's uid " + std::to_string(uid) + " / gid " +
                                            std::to_string(gid) + ": " + std::strerror(errno));
    }
    return mailstore::Status::ok();
}

int open_user(Backend& backend, const mailstore::config::Config& config, const std::string& username,
              std::optional<storage::User>& out, bool listed) {
    auth::ClientInfo client;
    client.service = "doveadm";
    auth::LookupResult result = backend.lookup_user(username, client);
    if (result.kind == auth::LookupResult::Kind::temporary_failure) {
        std::cerr << "Error: userdb lookup failed for " << printable(username) << ": " << printable(result.error)
                  << "\n";
        return exit_tempfail;
    }
    if (result.kind == auth::LookupResult::Kind::not_found) {
        if (listed) {
            return vanished;
        }
        std::cerr << "loftadm: user " << printable(username) << " doesn't exist\n";
        return exit_no_user;
    }
    // A userdb may canonicalize the name (a `user` field): the storage
    // expands %u with the canonical one, as a mail process would.
    std::string name = result.user.empty() ? username : result.user;
    quiet_info_lines();
    storage::UserSettings settings = storage::user_settings_from_userdb(name, result.fields, "doveadm");
    // A userdb without uid/gid: the mail processes run as mail_uid/mail_gid
    // (names or numbers), so the files must belong to them too.
    if (!settings.uid || !settings.gid) {
        auth::FieldList ids;
        if (std::string mail_uid = config.get("mail_uid"); !mail_uid.empty()) ids.set("uid", mail_uid);
        if (std::string mail_gid = config.get("mail_gid"); !mail_gid.empty()) ids.set("gid", mail_gid);
        storage::UserSettings fallback = storage::user_settings_from_userdb(name, ids);
        if (!settings.uid) settings.uid = fallback.uid;
        if (!settings.gid) settings.gid = fallback.gid;
    }
    if (mailstore::Status dropped = become_user(settings); !dropped.is_ok()) {
        return report_error("user " + name, dropped);
    }
    auto user = storage::User::open(config, settings);
    if (!user) {
        return report_error("user " + name + ": mail storage", user.status());
    }
    out.emplace(std::move(user).value());
    return exit_ok;
}

} // namespace

int open_mail_user(Backend& backend, const mailstore::config::Config& config, const std::string& username,
                   std::optional<storage::User>& out) {
    return open_user(backend, config, username, out, false);
}

int for_each_mail_user(Backend& backend, const mailstore::config::Config& config, const std::string& username,
                       bool all_users,
                       const std::function<int(const storage::User&, const std::string& prefix)>& each) {
    if (username.empty() && !all_users) {
        std::cerr << "Error: -u USER or -A is needed\n";
        return exit_usage;
    }
    bool is_mask = username.find_first_of("*?") != std::string::npos;
    if (!all_users && !is_mask) {
        std::optional<storage::User> user;
        if (int code = open_mail_user(backend, config, username, user); code != exit_ok) {
            return code;
        }
        return each(*user, "");
    }
    // The names first: a userdb iteration may hold a database cursor, and
    // each user's commands may take a while.
    std::vector<std::string> names;
    mailstore::Status listed = backend.iterate_users([&](std::string_view name) {
        std::string n(name);
        if (all_users || ::fnmatch(username.c_str(), n.c_str(), 0) == 0) {
            names.push_back(std::move(n));
        }
        return true;
    });
    if (!listed.is_ok()) {
        std::cerr << "Error: user listing failed: " << printable(listed.message()) << "\n";
        return exit_tempfail;
    }
    int result = exit_ok;
    for (const auto& name : names) {
        std::optional<storage::User> user;
        int code = open_user(backend, config, name, user, true);
        if (code == vanished) {
            continue; // removed since it was listed (doveadm: "User no longer exists, skipping")
        }
        if (code == exit_ok) {
            code = each(*user, name + " ");
        }
        if (code != exit_ok) {
            result = code;
        }
    }
    return result;
}

} // namespace loftadm
