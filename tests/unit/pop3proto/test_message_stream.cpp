// MessageStream: CRLF line ends, dot-stuffing, the terminator, TOP's line
// limit and chunked output (RFC 1939 §3, §7), over messages saved into a
// real Maildir and read back mapped.
#include "session_harness.hpp"

#include "message_stream.hpp"

#include <string>

using pop3proto::detail::crlf_size;
using pop3proto::detail::MessageStream;
using pop3proto::detail::StreamOptions;

namespace {

// Everything the stream makes for `message`, produced `budget` bytes at a time.
std::string stream(std::string_view message, StreamOptions options = {}, std::size_t budget = 1 << 20,
                   std::uint64_t* written = nullptr) {
    pop3_test::Pop3Env env;
    env.add_message("alice", message);
    auto box = env.open_inbox("alice");
    auto data = box.message(1).open();
    REQUIRE(data.is_ok());
    MessageStream s(std::move(*data), options);
    std::string out;
    int rounds = 0;
    while (!s.produce(out, budget))
        REQUIRE(++rounds < 1000000);
    if (written)
        *written = s.bytes_written();
    return out;
}

StreamOptions top(std::uint64_t lines) {
    StreamOptions o;
    o.body_lines = lines;
    return o;
}

} // namespace

TEST_CASE("crlf_size counts a bare LF as two octets") {
    CHECK(crlf_size("") == 0);
    CHECK(crlf_size("a\nb\n") == 6);
    CHECK(crlf_size("a\r\nb\r\n") == 6);
    CHECK(crlf_size("a\rb") == 3);
    CHECK(crlf_size("\n") == 2);
}

TEST_CASE("bare LF becomes CRLF, dot-stuffing, terminator") {
    std::uint64_t written = 0;
    CHECK(stream("From: a@b\nSubject: one\n\nline1\n.dot\nline3\n", {}, 1 << 20, &written) ==
          "From: a@b\r\nSubject: one\r\n\r\nline1\r\n..dot\r\nline3\r\n.\r\n");
    // What RETR counts: everything before the terminator, stuffing included.
    CHECK(written == 48);
}

TEST_CASE("a message without a final newline gets CRLF before the terminator") {
    CHECK(stream("Subject: x\r\n\r\nno newline") == "Subject: x\r\n\r\nno newline\r\n.\r\n");
}

TEST_CASE("CRLF input stays as it is; a bare CR is kept (as virtual_size counts it)") {
    CHECK(stream("Subject: x\r\n\r\na\rb\r\n") == "Subject: x\r\n\r\na\rb\r\n.\r\n");
}

TEST_CASE("a line that is only a dot, and dots inside lines") {
    CHECK(stream("Subject: x\n\n.\n..\na.b\n.") == "Subject: x\r\n\r\n..\r\n...\r\na.b\r\n..\r\n.\r\n");
}

TEST_CASE("a header line starting with a dot is stuffed too") {
    CHECK(stream(".Subject: odd\n\nbody\n") == "..Subject: odd\r\n\r\nbody\r\n.\r\n");
}

TEST_CASE("TOP: header, empty line, n body lines") {
    const std::string msg = "From: a@b\nSubject: one\n\nline1\n.dot\nline3";
    CHECK(stream(msg, top(0)) == "From: a@b\r\nSubject: one\r\n\r\n.\r\n");
    CHECK(stream(msg, top(1)) == "From: a@b\r\nSubject: one\r\n\r\nline1\r\n.\r\n");
    CHECK(stream(msg, top(2)) == "From: a@b\r\nSubject: one\r\n\r\nline1\r\n..dot\r\n.\r\n");
    // More lines than the body has: the whole message, the last line ended.
    CHECK(stream(msg, top(99)) == "From: a@b\r\nSubject: one\r\n\r\nline1\r\n..dot\r\nline3\r\n.\r\n");
}

TEST_CASE("TOP of a message without a body") {
    CHECK(stream("Subject: nobody\n", top(1)) == "Subject: nobody\r\n.\r\n");
    CHECK(stream("Subject: nobody\n", top(0)) == "Subject: nobody\r\n.\r\n");
    CHECK(stream("Subject: nobody\n\n", top(5)) == "Subject: nobody\r\n\r\n.\r\n");
}

