// How a session checks logins and finds the user's environment. The daemon
// supplies one: in-process over a mailstore::auth::Authenticator
// (authenticator_backend(), also what unit tests and embedders use), or
// through loft-authd's sockets (daemons/imapd). Every method may block
// (password hashing, SQL, a socket round trip): the session calls them from
// the thread that runs Session::run(), never an event-loop thread.
#pragma once

#include <imapproto/export.hpp>

#include <mailstore/auth/authenticator.hpp>
#include <mailstore/status.hpp>

#include <memory>
#include <string_view>
#include <vector>

namespace imapproto {

// One SASL exchange in progress.
class IMAPPROTO_API SaslExchange {
public:
    virtual ~SaslExchange() = default;
    // Same contract as mailstore::auth::AuthSession::step.
    virtual mailstore::auth::AuthReply step(std::string_view response, bool has_initial_response) = 0;
};

class IMAPPROTO_API LoginBackend {
public:
    virtual ~LoginBackend() = default;
    // The mechanisms to announce (AUTH=...) and accept.
    virtual std::vector<mailstore::auth::MechanismInfo> mechanisms() const = 0;
    // Starts an exchange. Errors: Code::not_found (mechanism not offered),
    // Code::permission_denied (plaintext mechanism on an insecure
    // connection), anything else is a temporary failure.
    virtual mailstore::Result<std::unique_ptr<SaslExchange>> begin(std::string_view mechanism,
                                                                   const mailstore::auth::ClientInfo& client) = 0;
    // LOGIN user password.
    virtual mailstore::auth::AuthReply verify_plain(std::string_view user, std::string_view password,
                                                    const mailstore::auth::ClientInfo& client) = 0;
    // The userdb entry of a user who authenticated (home, mail, uid, gid,
    // ...), the fields the passdb prefetched already merged in.
    virtual mailstore::auth::LookupResult lookup_user(std::string_view user,
                                                      const mailstore::auth::ClientInfo& client) = 0;
};

// A backend over an in-process Authenticator.
IMAPPROTO_API std::shared_ptr<LoginBackend>
authenticator_backend(std::shared_ptr<const mailstore::auth::Authenticator> authenticator);

} // namespace imapproto
