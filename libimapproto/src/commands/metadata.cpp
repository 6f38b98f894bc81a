// GETMETADATA and SETMETADATA (RFC 5464 METADATA and METADATA-SERVER).
//
// The entries are kept by mailstore::storage::MetadataStore in Dovecot's
// attribute dict (mail_attribute_dict), private and shared ones per mailbox
// GUID and for the server (mailbox ""). As in Dovecot, both commands answer
// NO [CANNOT] unless imap_metadata = yes and mail_attribute_dict is set.
//
// Server entries /shared/admin and /shared/comment come from the settings
// mail_server_admin and mail_server_comment and cannot be changed (RFC 5464
// §3.2.1.1 makes /shared/admin read-only; Dovecot treats /shared/comment the
// same way). Entries below /private/vendor/vendor.dovecot/pvt and
// /shared/vendor/vendor.dovecot/pvt are Dovecot's internal attributes
// (server entries live there under INBOX): clients neither see nor change
// them.
//
// After a successful SETMETADATA, metadata_changed() (metadata_entries.hpp)
// gets the mailbox and the changed entry names.
#include "commands/commands.hpp"
#include "commands/metadata_entries.hpp"
#include "mailbox/mailbox_names.hpp"

#include <mailstore/storage/metadata.hpp>

#include <algorithm>
#include <charconv>
#include <set>

