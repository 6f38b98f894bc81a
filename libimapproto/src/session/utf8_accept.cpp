#include "session/utf8_accept.hpp"

#include "commands/message_set.hpp"

#include <strings.h>

namespace imapproto::detail {

const Arg* utf8_append_data(Context& ctx, const std::vector<Arg>& args, std::size_t& i, std::string& error) {
    if (!utf8_accept(ctx)) {
        error = "UTF8 data requires ENABLE UTF8=ACCEPT";
        return nullptr;
    }
    // RFC 9755 §4: append-data =/ "UTF8" SP "(" literal8 ")".
    if (i + 1 >= args.size() || args[i + 1].type != Arg::Type::list || args[i + 1].children.size() != 1 ||
        args[i + 1].children[0].type != Arg::Type::literal || !args[i + 1].children[0].literal8) {
        error = "Invalid UTF8 data: expected UTF8 (~{size}message)";
        return nullptr;
    }
    const Arg* data = &args[i + 1].children[0];
    i += 2;
    return data;
}

bool refuse_charset_after_utf8_accept(Context& ctx, const std::string& charset, bool mandatory) {
    if (!utf8_accept(ctx) || ctx.enabled().imap4rev2)
        return false;
    if (!mandatory) {
        finish_syntax_error(ctx, "CHARSET is not allowed after ENABLE UTF8=ACCEPT");
        return true;
    }
    if (strcasecmp(charset.c_str(), "UTF-8") == 0)
        return false;
    finish_syntax_error(ctx, "Only the UTF-8 charset is allowed after ENABLE UTF8=ACCEPT");
    return true;
}

} // namespace imapproto::detail
