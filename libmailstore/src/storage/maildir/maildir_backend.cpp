// MaildirBackend: construction, lookups, flag changes, expunges, reading.
#include "storage/maildir/maildir_backend.hpp"

namespace mailstore::storage::maildir {

namespace {
Status not_implemented() { return Status::error(Status::Code::internal, "maildir: not implemented"); }
} // namespace

MaildirBackend::MaildirBackend(const MailboxPaths& paths, const StorageSettings& settings)
    : paths_(paths), settings_(settings), shared_(std::make_shared<MaildirShared>()) {}
MaildirBackend::~MaildirBackend() = default;

Status MaildirBackend::create() { return not_implemented(); }
bool MaildirBackend::exists() const { return false; }
Status MaildirBackend::apply_flags(Uid, MailFlags, const std::vector<std::string>&, index::WriteContext&) {
    return not_implemented();
}
Status MaildirBackend::expunge(Uid, index::WriteContext&) { return not_implemented(); }
Result<MessageData> MaildirBackend::open_message(Uid) { return not_implemented(); }
Result<std::string> MaildirBackend::message_guid(Uid) { return not_implemented(); }
std::optional<std::string> MaildirBackend::pop3_uidl(Uid) { return std::nullopt; }
std::vector<std::string> MaildirBackend::watch_paths() const { return {}; }
std::string MaildirBackend::change_stamp() const { return {}; }
Status MaildirBackend::remove_all() { return not_implemented(); }
Result<std::string> MaildirBackend::locate_locked(Uid, const std::string&) { return not_implemented(); }
const UidlistEntry* MaildirBackend::entry_locked(Uid) { return nullptr; }

} // namespace mailstore::storage::maildir

namespace mailstore::storage {
Result<std::unique_ptr<MailboxBackend>> make_backend(std::string_view driver, const MailboxPaths& paths,
                                                     const StorageSettings& settings) {
    if (driver != "maildir")
        return Status::invalid("unknown mail storage driver '" + std::string(driver) + "'");
    return std::unique_ptr<MailboxBackend>(std::make_unique<maildir::MaildirBackend>(paths, settings));
}
} // namespace mailstore::storage
