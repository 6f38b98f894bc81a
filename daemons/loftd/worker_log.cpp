#include "worker_log.hpp"

namespace loftd {

void WorkerLogBuffer::feed(std::string_view data, const Sink& sink) {
    partial_.append(data);
    std::size_t start = 0;
    for (;;) {
        std::size_t nl = partial_.find('\n', start);
        if (nl == std::string::npos)
            break;
        std::string_view line(partial_.data() + start, nl - start);
        if (!line.empty() && line.back() == '\r')
            line.remove_suffix(1);
        while (line.size() > max_line_) {
            sink(line.substr(0, max_line_));
            line.remove_prefix(max_line_);
        }
        sink(line);
        start = nl + 1;
    }
    partial_.erase(0, start);
    while (partial_.size() >= max_line_) {
        sink(std::string_view(partial_).substr(0, max_line_));
        partial_.erase(0, max_line_);
    }
}

void WorkerLogBuffer::finish(const Sink& sink) {
    if (!partial_.empty())
        sink(partial_);
    partial_.clear();
}

} // namespace loftd