namespace imapproto::detail {

namespace ms = mailstore;
namespace st = mailstore::storage;

namespace {

// Values up to this size without CR, LF, NUL, '"', '\' or 8-bit bytes go
// out as quoted strings (as in RFC 5464's examples); others as literals.
constexpr std::size_t kMaxQuotedValue = 1024;
constexpr std::string_view kDovecotPrivate = "vendor/vendor.dovecot/pvt";
constexpr std::string_view kLoftPrivate = "vendor/vendor.loft";

std::string lower(std::string_view s) {
    std::string out(s);
    for (char& c : out)
        if (c >= 'A' && c <= 'Z')
            c = static_cast<char>(c - 'A' + 'a');
    return out;
}

bool upper_equals(std::string_view a, std::string_view upper) {
    return a.size() == upper.size() &&
           std::equal(a.begin(), a.end(), upper.begin(), [](char x, char y) {
               return (x >= 'a' && x <= 'z' ? static_cast<char>(x - 'a' + 'A') : x) == y;
           });
}

bool is_internal(std::string_view lower_name) { return is_internal_metadata_entry(lower_name); }

// An entry name argument (astring). On failure answers BAD and returns
// nullopt.
std::optional<std::string> entry_arg(Context& ctx, const Arg& arg, std::string_view command) {
    if (!arg.is_astring() || arg.spool || arg.literal8) {
        ctx.finish_bad("Error in IMAP command " + std::string(command) + ": Invalid arguments.");
        return std::nullopt;
    }
    if (ms::Status s = st::validate_metadata_entry_name(arg.text); !s) {
        ctx.finish_bad("Error in IMAP command " + std::string(command) + ": " + s.message());
        return std::nullopt;
    }
    return lower(arg.text);
}

// Whether METADATA is on for this session; answers NO as Dovecot does
// otherwise.
std::optional<st::MetadataStore> open_store(Context& ctx) {
    if (!ctx.settings().metadata) {
        ctx.finish_no("CANNOT", "Generic mailbox attributes not enabled");
        return std::nullopt;
    }
    auto store = st::MetadataStore::open(ctx.user());
    if (!store) {
        if (store.status().code() == ms::Status::Code::not_supported) {
            // An unsupported dict type is the admin's to fix: say so in the log.
            if (store.status().message() != "mail_attribute_dict is not set")
                ctx.log().warning("METADATA: " + store.status().message());
            ctx.finish_no("CANNOT", "Mailbox attributes not enabled");
        } else {
            ctx.log().error("METADATA: " + store.status().message());
            ctx.finish_status(store.status());
        }
        return std::nullopt;
    }
    return std::move(*store);
}

// The mailbox argument: "" for the server, else an existing mailbox (its
// GUID in `guid`). On failure the command is answered.
bool resolve_mailbox(Context& ctx, const Arg& arg, bool trycreate, std::string& name, std::string& guid) {
    if (!arg.is_astring()) {
        ctx.finish_bad("Invalid arguments.");
        return false;
    }
    if (arg.is_string() && arg.text.empty()) {
        name.clear();
        guid.clear();
        return true;
    }
    auto n = take_mailbox_name(ctx, arg);
    if (!n)
        return false;
    name = *n;
    if (!ctx.user().exists(name)) {
        ctx.finish_no(trycreate ? "TRYCREATE" : "NONEXISTENT", "Mailbox doesn't exist: " + mailbox_display_name(name));
        return false;
    }
    auto g = ctx.user().mailbox_guid(name);
    if (!g) {
        finish_mailbox_error(ctx, g.status(), name, trycreate);
        return false;
    }
    guid = *g;
    return true;
}

bool atom_char(char c) {
    auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f)
        return false;
    return std::string_view("(){%*\"\\]").find(c) == std::string_view::npos;
}

// An entry name as an astring: an atom when it can be one.
void write_entry_name(std::string& out, std::string_view name) {
    if (!name.empty() && std::all_of(name.begin(), name.end(), atom_char)) {
        out += name;
        return;
    }
    out += '"';
    for (char c : name) {
        if (c == '"' || c == '\\')
            out += '\\';
        out += c;
    }
    out += '"';
}

// A value: quoted when short and plain, else a literal (literal8 when it
// holds NUL, RFC 5464 §5 "value = nstring / literal8").
void write_value(std::string& out, const std::optional<std::string>& value) {
    if (!value) {
        out += "NIL";
        return;
    }
    const std::string& v = *value;
    const bool plain = v.size() <= kMaxQuotedValue && std::all_of(v.begin(), v.end(), [](char c) {
        auto u = static_cast<unsigned char>(c);
        return u >= 0x20 && u < 0x7f && c != '"' && c != '\\';
    });
    if (plain) {
        out += '"';
        out += v;
        out += '"';
        return;
    }
    if (v.find('\0') != std::string::npos)
        out += '~';
    out += '{';
    out += std::to_string(v.size());
    out += "}\r\n";
    out += v;
}

// The read-only server entries (RFC 5464 §3.2.1.1) from the settings.
std::vector<st::MetadataEntry> server_settings_entries(Context& ctx) {
    ms::config::LookupContext lc;
    lc.protocol = "imap";
    std::vector<st::MetadataEntry> out;
    if (std::string admin = ctx.config().get("mail_server_admin", lc); !admin.empty())
        out.push_back({"/shared/admin", admin});
    if (std::string comment = ctx.config().get("mail_server_comment", lc); !comment.empty())
        out.push_back({"/shared/comment", comment});
    return out;
}

bool is_server_setting_entry(std::string_view lower_name) {
    return lower_name == "/shared/admin" || lower_name == "/shared/comment";
}

struct GetOptions {
    std::optional<std::uint64_t> maxsize;
    st::MetadataDepth depth = st::MetadataDepth::zero;
};

bool parse_number(std::string_view text, std::uint64_t& out) {
    if (text.empty() || text.size() > 19)
        return false;
    auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
    return ec == std::errc() && p == text.data() + text.size();
}

// RFC 5464 §4.2: getmetadata-options = "(" getmetadata-option *(SP
// getmetadata-option) ")"; each option once.
bool parse_get_options(Context& ctx, const Arg& list, GetOptions& opts) {
    const auto& c = list.children;
    bool seen_maxsize = false, seen_depth = false;
    if (c.empty()) {
        ctx.finish_bad("Error in IMAP command GETMETADATA: Invalid arguments.");
        return false;
    }
    for (std::size_t i = 0; i < c.size(); i += 2) {
        if (c[i].type != Arg::Type::atom || i + 1 >= c.size() || c[i + 1].type != Arg::Type::atom) {
            ctx.finish_bad("Error in IMAP command GETMETADATA: Invalid arguments.");
            return false;
        }
        const std::string& value = c[i + 1].text;
        if (upper_equals(c[i].text, "MAXSIZE") && !seen_maxsize) {
            std::uint64_t n = 0;
            if (!parse_number(value, n)) {
                ctx.finish_bad("Error in IMAP command GETMETADATA: Invalid value for MAXSIZE option");
                return false;
            }
            opts.maxsize = n;
            seen_maxsize = true;
        } else if (upper_equals(c[i].text, "DEPTH") && !seen_depth) {
            if (value == "0")
                opts.depth = st::MetadataDepth::zero;
            else if (value == "1")
                opts.depth = st::MetadataDepth::one;
            else if (upper_equals(value, "INFINITY"))
                opts.depth = st::MetadataDepth::infinity;
            else {
                ctx.finish_bad("Error in IMAP command GETMETADATA: Invalid value for DEPTH option");
                return false;
            }
            seen_depth = true;
        } else {
            ctx.finish_bad("Error in IMAP command GETMETADATA: Unknown option");
            return false;
        }
    }
    return true;
}

// Whether `name` is `base` or below it within `depth`.
bool within(std::string_view name, std::string_view base, st::MetadataDepth depth) {
    if (name == base)
        return true;
    if (depth == st::MetadataDepth::zero || name.size() <= base.size() + 1 || !name.starts_with(base) ||
        name[base.size()] != '/')
        return false;
    return depth == st::MetadataDepth::infinity || name.find('/', base.size() + 1) == std::string_view::npos;
}

} // namespace

