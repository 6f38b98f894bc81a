// INPROGRESS (RFC 9585): "* OK [INPROGRESS ("tag" 500 2000)] ..." while a
// long command runs, so the client can show progress and does not time
// out. A resumable command (FETCH, COPY, and SEARCH/SORT/THREAD through
// their sliced evaluation) owns a ProgressReport; the session sends what it
// wrote when the command hands control back (Progress::more_output).
//
// Cheap when nothing is sent: due() reads the clock only every kCheckEvery
// calls, so a FETCH of a few hundred messages never reads it at all.
#pragma once

#include "session/context.hpp"

#include <chrono>
#include <cstdint>

namespace imapproto::detail {

class ProgressReport {
public:
    // Items between two clock reads for due().
    static constexpr std::uint32_t kCheckEvery = 256;

    // Called once per item processed: whether a report should be written
    // now. The first report is due imap_progress_interval after the first
    // call (RFC 9585 §4 recommends one every 10-15 seconds), the next that
    // long after the previous one; an interval of 0 makes every check due.
    bool due(const Context& ctx) {
        start(ctx);
        if (++count_ < kCheckEvery)
            return false;
        count_ = 0;
        return due_now(ctx);
    }

    // Starts the clock (the command began); later calls do nothing.
    void start(const Context& ctx);

    // The same as due() without counting, for callers that check once per
    // batch of items (a search slice).
    bool due_now(const Context& ctx);

    // Writes the untagged report: `done` of `total` items (total 0: not
    // known, sent as NIL). Nothing when done >= total, since GOAL must be
    // greater than PROGRESS (RFC 9585 §4).
    void write(Context& ctx, std::uint64_t done, std::uint64_t total);

private:
    std::uint32_t count_ = 0;
    bool started_ = false;
    std::chrono::milliseconds interval_{0};
    std::chrono::steady_clock::time_point next_;
};

} // namespace imapproto::detail
