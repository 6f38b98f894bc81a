// loftadm import -u USER [-s] SOURCE DEST: copies the messages of an mbox
// file or a Maildir into mailbox DEST (created when missing) as new messages
// with new UIDs, keeping their flags, keywords and dates (docs/loftadm.md).
//
// mbox: read by MboxReader (mbox_reader.hpp: From_ lines, mboxrd/mboxo
// unquoting, Status/X-Status/X-Keywords into flags). UW-IMAP's first pseudo
// message (with X-IMAP) is skipped, empty messages too (with a warning).
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
#include "mbox_reader.hpp"
#include "output.hpp"

#include "storage/compress.hpp"
#include "storage/maildir/filename.hpp"
#include "storage/maildir/keywords_file.hpp"
#include "storage/maildir/uidlist.hpp"

#include <mailstore/storage/mailbox.hpp>

#include <algorithm>
#include <cerrno>
#include <cstring>
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

// One Maildir file may not be larger than this (it is read into memory).
constexpr std::uint64_t max_message_size = MboxReader::max_message_size;
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

int import_mbox(Importer& importer, MboxReader& reader, const std::string& path) {
    MboxMessage message;
    while (true) {
        auto more = reader.next(message);
        if (!more) {
            (void)importer.commit(); // keep the messages before it
            int code = report_error("import", more.status());
            // A message too large to be one: the file is not what it seems.
            return more.status().code() == Status::Code::invalid_argument ? exit_data_error : code;
        }
        if (!more.value()) {
            return exit_ok;
        }
        std::string where =
            path + ": message " + std::to_string(message.number) + " (From_ line " + std::to_string(message.line) + ")";
        if (message.pseudo && message.number == 1) {
            continue; // UW-IMAP's folder data, not mail
        }
        if (message.data.empty()) {
            std::cerr << "Warning: " << printable(where) << " is empty: skipped\n";
            continue;
        }
        storage::SaveRequest request;
        request.data = message.data;
        request.flags = message.flags;
        request.keywords = message.keywords;
        request.internal_date = message.date;
        Status saved = importer.save(request, where);
        if (!saved.is_ok()) {
            (void)importer.commit(); // keep the messages before it
            return report_error("import", saved);
        }
    }
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
                // (UidlistEntry::field() is not exported: read ext directly.)
                for (const auto& [key, value] : it->second->ext) {
                    if (key == 'P') {
                        file.pop3_uidl = value;
                    }
                }
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
                if (letter < 'a' || letter > 'z') {
                    continue;
                }
                const std::string& name = keywords->names[static_cast<std::size_t>(letter - 'a')];
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
    // The source is checked before the user's storage is touched, so a
    // wrong file creates no DEST.
    std::unique_ptr<MboxReader> mbox;
    if (!source_is_maildir) {
        auto opened = MboxReader::open(options.source);
        if (!opened) {
            int code = report_error("import", opened.status());
            return opened.status().code() == Status::Code::invalid_argument ? exit_data_error : code;
        }
        mbox = std::move(opened).value();
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
    int result = source_is_maildir ? import_maildir(importer, options.source)
                                   : import_mbox(importer, *mbox, options.source);
    if (result == exit_ok) {
        if (Status committed = importer.commit(); !committed.is_ok()) {
            result = report_error("import: commit", committed);
        }
    }
    std::cout << "Imported " << importer.imported() << " messages into " << printable(dest) << "\n";
    return result;
}

} // namespace loftadm
