#include "storage/list_backend.hpp"

namespace mailstore::storage {

Result<std::unique_ptr<MailboxListBackend>> make_list_backend(const MailLocation&, const StorageSettings&) {
    return Status::error(Status::Code::internal, "not implemented");
}

} // namespace mailstore::storage
