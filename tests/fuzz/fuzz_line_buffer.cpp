// libFuzzer target for LineBuffer, the bounded input buffer of every
// connection. The input is a script: the first bytes choose the line limit,
// then each step reads a chunk into the buffer (through prepare/commit, as
// the socket code does) or takes lines / counted bytes out. Checks the
// buffer's promises against a plain std::string model of the same stream:
// it never holds more than max_line + 2 bytes, lines come out in order
// without their CRLF / LF and never longer than max_line (CRLF or bare LF), too_long is
// reported exactly when a line's content exceeds max_line (or no newline
// fits), and no byte is lost or invented.
#include "fuzz_check.hpp"

#include "line_buffer.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace {

struct Input {
    const std::uint8_t* p;
    std::size_t left;
    bool empty() const { return left == 0; }
    std::uint8_t byte() {
        if (left == 0)
            return 0;
        --left;
        return *p++;
    }
    std::string_view bytes(std::size_t n) {
        n = std::min(n, left);
        std::string_view s(reinterpret_cast<const char*>(p), n);
        p += n;
        left -= n;
        return s;
    }
};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    Input in{data, size};
    // Small limits find the edge cases; 0 checks the clamp to 1.
    const std::size_t max_line = in.byte() % 64;
    loft::LineBuffer buf(max_line);
    const std::size_t limit = std::max<std::size_t>(max_line, 1) + 2;
    FUZZ_CHECK(buf.capacity_limit() == limit);

    std::string model; // what the buffer should hold
    bool closed = false; // too_long was reported: a real connection closes
    while (!in.empty() && !closed) {
        std::uint8_t op = in.byte();
        switch (op % 4) {
        case 0:
        case 1: { // read up to `want` bytes from the "socket"
            std::size_t want = (op >> 2) + 1;
            std::string_view chunk = in.bytes(want);
            auto span = buf.prepare(want);
            FUZZ_CHECK(span.size() <= want);
            FUZZ_CHECK(span.size() == std::min(want, limit - model.size()));
            std::size_t n = std::min(span.size(), chunk.size());
            if (n > 0)
                std::memcpy(span.data(), chunk.data(), n);
            buf.commit(n);
            model.append(chunk.substr(0, n));
            break;
        }
        case 2: { // take a line
            std::string line = "garbage";
            auto state = buf.take_line(line);
            auto nl = model.find('\n');
            std::size_t len = nl != std::string::npos && nl > 0 && model[nl - 1] == '\r' ? nl - 1 : nl;
            if (nl != std::string::npos && len <= limit - 2) {
                FUZZ_CHECK(state == loft::LineBuffer::LineState::complete);
                FUZZ_CHECK(line == std::string_view(model).substr(0, len));
                model.erase(0, nl + 1);
            } else if (nl != std::string::npos || model.size() >= limit) {
                FUZZ_CHECK(state == loft::LineBuffer::LineState::too_long);
                closed = true;
            } else {
                FUZZ_CHECK(state == loft::LineBuffer::LineState::need_more);
                FUZZ_CHECK(line == "garbage");
            }
            break;
        }
        case 3: { // take a counted chunk (IMAP literal, DATA), or drop all
            std::size_t n = op >> 2;
            if (n == 63) {
                FUZZ_CHECK(buf.discard_all() == model.size());
                model.clear();
            } else {
                std::string out = "x";
                std::size_t k = buf.take(n, out);
                FUZZ_CHECK(k == std::min(n, model.size()));
                FUZZ_CHECK(out.size() == k + 1 && std::string_view(out).substr(1) == std::string_view(model).substr(0, k));
                model.erase(0, k);
            }
            break;
        }
        }
        FUZZ_CHECK(buf.size() <= limit);
        FUZZ_CHECK(buf.size() == model.size());
        FUZZ_CHECK(buf.data() == model);
        FUZZ_CHECK(buf.empty() == model.empty());
        // The allocation is bounded too (the buffer may keep a consumed
        // prefix until the next prepare() compacts it).
        FUZZ_CHECK(buf.allocated() <= std::max<std::size_t>(2 * limit, 4096 * 2));
    }
    return 0;
}
