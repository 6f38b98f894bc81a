// ENABLE (RFC 5161). Only extensions that are advertised and that Loft knows
// how to switch on are enabled; the rest are ignored, as the RFC says.
#include "commands/commands.hpp"
#include "mailbox/condstore.hpp"

#include <algorithm>
#include <array>
#include <cctype>

namespace imapproto::detail {

namespace {

std::string upper(std::string_view s) {
    std::string r(s);
    for (auto& c : r)
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return r;
}

// `name` is upper case; capability names are case-insensitive (IMAP4rev2).
bool advertised(const std::string& caps, std::string_view name) {
    std::size_t pos = 0;
    while (pos < caps.size()) {
        std::size_t end = caps.find(' ', pos);
        if (end == std::string::npos)
            end = caps.size();
        if (upper(std::string_view(caps).substr(pos, end - pos)) == name)
            return true;
        pos = end + 1;
    }
    return false;
}

} // namespace

std::unique_ptr<CommandRun> cmd_enable(Context& ctx, const Command& cmd) {
    const std::string caps = ctx.capabilities();
    std::vector<std::string> done;
    // RFC 5161 §4: enable = "ENABLE" 1*(SP capability). Dovecot answers an
    // empty ENABLE with OK; the grammar makes it a syntax error.
    if (cmd.args.empty()) {
        ctx.finish_bad("Error in IMAP command ENABLE: Missing arguments.");
        return nullptr;
    }
    for (const auto& a : cmd.args) {
        if (a.type != Arg::Type::atom) {
            ctx.finish_bad("Error in IMAP command ENABLE: Invalid arguments.");
            return nullptr;
        }
        std::string name = upper(a.text);
        if (std::find(done.begin(), done.end(), name) != done.end() || !advertised(caps, name))
            continue;
        auto& e = ctx.enabled();
        // With a mailbox selected, turning CONDSTORE on (QRESYNC implies it,
        // RFC 7162 §3.2.3) reports its HIGHESTMODSEQ before ENABLED, as
        // Dovecot does (enable_condstore).
        // RFC 5161 §3.1: ENABLED lists only what this command turned on, so
        // an extension already on (also CONDSTORE that an enabling command
        // turned on, RFC 7162 §3.1) is not listed again.
        bool newly = false;
        if (name == "CONDSTORE") {
            newly = enable_condstore(ctx);
        } else if (name == "QRESYNC") {
            enable_condstore(ctx);
            newly = !e.qresync;
            e.qresync = true;
        } else if (name == "IMAP4REV2") {
            // RFC 9051 §6.3.1: the session switches to rev2 from here on.
            newly = !e.imap4rev2;
            e.imap4rev2 = true;
            name = "IMAP4rev2";
        } else if (name == "UIDONLY") {
            // RFC 9586 §3.1: from here on UIDs only (session/uidonly.hpp).
            newly = !e.uidonly;
            e.uidonly = true;
        } else if (name == "UTF8=ACCEPT") {
            // RFC 9755 §3: "ENABLE UTF8=ACCEPT" is valid only in the
            // authenticated state; with a mailbox selected it is not
            // switched on (and not listed in ENABLED), like any extension
            // the server will not enable (RFC 5161 §3.1).
            if (ctx.selected())
                continue;
            newly = !e.utf8_accept;
            e.utf8_accept = true;
        }
        if (newly)
            done.push_back(std::move(name));
    }
    // RFC 5161 §3.1: a successful ENABLE MUST send ENABLED, an empty one
    // when nothing new was turned on (§3.2 allows the empty list).
    std::string line = "ENABLED";
    for (const auto& n : done)
        line += " " + n;
    ctx.untagged(line);
    ctx.finish_ok("", "Enabled.");
    return nullptr;
}

} // namespace imapproto::detail
