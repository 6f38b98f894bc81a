#include "storage/maildir/filename.hpp"

namespace mailstore::storage::maildir {

MaildirFilename parse_filename(std::string_view) { return {}; }
std::string_view filename_base(std::string_view name) { return name; }
std::string make_filename(const MaildirFilename&, bool) { return {}; }
std::string new_base_name(std::string_view, std::uint64_t, std::uint64_t) { return {}; }

} // namespace mailstore::storage::maildir
