// loft-archive: moves the messages of a folder that are older than N days to
// Archive/<year> (with the namespace's separator: "Archive.2024" in a
// Maildir++ layout), creating and subscribing the folders it needs.
//
//   loft-archive -c /etc/loft/loft.conf -u alice --days 365
//   loft-archive --mail-location maildir:~/Maildir --home ~ --days 30 --by=date --dry-run
//
// A message's age is its internal date (the time it arrived; Maildir: the
// file's mtime) or, with --by=date, its Date: header (the internal date when
// the header is missing or unreadable). The year is taken in local time.
//
// No mail is lost: each batch is one MOVE transaction (Transaction::move).
// Its commit makes the copies durable in the archive folder (per mail_fsync)
// before the originals are expunged in a second commit, so a crash or an
// error leaves a message in the source, in the archive, or (at worst) in
// both — never in neither. Messages keep their flags, keywords and internal
// date; they get new UIDs in the archive folder (printed with -v).
//
// An example of the public C++ API only (mailstore/storage, mailstore/mime).
#include "../common/open_user.hpp"

#include <mailstore/mime/date.hpp>
#include <mailstore/mime/header.hpp>
#include <mailstore/storage/mailbox.hpp>
#include <mailstore/storage/types.hpp>
#include <mailstore/storage/user.hpp>

#include <CLI/CLI.hpp>

#include <cstdint>
#include <cstdio>
#include <ctime>
#include <iostream>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace {

namespace mime = mailstore::mime;
namespace storage = mailstore::storage;
using mailstore::Status;

// At most this many messages per MOVE transaction: bounds the memory and the
// time one commit holds the archive folder's lock.
constexpr std::size_t batch_size = 1000;

struct Options {
    examples::UserOptions who;
    std::string folder = "INBOX";
    std::string archive = "Archive";
    unsigned days = 0;
    std::string by = "internal";
    bool dry_run = false;
    bool verbose = false;
};

// When the message was sent or received, in Unix seconds; nullopt when it
// cannot be read (expunged meanwhile).
std::optional<std::int64_t> message_time(storage::Message& message, bool by_date_header) {
    if (by_date_header) {
        if (auto data = message.open()) {
            mime::Header header(data->header());
            if (auto date = mime::parse_message_date(header.value("Date"))) {
                return date->utc;
            }
        }
    }
    auto internal = message.internal_date();
    if (!internal) {
        return std::nullopt;
    }
    return *internal;
}

int local_year(std::int64_t unix_time) {
    std::time_t t = static_cast<std::time_t>(unix_time);
    std::tm tm{};
    localtime_r(&t, &tm);
    return tm.tm_year + 1900;
}

// The archive folder's name for `year`, in the namespace of `source`:
// "<prefix>Archive<sep><year>".
std::string archive_name(const storage::User& user, const std::string& source,
                         const std::string& root, int year) {
    int ns = user.namespace_of(source);
    const auto& info = user.namespaces().at(ns < 0 ? 0 : ns);
    return info.prefix + root + info.separator + std::to_string(year);
}

// Creates (and subscribes) `name` and its parent when missing. The parent is
// marked \Archive (RFC 6154) when this creates it.
Status ensure_folder(const storage::User& user, const std::string& name,
                     const std::string& parent) {
    const std::pair<const std::string&, std::uint32_t> folders[] = {
        {parent, storage::special_archive}, {name, 0}};
    for (const auto& [folder, special] : folders) {
        if (!user.exists(folder)) {
            auto created = user.create_mailbox(folder, special);
            if (created) {
                std::printf("created %s\n", folder.c_str());
            } else if (created.code() != Status::Code::already_exists) {
                return created; // (already_exists: another process was first)
            }
        }
        if (auto subscribed = user.subscribe(folder); !subscribed) {
            return subscribed;
        }
    }
    return Status::ok();
}

