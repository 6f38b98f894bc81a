// mbox parsing for `loftadm import` (mbox_reader.hpp).
#include "mbox_reader.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <string_view>

namespace loftadm {

namespace storage = mailstore::storage;
using mailstore::Status;

namespace {

// Lines are read in pieces of at most this many bytes.
constexpr std::size_t max_line_piece = 64 * 1024;

bool starts_with(std::string_view text, std::string_view prefix) { return text.substr(0, prefix.size()) == prefix; }

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) {
        return false;
    }
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) {
            return false;
        }
    }
    return true;
}

// The asctime date of a From_ line ("From sender Mon Jan  2 15:04:05 2006",
// also with a numeric zone before the year), or nullopt.
std::optional<std::int64_t> from_line_date(std::string_view line) {
    std::string text(line.substr(5));
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) {
        text.pop_back();
    }
    auto space = text.find(' ');
    if (space == std::string::npos) {
        return std::nullopt;
    }
    std::string date = text.substr(space + 1);
    for (const char* format : {"%a %b %d %H:%M:%S %Y", "%a %b %d %H:%M:%S %z %Y", "%a %b %d %H:%M %Y"}) {
        std::tm tm{};
        const char* end = ::strptime(date.c_str(), format, &tm);
        if (end != nullptr && *end == '\0') {
            long offset = tm.tm_gmtoff; // set by %z only
            return static_cast<std::int64_t>(::timegm(&tm)) - offset;
        }
    }
    return std::nullopt;
}

// RFC 3501 flag-keyword atoms; what cannot be one is dropped.
bool valid_keyword(std::string_view word) {
    if (word.empty() || word.size() > 255 || word[0] == '\\') {
        return false;
    }
    return std::none_of(word.begin(), word.end(), [](char ch) {
        auto c = static_cast<unsigned char>(ch);
        return c <= 0x20 || c >= 0x7f || std::strchr("(){%*\"\\]", c) != nullptr;
    });
}

// Turns the mbox-internal headers of `message.data` into flags and keywords
// and removes them.
void take_mbox_headers(MboxMessage& message) {
    std::string& data = message.data;
    std::string out;
    out.reserve(data.size());
    std::size_t pos = 0;
    while (pos < data.size()) {
        std::size_t eol = data.find('\n', pos);
        std::size_t end = eol == std::string::npos ? data.size() : eol + 1;
        std::string_view line(data.data() + pos, end - pos);
        if (line == "\n" || line == "\r\n") {
            break; // the body follows
        }
        std::size_t field_end = end; // with its continuation lines
        while (field_end < data.size() && (data[field_end] == ' ' || data[field_end] == '\t')) {
            std::size_t next = data.find('\n', field_end);
            field_end = next == std::string::npos ? data.size() : next + 1;
        }
        std::string_view field(data.data() + pos, field_end - pos);
        auto colon = field.find(':');
        std::string_view name = colon == std::string_view::npos ? std::string_view() : field.substr(0, colon);
        std::string value = colon == std::string_view::npos ? "" : std::string(field.substr(colon + 1));
        std::replace_if(value.begin(), value.end(), [](char c) { return c == '\r' || c == '\n' || c == '\t'; }, ' ');
        bool drop = true;
        if (iequals(name, "Status")) {
            if (value.find('R') != std::string::npos) {
                message.flags |= storage::flag_seen;
            }
        } else if (iequals(name, "X-Status")) {
            for (char c : value) {
                switch (c) {
                case 'A': message.flags |= storage::flag_answered; break;
                case 'F': message.flags |= storage::flag_flagged; break;
                case 'T': message.flags |= storage::flag_draft; break;
                case 'D': message.flags |= storage::flag_deleted; break;
                default: break;
                }
            }
        } else if (iequals(name, "X-Keywords")) {
            std::size_t i = 0;
            while (i < value.size()) {
                while (i < value.size() && (value[i] == ' ' || value[i] == ',')) {
                    ++i;
                }
                std::size_t j = i;
                while (j < value.size() && value[j] != ' ' && value[j] != ',') {
                    ++j;
                }
                std::string word = value.substr(i, j - i);
                if (valid_keyword(word) &&
                    std::find(message.keywords.begin(), message.keywords.end(), word) == message.keywords.end()) {
                    message.keywords.push_back(word);
                }
                i = j;
            }
        } else if (iequals(name, "X-IMAP")) {
            message.pseudo = true;
        } else if (!iequals(name, "X-UID") && !iequals(name, "X-IMAPbase") && !iequals(name, "Content-Length")) {
            drop = false;
        }
        if (!drop) {
            out.append(field);
        }
        pos = field_end;
    }
    out.append(data, pos, std::string::npos);
    data.swap(out);
}

} // namespace

