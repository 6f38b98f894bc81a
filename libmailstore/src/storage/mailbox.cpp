// Mailbox: stub until the real implementation lands.
#include "storage/mailbox_impl.hpp"

namespace mailstore::storage {

class Mailbox::Impl {
public:
    std::string name;
    std::string guid;
};

Result<Mailbox> Mailbox::open(const User&, std::string_view, const OpenOptions&) {
    return Status::error(Status::Code::internal, "not implemented");
}
Mailbox::Mailbox(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Mailbox::Mailbox(Mailbox&&) noexcept = default;
Mailbox& Mailbox::operator=(Mailbox&&) noexcept = default;
Mailbox::~Mailbox() = default;
const std::string& Mailbox::name() const { return impl_->name; }
bool Mailbox::read_only() const { return true; }
const std::string& Mailbox::guid() const { return impl_->guid; }
const User& Mailbox::user() const { return *static_cast<const User*>(nullptr); }
Result<SyncResult> Mailbox::sync(std::uint32_t) { return Status::error(Status::Code::internal, "not implemented"); }
const View& Mailbox::view() const {
    static const View empty(nullptr);
    return empty;
}
Result<Message> Mailbox::message_by_uid(Uid) { return Status::error(Status::Code::internal, "not implemented"); }
Transaction Mailbox::begin() { return make_transaction(*this); }
MailboxStatus Mailbox::status(std::uint32_t) const { return {}; }
Result<UidSet> Mailbox::expunged_since(ModSeq, const UidSet*) const {
    return Status::error(Status::Code::internal, "not implemented");
}
std::vector<std::string> Mailbox::watch_paths() const { return {}; }

} // namespace mailstore::storage
