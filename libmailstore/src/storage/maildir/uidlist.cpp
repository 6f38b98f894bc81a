#include "storage/maildir/uidlist.hpp"

namespace mailstore::storage::maildir {

std::optional<std::string> UidlistEntry::field(char) const { return std::nullopt; }
Result<Uidlist> parse_uidlist(std::string_view) { return Status::error(Status::Code::internal, "not implemented"); }
Result<Uidlist> read_uidlist(const std::string&) { return Status::error(Status::Code::internal, "not implemented"); }
Result<bool> refresh_uidlist(const std::string&, Uidlist&) { return Status::error(Status::Code::internal, "not implemented"); }
std::string format_uidlist(const Uidlist&) { return {}; }
std::string format_uidlist_line(const UidlistEntry&) { return {}; }
Status write_uidlist(const std::string&, const Uidlist&, index::FsyncMode) { return Status::error(Status::Code::internal, "not implemented"); }
Status append_uidlist(const std::string&, Uidlist&, const std::vector<UidlistEntry>&, index::FsyncMode) { return Status::error(Status::Code::internal, "not implemented"); }

} // namespace mailstore::storage::maildir
