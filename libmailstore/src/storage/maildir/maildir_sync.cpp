// MaildirBackend::sync and needs_sync: the index made to agree with the files.
#include "storage/maildir/maildir_backend.hpp"

namespace mailstore::storage::maildir {

LetterlessKeywords parse_loft_keywords(std::string_view) { return {}; }
std::string format_driver_state(const MaildirDriverState&) { return {}; }
MaildirDriverState parse_driver_state(std::string_view) { return {}; }

Status MaildirBackend::sync(index::WriteContext&, bool) {
    return Status::error(Status::Code::internal, "maildir: not implemented");
}
bool MaildirBackend::needs_sync(const index::IndexState&) { return true; }

} // namespace mailstore::storage::maildir
