// Stub: replaced by the implementation.
#include <mailstore/mime/section.hpp>

namespace mailstore::mime {
std::optional<SectionSpec> parse_section_spec(std::string_view) { return std::nullopt; }
std::optional<SectionContent> locate_section(const ParsedMessage&, const SectionSpec&) { return std::nullopt; }
std::string section_bytes(const ParsedMessage&, const SectionContent&) { return {}; }
void CrlfNormalizer::feed(std::string_view in, std::string& out) { out.append(in); }
void CrlfNormalizer::finish(std::string&) {}
std::uint64_t crlf_size(std::string_view raw) { return raw.size(); }
Result<std::string> decode_part_binary(const ParsedMessage&, std::span<const std::uint32_t>) { return Status::not_found("stub"); }
} // namespace mailstore::mime
