// Where loftadm's auth commands get their answers: an Authenticator built in
// this process from the config (the default), or loft-authd's sockets (-a),
// so that an admin can test exactly what the running daemon answers (its
// cache, its penalties) or, in-process, a config before deploying it.
#pragma once

#include <mailstore/auth/authenticator.hpp>
#include <mailstore/status.hpp>

#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace mailstore::config {
class Config;
}

namespace loftadm {

class Backend {
public:
    virtual ~Backend() = default;
    // A user name and password checked as IMAP LOGIN would (PLAIN).
    virtual mailstore::auth::AuthReply verify_plain(std::string_view user, std::string_view password,
                                                    const mailstore::auth::ClientInfo& client) = 0;
    virtual mailstore::auth::LookupResult lookup_pass(std::string_view user,
                                                      const mailstore::auth::ClientInfo& client) = 0;
    virtual mailstore::auth::LookupResult lookup_user(std::string_view user,
                                                      const mailstore::auth::ClientInfo& client) = 0;
    virtual mailstore::Status iterate_users(const std::function<bool(std::string_view)>& each) = 0;
};

// The in-process backend. Fails with the Authenticator's message (file:line
// of a bad passdb/userdb block).
mailstore::Result<std::unique_ptr<Backend>> make_local_backend(const mailstore::config::Config& config);

// loft-authd's sockets. `path` is a directory holding auth-client and
// auth-userdb (loft-authd's base_dir), or one socket used for everything
// the command needs (as doveadm's -a names one socket per command).
// Connection failures are reported per request as temporary failures.
mailstore::Result<std::unique_ptr<Backend>> make_socket_backend(const std::string& path);

} // namespace loftadm