// Moves `uids` of `source` into `target`, a batch per transaction.
Status move_messages(const storage::User& user, storage::Mailbox& source, const std::string& target,
                     const std::vector<storage::Uid>& uids, bool verbose) {
    auto destination = storage::Mailbox::open(user, target);
    if (!destination) {
        return destination.status();
    }
    std::uint64_t moved = 0;
    for (std::size_t first = 0; first < uids.size(); first += batch_size) {
        storage::UidSet batch;
        for (std::size_t i = first; i < uids.size() && i < first + batch_size; ++i) {
            batch.add(uids[i]);
        }
        storage::Transaction transaction = destination->begin();
        if (auto status = transaction.move(source, batch); !status) {
            return status;
        }
        auto result = transaction.commit();
        if (!result) {
            return result.status();
        }
        for (std::size_t i = 0; i < result->copy_src.size(); ++i) {
            if (verbose) {
                std::printf("%s UID %u -> %s UID %u\n", source.name().c_str(), result->copy_src[i],
                            target.c_str(), result->copy_dst[i]);
            }
        }
        moved += result->copy_src.size();
    }
    std::printf("moved %llu message%s from %s to %s\n", static_cast<unsigned long long>(moved),
                moved == 1 ? "" : "s", source.name().c_str(), target.c_str());
    return Status::ok();
}

Status archive(const Options& options) {
    auto user = examples::open_user(options.who);
    if (!user) {
        return user.status();
    }
    storage::OpenOptions open_options;
    open_options.read_only = options.dry_run;
    open_options.claim_recent = false; // \Recent stays for the user's next IMAP session
    auto source = storage::Mailbox::open(*user, options.folder, open_options);
    if (!source) {
        return Status::error(source.status().code(),
                             options.folder + ": " + source.status().message());
    }
    const std::int64_t cutoff = static_cast<std::int64_t>(std::time(nullptr)) -
                                static_cast<std::int64_t>(options.days) * 86400;
    const bool by_date_header = options.by == "date";

    // Year -> UIDs, ascending (the view is in UID order).
    std::map<int, std::vector<storage::Uid>> by_year;
    const storage::View& view = source->view();
    for (storage::Seq seq = 1; seq <= view.count(); ++seq) {
        storage::Message message = source->message(seq);
        auto when = message_time(message, by_date_header);
        if (when && *when < cutoff) {
            by_year[local_year(*when)].push_back(message.uid());
        }
    }

    for (const auto& [year, uids] : by_year) {
        std::string target = archive_name(*user, source->name(), options.archive, year);
        if (options.dry_run) {
            std::printf("would move %zu message%s from %s to %s\n", uids.size(),
                        uids.size() == 1 ? "" : "s", source->name().c_str(), target.c_str());
            for (storage::Uid uid : uids) {
                if (options.verbose) {
                    std::printf("%s UID %u -> %s\n", source->name().c_str(), uid, target.c_str());
                }
            }
            continue;
        }
        std::string parent = target.substr(0, target.size() - std::to_string(year).size() - 1);
        if (auto status = ensure_folder(*user, target, parent); !status) {
            return Status::error(status.code(), target + ": " + status.message());
        }
        if (auto status = move_messages(*user, *source, target, uids, options.verbose); !status) {
            return Status::error(status.code(), "moving to " + target + ": " + status.message());
        }
    }
    if (by_year.empty()) {
        std::printf("nothing older than %u days in %s\n", options.days, source->name().c_str());
    }
    return Status::ok();
}

} // namespace

int main(int argc, char** argv) {
    CLI::App app{"Moves messages older than N days from a folder to Archive/<year>."};
    Options options;
    app.add_option("-c,--config", options.who.config_path,
                   "loft.conf to read (userdb, mail_location)");
    app.add_option("-u,--user", options.who.username, "user to look up in the config's userdb");
    app.add_option("--home", options.who.home,
                   "the user's home directory, instead of a userdb lookup");
    app.add_option("--mail-location", options.who.mail_location,
                   "mail_location, e.g. maildir:~/Maildir");
    app.add_option("-d,--days", options.days, "archive messages older than this many days")
        ->required();
    app.add_option("-f,--folder", options.folder, "folder to archive from")->capture_default_str();
    app.add_option("--archive", options.archive, "top folder of the archive")
        ->capture_default_str();
    app.add_option("--by", options.by,
                   "the age of a message: internal (arrival) date or its Date: header")
        ->check(CLI::IsMember({"internal", "date"}))
        ->capture_default_str();
    app.add_flag("-n,--dry-run", options.dry_run, "show what would be moved, change nothing");
    app.add_flag("-v,--verbose", options.verbose, "print each message moved, with its new UID");
    CLI11_PARSE(app, argc, argv);

    if (auto status = archive(options); !status) {
        std::cerr << "loft-archive: " << status.message() << "\n";
        return 1;
    }
    return 0;
}
