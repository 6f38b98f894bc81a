// MaildirBackend saves and copies: tmp/ file, rename, uidlist lines.
#include "storage/maildir/maildir_backend.hpp"

namespace mailstore::storage::maildir {

Result<std::unique_ptr<PendingSave>> MaildirBackend::prepare_save(const SaveRequest&) {
    return Status::error(Status::Code::internal, "maildir: not implemented");
}
Result<std::unique_ptr<PendingSave>> MaildirBackend::prepare_copy(MailboxBackend&, Uid, const index::Record&) {
    return std::unique_ptr<PendingSave>();
}
Result<std::vector<Uid>> MaildirBackend::commit_saves(std::vector<std::unique_ptr<PendingSave>>&,
                                                      index::WriteContext&) {
    return Status::error(Status::Code::internal, "maildir: not implemented");
}
void MaildirBackend::abort_saves(std::vector<std::unique_ptr<PendingSave>>&) {}

} // namespace mailstore::storage::maildir
