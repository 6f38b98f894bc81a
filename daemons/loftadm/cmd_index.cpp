// loftadm index dump: the header, records and log of a mailbox's loft.index
// files in readable form, for debugging (src/index/mail_index.hpp dump()).
//
//   loftadm index dump -u USER MAILBOX   the index of that mailbox
//   loftadm index dump PATH              an index directory, or one of its loft.index* files
//
// The index is opened read-only: dumping never creates, repairs or locks
// anything, so it is safe next to running daemons.
#include "commands.hpp"
#include "mail_user.hpp"
#include "output.hpp"

#include "index/mail_index.hpp"
#include "user/user_impl.hpp"

#include <iostream>
#include <sys/stat.h>

namespace loftadm {

namespace storage = mailstore::storage;
namespace index = mailstore::index;

namespace {

// The directory of `path`: itself when it is a directory, else its parent.
mailstore::Result<std::string> index_dir_of(const std::string& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
        return mailstore::Status::not_found(path + ": no such file or directory (give a directory holding "
                                                   "loft.index*, or -u USER MAILBOX)");
    }
    if (S_ISDIR(st.st_mode)) {
        return path;
    }
    auto slash = path.rfind('/');
    if (slash == std::string::npos) {
        return std::string(".");
    }
    return slash == 0 ? std::string("/") : path.substr(0, slash);
}

} // namespace

int run_index_dump(Backend& backend, const mailstore::config::Config& config, const IndexDumpOptions& options) {
    std::string dir;
    if (!options.user.empty()) {
        std::optional<storage::User> user;
        if (int code = open_mail_user(backend, config, options.user, user); code != exit_ok) {
            return code;
        }
        auto resolved = storage::resolve_mailbox(*user, options.target);
        if (!resolved) {
            return report_error("Mailbox " + options.target, resolved.status());
        }
        if (!user->exists(resolved->name)) {
            return report_error("Mailbox " + options.target,
                                mailstore::Status::not_found("Mailbox doesn't exist: " + resolved->name));
        }
        dir = resolved->paths.index_dir;
        if (dir == "MEMORY") {
            std::cerr << "Error: Mailbox " << printable(options.target)
                      << ": its index is kept in memory only (INDEX=MEMORY): nothing to dump\n";
            return exit_not_found;
        }
    } else {
        auto found = index_dir_of(options.target);
        if (!found) {
            return report_error("index dump", found.status());
        }
        dir = found.value();
    }
    struct stat st {};
    if (::stat((dir + "/loft.index.log").c_str(), &st) != 0 && ::stat((dir + "/loft.index").c_str(), &st) != 0) {
        std::cerr << "Error: " << printable(dir)
                  << ": no loft.index or loft.index.log here (the mailbox has not been opened by Loft yet, "
                     "or INDEX= points elsewhere)\n";
        return exit_not_found;
    }
    index::IndexOptions index_options;
    index_options.dir = dir;
    index_options.read_only = true;
    auto opened = index::MailIndex::open(index_options);
    if (!opened) {
        return report_error("index " + dir, opened.status());
    }
    std::cout << opened.value()->dump();
    return exit_ok;
}

} // namespace loftadm
