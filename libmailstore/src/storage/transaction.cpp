// Transaction: stub until the real implementation lands.
#include "storage/mailbox_impl.hpp"

namespace mailstore::storage {

class Transaction::Impl {};

Transaction::Transaction(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Transaction::Transaction(Transaction&&) noexcept = default;
Transaction& Transaction::operator=(Transaction&&) noexcept = default;
Transaction::~Transaction() = default;
Status Transaction::save(const SaveRequest&) { return Status::error(Status::Code::internal, "not implemented"); }
Status Transaction::copy(Mailbox&, const UidSet&) { return Status::error(Status::Code::internal, "not implemented"); }
Status Transaction::move(Mailbox&, const UidSet&) { return Status::error(Status::Code::internal, "not implemented"); }
Status Transaction::update_flags(const UidSet&, const FlagUpdate&) {
    return Status::error(Status::Code::internal, "not implemented");
}
Status Transaction::expunge(const UidSet&) { return Status::error(Status::Code::internal, "not implemented"); }
Result<CommitResult> Transaction::commit() { return Status::error(Status::Code::internal, "not implemented"); }
void Transaction::rollback() {}
Transaction make_transaction(Mailbox&) { return Transaction(std::make_unique<Transaction::Impl>()); }

} // namespace mailstore::storage
