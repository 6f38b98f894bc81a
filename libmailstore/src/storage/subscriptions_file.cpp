#include "storage/subscriptions_file.hpp"

namespace mailstore::storage {

std::vector<std::string> parse_subscriptions(std::string_view, char) { return {}; }
Result<std::vector<std::string>> read_subscriptions(const std::string&, char) { return Status::error(Status::Code::internal, "not implemented"); }
Status write_subscriptions(const std::string&, const std::vector<std::string>&, index::FsyncMode) { return Status::error(Status::Code::internal, "not implemented"); }

} // namespace mailstore::storage