bool is_internal_metadata_entry(std::string_view lower_name) {
    for (std::string_view scope : {"/private/", "/shared/"}) {
        if (!lower_name.starts_with(scope))
            continue;
        std::string_view rest = lower_name.substr(scope.size());
        for (std::string_view internal : {kDovecotPrivate, kLoftPrivate})
            if (rest.starts_with(internal) && (rest.size() == internal.size() || rest[internal.size()] == '/'))
                return true;
    }
    return false;
}

void metadata_changed(Context& ctx, std::string_view mailbox, const std::vector<std::string>& names) {
    // One bounded line: names are at most 1024 octets and a SETMETADATA's
    // list is bounded by the parser; cut anyway so a log line stays short.
    constexpr std::size_t kMaxLogged = 4096;
    std::string line = "Metadata changed: ";
    line += mailbox.empty() ? std::string_view("\"\"") : mailbox;
    for (const auto& n : names) {
        if (line.size() + n.size() + 1 > kMaxLogged) {
            line += " ...";
            break;
        }
        line += ' ';
        line += n;
    }
    ctx.log().debug(line, ms::log::Category::mail);
}

std::unique_ptr<CommandRun> cmd_getmetadata(Context& ctx, const Command& cmd) {
    // GETMETADATA [SP getmetadata-options] SP mailbox SP entries
    const auto& args = cmd.args;
    GetOptions opts;
    std::size_t at = 0;
    std::size_t entries_at = 1;
    if (args.size() == 3) {
        // The grammar (RFC 5464 §5) puts the options first; the examples of
        // §4.2.1 and §4.2.2 put them after the mailbox. Both are accepted
        // (a mailbox name is never a list, so they cannot be confused).
        const std::size_t options_at = args[0].type == Arg::Type::list ? 0 : 1;
        if (args[options_at].type != Arg::Type::list) {
            ctx.finish_bad("Error in IMAP command GETMETADATA: Invalid arguments.");
            return nullptr;
        }
        if (!parse_get_options(ctx, args[options_at], opts))
            return nullptr;
        at = options_at == 0 ? 1 : 0;
        entries_at = 2;
    } else if (args.size() != 2) {
        ctx.finish_bad("Error in IMAP command GETMETADATA: Invalid arguments.");
        return nullptr;
    }
    std::vector<std::string> names;
    const Arg& entries = args[entries_at];
    if (entries.type == Arg::Type::list) {
        if (entries.children.empty()) {
            ctx.finish_bad("Error in IMAP command GETMETADATA: Invalid arguments.");
            return nullptr;
        }
        for (const auto& e : entries.children) {
            auto n = entry_arg(ctx, e, "GETMETADATA");
            if (!n)
                return nullptr;
            names.push_back(std::move(*n));
        }
    } else {
        auto n = entry_arg(ctx, entries, "GETMETADATA");
        if (!n)
            return nullptr;
        names.push_back(std::move(*n));
    }
    auto store = open_store(ctx);
    if (!store)
        return nullptr;
    std::string mailbox, guid;
    if (!resolve_mailbox(ctx, args[at], false, mailbox, guid))
        return nullptr;
    const bool server = guid.empty() && mailbox.empty();
    const auto settings_entries = server ? server_settings_entries(ctx) : std::vector<st::MetadataEntry>{};

    // The file is read once, whatever the number of entry specifiers; each
    // entry is listed once however many specifiers match it, so the answer
    // stays bounded by what is stored.
    std::vector<st::MetadataEntry> all;
    for (std::string_view scope : {"/private", "/shared"}) {
        auto r = store->get_tree(guid, scope, st::MetadataDepth::infinity);
        if (!r) {
            ctx.log().error("GETMETADATA: " + r.status().message());
            ctx.finish_status(r.status());
            return nullptr;
        }
        for (auto& e : *r)
            all.push_back(std::move(e));
    }
    // The stored server /shared/admin and /shared/comment give way to the
    // settings, which are the only source for them.
    if (server) {
        std::erase_if(all, [](const st::MetadataEntry& e) { return is_server_setting_entry(e.name); });
        all.insert(all.end(), settings_entries.begin(), settings_entries.end());
    }
    std::erase_if(all, [](const st::MetadataEntry& e) { return is_internal(e.name); });
    std::sort(all.begin(), all.end(),
              [](const st::MetadataEntry& a, const st::MetadataEntry& b) { return a.name < b.name; });

    std::vector<std::pair<std::string_view, const std::optional<std::string>*>> found;
    std::set<std::string_view> listed;
    const std::optional<std::string> nil;
    std::vector<std::optional<std::string>> values;
    values.reserve(all.size());
    for (auto& e : all)
        values.emplace_back(std::move(e.value));
    for (const auto& name : names) {
        bool self_found = false;
        std::size_t first = found.size();
        for (std::size_t i = 0; i < all.size(); ++i) {
            if (!within(all[i].name, name, opts.depth))
                continue;
            self_found |= all[i].name == name;
            if (listed.insert(all[i].name).second)
                found.emplace_back(all[i].name, &values[i]);
        }
        // DEPTH 0 answers NIL for an entry without a value (Dovecot does;
        // with a depth, only what exists is listed).
        if (!self_found && opts.depth == st::MetadataDepth::zero && listed.insert(name).second)
            found.emplace(found.begin() + static_cast<std::ptrdiff_t>(first), name, &nil);
    }

    std::uint64_t longest = 0;
    std::string line;
    for (const auto& [name, value] : found) {
        if (*value && opts.maxsize && (*value)->size() > *opts.maxsize) {
            longest = std::max<std::uint64_t>(longest, (*value)->size());
            continue;
        }
        line += line.empty() ? "(" : " ";
        write_entry_name(line, name);
        line += ' ';
        write_value(line, *value);
    }
    if (!line.empty()) {
        std::string out = "* METADATA ";
        if (server)
            out += "\"\"";
        else
            write_mailbox_name(ctx, out, mailbox);
        out += ' ';
        out += line;
        out += ")\r\n";
        ctx.out().append(out);
    }
    if (longest)
        ctx.finish_ok("METADATA LONGENTRIES " + std::to_string(longest), "Getmetadata completed.");
    else
        ctx.finish_ok("", "Getmetadata completed.");
    return nullptr;
}

