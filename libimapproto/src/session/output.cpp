#include "session/output.hpp"

namespace imapproto::detail {

class Deflater {};

std::string_view Output::Chunk::bytes() const {
    std::string_view all = owned.empty() ? view : std::string_view(owned);
    return all.substr(offset);
}

Output::Output() = default;
Output::~Output() = default;

void Output::push_owned(std::string_view bytes) {
    if (bytes.empty())
        return;
    Chunk c;
    c.owned.assign(bytes);
    chunks_.push_back(std::move(c));
    pending_ += bytes.size();
}

void Output::append(std::string_view bytes) { push_owned(bytes); }
void Output::append_view(std::string_view bytes, std::shared_ptr<const void>) { push_owned(bytes); }
std::size_t Output::pending() const { return pending_; }
bool Output::empty() const { return pending_ == 0; }
std::string_view Output::front() const { return chunks_.empty() ? std::string_view() : chunks_.front().bytes(); }
void Output::consume(std::size_t n) {
    while (n > 0 && !chunks_.empty()) {
        auto& c = chunks_.front();
        std::size_t take = std::min(n, c.bytes().size());
        c.offset += take;
        n -= take;
        pending_ -= take;
        sent_ += take;
        if (c.bytes().empty())
            chunks_.pop_front();
    }
}
void Output::start_deflate() {}
bool Output::deflating() const { return false; }
void Output::sync_flush() {}

} // namespace imapproto::detail
