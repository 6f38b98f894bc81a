// Lines from a worker's stderr pipe.
//
// loftd gives each worker a pipe as stderr (LOFT_LOG_PIPE=1, see
// mailstore/log.hpp) and reads it without blocking, so data arrives in
// arbitrary pieces: a line may be split over reads, several may come in one.
// WorkerLogBuffer cuts the stream into lines, keeps an unfinished one until
// the rest arrives, and bounds what it keeps.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

namespace loftd {

class WorkerLogBuffer {
public:
    using Sink = std::function<void(std::string_view line)>;

    // `max_line`: a line longer than this is passed on in pieces of that
    // size, so a worker printing without newlines cannot grow loftd.
    explicit WorkerLogBuffer(std::size_t max_line = 16 * 1024) : max_line_(max_line) {}

    // Append `data` and pass every complete line (without "\n" or "\r\n")
    // to `sink`.
    void feed(std::string_view data, const Sink& sink);
    // End of the stream: pass on what is left of an unfinished line.
    void finish(const Sink& sink);

    std::size_t pending() const { return partial_.size(); }

private:
    std::size_t max_line_;
    std::string partial_;
};

} // namespace loftd
