// loftadm import -u USER [-s] SOURCE DEST: copies the messages of an mbox
// file or a Maildir into mailbox DEST (created when missing) as new messages
// with new UIDs, keeping their flags, keywords and dates (docs/loftadm.md).
//
// mbox (RFC 4155): a message starts at a "From " line at the start of the
// file or after an empty line; the empty line before it ends the previous
// message and is not part of it. Body lines ">From ", ">>From " ... lose one
// '>' (mboxrd; for mboxo files this also restores ">From " lines, the only
// ones mboxo quotes). The From_ line's asctime date becomes INTERNALDATE.
// The mbox-internal headers that mail programs (UW-IMAP, Dovecot's mbox
// driver, mutt) write are turned into flags and removed: Status (R = \Seen),
// X-Status (A \Answered, F \Flagged, T \Draft, D \Deleted), X-Keywords
// (keywords), X-UID, X-IMAP, X-IMAPbase, Content-Length. UW-IMAP's first
// pseudo message (with X-IMAP) is skipped.
//
// Maildir: the files of cur/ and new/, in dovecot-uidlist's UID order when
// the file is there (else by name, which starts with the delivery time);
// flags and keyword letters from the file names, keyword names from
// dovecot-keywords, INTERNALDATE from the file's mtime as Dovecot does,
// POP3 UIDLs from the uidlist's P fields; gzip/bzip2 files (Dovecot's zlib
// plugin) are decompressed.
//
// Both stream: one message is in memory at a time. Messages are committed in
// batches (500 by default), so an interrupted import leaves whole batches
// behind and loses at most the open one.
#include "commands.hpp"
#include "mail_user.hpp"
#include "output.hpp"

#include "storage/compress.hpp"
#include "storage/maildir/filename.hpp"
#include "storage/maildir/keywords_file.hpp"
#include "storage/maildir/uidlist.hpp"

#include <mailstore/storage/mailbox.hpp>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <dirent.h>
#include <fcntl.h>
#include <iostream>
#include <map>
#include <memory>
#include <sys/stat.h>
#include <unistd.h>

namespace loftadm {

namespace storage = mailstore::storage;
namespace maildir = mailstore::storage::maildir;
using mailstore::Status;

namespace {

// One message may not be larger than this (a corrupt mbox without From_
// lines would otherwise be read into memory whole).
constexpr std::uint64_t max_message_size = std::uint64_t(1) << 30;
// Lines are read in pieces of at most this many bytes.
constexpr std::size_t max_line_piece = 64 * 1024;
// A Maildir with more files than this is refused (the names are sorted in memory).
constexpr std::size_t max_maildir_files = 10'000'000;

// Saves messages into DEST in batches.
class Importer {
public:
    Importer(storage::Mailbox& mailbox, std::uint32_t batch)
        : mailbox_(mailbox), batch_(batch == 0 ? 1 : batch), tx_(mailbox.begin()) {}

    // Saves one message; commits when the batch is full. `where` names the
    // message in errors.
    Status save(const storage::SaveRequest& request, const std::string& where) {
        Status saved = tx_.save(request);
        if (!saved.is_ok()) {
            return Status::error(saved.code(), where + ": " + saved.message());
        }
        if (++pending_ == batch_) {
            return commit();
        }
        return Status::ok();
    }

    Status commit() {
        if (pending_ == 0) {
            return Status::ok();
        }
        auto committed = tx_.commit();
        tx_ = mailbox_.begin();
        if (!committed) {
            return committed.status();
        }
        imported_ += committed->saved.size();
        pending_ = 0;
        return Status::ok();
    }

    std::uint64_t imported() const { return imported_; }

private:
    storage::Mailbox& mailbox_;
    std::uint32_t batch_;
    storage::Transaction tx_;
    std::uint32_t pending_ = 0;
    std::uint64_t imported_ = 0;
};

// Reads a file line by line in bounded pieces.
class LineReader {
public:
    explicit LineReader(std::FILE* file) : file_(file) {}

