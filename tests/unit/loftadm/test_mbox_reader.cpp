// MboxReader: From_ separators, mboxrd/mboxo unquoting, mbox headers into
// flags, CRLF files, malformed input; on real files in a temporary directory.
#include "mbox_reader.hpp"
#include "test_support.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using loftadm::MboxMessage;
using loftadm::MboxReader;
namespace storage = mailstore::storage;

namespace {

std::vector<MboxMessage> read_all(const std::string& path) {
    auto reader = MboxReader::open(path);
    REQUIRE(reader);
    std::vector<MboxMessage> out;
    MboxMessage message;
    while (true) {
        auto more = reader.value()->next(message);
        REQUIRE(more);
        if (!more.value()) {
            break;
        }
        out.push_back(message);
    }
    return out;
}

} // namespace

TEST_CASE("mbox: separators, dates, quoting and the blank line before From_") {
    loft_test::TempDir dir("loft-mbox");
    std::string path = dir.write("a.mbox",
                                 "From alice@example.org Mon Jan  2 15:04:05 2006\n"
                                 "Subject: one\n"
                                 "\n"
                                 ">From the start\n"
                                 ">>From twice\n"
                                 "> From is not quoting\n"
                                 ">Frog\n"
                                 "text\n"
                                 "From after text stays\n"
                                 "\n"
                                 "From bob Tue Jan  3 10:00:00 +0100 2006\n"
                                 "Subject: two\n"
                                 "\n"
                                 "last line without newline");
    auto messages = read_all(path);
    REQUIRE(messages.size() == 2);
    CHECK(messages[0].data ==
          "Subject: one\n\nFrom the start\n>From twice\n> From is not quoting\n>Frog\ntext\nFrom after text stays\n");
    CHECK(messages[0].date == std::optional<std::int64_t>(1136214245));
    CHECK(messages[0].line == 1);
    CHECK(messages[0].number == 1);
    CHECK(messages[1].data == "Subject: two\n\nlast line without newline");
    CHECK(messages[1].date == std::optional<std::int64_t>(1136278800));
    CHECK(messages[1].line == 11);
    CHECK(messages[1].number == 2);
}

TEST_CASE("mbox: Status, X-Status, X-Keywords become flags and are removed with X-UID and Content-Length") {
    loft_test::TempDir dir("loft-mbox");
    std::string path = dir.write("a.mbox",
                                 "From x Mon Jan  2 15:04:05 2006\n"
                                 "status: RO\n"
                                 "Subject: s\n"
                                 "X-Status: AFTD\n"
                                 "X-Keywords: $Label1, work\n"
                                 "  (bad) work more\n"
                                 "X-UID: 7\n"
                                 "Content-Length: 5\n"
                                 "X-Other: kept\n"
                                 "\n"
                                 "Status: RO in the body stays\n");
    auto messages = read_all(path);
    REQUIRE(messages.size() == 1);
    CHECK(messages[0].data == "Subject: s\nX-Other: kept\n\nStatus: RO in the body stays\n");
    CHECK(messages[0].flags == (storage::flag_seen | storage::flag_answered | storage::flag_flagged |
                                storage::flag_draft | storage::flag_deleted));
    CHECK(messages[0].keywords == std::vector<std::string>{"$Label1", "work", "more"});
    CHECK_FALSE(messages[0].pseudo);
}

TEST_CASE("mbox: CRLF lines, an empty message, UW-IMAP's pseudo message, a date that does not parse") {
    loft_test::TempDir dir("loft-mbox");
    std::string path = dir.write("a.mbox",
                                 "From MAILER-DAEMON Fri Jan  6 00:00:00 2006\r\n"
                                 "X-IMAP: 1136505600 0000000002\r\n"
                                 "\r\n"
                                 "internal\r\n"
                                 "\r\n"
                                 "From a not-a-date\r\n"
                                 "\r\n"
                                 "From b Thu Jan  5 00:00:01 2006\r\n"
                                 "Subject: crlf\r\n"
                                 "\r\n"
                                 ">From x\r\n"
                                 "\r\n");
    auto messages = read_all(path);
    REQUIRE(messages.size() == 3);
    CHECK(messages[0].pseudo);
    CHECK(messages[0].data == "\r\ninternal\r\n");
    CHECK(messages[1].data.empty());
    CHECK_FALSE(messages[1].date.has_value());
    CHECK(messages[2].data == "Subject: crlf\r\n\r\nFrom x\r\n");
    CHECK(messages[2].line == 8);
}

TEST_CASE("mbox: an empty file has no messages; other files are refused") {
    loft_test::TempDir dir("loft-mbox");
    CHECK(read_all(dir.write("empty.mbox", "")).empty());

    auto not_mbox = MboxReader::open(dir.write("x", "Subject: no From_ line\n\nbody\n"));
    REQUIRE_FALSE(not_mbox);
    CHECK(not_mbox.status().code() == mailstore::Status::Code::invalid_argument);
    CHECK(not_mbox.status().message().find("not an mbox file") != std::string::npos);
    // ">From " at the start is a quoted line, not a separator.
    CHECK_FALSE(MboxReader::open(dir.write("y", ">From x\n")));

    auto missing = MboxReader::open(dir.str() + "/missing");
    REQUIRE_FALSE(missing);
    CHECK(missing.status().code() == mailstore::Status::Code::not_found);
    CHECK(missing.status().message().find("/missing") != std::string::npos);
}

TEST_CASE("mbox: long lines are read in pieces without splitting a From_ line check") {
    loft_test::TempDir dir("loft-mbox");
    std::string long_line(200000, 'x');
    std::string path = dir.write("a.mbox", "From a Mon Jan  2 15:04:05 2006\n\n" + long_line + "From y\n\nFrom b Mon Jan  2 15:04:06 2006\n\nb\n");
    auto messages = read_all(path);
    REQUIRE(messages.size() == 2);
    // "From y" continued the long line: it is not at a line start.
    CHECK(messages[0].data == "\n" + long_line + "From y\n");
    CHECK(messages[1].data == "\nb\n");
}
