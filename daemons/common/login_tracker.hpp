// A LoginBackend that passes everything to another one and remembers what
// the client tried (attempts, the last user name and mechanism), for the
// imap-login log lines Dovecot writes when a client disconnects before a
// successful login: "Disconnected (auth failed, 2 attempts in 5 secs):
// user=<alice>, method=PLAIN, rip=..., lip=..., session=<...>".
//
// One per connection. The session calls it from the thread running
// Session::run(); the daemon reads the counters between run() calls.
#pragma once

#include <mailstore/auth/login_backend.hpp>

#include <memory>
#include <string>

namespace loft {

class LoginTracker final : public mailstore::auth::LoginBackend {
public:
    explicit LoginTracker(std::shared_ptr<mailstore::auth::LoginBackend> inner) : inner_(std::move(inner)) {}

    std::vector<mailstore::auth::MechanismInfo> mechanisms() const override;
    mailstore::Result<std::unique_ptr<mailstore::auth::SaslExchange>>
    begin(std::string_view mechanism, const mailstore::auth::ClientInfo& client) override;
    mailstore::auth::AuthReply verify_plain(std::string_view user, std::string_view password,
                                            const mailstore::auth::ClientInfo& client) override;
    mailstore::auth::LookupResult lookup_user(std::string_view user,
                                              const mailstore::auth::ClientInfo& client) override;

    unsigned attempts() const { return attempts_; }
    const std::string& last_user() const { return last_user_; }
    const std::string& last_mechanism() const { return last_mechanism_; }

    // Used by the SASL exchange wrapper.
    void note_reply(const mailstore::auth::AuthReply& reply);

private:
    std::shared_ptr<mailstore::auth::LoginBackend> inner_;
    unsigned attempts_ = 0;
    std::string last_user_;
    std::string last_mechanism_;
};

} // namespace loft
