// What LOGIN and AUTHENTICATE do with an authentication reply (internal):
// log in and answer "OK [CAPABILITY ...] Logged in", or wait the failure
// delay and answer NO with the code Dovecot uses.
#pragma once

#include "session/context.hpp"

#include <mailstore/auth/authenticator.hpp>

#include <string>

namespace imapproto::detail {

class AuthFinisher {
public:
    // Call from a CommandRun's resume() until it returns Progress::done:
    // a failure first asks for its delay (Progress::sleep).
    Progress finish(Context& ctx, const mailstore::auth::AuthReply& reply, const std::string& mechanism);

private:
    bool slept_ = false;
};

// The refusal of plaintext authentication on an insecure connection
// ([PRIVACYREQUIRED], with Dovecot's [ALERT] for a LOGIN that already sent
// the password).
void refuse_plaintext(Context& ctx, bool password_was_sent);

} // namespace imapproto::detail
