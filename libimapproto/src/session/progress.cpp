#include "session/progress.hpp"

#include <string>

namespace imapproto::detail {

void ProgressReport::start(const Context& ctx) {
    if (started_)
        return;
    started_ = true;
    interval_ = ctx.settings().progress_interval;
    next_ = std::chrono::steady_clock::now() + interval_;
}

bool ProgressReport::due_now(const Context& ctx) {
    if (!started_) {
        start(ctx);
        return interval_.count() <= 0;
    }
    if (interval_.count() <= 0)
        return true;
    const auto now = std::chrono::steady_clock::now();
    if (now < next_)
        return false;
    next_ = now + interval_;
    return true;
}

void ProgressReport::write(Context& ctx, std::uint64_t done, std::uint64_t total) {
    if (total != 0 && done >= total)
        return;
    // RFC 9585 §4: the tag as a quoted string, NIL when it holds "]"
    // (which would end the response code) or anything a quoted string
    // cannot carry as it is.
    const std::string& tag = ctx.tag();
    bool quotable = true;
    for (char c : tag)
        quotable = quotable && c > 0x20 && c < 0x7f && c != ']' && c != '"' && c != '\\';
    std::string line = "OK [INPROGRESS (";
    if (quotable) {
        line += '"';
        line += tag;
        line += '"';
    } else {
        line += "NIL";
    }
    line += ' ' + std::to_string(done) + ' ';
    line += total != 0 ? std::to_string(total) : std::string("NIL");
    line += ")] Still processing.";
    ctx.untagged(line);
}

} // namespace imapproto::detail
