#include "mailbox/mailbox_names.hpp"
#include "mailbox/condstore.hpp"
#include "storage/object_id.hpp"

#include <mailstore/mutf7.hpp>

#include <array>
#include <cctype>

namespace imapproto::detail {

namespace ms = mailstore;
namespace st = mailstore::storage;

bool is_inbox_name(std::string_view name) {
    constexpr std::string_view inbox = "INBOX";
    if (name.size() != inbox.size())
        return false;
    for (std::size_t i = 0; i < name.size(); ++i)
        if (std::toupper(static_cast<unsigned char>(name[i])) != inbox[i])
            return false;
    return true;
}

char mailbox_separator(Context& ctx, std::string_view name) {
    const auto& spaces = ctx.user().namespaces();
    int index = ctx.user().namespace_of(name);
    if (index < 0 || static_cast<std::size_t>(index) >= spaces.size())
        return spaces.empty() ? '.' : spaces.front().separator;
    return spaces[static_cast<std::size_t>(index)].separator;
}

std::string mailbox_display_name(std::string_view utf8_name) {
    auto encoded = ms::utf8_to_mutf7(utf8_name);
    return encoded ? *encoded : std::string(utf8_name);
}

namespace {

// The shape checks Dovecot makes before a name reaches the storage, with its
// texts; validate_name() then checks the encoding, control characters and
// the length and depth bounds.
std::string name_shape_error(std::string_view name, char sep) {
    if (name.empty())
        return "Name is empty";
    if (name.find('\0') != std::string_view::npos)
        return "Name has NUL characters";
    if (name.front() == sep)
        return "Begins with hierarchy separator";
    if (name.back() == sep)
        return "Ends with hierarchy separator";
    const char pair[2] = {sep, sep};
    if (name.find(std::string_view(pair, 2)) != std::string_view::npos)
        return "Has adjacent hierarchy separators";
    if (sep != '/' && name.find('/') != std::string_view::npos)
        return "Name must not have '/' characters";
    return {};
}

} // namespace

std::optional<std::string> take_mailbox_name(Context& ctx, const Arg& arg) {
    if (!arg.is_astring() || arg.spool) {
        ctx.finish_bad("Invalid arguments.");
        return std::nullopt;
    }
    std::string error;
    auto decoded = mailbox_name_arg(ctx, arg, error);
    if (!decoded) {
        // Dovecot answers a name that does not decode with NO, not BAD: the
        // command itself was well-formed.
        ctx.finish_no("", error.empty() ? "Mailbox name is not valid mUTF-7" : error);
        return std::nullopt;
    }
    std::string name = ctx.user().normalize_name(*decoded);
    std::string shape = name_shape_error(name, mailbox_separator(ctx, name));
    if (!shape.empty()) {
        ctx.finish_no("CANNOT", "Invalid mailbox name: " + shape);
        return std::nullopt;
    }
    if (auto status = ctx.user().validate_name(name); !status) {
        ctx.finish_no("CANNOT", "Invalid mailbox name: " + status.message());
        return std::nullopt;
    }
    return name;
}

void finish_mailbox_error(Context& ctx, const ms::Status& status, std::string_view name, bool trycreate) {
    using Code = ms::Status::Code;
    switch (status.code()) {
    case Code::not_found:
        ctx.finish_no(trycreate ? "TRYCREATE" : "NONEXISTENT", "Mailbox doesn't exist: " + mailbox_display_name(name));
        return;
    case Code::already_exists:
        ctx.finish_no("ALREADYEXISTS", "Mailbox already exists");
        return;
    case Code::invalid_argument:
        ctx.finish_no("CANNOT", status.message());
        return;
    default:
        ctx.finish_status(status);
        return;
    }
}

namespace {

struct ItemName {
    std::string_view name;
    std::uint32_t bit;
};

// Dovecot writes the items in this order whatever order they were asked in.
constexpr std::array<ItemName, 8> kItems{{
    {"MESSAGES", st::status_messages},
    {"RECENT", st::status_recent},
    {"UIDNEXT", st::status_uidnext},
    {"UIDVALIDITY", st::status_uidvalidity},
    {"UNSEEN", st::status_unseen},
    {"HIGHESTMODSEQ", st::status_highest_modseq},
    {"SIZE", st::status_size},
    {"DELETED", st::status_deleted},
}};

} // namespace

std::optional<std::uint32_t> parse_status_items(const Arg& list, std::string& error) {
    if (list.type != Arg::Type::list) {
        error = "Status items must be a list";
        return std::nullopt;
    }
    if (list.children.empty()) {
        error = "Empty status list";
        return std::nullopt;
    }
    std::uint32_t items = 0;
    for (const auto& child : list.children) {
        const ItemName* found = nullptr;
        if (child.type == Arg::Type::atom)
            for (const auto& item : kItems)
                if (ascii_iequals(child.text, item.name))
                    found = &item;
        // RFC 8474 §4.3: MAILBOXID, answered as "MAILBOXID (<objectid>)".
        if (!found && child.type == Arg::Type::atom && ascii_iequals(child.text, "MAILBOXID")) {
            items |= st::status_guid;
            continue;
        }
        if (!found) {
            error = "Invalid status item " + (child.type == Arg::Type::list ? std::string("(list)") : child.text);
            return std::nullopt;
        }
        items |= found->bit;
    }
    return items;
}

void send_status_line(Context& ctx, std::string_view utf8_name, std::uint32_t items, const st::MailboxStatus& status) {
    // A CONDSTORE enabling command (RFC 7162 §3.1); with a mailbox selected
    // its HIGHESTMODSEQ comes first, as with Dovecot.
    if (items & st::status_highest_modseq)
        enable_condstore(ctx);
    std::string line = "STATUS ";
    write_mailbox_name(ctx, line, utf8_name);
    line += " (";
    bool first = true;
    for (const auto& item : kItems) {
        if (!(items & item.bit))
            continue;
        std::uint64_t value = 0;
        switch (item.bit) {
        case st::status_messages: value = status.messages; break;
        case st::status_recent: value = status.recent; break;
        case st::status_uidnext: value = status.uidnext; break;
        case st::status_uidvalidity: value = status.uidvalidity; break;
        case st::status_unseen: value = status.unseen; break;
        case st::status_highest_modseq: value = status.highest_modseq; break;
        case st::status_size: value = status.size; break;
        case st::status_deleted: value = status.deleted; break;
        default: break;
        }
        if (!first)
            line += ' ';
        first = false;
        line += item.name;
        line += ' ';
        line += std::to_string(value);
    }
    if ((items & st::status_guid) && !status.guid.empty()) {
        if (!first)
            line += ' ';
        first = false;
        line += "MAILBOXID (" + st::mailbox_object_id(status.guid) + ")";
    }
    line += ')';
    ctx.untagged(line);
}

} // namespace imapproto::detail
