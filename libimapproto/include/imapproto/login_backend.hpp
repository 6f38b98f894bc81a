// The login interface lives in libmailstore (mailstore/auth/login_backend.hpp)
// because every protocol uses it; these names keep imapproto code short.
#pragma once

#include <mailstore/auth/login_backend.hpp>

namespace imapproto {

using mailstore::auth::authenticator_backend;
using mailstore::auth::LoginBackend;
using mailstore::auth::SaslExchange;

} // namespace imapproto