    // The next piece: a whole line with its '\n', or (for a line longer than
    // max_line_piece, or the file's last line) a part of one. `line_start`
    // tells whether the piece starts a line. False at the end of the file.
    bool next(std::string& piece, bool& line_start) {
        piece.clear();
        line_start = at_line_start_;
        int c = 0;
        while (piece.size() < max_line_piece && (c = std::getc(file_)) != EOF) {
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
    bool failed() const { return std::ferror(file_) != 0; }
    std::uint64_t line() const { return line_; }

private:
    std::FILE* file_;
    bool at_line_start_ = true;
    std::uint64_t line_ = 0;
};

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
// also with a zone before the year), or nullopt.
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
        if (end != nullptr) {
            std::int64_t t = ::timegm(&tm);
            return t - tm.tm_gmtoff;
        }
    }
    return std::nullopt;
}

// Keywords as IMAP atoms (RFC 3501 flag-keyword): what cannot be one is dropped.
bool valid_keyword(std::string_view word) {
    if (word.empty() || word.size() > 255 || word[0] == '\\') {
        return false;
    }
    for (unsigned char c : word) {
        if (c <= 0x20 || c >= 0x7f || std::strchr("(){%*\"\\]", c) != nullptr) {
            return false;
        }
    }
    return true;
}

struct MboxMessage {
    std::string data;
    std::optional<std::int64_t> date;
    std::uint64_t line = 0; // of its From_ line
};

// Turns the mbox-internal headers of `message.data` into flags and keywords
// and removes them. Returns false for UW-IMAP's pseudo message.
bool take_mbox_headers(std::string& data, storage::SaveRequest& request) {
    std::string out;
    out.reserve(data.size());
    std::size_t pos = 0;
    bool pseudo = false;
    while (pos < data.size()) {
        std::size_t eol = data.find('\n', pos);
        std::size_t end = eol == std::string::npos ? data.size() : eol + 1;
        std::string_view line(data.data() + pos, end - pos);
        if (line == "\n" || line == "\r\n") {
            break; // the body follows
        }
        // The field with its continuation lines.
        std::size_t field_end = end;
        while (field_end < data.size() && (data[field_end] == ' ' || data[field_end] == '\t')) {
            std::size_t next = data.find('\n', field_end);
            field_end = next == std::string::npos ? data.size() : next + 1;
        }
        std::string_view field(data.data() + pos, field_end - pos);
        auto colon = field.find(':');
        std::string_view name = colon == std::string_view::npos ? std::string_view() : field.substr(0, colon);
        std::string value = colon == std::string_view::npos ? "" : std::string(field.substr(colon + 1));
        for (char& c : value) {
            if (c == '\r' || c == '\n' || c == '\t') {
                c = ' ';
            }
        }
        bool drop = true;
        if (iequals(name, "Status")) {
            if (value.find('R') != std::string::npos) {
                request.flags |= storage::flag_seen;
            }
        } else if (iequals(name, "X-Status")) {
            for (char c : value) {
                switch (c) {
                case 'A': request.flags |= storage::flag_answered; break;
                case 'F': request.flags |= storage::flag_flagged; break;
                case 'T': request.flags |= storage::flag_draft; break;
                case 'D': request.flags |= storage::flag_deleted; break;
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
                    std::find(request.keywords.begin(), request.keywords.end(), word) == request.keywords.end()) {
                    request.keywords.push_back(word);
                }
                i = j;
            }
        } else if (iequals(name, "X-IMAP")) {
            pseudo = true;
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
    return !pseudo;
}

int import_mbox(Importer& importer, const std::string& path) {
    std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::fopen(path.c_str(), "rb"), &std::fclose);
    if (!file) {
        std::cerr << "Error: " << printable(path) << ": " << std::strerror(errno) << "\n";
        return errno == ENOENT ? exit_not_found : exit_tempfail;
    }
    LineReader reader(file.get());
    std::optional<MboxMessage> current;
    std::uint64_t message_number = 0;
    bool previous_blank = true; // the start of the file counts as after an empty line
    bool first = true;
    int result = exit_ok;

    auto finish = [&](MboxMessage& message) -> int {
        ++message_number;
        // The empty line that separated it from the next From_ line (or that
        // the writer added at the end) is mbox framing.
        if (message.data.size() >= 2 && message.data.compare(message.data.size() - 2, 2, "\n\n") == 0) {
            message.data.pop_back();
        } else if (message.data.size() >= 4 &&
                   message.data.compare(message.data.size() - 4, 4, "\r\n\r\n") == 0) {
            message.data.resize(message.data.size() - 2);
        }
        storage::SaveRequest request;
        bool real = take_mbox_headers(message.data, request);
        std::string where = path + ": message " + std::to_string(message_number) + " (From_ line " +
                            std::to_string(message.line) + ")";
        if (!real && message_number == 1) {
            return exit_ok; // UW-IMAP's folder data, not mail
        }
        if (message.data.empty() || message.data == "\n" || message.data == "\r\n") {
            std::cerr << "Warning: " << printable(where) << " is empty: skipped\n";
            return exit_ok;
        }
        request.data = message.data;
        request.internal_date = message.date;
        Status saved = importer.save(request, where);
        if (!saved.is_ok()) {
            (void)importer.commit(); // keep the messages before it
            return report_error("import", saved);
        }
        return exit_ok;
    };

    std::string piece;
    bool line_start = true;
    while (reader.next(piece, line_start)) {
        bool is_from = line_start && previous_blank && starts_with(piece, "From ");
        if (first && !is_from) {
            std::cerr << "Error: " << printable(path)
                      << ": not an mbox file (it must start with a \"From \" line, RFC 4155)\n";
            return exit_data_error;
        }
        first = false;
        if (is_from) {
            if (current) {
                if ((result = finish(*current)) != exit_ok) {
                    return result;
                }
            }
            current.emplace();
            current->date = from_line_date(piece);
            current->line = reader.line();
            previous_blank = false;
            continue;
        }
        if (line_start && piece.size() > 5 && piece[0] == '>') {
            std::size_t n = piece.find_first_not_of('>');
            if (n != std::string::npos && starts_with(std::string_view(piece).substr(n), "From ")) {
                piece.erase(0, 1); // mboxrd: one level of quoting less
            }
        }
        if (current->data.size() + piece.size() > max_message_size) {
            std::cerr << "Error: " << printable(path) << ": message " << message_number + 1 << " (From_ line "
                      << current->line << ") is larger than " << max_message_size
                      << " bytes: is the file an mbox with \"From \" lines between messages?\n";
            (void)importer.commit();
            return exit_data_error;
        }
        current->data += piece;
        if (line_start || piece.back() == '\n') {
            previous_blank = piece == "\n" || piece == "\r\n";
        }
    }
    if (reader.failed()) {
        std::cerr << "Error: " << printable(path) << ": read failed: " << std::strerror(errno) << "\n";
        (void)importer.commit();
        return exit_tempfail;
    }
    if (current) {
        if ((result = finish(*current)) != exit_ok) {
            return result;
        }
    }
    return exit_ok;
}

struct MaildirFile {
    std::string path;
    std::string name;
    std::string base;
    storage::Uid uid = 0; // from dovecot-uidlist; 0 = not listed
    std::string pop3_uidl;
};

Status list_maildir_dir(const std::string& dir, std::vector<MaildirFile>& files) {
    std::unique_ptr<DIR, int (*)(DIR*)> d(::opendir(dir.c_str()), &::closedir);
    if (!d) {
        if (errno == ENOENT) {
            return Status::ok();
        }
        return Status::io(dir + ": " + std::strerror(errno));
    }
    while (dirent* entry = ::readdir(d.get())) {
        if (entry->d_name[0] == '.') {
            continue;
        }
        if (files.size() >= max_maildir_files) {
            return Status::invalid(dir + ": more than " + std::to_string(max_maildir_files) +
                                   " files: import the Maildir in parts");
        }
        MaildirFile file;
        file.name = entry->d_name;
        file.path = dir + "/" + file.name;
        file.base = std::string(maildir::filename_base(file.name));
        files.push_back(std::move(file));
    }
    return Status::ok();
}

// The whole file, decompressed when it is gzip or bzip2.
mailstore::Result<std::string> read_mail_file(const std::string& path, std::int64_t& mtime) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return Status::error(errno == ENOENT ? Status::Code::not_found : Status::Code::io_error,
                             path + ": " + std::strerror(errno));
    }
    struct stat st {};
    if (::fstat(fd, &st) != 0 || static_cast<std::uint64_t>(st.st_size) > max_message_size) {
        ::close(fd);
        return Status::io(path + ": cannot be read or is larger than " + std::to_string(max_message_size) + " bytes");
    }
    mtime = st.st_mtime;
    std::string data(static_cast<std::size_t>(st.st_size), '\0');
    std::size_t done = 0;
    while (done < data.size()) {
        ssize_t n = ::read(fd, data.data() + done, data.size() - done);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            break;
        }
        done += static_cast<std::size_t>(n);
    }
    ::close(fd);
    data.resize(done);
    auto format = storage::detect_compression(data);
    if (format != storage::CompressFormat::none) {
        auto plain = storage::decompress(format, data, max_message_size);
        if (!plain) {
            return Status::io(path + ": " + plain.status().message());
        }
        return std::move(plain).value();
    }
    return data;
}

