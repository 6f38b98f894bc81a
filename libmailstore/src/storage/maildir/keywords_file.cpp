// dovecot-keywords, as Dovecot 2.3.19 writes it (doveadm flags add
// '\Seen kw1 $Junk', then 'kw2'): "0 kw1\n1 $Junk\n2 kw2\n" — one line per
// used index, in index order, names as given (case kept).
#include "storage/maildir/keywords_file.hpp"

#include "storage/format_io.hpp"
#include "storage/maildir/uidlist.hpp"

#include <strings.h>

namespace mailstore::storage::maildir {
namespace {

constexpr std::size_t max_keyword_length = 255;

bool equal_ci(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        char x = a[i], y = b[i];
        if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
        if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
        if (x != y) return false;
    }
    return true;
}

// An IMAP flag-keyword is an atom (RFC 3501 section 9): no spaces, controls,
// or atom-specials; we also keep 8-bit bytes and a leading '\' out.
bool valid_keyword(std::string_view name) {
    if (name.empty() || name.size() > max_keyword_length || name[0] == '\\') return false;
    for (char c : name) {
        const auto u = static_cast<unsigned char>(c);
        if (u <= 0x20 || u >= 0x7f) return false;
        if (c == '(' || c == ')' || c == '{' || c == '%' || c == '*' || c == '"' || c == ']') return false;
    }
    return true;
}

} // namespace

std::optional<char> KeywordsFile::letter_of(std::string_view name) const {
    for (std::size_t i = 0; i < names.size(); ++i)
        if (!names[i].empty() && equal_ci(names[i], name)) return static_cast<char>('a' + i);
    return std::nullopt;
}

const std::string& KeywordsFile::name_of(char letter) const {
    static const std::string empty;
    if (letter < 'a' || letter > 'z') return empty;
    return names[static_cast<std::size_t>(letter - 'a')];
}

std::optional<char> KeywordsFile::assign(std::string_view name) {
    if (auto existing = letter_of(name)) return existing;
    if (!valid_keyword(name)) return std::nullopt;
    for (std::size_t i = 0; i < names.size(); ++i) {
        if (names[i].empty()) {
            names[i] = std::string(name);
            return static_cast<char>('a' + i);
        }
    }
    return std::nullopt;
}

KeywordsFile parse_keywords_file(std::string_view text) {
    KeywordsFile out;
    while (!text.empty()) {
        const auto nl = text.find('\n');
        std::string_view line = text.substr(0, nl);
        text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        const auto sp = line.find(' ');
        if (sp == std::string_view::npos || sp == 0 || sp > 2) continue;
        unsigned idx = 0;
        bool digits = true;
        for (char c : line.substr(0, sp)) {
            if (c < '0' || c > '9') digits = false;
            else idx = idx * 10 + static_cast<unsigned>(c - '0');
        }
        const std::string_view name = line.substr(sp + 1);
        if (!digits || idx >= out.names.size() || !valid_keyword(name)) continue;
        // The first line for an index wins; a name already given a letter
        // keeps it (Dovecot never writes either; a hand-edited file might).
        if (!out.names[idx].empty() || out.letter_of(name)) continue;
        out.names[idx] = std::string(name);
    }
    return out;
}

std::string format_keywords_file(const KeywordsFile& file) {
    std::string out;
    for (std::size_t i = 0; i < file.names.size(); ++i)
        if (!file.names[i].empty()) out += std::to_string(i) + " " + file.names[i] + "\n";
    return out;
}

Result<KeywordsFile> read_keywords_file(const std::string& path) {
    auto data = read_whole_file(path, 64 * 1024);
    if (!data) {
        if (data.status().code() == Status::Code::not_found) return KeywordsFile{};
        return data.status();
    }
    return parse_keywords_file(*data);
}

Status write_keywords_file(const std::string& path, const KeywordsFile& file, index::FsyncMode fsync) {
    // Dovecot writes dovecot-keywords under dovecot-keywords.lock: take the
    // same lock so a concurrent Dovecot process does not lose our letters.
    auto lock = Dotlock::acquire(path, std::chrono::seconds(10), std::chrono::seconds(120));
    if (!lock) return lock.status();
    return replace_file(path, path + ".tmp", format_keywords_file(file), fsync);
}

} // namespace mailstore::storage::maildir
