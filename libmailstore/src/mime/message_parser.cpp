// Stub: replaced by the implementation.
#include <mailstore/mime/message.hpp>

namespace mailstore::mime {
struct ParsedMessage::Impl { std::string_view raw; MessagePart root; };
std::string_view MessagePart::effective_type() const { return "text"; }
std::string_view MessagePart::effective_subtype() const { return "plain"; }
ParsedMessage ParsedMessage::parse(std::string_view raw, const ParseLimits&) { return ParsedMessage(std::make_unique<Impl>(Impl{raw, {}})); }
ParsedMessage::ParsedMessage(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ParsedMessage::ParsedMessage(ParsedMessage&&) noexcept = default;
ParsedMessage& ParsedMessage::operator=(ParsedMessage&&) noexcept = default;
ParsedMessage::~ParsedMessage() = default;
std::string_view ParsedMessage::raw() const { return impl_->raw; }
const MessagePart& ParsedMessage::root() const { return impl_->root; }
std::size_t ParsedMessage::part_count() const { return 1; }
std::uint64_t ParsedMessage::virtual_size() const { return 0; }
std::string_view ParsedMessage::header_bytes(const MessagePart&) const { return {}; }
std::string_view ParsedMessage::body_bytes(const MessagePart&) const { return {}; }
const MessagePart* ParsedMessage::find_part(std::span<const std::uint32_t>) const { return nullptr; }
} // namespace mailstore::mime
