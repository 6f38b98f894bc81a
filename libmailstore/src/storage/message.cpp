// Message: stub until the real implementation lands.
#include <mailstore/storage/mailbox.hpp>

namespace mailstore::storage {

Seq Message::seq() const { return seq_; }
Uid Message::uid() const { return 0; }
MailFlags Message::flags() const { return 0; }
std::vector<std::string> Message::keywords() const { return {}; }
bool Message::recent() const { return false; }
ModSeq Message::modseq() const { return 0; }
bool Message::expunged() const { return false; }
Result<std::uint64_t> Message::physical_size() const { return Status::error(Status::Code::internal, "not implemented"); }
Result<std::uint64_t> Message::virtual_size() const { return Status::error(Status::Code::internal, "not implemented"); }
Result<std::int64_t> Message::internal_date() const { return Status::error(Status::Code::internal, "not implemented"); }
Result<std::int64_t> Message::save_date() const { return Status::error(Status::Code::internal, "not implemented"); }
Result<std::string> Message::guid() const { return Status::error(Status::Code::internal, "not implemented"); }
std::optional<std::string> Message::pop3_uidl() const { return std::nullopt; }
Result<MessageData> Message::open() const { return Status::error(Status::Code::internal, "not implemented"); }
std::optional<std::string> Message::cached(std::string_view) const { return std::nullopt; }
void Message::cache(std::string_view, std::string_view) const {}

} // namespace mailstore::storage
