// CAPABILITY (RFC 3501 §6.1.1). Extra arguments are ignored, as Dovecot
// does.
#include "commands/commands.hpp"

namespace imapproto::detail {

std::unique_ptr<CommandRun> cmd_capability(Context& ctx, const Command&) {
    ctx.untagged("CAPABILITY " + ctx.capabilities());
    if (ctx.state() == SessionState::not_authenticated)
        ctx.finish_ok("", "Pre-login capabilities listed, post-login capabilities have more.");
    else
        ctx.finish_ok("", "Capability completed.");
    return nullptr;
}

} // namespace imapproto::detail
