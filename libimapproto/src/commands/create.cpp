// CREATE (RFC 3501 §6.3.3) with the RFC 6154 §5.2 USE parameter:
// CREATE Sent (USE (\Sent)).
#include "commands/commands.hpp"
#include "mailbox/mailbox_names.hpp"
#include "storage/object_id.hpp"

namespace imapproto::detail {

namespace st = mailstore::storage;

namespace {

// "(USE (\Sent \Archive))": the special-use bits; nullopt with an answer
// sent when the parameter list is malformed or names an unknown flag.
std::optional<std::uint32_t> parse_create_params(Context& ctx, const Arg& list) {
    if (list.type != Arg::Type::list || list.children.size() % 2 != 0) {
        ctx.finish_bad("Invalid arguments.");
        return std::nullopt;
    }
    std::uint32_t special = 0;
    for (std::size_t i = 0; i < list.children.size(); i += 2) {
        const Arg& key = list.children[i];
        const Arg& value = list.children[i + 1];
        if (key.type != Arg::Type::atom || !ascii_iequals(key.text, "USE") || value.type != Arg::Type::list) {
            ctx.finish_bad("Unknown CREATE parameter");
            return std::nullopt;
        }
        for (const auto& flag : value.children) {
            auto bit = flag.type == Arg::Type::atom ? st::parse_special_use(flag.text) : std::nullopt;
            if (!bit) {
                // RFC 6154 §5.3: an unsupported special-use flag is NO [USEATTR].
                ctx.finish_no("USEATTR", "Unsupported special-use flag");
                return std::nullopt;
            }
            special |= *bit;
        }
    }
    return special;
}

} // namespace

std::unique_ptr<CommandRun> cmd_create(Context& ctx, const Command& cmd) {
    if (cmd.args.empty() || cmd.args.size() > 2 || !cmd.args[0].is_astring()) {
        ctx.finish_bad("Invalid arguments.");
        return nullptr;
    }
    std::uint32_t special = 0;
    if (cmd.args.size() == 2) {
        auto parsed = parse_create_params(ctx, cmd.args[1]);
        if (!parsed)
            return nullptr;
        special = *parsed;
    }
    // RFC 3501 §6.3.3: a trailing separator only declares the intent to
    // create names under it; the mailbox is created without it, as Dovecot
    // does.
    Arg stripped = cmd.args[0];
    if (!stripped.spool && stripped.text.size() > 1) {
        char sep = ctx.user().namespaces().empty() ? '.' : ctx.user().namespaces().front().separator;
        int ns = ctx.user().namespace_of(stripped.text);
        if (ns >= 0)
            sep = ctx.user().namespaces()[static_cast<std::size_t>(ns)].separator;
        if (stripped.text.back() == sep)
            stripped.text.pop_back();
    }
    auto name = take_mailbox_name(ctx, stripped);
    if (!name)
        return nullptr;
    if (is_inbox_name(*name)) {
        ctx.finish_no("ALREADYEXISTS", "Mailbox already exists");
        return nullptr;
    }
    if (auto status = ctx.user().create_mailbox(*name, special); !status) {
        finish_mailbox_error(ctx, status, *name);
        return nullptr;
    }
    // RFC 8474 §4.1: the tagged OK of every successful CREATE carries
    // [MAILBOXID (<objectid>)]. A name that only declares a hierarchy level
    // (no mailbox to open) has no GUID and gets the plain OK.
    if (auto guid = ctx.user().mailbox_guid(*name)) {
        ctx.finish_ok("MAILBOXID (" + st::mailbox_object_id(*guid) + ")", "Create completed.");
        return nullptr;
    }
    ctx.finish_ok("", "Create completed.");
    return nullptr;
}

} // namespace imapproto::detail
