// STARTTLS (RFC 3501 §6.2.1). After the OK the session drops whatever the
// client pipelined in the clear and hands the connection to the daemon for
// the handshake (Step::starttls).
#include "commands/commands.hpp"

namespace imapproto::detail {

std::unique_ptr<CommandRun> cmd_starttls(Context& ctx, const Command&) {
    if (ctx.tls_active()) {
        ctx.finish_bad("TLS is already active.");
        return nullptr;
    }
    if (!ctx.starttls_available()) {
        ctx.finish_bad("TLS support isn't enabled.");
        return nullptr;
    }
    ctx.request_starttls();
    ctx.finish_ok("", "Begin TLS negotiation now.");
    return nullptr;
}

} // namespace imapproto::detail
