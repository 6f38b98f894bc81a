#include "session/rev2.hpp"

#include "mailbox/mailbox_names.hpp"

#include <mailstore/storage/types.hpp>
#include <mailstore/storage/user.hpp>

#include <algorithm>

namespace imapproto::detail {

namespace st = mailstore::storage;

namespace {

// The entry LIST would give for exactly `name` (wildcards in the name
// match more, so the result is filtered), or nullopt.
std::optional<st::MailboxInfo> list_entry(Context& ctx, const std::string& name) {
    st::ListQuery query;
    query.patterns.push_back(name);
    auto found = ctx.user().list(query);
    if (!found) {
        ctx.log().warning("LIST of " + name + " failed: " + found.status().message());
        return std::nullopt;
    }
    for (auto& info : *found)
        if (info.name == name || (is_inbox_name(name) && is_inbox_name(info.name)))
            return std::move(info);
    return std::nullopt;
}

std::string separator_text(char sep) {
    if (sep == 0)
        return "NIL";
    std::string out = "\"";
    if (sep == '"' || sep == '\\')
        out += '\\';
    out += sep;
    out += '"';
    return out;
}

} // namespace

void send_selected_list(Context& ctx, const std::string& name) {
    auto info = list_entry(ctx, name);
    if (!info)
        return;
    // The attributes a plain LIST gives (RFC 9051 §6.3.9: \HasChildren
    // and \HasNoChildren are sent whenever known, special-use always);
    // \Marked/\UnMarked are left out, as they may be.
    const std::uint32_t a = info->attributes;
    std::string attrs;
    auto add = [&attrs](std::string_view word) {
        if (!attrs.empty())
            attrs += ' ';
        attrs += word;
    };
    if (a & st::attr_noinferiors)
        add("\\Noinferiors");
    if (a & st::attr_has_children)
        add("\\HasChildren");
    else if ((a & st::attr_has_no_children) && !(a & st::attr_noinferiors))
        add("\\HasNoChildren");
    if (info->special_use != 0)
        add(st::format_special_use(info->special_use));
    std::string line = "LIST (" + attrs + ") " + separator_text(info->separator) + ' ';
    write_mailbox_name(ctx, line, info->name);
    ctx.untagged(line);
}

bool shape_has_message_global(std::string_view shape) {
    // The writer quotes the type and subtype as the message spells them.
    constexpr std::string_view needle = "\"message\" \"global\"";
    auto same = [](char c, char lower) {
        return (c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c) == lower;
    };
    return std::search(shape.begin(), shape.end(), needle.begin(), needle.end(), same) !=
           shape.end();
}

bool rev2_refuse_delete_of_parent(Context& ctx, const std::string& name) {
    if (!rev2(ctx) || ctx.user().exists(name))
        return false;
    auto info = list_entry(ctx, name);
    if (!info || !(info->attributes & st::attr_has_children))
        return false;
    ctx.finish_no("HASCHILDREN",
                  "Mailbox has children, delete them first: " + mailbox_display_name(name));
    return true;
}

} // namespace imapproto::detail
