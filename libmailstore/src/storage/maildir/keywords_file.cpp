#include "storage/maildir/keywords_file.hpp"

namespace mailstore::storage::maildir {

std::optional<char> KeywordsFile::letter_of(std::string_view) const { return std::nullopt; }
const std::string& KeywordsFile::name_of(char letter) const {
    static const std::string empty;
    if (letter < 'a' || letter > 'z') return empty;
    return names[static_cast<std::size_t>(letter - 'a')];
}
std::optional<char> KeywordsFile::assign(std::string_view) { return std::nullopt; }
KeywordsFile parse_keywords_file(std::string_view) { return {}; }
std::string format_keywords_file(const KeywordsFile&) { return {}; }
Result<KeywordsFile> read_keywords_file(const std::string&) { return Status::error(Status::Code::internal, "not implemented"); }
Status write_keywords_file(const std::string&, const KeywordsFile&, index::FsyncMode) { return Status::error(Status::Code::internal, "not implemented"); }

} // namespace mailstore::storage::maildir
