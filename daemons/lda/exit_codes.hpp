// loft-lda's exit statuses: sendmail's (sysexits.h), which Postfix's pipe(8)
// and local(8) map to "delivered", "bounce" or "try again later".
#pragma once

namespace lda {

inline constexpr int exit_ok = 0;
inline constexpr int exit_usage = 64;    // EX_USAGE: bad arguments
inline constexpr int exit_dataerr = 65;  // EX_DATAERR: an empty message
inline constexpr int exit_nouser = 67;   // EX_NOUSER: the userdb does not know the user (a bounce)
inline constexpr int exit_tempfail = 75; // EX_TEMPFAIL: anything that may work later (the MTA retries)
inline constexpr int exit_noperm = 77;   // EX_NOPERM: the message was rejected (a bounce)

} // namespace lda
