// How the examples find a mail user, using the public API only: either a
// config file and a user name (the userdb of the config is asked, as loftadm
// -u does), or an explicit home directory and mail_location (no userdb at
// all: handy for a Maildir copied somewhere).
#pragma once

#include <mailstore/auth/authenticator.hpp>
#include <mailstore/config.hpp>
#include <mailstore/log.hpp>
#include <mailstore/status.hpp>
#include <mailstore/storage/user.hpp>

#include <cstdlib>
#include <filesystem>
#include <string>

namespace examples {

struct UserOptions {
    std::string config_path;   // -c: a loft.conf; "" = built-in defaults
    std::string username;      // -u: looked up in the config's userdb
    std::string home;          // --home: instead of a userdb lookup
    std::string mail_location; // --mail-location, e.g. "maildir:~/Maildir"
};

// The user the options name. The messages of failures name the thing that
// failed ("user alice: not found in the userdb").
inline mailstore::Result<mailstore::storage::User> open_user(const UserOptions& options) {
    using mailstore::Status;
    namespace storage = mailstore::storage;

    // The library logs a line per opened mailbox at info level on stderr by
    // default; a command-line tool shows warnings and errors only.
    mailstore::log::LogSettings log = mailstore::log::current_settings();
    log.set_info_log_path("/dev/null");
    (void)mailstore::log::configure(log);

    auto config = options.config_path.empty()
                      ? mailstore::config::Config::defaults()
                      : mailstore::config::Config::load_file(options.config_path);
    if (!config) {
        return config.status();
    }
    storage::UserSettings settings;
    if (!options.home.empty() || !options.mail_location.empty()) {
        // %u in the location: -u when given, else the home directory's name
        // (as the C API's loft_user_open does).
        settings.username = options.username;
        if (settings.username.empty() && !options.home.empty()) {
            std::filesystem::path home = std::filesystem::path(options.home).lexically_normal();
            if (!home.has_filename()) { // "/home/alice/"
                home = home.parent_path();
            }
            settings.username = home.filename().string();
        }
        if (settings.username.empty()) {
            const char* login = std::getenv("USER");
            settings.username = login ? login : "user";
        }
        settings.home = options.home;
        settings.mail_location = options.mail_location;
    } else {
        if (options.username.empty()) {
            return Status::invalid("name a user (-u) or a mailbox (--home/--mail-location)");
        }
        auto auth = mailstore::auth::Authenticator::create(*config);
        if (!auth) {
            return auth.status();
        }
        mailstore::auth::ClientInfo client;
        client.service = "doveadm";
        auto found = auth->lookup_user(options.username, client);
        if (found.kind == mailstore::auth::LookupResult::Kind::not_found) {
            return Status::not_found("user " + options.username + ": not found in the userdb");
        }
        if (found.kind != mailstore::auth::LookupResult::Kind::found) {
            return Status::error(Status::Code::temporary_failure,
                                 "user " + options.username +
                                     ": userdb lookup failed: " + found.error);
        }
        std::string name = found.user.empty() ? options.username : found.user;
        settings = storage::user_settings_from_userdb(name, found.fields, "doveadm");
    }
    return storage::User::open(*config, settings);
}

} // namespace examples
