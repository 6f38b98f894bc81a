// IDLE (RFC 2177): "+ idling", then untagged updates whenever the mailbox
// changes (the session sends them on wake() and a keepalive on tick()),
// until the client sends DONE.
#include "commands/commands.hpp"

#include <strings.h>

namespace imapproto::detail {

namespace {

class IdleRun final : public CommandRun {
public:
    Progress resume(Context& ctx) override {
        auto line = ctx.take_line();
        if (!line)
            return Progress::idle;
        if (strcasecmp(line->c_str(), "DONE") == 0)
            ctx.finish_ok("", "Idle completed.");
        else
            ctx.finish_bad("Expected DONE.");
        return Progress::done;
    }
};

} // namespace

std::unique_ptr<CommandRun> idle_running() { return std::make_unique<IdleRun>(); }

std::unique_ptr<CommandRun> cmd_idle(Context& ctx, const Command&) {
    ctx.continuation("idling");
    // What changed before IDLE began goes out right away.
    if (ctx.selected())
        ctx.send_updates(true);
    return std::make_unique<IdleRun>();
}

} // namespace imapproto::detail