int import_maildir(Importer& importer, const std::string& dir) {
    std::vector<MaildirFile> files;
    for (const char* sub : {"/cur", "/new"}) {
        if (Status listed = list_maildir_dir(dir + sub, files); !listed.is_ok()) {
            return report_error("import", listed);
        }
    }
    // Dovecot's UIDs give the order the messages had; its keywords file the
    // names of the letters.
    auto uidlist = maildir::read_uidlist(dir + "/dovecot-uidlist");
    if (uidlist) {
        std::map<std::string, const maildir::UidlistEntry*> by_base;
        for (const auto& entry : uidlist->entries) {
            by_base.emplace(entry.base, &entry);
        }
        for (auto& file : files) {
            if (auto it = by_base.find(file.base); it != by_base.end()) {
                file.uid = it->second->uid;
                file.pop3_uidl = it->second->field('P').value_or("");
            }
        }
    } else if (uidlist.status().code() != Status::Code::not_found) {
        std::cerr << "Warning: " << printable(dir) << "/dovecot-uidlist: " << printable(uidlist.status().message())
                  << " (importing in file name order)\n";
    }
    std::sort(files.begin(), files.end(), [](const MaildirFile& a, const MaildirFile& b) {
        if ((a.uid == 0) != (b.uid == 0)) {
            return a.uid != 0; // listed ones first, as they are older
        }
        return a.uid != b.uid ? a.uid < b.uid : a.name < b.name;
    });
    auto keywords = maildir::read_keywords_file(dir + "/dovecot-keywords");
    if (!keywords) {
        std::cerr << "Warning: " << printable(dir) << "/dovecot-keywords: " << printable(keywords.status().message())
                  << " (keyword letters are not imported)\n";
    }
    for (const auto& file : files) {
        std::int64_t mtime = 0;
        auto data = read_mail_file(file.path, mtime);
        if (!data) {
            if (data.status().code() == Status::Code::not_found) {
                // Renamed (new/ -> cur/, a flag change) or expunged by a
                // program still using the source: its new name was either
                // listed already or is gone.
                std::cerr << "Warning: " << printable(file.path) << " disappeared while importing: skipped\n";
                continue;
            }
            (void)importer.commit();
            return report_error("import", data.status());
        }
        if (data->empty()) {
            std::cerr << "Warning: " << printable(file.path) << " is empty: skipped\n";
            continue;
        }
        maildir::MaildirFilename parsed = maildir::parse_filename(file.name);
        storage::SaveRequest request;
        request.data = data.value();
        request.flags = parsed.flags;
        if (keywords) {
            for (char letter : parsed.keyword_letters) {
                const std::string& name = keywords->name_of(letter);
                if (!name.empty()) {
                    request.keywords.push_back(name);
                }
            }
        }
        request.internal_date = mtime;
        request.pop3_uidl = file.pop3_uidl;
        Status saved = importer.save(request, file.path);
        if (!saved.is_ok()) {
            (void)importer.commit();
            return report_error("import", saved);
        }
    }
    return exit_ok;
}

