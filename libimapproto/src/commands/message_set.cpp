#include "commands/message_set.hpp"

#include <mailstore/search.hpp>

#include <cstdint>

namespace imapproto::detail {

namespace ms = mailstore::storage;

std::optional<ms::UidSet> resolve_message_set(Context& ctx, const Arg& arg, bool uid, std::string& error) {
    Selected* sel = ctx.selected();
    if (sel == nullptr || !sel->mailbox) {
        error = "No mailbox selected";
        return std::nullopt;
    }
    std::optional<mailstore::search::SequenceSet> set;
    if (arg.type == Arg::Type::atom)
        set = mailstore::search::SequenceSet::parse(arg.text, true);
    if (!set) {
        error = uid ? "Invalid uidset" : "Invalid messageset";
        return std::nullopt;
    }
    const ms::View& view = sel->mailbox->view();
    const ms::UidSet* saved = &ctx.saved_result();
    if (uid)
        return set->resolve_uids(view, saved);
    auto resolved = set->resolve_seqs(view, saved);
    if (!resolved) {
        error = "Invalid messageset";
        return std::nullopt;
    }
    return std::move(resolved).value();
}

std::string ordered_set_text(const std::vector<std::uint32_t>& numbers) {
    std::string out;
    std::size_t i = 0;
    while (i < numbers.size()) {
        std::size_t j = i;
        while (j + 1 < numbers.size() && numbers[j] != UINT32_MAX && numbers[j + 1] == numbers[j] + 1)
            ++j;
        if (!out.empty())
            out += ',';
        out += std::to_string(numbers[i]);
        if (j > i) {
            out += ':';
            out += std::to_string(numbers[j]);
        }
        i = j + 1;
    }
    return out;
}

void finish_syntax_error(Context& ctx, std::string_view message) {
    std::string text = "Error in IMAP command ";
    if (ctx.command().uid)
        text += "UID ";
    text += ctx.command().name;
    text += ": ";
    text += message;
    ctx.finish_bad(text);
}

} // namespace imapproto::detail