std::unique_ptr<CommandRun> cmd_setmetadata(Context& ctx, const Command& cmd) {
    // SETMETADATA SP mailbox SP "(" entry-value *(SP entry-value) ")"
    const auto& args = cmd.args;
    if (args.size() != 2 || args[1].type != Arg::Type::list || args[1].children.empty()) {
        ctx.finish_bad("Error in IMAP command SETMETADATA: Invalid arguments.");
        return nullptr;
    }
    const auto& list = args[1].children;
    if (list.size() % 2 != 0) {
        ctx.finish_bad("Error in IMAP command SETMETADATA: Entry value missing");
        return nullptr;
    }
    std::vector<st::MetadataChange> changes;
    for (std::size_t i = 0; i < list.size(); i += 2) {
        auto name = entry_arg(ctx, list[i], "SETMETADATA");
        if (!name)
            return nullptr;
        const Arg& v = list[i + 1];
        st::MetadataChange change{*name, std::nullopt};
        if (v.type == Arg::Type::nil) {
            // NIL removes the entry (RFC 5464 §4.3).
        } else if (v.is_string() && !v.spool) {
            change.value = v.text;
        } else {
            ctx.finish_bad("Error in IMAP command SETMETADATA: Invalid value for " + *name);
            return nullptr;
        }
        if (change.name == "/private" || change.name == "/shared") {
            ctx.finish_bad("Error in IMAP command SETMETADATA: Entry name must have a name below " + change.name);
            return nullptr;
        }
        // A later value for the same entry replaces an earlier one.
        std::erase_if(changes, [&](const st::MetadataChange& c) { return c.name == change.name; });
        changes.push_back(std::move(change));
    }
    auto store = open_store(ctx);
    if (!store)
        return nullptr;
    std::string mailbox, guid;
    if (!resolve_mailbox(ctx, args[0], true, mailbox, guid))
        return nullptr;
    const bool server = guid.empty() && mailbox.empty();
    for (const auto& c : changes) {
        if (is_internal(c.name) || (server && is_server_setting_entry(c.name))) {
            ctx.finish_no("CANNOT", "The " + c.name + " attribute cannot be changed");
            return nullptr;
        }
    }
    auto r = store->set(guid, changes);
    if (!r) {
        if (r.status().code() == ms::Status::Code::invalid_argument) {
            ctx.finish_bad("Error in IMAP command SETMETADATA: " + r.status().message());
        } else {
            ctx.log().error("SETMETADATA: " + r.status().message());
            ctx.finish_status(r.status());
        }
        return nullptr;
    }
    switch (*r) {
    case st::MetadataRefusal::too_large:
        ctx.finish_no("METADATA MAXSIZE " + std::to_string(store->limits().max_value_size),
                      "Metadata entry value too large");
        return nullptr;
    case st::MetadataRefusal::too_many:
        ctx.finish_no("METADATA TOOMANY", "Too many metadata entries");
        return nullptr;
    case st::MetadataRefusal::none:
        break;
    }
    std::vector<std::string> names;
    names.reserve(changes.size());
    for (const auto& c : changes)
        names.push_back(c.name);
    metadata_changed(ctx, mailbox, names);
    ctx.finish_ok("", "Setmetadata completed.");
    return nullptr;
}

} // namespace imapproto::detail