TEST_CASE("oe-ns-eoh adds the missing end-of-header line") {
    StreamOptions o = top(1);
    o.add_missing_eoh = true;
    CHECK(stream("Subject: nobody\n", o) == "Subject: nobody\r\n\r\n.\r\n");
    CHECK(stream("Subject: x\n\nbody\n", o) == "Subject: x\r\n\r\nbody\r\n.\r\n");
}

TEST_CASE("outlook-no-nuls sends NUL as 0x80") {
    StreamOptions o;
    o.no_nuls = true;
    CHECK(stream(std::string("Subject: x\n\na\0b\n", 16), o) == "Subject: x\r\n\r\na\x80" "b\r\n.\r\n");
    CHECK(stream(std::string("Subject: x\n\na\0b\n", 16)) == std::string("Subject: x\r\n\r\na\0b\r\n.\r\n", 22));
}

TEST_CASE("small budgets give the same bytes: long lines split, CRLF pairs across chunks") {
    std::string msg = "Subject: x\r\n\r\n";
    msg += std::string(5000, 'a') + "\r\n.x\n" + std::string(3000, '.') + "\n\r\nend";
    const std::string whole = stream(msg);
    for (std::size_t budget : {1u, 2u, 3u, 7u, 100u, 4096u})
        CHECK(stream(msg, {}, budget) == whole);
    CHECK(whole.ends_with("\r\n..x\r\n." + std::string(3000, '.') + "\r\n\r\nend\r\n.\r\n"));
}

namespace {

// What RETR must send for `bytes`, one byte at a time: a bare LF becomes
// CRLF, a "." starting a line gets another, a last line without a line end
// gets CRLF, then ".\r\n".
std::string reference_retr(std::string_view bytes) {
    std::string out;
    bool line_start = true;
    for (std::size_t i = 0; i < bytes.size(); ++i) {
        const char c = bytes[i];
        if (line_start && c == '.')
            out += '.';
        if (c == '\n' && (i == 0 || bytes[i - 1] != '\r'))
            out += '\r';
        out += c;
        line_start = c == '\n';
    }
    if (!line_start)
        out += "\r\n";
    return out + ".\r\n";
}

} // namespace

TEST_CASE("random messages: the same bytes as a byte-at-a-time conversion, at every budget") {
    // Lines of many lengths, dots, CRs, LFs and NULs in all neighbourhoods,
    // messages larger than one 8 KB slice, budgets that split them anywhere
    // (a CR at the end of one slice and its LF in the next included).
    pop3_test::Pop3Env env;
    std::uint64_t state = 0x9e3779b97f4a7c15ULL;
    auto next = [&state] {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        return state;
    };
    constexpr int kMessages = 40;
    for (int m = 0; m < kMessages; ++m) {
        std::string msg = "Subject: r" + std::to_string(m) + "\n\n";
        const std::size_t size = next() % (m < 20 ? 64 : 40000);
        static constexpr char kAlphabet[] = {'a', 'b', '.', '\r', '\n', '\n', 'x', ' ', '\0', '.'};
        for (std::size_t i = 0; i < size; ++i)
            msg += next() % 5 == 0 ? kAlphabet[next() % sizeof kAlphabet] : static_cast<char>('a' + next() % 26);
        env.add_message("alice", msg);
    }
    auto box = env.open_inbox("alice");
    for (int m = 1; m <= kMessages; ++m) {
        auto data = box.message(static_cast<mailstore::storage::Seq>(m)).open();
        REQUIRE(data.is_ok());
        const std::string expected = reference_retr(data->bytes());
        for (std::size_t budget : {std::size_t(1), std::size_t(5), std::size_t(64), std::size_t(8191),
                                   std::size_t(65536)}) {
            MessageStream s(*data, {});
            std::string out;
            int rounds = 0;
            while (!s.produce(out, budget))
                REQUIRE(++rounds < 10000000);
            CHECK(out == expected);
            CHECK(s.bytes_written() == expected.size() - 3);
        }
    }
}
