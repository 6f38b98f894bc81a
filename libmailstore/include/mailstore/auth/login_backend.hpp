// How a protocol session checks logins and finds the user's environment:
// shared by IMAP, POP3 and ManageSieve (LMTP and LDA use lookup_user). The
// daemon supplies one: in-process over an Authenticator
// (authenticator_backend(), also what unit tests and embedders use), or
// through loft-authd's sockets (daemons/common/login_backends.hpp). Every
// method may block
// (password hashing, SQL, a socket round trip): the session calls them from
// the thread that runs Session::run(), never an event-loop thread.
#pragma once

#include <mailstore/auth/authenticator.hpp>
#include <mailstore/export.hpp>
#include <mailstore/status.hpp>

#include <memory>
#include <string_view>
#include <vector>

namespace mailstore::auth {

// One SASL exchange in progress.
class MAILSTORE_API SaslExchange {
public:
    virtual ~SaslExchange() = default;
    // Same contract as AuthSession::step.
    virtual AuthReply step(std::string_view response, bool has_initial_response) = 0;
};

class MAILSTORE_API LoginBackend {
public:
    virtual ~LoginBackend() = default;
    // The mechanisms to announce (AUTH=...) and accept.
    virtual std::vector<MechanismInfo> mechanisms() const = 0;
    // Starts an exchange. Errors: Code::not_found (mechanism not offered),
    // Code::permission_denied (plaintext mechanism on an insecure
    // connection), anything else is a temporary failure.
    virtual Result<std::unique_ptr<SaslExchange>> begin(std::string_view mechanism, const ClientInfo& client) = 0;
    // LOGIN user password.
    virtual AuthReply verify_plain(std::string_view user, std::string_view password, const ClientInfo& client) = 0;
    // The userdb entry of a user who authenticated (home, mail, uid, gid,
    // ...), the fields the passdb prefetched already merged in. LMTP and LDA
    // call it without a login: not_found means "no such user" (550 5.1.1),
    // temporary_failure an unreachable userdb (451 4.3.0).
    virtual LookupResult lookup_user(std::string_view user, const ClientInfo& client) = 0;
};

// A backend over an in-process Authenticator.
MAILSTORE_API std::shared_ptr<LoginBackend> authenticator_backend(std::shared_ptr<const Authenticator> authenticator);

} // namespace mailstore::auth
