#include "storage/mail_location.hpp"

namespace mailstore::storage {

Result<MailLocation> parse_mail_location(std::string_view, std::string_view) { return Status::error(Status::Code::internal, "not implemented"); }

} // namespace mailstore::storage