bool is_directory(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

} // namespace

int run_import(Backend& backend, const mailstore::config::Config& config, const ImportOptions& options) {
    struct stat st {};
    if (::stat(options.source.c_str(), &st) != 0) {
        std::cerr << "Error: " << printable(options.source) << ": " << std::strerror(errno) << "\n";
        return exit_not_found;
    }
    bool source_is_maildir = S_ISDIR(st.st_mode);
    if (source_is_maildir && !is_directory(options.source + "/cur") && !is_directory(options.source + "/new")) {
        std::cerr << "Error: " << printable(options.source)
                  << ": not a Maildir (no cur/ or new/ in it); give a Maildir or an mbox file\n";
        return exit_usage;
    }
    std::optional<storage::User> user;
    if (int code = open_mail_user(backend, config, options.user, user); code != exit_ok) {
        return code;
    }
    std::string dest = user->normalize_name(options.dest);
    if (dest != "INBOX" && !user->exists(dest)) {
        if (Status created = user->create_mailbox(dest); !created.is_ok()) {
            return report_error("Can't create mailbox " + dest, created);
        }
        if (options.subscribe) {
            if (Status sub = user->subscribe(dest, true); !sub.is_ok()) {
                return report_error("Can't subscribe to mailbox " + dest, sub);
            }
        }
    }
    storage::OpenOptions open_options;
    open_options.claim_recent = false;
    auto mailbox = storage::Mailbox::open(*user, dest, open_options);
    if (!mailbox) {
        return report_error("Mailbox " + dest, mailbox.status());
    }
    Importer importer(mailbox.value(), options.batch);
    int result = source_is_maildir ? import_maildir(importer, options.source) : import_mbox(importer, options.source);
    if (result == exit_ok) {
        if (Status committed = importer.commit(); !committed.is_ok()) {
            result = report_error("import: commit", committed);
        }
    }
    std::cout << "Imported " << importer.imported() << " messages into " << printable(dest) << "\n";
    return result;
}

} // namespace loftadm
