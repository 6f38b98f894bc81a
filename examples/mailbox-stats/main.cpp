// loft-mailbox-stats: what a user's mail takes up. For every folder the
// number of messages and their size, the largest messages (folder, UID,
// size, subject) and the senders with the most messages.
//
//   loft-mailbox-stats -c /etc/loft/loft.conf -u alice
//   loft-mailbox-stats --home /home/alice --mail-location maildir:~/Maildir --top 5 --json
//
// Sizes are RFC822.SIZE (line ends counted as CRLF), what an IMAP client is
// told. Every folder is opened read-only: running this never changes mail,
// flags or \Recent.
//
// An example of the public C++ API (mailstore/storage, mailstore/mime): it
// includes nothing else of Loft.
#include "../common/open_user.hpp"

#include <mailstore/mime/address.hpp>
#include <mailstore/mime/header.hpp>
#include <mailstore/storage/mailbox.hpp>
#include <mailstore/storage/user.hpp>

#include <CLI/CLI.hpp>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdio>
#include <iostream>
#include <map>
#include <string>
#include <vector>

namespace {

namespace mime = mailstore::mime;
namespace storage = mailstore::storage;

struct FolderStats {
    std::string name;
    std::uint64_t messages = 0;
    std::uint64_t size = 0;
};

struct LargeMessage {
    std::string folder;
    storage::Uid uid = 0;
    std::uint64_t size = 0;
    std::string subject;
};

struct Stats {
    std::vector<FolderStats> folders;
    std::vector<LargeMessage> largest; // sorted, at most `top`
    std::map<std::string, std::uint64_t> senders;
};

// The From: address in lower case ("" when the header has none), and the
// decoded Subject.
void read_header(std::string_view header_block, std::string& from, std::string& subject) {
    mime::Header header(header_block);
    subject = mime::decoded_value(header.value("Subject"));
    from.clear();
    for (const auto& address : mime::parse_address_list(header.value("From"))) {
        if (address.kind == mime::Address::Kind::mailbox && !address.local_part.empty()) {
            from = address.addr_spec();
            std::transform(from.begin(), from.end(), from.begin(),
                           [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
            break;
        }
    }
}

// Keeps the `top` largest messages; ties go to the one seen first.
void consider(std::vector<LargeMessage>& largest, std::size_t top, LargeMessage candidate) {
    if (top == 0) {
        return;
    }
    auto at = std::upper_bound(
        largest.begin(), largest.end(), candidate,
        [](const LargeMessage& a, const LargeMessage& b) { return a.size > b.size; });
    if (static_cast<std::size_t>(at - largest.begin()) >= top) {
        return;
    }
    largest.insert(at, std::move(candidate));
    if (largest.size() > top) {
        largest.pop_back();
    }
}

mailstore::Status collect(const storage::User& user, std::size_t top, Stats& stats) {
    storage::ListQuery all;
    all.patterns = {"*"};
    auto list = user.list(all);
    if (!list) {
        return list.status();
    }
    for (const auto& info : *list) {
        if (info.attributes & (storage::attr_noselect | storage::attr_nonexistent)) {
            continue;
        }
        storage::OpenOptions read_only;
        read_only.read_only = true;
        auto mailbox = storage::Mailbox::open(user, info.name, read_only);
        if (!mailbox) {
            return mailstore::Status::error(mailbox.status().code(),
                                            info.name + ": " + mailbox.status().message());
        }
        FolderStats folder{info.name, 0, 0};
        const storage::View& view = mailbox->view();
        for (storage::Seq seq = 1; seq <= view.count(); ++seq) {
            storage::Message message = mailbox->message(seq);
            auto size = message.virtual_size();
            auto data = message.open();
            if (!size || !data) {
                continue; // expunged by someone else meanwhile
            }
            std::string from;
            std::string subject;
            read_header(data->header(), from, subject);
            folder.messages++;
            folder.size += *size;
            stats.senders[from]++;
            consider(stats.largest, top, {info.name, message.uid(), *size, subject});
        }
        stats.folders.push_back(std::move(folder));
    }
    return mailstore::Status::ok();
}

// The senders with the most messages, most first, ties by address.
std::vector<std::pair<std::string, std::uint64_t>> top_senders(const Stats& stats,
                                                               std::size_t top) {
    std::vector<std::pair<std::string, std::uint64_t>> senders(stats.senders.begin(),
                                                               stats.senders.end());
    std::stable_sort(senders.begin(), senders.end(),
                     [](const auto& a, const auto& b) { return a.second > b.second; });
    if (senders.size() > top) {
        senders.resize(top);
    }
    return senders;
}

std::string json_string(std::string_view text) {
    std::string out = "\"";
    for (unsigned char c : text) {
        switch (c) {
        case '"':
            out += "\\\"";
            break;
        case '\\':
            out += "\\\\";
            break;
        case '\n':
            out += "\\n";
            break;
        case '\r':
            out += "\\r";
            break;
        case '\t':
            out += "\\t";
            break;
        default:
            if (c < 0x20) {
                char buf[8];
                std::snprintf(buf, sizeof buf, "\\u%04x", c);
                out += buf;
            } else {
                out += static_cast<char>(c); // decoded_value() gave valid UTF-8
            }
        }
    }
    return out + "\"";
}

void print_json(const storage::User& user, const Stats& stats, std::size_t top) {
    std::uint64_t messages = 0;
    std::uint64_t size = 0;
    std::cout << "{\n  \"user\": " << json_string(user.username()) << ",\n  \"folders\": [";
    const char* sep = "\n";
    for (const auto& f : stats.folders) {
        std::cout << sep << "    {\"name\": " << json_string(f.name)
                  << ", \"messages\": " << f.messages << ", \"size\": " << f.size << "}";
        sep = ",\n";
        messages += f.messages;
        size += f.size;
    }
    std::cout << "\n  ],\n  \"total\": {\"messages\": " << messages << ", \"size\": " << size
              << "},\n  \"largest\": [";
    sep = "\n";
    for (const auto& m : stats.largest) {
        std::cout << sep << "    {\"folder\": " << json_string(m.folder) << ", \"uid\": " << m.uid
                  << ", \"size\": " << m.size << ", \"subject\": " << json_string(m.subject) << "}";
        sep = ",\n";
    }
    std::cout << "\n  ],\n  \"senders\": [";
    sep = "\n";
    for (const auto& [address, count] : top_senders(stats, top)) {
        std::cout << sep << "    {\"address\": " << json_string(address)
                  << ", \"messages\": " << count << "}";
        sep = ",\n";
    }
    std::cout << "\n  ]\n}\n";
}

void print_text(const Stats& stats, std::size_t top) {
    std::size_t width = 6; // "Folder"
    for (const auto& f : stats.folders) {
        width = std::max(width, f.name.size());
    }
    std::uint64_t messages = 0;
    std::uint64_t size = 0;
    std::printf("%-*s %10s %14s\n", static_cast<int>(width), "Folder", "Messages", "Size");
    for (const auto& f : stats.folders) {
        std::printf("%-*s %10llu %14llu\n", static_cast<int>(width), f.name.c_str(),
                    static_cast<unsigned long long>(f.messages),
                    static_cast<unsigned long long>(f.size));
        messages += f.messages;
        size += f.size;
    }
    std::printf("%-*s %10llu %14llu\n", static_cast<int>(width), "Total",
                static_cast<unsigned long long>(messages), static_cast<unsigned long long>(size));

    std::printf("\nLargest messages:\n");
    for (const auto& m : stats.largest) {
        std::printf("%14llu  %s  UID %u  %s\n", static_cast<unsigned long long>(m.size),
                    m.folder.c_str(), m.uid, m.subject.c_str());
    }
    std::printf("\nTop senders:\n");
    for (const auto& [address, count] : top_senders(stats, top)) {
        std::printf("%10llu  %s\n", static_cast<unsigned long long>(count),
                    address.empty() ? "(no From address)" : address.c_str());
    }
}

} // namespace

int main(int argc, char** argv) {
    CLI::App app{
        "Size and count per folder, the largest messages and the top senders of a mail user."};
    examples::UserOptions who;
    std::size_t top = 10;
    bool json = false;
    app.add_option("-c,--config", who.config_path, "loft.conf to read (userdb, mail_location)");
    app.add_option("-u,--user", who.username, "user to look up in the config's userdb");
    app.add_option("--home", who.home, "the user's home directory, instead of a userdb lookup");
    app.add_option("--mail-location", who.mail_location, "mail_location, e.g. maildir:~/Maildir");
    app.add_option("-n,--top", top, "how many largest messages and senders to show")
        ->capture_default_str();
    app.add_flag("--json", json, "print JSON instead of text");
    CLI11_PARSE(app, argc, argv);

    auto user = examples::open_user(who);
    if (!user) {
        std::cerr << "loft-mailbox-stats: " << user.status().message() << "\n";
        return 1;
    }
    Stats stats;
    if (auto status = collect(*user, top, stats); !status) {
        std::cerr << "loft-mailbox-stats: " << status.message() << "\n";
        return 1;
    }
    if (json) {
        print_json(*user, stats, top);
    } else {
        print_text(stats, top);
    }
    return 0;
}
