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

// The RFC 2221 referral URL for a passdb reply with `host` (and optional
// `port`, `destuser`): "imap://user;AUTH=MECH@host[:port]/", user and host
// %-escaped, the port left out when it is 143 (Dovecot 2.3's form).
std::string referral_url(const mailstore::auth::FieldList& passdb_fields, std::string_view user,
                         std::string_view mechanism);

// The refusal of plaintext authentication on an insecure connection
// ([PRIVACYREQUIRED], with Dovecot's [ALERT] for a LOGIN that already sent
// the password).
void refuse_plaintext(Context& ctx, bool password_was_sent);

} // namespace imapproto::detail
