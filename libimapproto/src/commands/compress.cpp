// COMPRESS DEFLATE (RFC 4978). Compression starts with the first octet after
// the tagged OK, in both directions.
#include "commands/commands.hpp"

#include <strings.h>

namespace imapproto::detail {

std::unique_ptr<CommandRun> cmd_compress(Context& ctx, const Command& cmd) {
    if (cmd.args.size() != 1 || cmd.args[0].type != Arg::Type::atom) {
        ctx.finish_bad("Error in IMAP command COMPRESS: Invalid arguments.");
        return nullptr;
    }
    if (ctx.compress_active()) {
        // Dovecot's text, "COMPRESSION" included.
        ctx.finish_no("COMPRESSIONACTIVE", "COMPRESSION=DEFLATE already enabled.");
        return nullptr;
    }
    if (strcasecmp(cmd.args[0].text.c_str(), "DEFLATE") != 0) {
        ctx.finish_no("", "Unknown compression mechanism.");
        return nullptr;
    }
    ctx.request_compress();
    ctx.finish_ok("", "Begin compression.");
    return nullptr;
}

} // namespace imapproto::detail
