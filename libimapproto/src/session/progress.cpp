#include "session/progress.hpp"

#include <imapproto/string_writer.hpp>

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
    // (which would end the response code). Tags are atoms: no quote or
    // backslash can occur.
    const std::string& tag = ctx.tag();
    std::string line = "OK [INPROGRESS (";
    if (tag.find(']') != std::string::npos)
        line += "NIL";
    else
        write_string(line, tag);
    line += ' ' + std::to_string(done) + ' ';
    line += total != 0 ? std::to_string(total) : std::string("NIL");
    line += ")] Still processing.";
    ctx.untagged(line);
}

} // namespace imapproto::detail
