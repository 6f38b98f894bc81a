// Evaluating a search program over a mailbox.
#include <mailstore/search.hpp>

namespace mailstore::search {

Result<std::vector<storage::Seq>> evaluate(storage::Mailbox&, const Program&, const EvaluateOptions&) {
    return Status::error(Status::Code::internal, "not implemented");
}

Result<bool> matches(storage::Mailbox&, storage::Seq, const Program&, const EvaluateOptions&) {
    return Status::error(Status::Code::internal, "not implemented");
}

} // namespace mailstore::search
