#include "line_buffer.hpp"

#include <doctest/doctest.h>

#include <cstring>

using namespace loft;

namespace {
// Feed `text` the way a socket read would, as far as the buffer has room.
std::size_t feed(LineBuffer& buf, std::string_view text) {
    std::size_t done = 0;
    while (done < text.size()) {
        auto span = buf.prepare(text.size() - done);
        if (span.empty())
            break;
        std::memcpy(span.data(), text.data() + done, span.size());
        buf.commit(span.size());
        done += span.size();
    }
    return done;
}
} // namespace

TEST_CASE("lines are split on LF with an optional CR") {
    LineBuffer buf(100);
    feed(buf, "a1 NOOP\r\nb2 CAPA\nc3");
    std::string line;
    CHECK(buf.take_line(line) == LineBuffer::LineState::complete);
    CHECK(line == "a1 NOOP");
    CHECK(buf.take_line(line) == LineBuffer::LineState::complete);
    CHECK(line == "b2 CAPA");
    CHECK(buf.take_line(line) == LineBuffer::LineState::need_more);
    feed(buf, "\r\n");
    CHECK(buf.take_line(line) == LineBuffer::LineState::complete);
    CHECK(line == "c3");
    CHECK(buf.empty());
}

TEST_CASE("a line longer than the limit is refused and memory stays bounded") {
    LineBuffer buf(1000);
    std::string big(10 * 1024 * 1024, 'x');
    std::size_t accepted = feed(buf, big);
    CHECK(accepted == 1002); // max line + CRLF, not 10 MB
    CHECK(buf.allocated() <= 2 * 1002);
    std::string line;
    CHECK(buf.take_line(line) == LineBuffer::LineState::too_long);
    CHECK(buf.prepare().empty());
}

TEST_CASE("a line of exactly the limit is accepted") {
    LineBuffer buf(10);
    feed(buf, std::string(10, 'y') + "\r\n");
    std::string line;
    CHECK(buf.take_line(line) == LineBuffer::LineState::complete);
    CHECK(line == std::string(10, 'y'));
    feed(buf, std::string(11, 'z') + "\r\n");
    CHECK(buf.take_line(line) == LineBuffer::LineState::too_long);
}

TEST_CASE("counted reads and discarding") {
    LineBuffer buf(100);
    feed(buf, "{5}\r\nhelloREST");
    std::string line;
    REQUIRE(buf.take_line(line) == LineBuffer::LineState::complete);
    std::string literal;
    CHECK(buf.take(5, literal) == 5);
    CHECK(literal == "hello");
    CHECK(buf.discard_all() == 4);
    CHECK(buf.empty());
}

TEST_CASE("the buffer compacts so many short lines fit through a small limit") {
    LineBuffer buf(20);
    std::string line;
    for (int i = 0; i < 1000; ++i) {
        std::string cmd = "cmd" + std::to_string(i) + "\r\n";
        REQUIRE(feed(buf, cmd) == cmd.size());
        REQUIRE(buf.take_line(line) == LineBuffer::LineState::complete);
        CHECK(line == "cmd" + std::to_string(i));
    }
}

TEST_CASE("the limit applies to the content whether the line ends in CRLF or a bare LF") {
    std::string line;
    {
        LineBuffer buf(4);
        feed(buf, "abcd\n");
        CHECK(buf.take_line(line) == LineBuffer::LineState::complete);
        CHECK(line == "abcd");
    }
    {
        LineBuffer buf(4);
        feed(buf, "abcd\r\n");
        CHECK(buf.take_line(line) == LineBuffer::LineState::complete);
        CHECK(line == "abcd");
    }
    {
        LineBuffer buf(4);
        feed(buf, "abcde\n"); // five characters of content: one too many
        CHECK(buf.take_line(line) == LineBuffer::LineState::too_long);
    }
}