MboxReader::MboxReader(std::FILE* file, std::string path) : file_(file), path_(std::move(path)) {}

MboxReader::~MboxReader() { std::fclose(file_); }

mailstore::Result<std::unique_ptr<MboxReader>> MboxReader::open(const std::string& path) {
    std::FILE* file = std::fopen(path.c_str(), "rbe");
    if (file == nullptr) {
        int err = errno;
        return Status::error(err == ENOENT ? Status::Code::not_found : Status::Code::io_error,
                             path + ": " + std::strerror(err));
    }
    std::unique_ptr<MboxReader> reader(new MboxReader(file, path));
    std::string piece;
    bool line_start = true;
    if (reader->read_piece(piece, line_start)) {
        if (!starts_with(piece, "From ")) {
            return Status::invalid(path + ": not an mbox file (it must start with a \"From \" line, RFC 4155)");
        }
        reader->pending_from_ = piece;
        reader->pending_line_ = reader->line_;
    } else if (std::ferror(file) != 0) {
        return Status::io(path + ": read failed: " + std::strerror(errno));
    }
    return reader;
}

bool MboxReader::read_piece(std::string& piece, bool& line_start) {
    piece.clear();
    line_start = at_line_start_;
    int c = 0;
    while (piece.size() < max_line_piece && (c = getc_unlocked(file_)) != EOF) {
        piece.push_back(static_cast<char>(c));
        if (c == '\n') {
            break;
        }
    }
    if (piece.empty()) {
        return false;
    }
    at_line_start_ = piece.back() == '\n';
    if (at_line_start_) {
        ++line_;
    }
    return true;
}

mailstore::Result<bool> MboxReader::next(MboxMessage& out) {
    if (!pending_from_) {
        return false;
    }
    out = MboxMessage{};
    out.date = from_line_date(*pending_from_);
    out.line = pending_line_;
    out.number = ++count_;
    pending_from_.reset();
    bool previous_blank = false;
    std::string piece;
    bool line_start = true;
    while (read_piece(piece, line_start)) {
        if (line_start && previous_blank && starts_with(piece, "From ")) {
            pending_from_ = piece;
            pending_line_ = line_;
            break;
        }
        if (line_start && piece[0] == '>') {
            std::size_t n = piece.find_first_not_of('>');
            if (n != std::string::npos && starts_with(std::string_view(piece).substr(n), "From ")) {
                piece.erase(0, 1); // mboxrd: one level of quoting less
            }
        }
        if (out.data.size() + piece.size() > max_message_size) {
            return Status::invalid(path_ + ": message " + std::to_string(out.number) + " (From_ line " +
                                   std::to_string(out.line) + ") is larger than " + std::to_string(max_message_size) +
                                   " bytes: is it an mbox file with \"From \" lines between messages?");
        }
        out.data += piece;
        if (line_start) {
            previous_blank = piece == "\n" || piece == "\r\n";
        } else {
            previous_blank = false;
        }
    }
    if (std::ferror(file_) != 0) {
        return Status::io(path_ + ": read failed: " + std::strerror(errno));
    }
    // The empty line before the next From_ line (or the one writers add at
    // the end of the file) is mbox framing, not message text.
    std::string& data = out.data;
    if (data.size() >= 4 && data.compare(data.size() - 4, 4, "\r\n\r\n") == 0) {
        data.resize(data.size() - 2);
    } else if (data.size() >= 2 && data.compare(data.size() - 2, 2, "\n\n") == 0) {
        data.pop_back();
    } else if (data == "\n" || data == "\r\n") {
        data.clear();
    }
    take_mbox_headers(out);
    return true;
}

} // namespace loftadm
