// Which uid and gid loft-lda writes the recipient's mail as, and becoming
// them, as dovecot-lda does: run as root (Postfix's pipe(8) with user=root
// is refused by Postfix, but an admin may run it by hand or from another
// MTA), it takes the userdb's uid/gid (else mail_uid/mail_gid) for good
// before touching mail; run as anyone else, it stays who it is and refuses
// a user whose userdb uid is another one, since the files it would make
// would not be readable by that user's mail processes.
#pragma once

#include <mailstore/config.hpp>
#include <mailstore/status.hpp>
#include <mailstore/storage/user.hpp>

namespace lda {

// Fails (exit 75, the message names the fix) when the uid is refused
// (0, below first_valid_uid, above last_valid_uid), when root has no uid to
// take, or when the process cannot become it.
mailstore::Status become_mail_user(const mailstore::config::Config& config,
                                   const mailstore::storage::UserSettings& settings);

} // namespace lda
