#include "login_backends.hpp"

#include <listeners.hpp>

#include <mailstore/auth/authenticator.hpp>

#include <filesystem>
#include <sys/stat.h>

namespace loft {

AuthSockets auth_sockets(const mailstore::config::Config& config) {
    AuthSockets out;
    std::string base_dir = config.get("base_dir");
    for (const auto& l : loft::listeners_for_service(config, "auth")) {
        if (l.kind != loft::ListenerSpec::Kind::unix_socket || l.path.empty())
            continue;
        std::string path = l.path[0] == '/' ? l.path : base_dir + "/" + l.path;
        if (l.name == "auth-login" && out.login.empty())
            out.login = path;
        else if (l.name == "auth-userdb" && out.userdb.empty())
            out.userdb = path;
    }
    return out;
}

mailstore::Result<std::shared_ptr<mailstore::auth::LoginBackend>> make_login_backend(const mailstore::config::Config& config,
                                                                              const mailstore::log::Logger& log) {
    AuthSockets sockets = auth_sockets(config);
    struct stat st {};
    if (!sockets.login.empty() && ::stat(sockets.login.c_str(), &st) == 0 && S_ISSOCK(st.st_mode)) {
        // Dovecot 2.4 renamed disable_plaintext_auth to auth_allow_cleartext.
        bool disable_plaintext = config.is_set("auth_allow_cleartext") ? !config.get_bool("auth_allow_cleartext")
                                                                       : config.get_bool("disable_plaintext_auth");
        auto remote = remote_login_backend(sockets, std::chrono::seconds(30), disable_plaintext, log);
        if (remote) {
            log.infof("Authentication through loft-authd: {} (userdb lookups: {})", sockets.login,
                      sockets.userdb.empty() ? "none" : sockets.userdb);
            return remote;
        }
        log.warningf("loft-authd's {} does not answer ({}); checking logins in this process",
                     sockets.login, remote.status().message());
    }
    auto auth = mailstore::auth::Authenticator::create(config);
    if (!auth)
        return auth.status();
    log.info("Authentication in this process (passdb/userdb of the config): no loft-authd auth-login socket");
    return mailstore::auth::authenticator_backend(
        std::make_shared<const mailstore::auth::Authenticator>(std::move(*auth)));
}

mailstore::Result<std::shared_ptr<mailstore::auth::LoginBackend>> make_userdb_backend(const mailstore::config::Config& config,
                                                                               const mailstore::log::Logger& log) {
    AuthSockets sockets = auth_sockets(config);
    struct stat st {};
    if (!sockets.userdb.empty() && ::stat(sockets.userdb.c_str(), &st) == 0 && S_ISSOCK(st.st_mode)) {
        auto remote = remote_userdb_backend(sockets, std::chrono::seconds(30), log);
        if (remote) {
            log.infof("Userdb lookups through loft-authd: {}", sockets.userdb);
            return remote;
        }
        log.warningf("loft-authd's {} does not answer ({}); looking users up in this process", sockets.userdb,
                     remote.status().message());
    }
    auto auth = mailstore::auth::Authenticator::create(config);
    if (!auth)
        return auth.status();
    log.info("Userdb lookups in this process (userdb of the config): no loft-authd auth-userdb socket");
    return mailstore::auth::authenticator_backend(
        std::make_shared<const mailstore::auth::Authenticator>(std::move(*auth)));
}

} // namespace loft
