// NAMESPACE (RFC 2342): personal, other users' and shared namespaces, built
// from the user's namespace blocks; hidden = yes ones are left out.
#include "commands/commands.hpp"
#include "session/utf8_accept.hpp"

#include <imapproto/string_writer.hpp>
#include <mailstore/mutf7.hpp>

namespace imapproto::detail {

namespace st = mailstore::storage;

namespace {

void write_group(Context& ctx, std::string& out, st::NamespaceType type) {
    std::string group;
    for (const auto& ns : ctx.user().namespaces()) {
        if (ns.type != type || ns.hidden)
            continue;
        group += '(';
        // The prefix is always a string, never an atom (RFC 2342 grammar),
        // in modified UTF-7 unless the client enabled UTF8=ACCEPT (or
        // IMAP4rev2, RFC 9051 §5.1).
        std::string prefix = ns.prefix;
        if (!utf8_names(ctx))
            if (auto encoded = mailstore::utf8_to_mutf7(prefix))
                prefix = *encoded;
        write_string(group, prefix);
        group += ' ';
        if (ns.separator == 0) {
            group += "NIL";
        } else {
            group += '"';
            if (ns.separator == '"' || ns.separator == '\\')
                group += '\\';
            group += ns.separator;
            group += '"';
        }
        group += ')';
    }
    out += group.empty() ? "NIL" : "(" + group + ")";
}

} // namespace

std::unique_ptr<CommandRun> cmd_namespace(Context& ctx, const Command& cmd) {
    if (!cmd.args.empty()) {
        ctx.finish_bad("Invalid arguments.");
        return nullptr;
    }
    std::string line = "NAMESPACE ";
    write_group(ctx, line, st::NamespaceType::private_ns);
    line += ' ';
    write_group(ctx, line, st::NamespaceType::shared_ns);
    line += ' ';
    write_group(ctx, line, st::NamespaceType::public_ns);
    ctx.untagged(line);
    ctx.finish_ok("", "Namespace completed.");
    return nullptr;
}

} // namespace imapproto::detail
