// loftadm mailbox list|create|delete|rename|subscribe|unsubscribe|status and
// force-resync, with doveadm 2.3.19's arguments, output and exit codes:
//
//   loftadm mailbox list -u U [-s] [MASK...]        one name per line
//   loftadm mailbox status -u U 'messages unseen' INBOX
//                                                    "INBOX messages=3 unseen=1"
//   loftadm mailbox status -u U -t 'messages vsize' '*'
//                                                    "messages=5 vsize=1234" (sums)
//   loftadm mailbox create|delete|rename|subscribe|unsubscribe ...: silent on success
//
// Errors go to stderr as "Error: Can't create mailbox X: reason". When some of
// several names fail, the others are still done and the exit code is that of
// the last failure, as doveadm does.
#include "commands.hpp"
#include "mail_user.hpp"
#include "output.hpp"

#include <mailstore/storage/mailbox.hpp>

#include <algorithm>
#include <iostream>
#include <sstream>

namespace loftadm {

namespace storage = mailstore::storage;
using mailstore::Status;

namespace {

// The status fields doveadm 2.3.19 has, in the order it prints them
// whatever order they were asked in.
enum StatusField : std::uint32_t {
    field_messages = 0x001,
    field_recent = 0x002,
    field_uidnext = 0x004,
    field_uidvalidity = 0x008,
    field_unseen = 0x010,
    field_highestmodseq = 0x020,
    field_vsize = 0x040,
    field_guid = 0x080,
    field_firstsaved = 0x100,
    field_all = 0x1ff,
};
// What -t can add up; with -t, "all" means these.
constexpr std::uint32_t summable_fields = field_messages | field_recent | field_unseen | field_vsize;

struct FieldName {
    const char* name;
    std::uint32_t field;
    std::uint32_t items; // storage::StatusItem bits it needs
};
constexpr FieldName field_names[] = {
    {"messages", field_messages, storage::status_messages},
    {"recent", field_recent, storage::status_recent},
    {"uidnext", field_uidnext, storage::status_uidnext},
    {"uidvalidity", field_uidvalidity, storage::status_uidvalidity},
    {"unseen", field_unseen, storage::status_unseen},
    {"highestmodseq", field_highestmodseq, storage::status_highest_modseq},
    {"vsize", field_vsize, storage::status_size},
    {"guid", field_guid, storage::status_guid},
    {"firstsaved", field_firstsaved, storage::status_messages},
};

std::string separator_string(const storage::User& user, std::string_view name) {
    int ns = user.namespace_of(name);
    if (ns < 0) {
        return ".";
    }
    return std::string(1, user.namespaces()[static_cast<std::size_t>(ns)].separator);
}

// The mailboxes matching `masks`, in list order; selectable ones only when
// `selectable_only`.
mailstore::Result<std::vector<std::string>> matching_mailboxes(const storage::User& user,
                                                               const std::vector<std::string>& masks,
                                                               bool selectable_only) {
    storage::ListQuery query;
    for (const auto& mask : masks) {
        query.patterns.push_back(user.normalize_name(mask));
    }
    auto listed = user.list(query);
    if (!listed) {
        return listed.status();
    }
    std::vector<std::string> names;
    for (const auto& info : listed.value()) {
        if ((info.attributes & storage::attr_nonexistent) != 0) {
            continue;
        }
        if (selectable_only && (info.attributes & storage::attr_noselect) != 0) {
            continue;
        }
        names.push_back(info.name);
    }
    return names;
}

// "never" for an empty mailbox, else the save date of its first message
// (Unix seconds), as doveadm's firstsaved.
mailstore::Result<std::string> first_saved(const storage::User& user, const std::string& name) {
    storage::OpenOptions options;
    options.read_only = true;
    options.claim_recent = false;
    auto mailbox = storage::Mailbox::open(user, name, options);
    if (!mailbox) {
        return mailbox.status();
    }
    if (mailbox->view().count() == 0) {
        return std::string("never");
    }
    auto date = mailbox->message(1).save_date();
    if (!date) {
        return date.status();
    }
    return std::to_string(date.value());
}

struct Totals {
    std::uint64_t messages = 0;
    std::uint64_t recent = 0;
    std::uint64_t unseen = 0;
    std::uint64_t vsize = 0;
};

// One mailbox's status line (without the name), or adds it to `totals`.
int print_status(const storage::User& user, const std::string& name, std::uint32_t fields, Totals* totals,
                 const std::string& prefix) {
    std::uint32_t items = 0;
    for (const auto& f : field_names) {
        if ((fields & f.field) != 0) {
            items |= f.items;
        }
    }
    auto status = user.status(name, items);
    if (!status) {
        return report_error("Mailbox " + name + ": Failed to lookup mailbox status", status.status());
    }
    const storage::MailboxStatus& s = status.value();
    if (totals != nullptr) {
        totals->messages += s.messages;
        totals->recent += s.recent;
        totals->unseen += s.unseen;
        totals->vsize += s.size;
        return exit_ok;
    }
    std::string saved;
    if ((fields & field_firstsaved) != 0) {
        auto first = first_saved(user, name);
        if (!first) {
            return report_error("Mailbox " + name + ": Failed to lookup mailbox status", first.status());
        }
        saved = first.value();
    }
    std::ostringstream line;
    line << printable(prefix) << printable(name);
    for (const auto& f : field_names) {
        if ((fields & f.field) == 0) {
            continue;
        }
        line << ' ' << f.name << '=';
        switch (f.field) {
        case field_messages: line << s.messages; break;
        case field_recent: line << s.recent; break;
        case field_uidnext: line << s.uidnext; break;
        case field_uidvalidity: line << s.uidvalidity; break;
        case field_unseen: line << s.unseen; break;
        case field_highestmodseq: line << s.highest_modseq; break;
        case field_vsize: line << s.size; break;
        case field_guid: line << s.guid; break;
        case field_firstsaved: line << saved; break;
        default: break;
        }
    }
    std::cout << line.str() << "\n";
    return exit_ok;
}

// Parses doveadm's field list ("messages unseen", "all"). Prints doveadm's
// "Fatal:" line and returns 0 on a bad one.
std::uint32_t parse_fields(const std::string& text, bool totals) {
    std::uint32_t fields = 0;
    std::istringstream words(text);
    std::string word;
    while (words >> word) {
        if (word == "all") {
            fields |= totals ? summable_fields : field_all;
            continue;
        }
        const FieldName* found = nullptr;
        for (const auto& f : field_names) {
            if (word == f.name) {
                found = &f;
            }
        }
        if (found == nullptr) {
            std::cerr << "Fatal: Unknown status field: " << printable(word) << "\n";
            return 0;
        }
        if (totals && (found->field & summable_fields) == 0) {
            std::cerr << "Fatal: Status field " << word << " can't be used with -t\n";
            return 0;
        }
        fields |= found->field;
    }
    if (fields == 0) {
        std::cerr << "Fatal: No status fields\n";
    }
    return fields;
}

// Opens the user; on failure `code` is the exit code.
std::optional<storage::User> open_or(Backend& backend, const mailstore::config::Config& config,
                                     const std::string& username, int& code) {
    std::optional<storage::User> user;
    code = open_mail_user(backend, config, username, user);
    return user;
}

} // namespace

int run_mailbox_list(Backend& backend, const mailstore::config::Config& config, const MailboxListOptions& options) {
    auto list_one = [&options](const storage::User& user, const std::string& prefix) -> int {
        storage::ListQuery query;
        query.subscribed = options.subscribed;
        for (const auto& mask : options.masks) {
            query.patterns.push_back(user.normalize_name(mask));
        }
        if (query.patterns.empty()) {
            query.patterns.emplace_back("*");
        }
        auto listed = user.list(query);
        if (!listed) {
            return report_error("Failed to list mailboxes", listed.status());
        }
        for (const auto& info : listed.value()) {
            // A subscription may name a mailbox that is gone: doveadm lists
            // it with -s (LSUB does too); a plain list shows existing ones.
            if (!options.subscribed && (info.attributes & storage::attr_nonexistent) != 0) {
                continue;
            }
            if (options.subscribed && (info.attributes & storage::attr_subscribed) == 0) {
                continue; // a parent RFC 5258 adds for a subscribed child
            }
            std::cout << printable(prefix) << printable(info.name) << "\n";
        }
        return exit_ok;
    };
    return for_each_mail_user(backend, config, options.user, options.all_users, list_one);
}

int run_mailbox_create(Backend& backend, const mailstore::config::Config& config,
                       const MailboxCreateOptions& options) {
    std::uint32_t special_use = 0;
    if (!options.special_use.empty()) {
        auto parsed = storage::parse_special_use(options.special_use);
        if (!parsed) {
            std::cerr << "Error: --special-use: unknown flag in \"" << printable(options.special_use)
                      << "\" (RFC 6154: \\All \\Archive \\Drafts \\Flagged \\Junk \\Sent \\Trash, "
                         "RFC 8457: \\Important)\n";
            return exit_usage;
        }
        special_use = *parsed;
    }
    int code = exit_ok;
    auto user = open_or(backend, config, options.user, code);
    if (!user) {
        return code;
    }
    int result = exit_ok;
    for (const auto& name : options.names) {
        Status created = user->create_mailbox(name, special_use);
        if (!created.is_ok()) {
            result = report_error("Can't create mailbox " + name, created);
            continue;
        }
        if (options.subscribe) {
            if (Status sub = user->subscribe(name, true); !sub.is_ok()) {
                result = report_error("Can't subscribe to mailbox " + name, sub);
            }
        }
    }
    return result;
}

int run_mailbox_delete(Backend& backend, const mailstore::config::Config& config,
                       const MailboxDeleteOptions& options) {
    int code = exit_ok;
    auto user = open_or(backend, config, options.user, code);
    if (!user) {
        return code;
    }
    int result = exit_ok;
    for (const auto& given : options.names) {
        std::string name = user->normalize_name(given);
        if (name == "INBOX") {
            // doveadm's words and code (EX_DATAERR, "not possible").
            std::cerr << "Error: Can't delete mailbox INBOX: INBOX can't be deleted.\n";
            result = exit_data_error;
            continue;
        }
        std::vector<std::string> victims;
        if (options.recursive) {
            // Children first, deepest first, so each delete leaves no child
            // behind that would keep its parent as \Noselect.
            auto children = matching_mailboxes(*user, {name + separator_string(*user, name) + "*"}, false);
            if (!children) {
                result = report_error("Can't delete mailbox " + name, children.status());
                continue;
            }
            victims = children.value();
            std::sort(victims.begin(), victims.end(),
                      [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
        }
        victims.push_back(name);
        for (const auto& victim : victims) {
            Status deleted = user->delete_mailbox(victim);
            // A child that only existed as a \Noselect parent may be gone
            // with its last child: not an error of -r.
            if (!deleted.is_ok() && !(victim != name && deleted.code() == Status::Code::not_found)) {
                result = report_error("Can't delete mailbox " + victim, deleted);
                continue;
            }
            if (options.unsubscribe) {
                if (Status sub = user->subscribe(victim, false); !sub.is_ok()) {
                    result = report_error("Can't unsubscribe mailbox " + victim, sub);
                }
            }
        }
    }
    return result;
}

int run_mailbox_rename(Backend& backend, const mailstore::config::Config& config,
                       const MailboxRenameOptions& options) {
    int code = exit_ok;
    auto user = open_or(backend, config, options.user, code);
    if (!user) {
        return code;
    }
    std::string from = user->normalize_name(options.from);
    std::string to = user->normalize_name(options.to);
    // The subscriptions to move with -s: the mailbox's and its children's.
    std::vector<std::string> moved;
    if (options.subscriptions) {
        auto subs = user->subscriptions();
        if (!subs) {
            return report_error("Can't rename mailbox " + from + " to " + to, subs.status());
        }
        std::string prefix = from + separator_string(*user, from);
        for (const auto& sub : subs.value()) {
            if (sub == from || sub.rfind(prefix, 0) == 0) {
                moved.push_back(sub);
            }
        }
    }
    Status renamed = user->rename_mailbox(from, to);
    if (!renamed.is_ok()) {
        return report_error("Can't rename mailbox " + from + " to " + to, renamed);
    }
    int result = exit_ok;
    for (const auto& sub : moved) {
        std::string target = to + sub.substr(from.size());
        // RFC 3501 6.3.5: renaming INBOX leaves an (empty) INBOX behind, and
        // it stays subscribed.
        if (from != "INBOX") {
            if (Status s = user->subscribe(sub, false); !s.is_ok()) {
                result = report_error("Can't unsubscribe mailbox " + sub, s);
            }
        }
        if (Status s = user->subscribe(target, true); !s.is_ok()) {
            result = report_error("Can't subscribe to mailbox " + target, s);
        }
    }
    return result;
}

int run_mailbox_subscribe(Backend& backend, const mailstore::config::Config& config,
                          const MailboxSubscribeOptions& options) {
    int code = exit_ok;
    auto user = open_or(backend, config, options.user, code);
    if (!user) {
        return code;
    }
    int result = exit_ok;
    for (const auto& name : options.names) {
        Status changed = user->subscribe(name, options.subscribe);
        if (!changed.is_ok()) {
            result = report_error(std::string(options.subscribe ? "Can't subscribe to mailbox "
                                                                : "Can't unsubscribe mailbox ") +
                                      name,
                                  changed);
        }
    }
    return result;
}

int run_mailbox_status(Backend& backend, const mailstore::config::Config& config,
                       const MailboxStatusOptions& options) {
    std::uint32_t fields = parse_fields(options.fields, options.totals);
    if (fields == 0) {
        return exit_usage;
    }
    auto status_one = [&options, fields](const storage::User& user, const std::string& prefix) -> int {
        Totals totals;
        Totals* sums = options.totals ? &totals : nullptr;
        int result = exit_ok;
        if (options.names.size() == 1 && !has_wildcards(options.names[0])) {
            // One plain name: asked directly, so a missing mailbox is an
            // error (68). Several names or masks go through the list, where
            // a missing one simply matches nothing, as with doveadm.
            result = print_status(user, user.normalize_name(options.names[0]), fields, sums, prefix);
        } else {
            auto names = matching_mailboxes(user, options.names, true);
            if (!names) {
                return report_error("Failed to list mailboxes", names.status());
            }
            for (const auto& name : names.value()) {
                if (int r = print_status(user, name, fields, sums, prefix); r != exit_ok) {
                    result = r;
                }
            }
        }
        if (options.totals && result == exit_ok) {
            // Per user, as doveadm -A -t prints them.
            std::ostringstream line;
            line << printable(prefix);
            const char* sep = "";
            auto put = [&](std::uint32_t field, const char* name, std::uint64_t value) {
                if ((fields & field) != 0) {
                    line << sep << name << '=' << value;
                    sep = " ";
                }
            };
            put(field_messages, "messages", totals.messages);
            put(field_recent, "recent", totals.recent);
            put(field_unseen, "unseen", totals.unseen);
            put(field_vsize, "vsize", totals.vsize);
            std::cout << line.str() << "\n";
        }
        return result;
    };
    return for_each_mail_user(backend, config, options.user, options.all_users, status_one);
}

int run_force_resync(Backend& backend, const mailstore::config::Config& config, const ForceResyncOptions& options) {
    auto resync_one = [&options](const storage::User& user, const std::string&) -> int {
        // As doveadm: the names are list patterns, so a name that matches
        // no mailbox is not an error.
        auto names = matching_mailboxes(user, options.names, true);
        if (!names) {
            return report_error("Failed to list mailboxes", names.status());
        }
        int result = exit_ok;
        for (const auto& name : names.value()) {
            auto mailbox = storage::Mailbox::open(user, name);
            if (!mailbox) {
                result = report_error("Mailbox " + name + ": force-resync", mailbox.status());
                continue;
            }
            auto synced = mailbox->sync(storage::sync_full);
            if (!synced) {
                result = report_error("Mailbox " + name + ": force-resync", synced.status());
            }
        }
        return result;
    };
    return for_each_mail_user(backend, config, options.user, options.all_users, resync_one);
}

} // namespace loftadm
