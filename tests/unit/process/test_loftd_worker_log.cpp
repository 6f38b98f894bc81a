// Cutting a worker's stderr stream into log lines.
#include "worker_log.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

TEST_CASE("worker log lines: split reads are joined, several lines in one read are split") {
    loftd::WorkerLogBuffer buffer;
    std::vector<std::string> lines;
    auto sink = [&](std::string_view line) { lines.emplace_back(line); };
    buffer.feed("\x01Iecho: Info: one\n\x01Iecho: Info: t", sink);
    CHECK(lines == std::vector<std::string>{"\x01Iecho: Info: one"});
    CHECK(buffer.pending() == 15);
    buffer.feed("wo\r\n", sink);
    buffer.feed("\n", sink);
    CHECK(lines == std::vector<std::string>{"\x01Iecho: Info: one", "\x01Iecho: Info: two", ""});
    CHECK(buffer.pending() == 0);
}

TEST_CASE("worker log lines: an unfinished line is passed on at the end, a long one in bounded pieces") {
    loftd::WorkerLogBuffer buffer(8);
    std::vector<std::string> lines;
    auto sink = [&](std::string_view line) { lines.emplace_back(line); };
    buffer.feed("abcdefghijkl", sink); // no newline: cut at the bound
    CHECK(lines == std::vector<std::string>{"abcdefgh"});
    CHECK(buffer.pending() == 4);
    buffer.feed("mnopqrstuvwxyz0123\nshort\n", sink);
    CHECK(lines == std::vector<std::string>{"abcdefgh", "ijklmnop", "qrstuvwx", "yz0123", "short"});
    buffer.feed("Segmentation fault", sink);
    lines.clear();
    buffer.finish(sink);
    CHECK(lines == std::vector<std::string>{"lt"}); // "Segmenta", "tion fau" went on already
    CHECK(buffer.pending() == 0);
    buffer.finish(sink);
    CHECK(lines.size() == 1);
}
