// FETCH of message bytes: BODY[section]<partial>, HEADER.FIELDS(.NOT),
// MIME of nested parts, BINARY of base64 and quoted-printable parts,
// [UNKNOWN-CTE], NUL bytes, messages stored with LF line ends, and big
// messages streamed through the output in pieces. The expected bytes are
// Dovecot 2.3.19's answers for the same messages where Dovecot follows RFC
// 3516 (its BINARY.SIZE of parts next to an x-uuencode part fails; Loft
// answers the size).
#include "session_harness.hpp"

#include <doctest/doctest.h>

#include <mailstore/storage/mailbox.hpp>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

using namespace imap_test;
namespace ms = mailstore::storage;

namespace {

constexpr std::string_view kSmall = "Subject: hi\nFrom: a@b.c\n\nline1\nline2\n";

// multipart/mixed: 1 quoted-printable text, 2 base64 octet-stream,
// 3 x-uuencode text, 4 message/rfc822 holding multipart/alternative
// (4.1 text/plain, 4.2 base64 text/html).
constexpr std::string_view kMulti =
    "From: Alice <alice@example.com>\r\n"
    "To: bob@example.com\r\n"
    "Subject: parts\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: multipart/mixed; boundary=\"XX\"\r\n"
    "\r\n"
    "preamble\r\n"
    "--XX\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n"
    "Content-Transfer-Encoding: quoted-printable\r\n"
    "\r\n"
    "caf=C3=A9 soft=\r\n"
    "break\r\n"
    "line2=\r\n"
    "\r\n"
    "--XX\r\n"
    "Content-Type: application/octet-stream\r\n"
    "Content-Transfer-Encoding: base64\r\n"
    "\r\n"
    "YmluAGFyeQFkYXRhDQptb3Jl\r\n"
    "\r\n"
    "--XX\r\n"
    "Content-Type: text/plain\r\n"
    "Content-Transfer-Encoding: x-uuencode\r\n"
    "\r\n"
    "begin 644 foo\r\n"
    "end\r\n"
    "\r\n"
    "--XX\r\n"
    "Content-Type: message/rfc822\r\n"
    "\r\n"
    "Subject: inner\r\n"
    "Content-Type: multipart/alternative; boundary=YY\r\n"
    "\r\n"
    "--YY\r\n"
    "Content-Type: text/plain\r\n"
    "\r\n"
    "inner text\r\n"
    "--YY\r\n"
    "Content-Type: text/html\r\n"
    "Content-Transfer-Encoding: base64\r\n"
    "\r\n"
    "PGI+aGk8L2I+\r\n"
    "--YY--\r\n"
    "\r\n"
    "--XX--\r\n"
    "epilogue\r\n";

// A string literal with its NUL bytes.
template <std::size_t N>
std::string bytes(const char (&text)[N]) {
    return std::string(text, N - 1);
}

std::string lf_only(std::string_view crlf) {
    std::string out;
    for (char c : crlf)
        if (c != '\r')
            out += c;
    return out;
}

struct Fixture {
    MailEnv env;
    std::unique_ptr<SessionHarness> s;
    void add(std::string_view data) {
        auto user = env.open_user("alice");
        ms::OpenOptions options;
        options.claim_recent = false;
        auto box = ms::Mailbox::open(user, "INBOX", options);
        REQUIRE_MESSAGE(box.is_ok(), box.status().message());
        auto tx = box->begin();
        ms::SaveRequest req;
        req.data = data;
        REQUIRE(tx.save(req).is_ok());
        REQUIRE(tx.commit().is_ok());
    }
    void open(HarnessOptions options = {}) {
        options.preauth_user = "alice";
        s = std::make_unique<SessionHarness>(env, options);
        std::string r = s->cmd("s EXAMINE INBOX");
        REQUIRE(tagged_line(r, "s").rfind("s OK", 0) == 0);
    }
    void check(const std::string& command, const std::string& expected) {
        INFO(command);
        CHECK(s->cmd(command) == expected);
    }
};

} // namespace

TEST_CASE("BODY[]<partial> of a message stored with LF line ends counts CRLF octets") {
    Fixture f;
    f.add(kSmall);
    f.open();
    f.check("p1 FETCH 1 BODY.PEEK[]<0.0>", "* 1 FETCH (BODY[]<0> {0}\r\n)\r\np1 OK Fetch completed.\r\n");
    f.check("p2 FETCH 1 BODY.PEEK[]<40.10>", "* 1 FETCH (BODY[]<40> {2}\r\n\r\n)\r\np2 OK Fetch completed.\r\n");
    f.check("p3 FETCH 1 BODY.PEEK[]<42.10>", "* 1 FETCH (BODY[]<42> {0}\r\n)\r\np3 OK Fetch completed.\r\n");
    f.check("p4 FETCH 1 BODY.PEEK[]<100.10>", "* 1 FETCH (BODY[]<100> {0}\r\n)\r\np4 OK Fetch completed.\r\n");
    f.check("p5 FETCH 1 BODY.PEEK[]<10>",
            "* 1 FETCH (BODY[]<10> {32}\r\ni\r\nFrom: a@b.c\r\n\r\nline1\r\nline2\r\n)\r\np5 OK Fetch completed.\r\n");
    // Offsets 11 and 12 are the CR and LF that the stored LF becomes.
    f.check("p6 FETCH 1 BODY.PEEK[]<11.3>", "* 1 FETCH (BODY[]<11> {3}\r\n\r\nF)\r\np6 OK Fetch completed.\r\n");
    f.check("p7 FETCH 1 BODY.PEEK[]<12.3>", "* 1 FETCH (BODY[]<12> {3}\r\n\nFr)\r\np7 OK Fetch completed.\r\n");
    f.check("p8 FETCH 1 BODY.PEEK[]<4294967296.1>",
            "* 1 FETCH (BODY[]<4294967296> {0}\r\n)\r\np8 OK Fetch completed.\r\n");
    f.check("p9 FETCH 1 (BODY.PEEK[TEXT]<2.3> BODY.PEEK[HEADER]<26.5>)",
            "* 1 FETCH (BODY[TEXT]<2> {3}\r\nne1 BODY[HEADER]<26> {2}\r\n\r\n)\r\np9 OK Fetch completed.\r\n");
    // Repeats are all answered.
    f.check("q1 FETCH 1 (BODY.PEEK[]<10.3> BODY.PEEK[]<10.3>)",
            "* 1 FETCH (BODY[]<10> {3}\r\ni\r\n BODY[]<10> {3}\r\ni\r\n)\r\nq1 OK Fetch completed.\r\n");
}

TEST_CASE("Sections of nested parts: MIME, HEADER, TEXT, part numbers, missing parts") {
    // The same answers whether the message is stored with CRLF or LF.
    for (bool lf : {false, true}) {
        CAPTURE(lf);
        Fixture f;
        f.add(lf ? lf_only(kMulti) : std::string(kMulti));
        f.open();
        f.check("c1 FETCH 1 (BODY[4.MIME] BODY[4.HEADER] BODY[4.TEXT] BODY[4.1.MIME] BODY[1.HEADER] BODY[1.TEXT])",
                "* 1 FETCH (BODY[4.MIME] {32}\r\n"
                "Content-Type: message/rfc822\r\n"
                "\r\n"
                " BODY[4.HEADER] {68}\r\n"
                "Subject: inner\r\n"
                "Content-Type: multipart/alternative; boundary=YY\r\n"
                "\r\n"
                " BODY[4.TEXT] {136}\r\n"
                "--YY\r\n"
                "Content-Type: text/plain\r\n"
                "\r\n"
                "inner text\r\n"
                "--YY\r\n"
                "Content-Type: text/html\r\n"
                "Content-Transfer-Encoding: base64\r\n"
                "\r\n"
                "PGI+aGk8L2I+\r\n"
                "--YY--\r\n"
                " BODY[4.1.MIME] {28}\r\n"
                "Content-Type: text/plain\r\n"
                "\r\n"
                " BODY[1.HEADER] {0}\r\n"
                " BODY[1.TEXT] {0}\r\n"
                ")\r\n"
                "c1 OK Fetch completed.\r\n");
        f.check("c2 FETCH 1 (BODY[1]<0.4> BODY[5] BODY[4.2.MIME] BODY[2] BODY[4.1])",
                "* 1 FETCH (BODY[1]<0> {4}\r\n"
                "caf= BODY[5] {0}\r\n"
                " BODY[4.2.MIME] {62}\r\n"
                "Content-Type: text/html\r\n"
                "Content-Transfer-Encoding: base64\r\n"
                "\r\n"
                " BODY[2] {26}\r\n"
                "YmluAGFyeQFkYXRhDQptb3Jl\r\n"
                " BODY[4.1] {10}\r\n"
                "inner text)\r\n"
                "c2 OK Fetch completed.\r\n");
        f.check("c3 FETCH 1 BODY[3.MIME]",
                "* 1 FETCH (BODY[3.MIME] {67}\r\n"
                "Content-Type: text/plain\r\n"
                "Content-Transfer-Encoding: x-uuencode\r\n"
                "\r\n"
                ")\r\n"
                "c3 OK Fetch completed.\r\n");
    }
}

TEST_CASE("HEADER.FIELDS and HEADER.FIELDS.NOT match names case-insensitively") {
    Fixture f;
    f.add(kMulti);
    f.open();
    f.check("h1 FETCH 1 (BODY[HEADER.FIELDS (subject FROM x-none)] "
            "BODY[HEADER.FIELDS.NOT (Subject to MIME-VERSION content-type)])",
            "* 1 FETCH (BODY[HEADER.FIELDS (SUBJECT FROM X-NONE)] {51}\r\n"
            "From: Alice <alice@example.com>\r\n"
            "Subject: parts\r\n"
            "\r\n"
            " BODY[HEADER.FIELDS.NOT (SUBJECT TO MIME-VERSION CONTENT-TYPE)] {35}\r\n"
            "From: Alice <alice@example.com>\r\n"
            "\r\n"
            ")\r\n"
            "h1 OK Fetch completed.\r\n");
    f.check("h2 FETCH 1 (BODY[4.HEADER.FIELDS (SUBJECT)] BODY[4.HEADER.FIELDS.NOT (subject)])",
            "* 1 FETCH (BODY[4.HEADER.FIELDS (SUBJECT)] {18}\r\n"
            "Subject: inner\r\n"
            "\r\n"
            " BODY[4.HEADER.FIELDS.NOT (SUBJECT)] {52}\r\n"
            "Content-Type: multipart/alternative; boundary=YY\r\n"
            "\r\n"
            ")\r\n"
            "h2 OK Fetch completed.\r\n");
    // Names that are no atoms come back quoted; a partial of the result.
    f.check("h3 FETCH 1 (BODY[HEADER.FIELDS (\"a b\" to)]<2.5>)",
            "* 1 FETCH (BODY[HEADER.FIELDS (\"A B\" TO)]<2> {5}\r\n"
            ": bob)\r\n"
            "h3 OK Fetch completed.\r\n");
}

TEST_CASE("BINARY decodes base64 and quoted-printable, literal8 for decoded data") {
    Fixture f;
    f.add(kMulti);
    f.open();
    f.check("b1 FETCH 1 (BINARY.PEEK[1] BINARY.SIZE[1])",
            "* 1 FETCH (BINARY[1] ~{22}\r\n"
            "caf\xc3\xa9 softbreak\r\n"
            "line2 BINARY.SIZE[1] 22)\r\n"
            "b1 OK Fetch completed.\r\n");
    f.check("b2 FETCH 1 (BINARY.PEEK[2]<2.5> BINARY.PEEK[1]<0.3>)",
            bytes("* 1 FETCH (BINARY[2]<2> ~{5}\r\n"
                        "n\0ary BINARY[1]<0> ~{3}\r\n"
                        "caf)\r\n"
                        "b2 OK Fetch completed.\r\n"));
    f.check("b3 FETCH 1 (BINARY.PEEK[2] BINARY.SIZE[2])",
            bytes("* 1 FETCH (BINARY[2] ~{18}\r\n"
                        "bin\0ary\x01"
                        "data\r\n"
                        "more BINARY.SIZE[2] 18)\r\n"
                        "b3 OK Fetch completed.\r\n"));
    f.check("b4 FETCH 1 (BINARY.PEEK[4.2] BODY[4.2.MIME] BINARY.SIZE[4.2] BINARY.PEEK[4.1] BINARY.SIZE[4.1])",
            "* 1 FETCH (BINARY[4.2] ~{9}\r\n"
            "<b>hi</b> BODY[4.2.MIME] {62}\r\n"
            "Content-Type: text/html\r\n"
            "Content-Transfer-Encoding: base64\r\n"
            "\r\n"
            " BINARY.SIZE[4.2] 9 BINARY[4.1] {10}\r\n"
            "inner text BINARY.SIZE[4.1] 10)\r\n"
            "b4 OK Fetch completed.\r\n");
    // A message/rfc822 part: its leaves decoded, their header saying so.
    f.check("b5 FETCH 1 (BINARY.PEEK[4])",
            "* 1 FETCH (BINARY[4] ~{201}\r\n"
            "Subject: inner\r\n"
            "Content-Type: multipart/alternative; boundary=YY\r\n"
            "\r\n"
            "--YY\r\n"
            "Content-Type: text/plain\r\n"
            "\r\n"
            "inner text\r\n"
            "--YY\r\n"
            "Content-Type: text/html\r\n"
            "Content-Transfer-Encoding: binary\r\n"
            "\r\n"
            "<b>hi</b>\r\n"
            "--YY--\r\n"
            ")\r\n"
            "b5 OK Fetch completed.\r\n");
    f.check("b6 FETCH 1 (BINARY.PEEK[9] BINARY.SIZE[9])",
            "* 1 FETCH (BINARY[9] {0}\r\n BINARY.SIZE[9] 0)\r\nb6 OK Fetch completed.\r\n");
}

TEST_CASE("BINARY of an encoding it cannot undo: [UNKNOWN-CTE], the other items still sent") {
    Fixture f;
    f.add(kMulti);
    f.add(kSmall);
    f.open();
    // Nothing left to send: the UID alone, as Dovecot answers.
    f.check("u1 FETCH 1 (BINARY.SIZE[3])",
            "* 1 FETCH (UID 1)\r\nu1 NO [UNKNOWN-CTE] Unknown Content-Transfer-Encoding.\r\n");
    f.check("u2 FETCH 1 (BINARY.PEEK[3] BINARY.PEEK[4.1])",
            "* 1 FETCH (BINARY[4.1] {10}\r\ninner text)\r\nu2 NO [UNKNOWN-CTE] Unknown Content-Transfer-Encoding.\r\n");
    // BINARY[] of the whole message holds the x-uuencode part.
    f.check("u3 UID FETCH 1:2 (BINARY.PEEK[])",
            "* 1 FETCH (UID 1)\r\n"
            "* 2 FETCH (UID 2 BINARY[] {42}\r\nSubject: hi\r\nFrom: a@b.c\r\n\r\nline1\r\nline2\r\n)\r\n"
            "u3 NO [UNKNOWN-CTE] Unknown Content-Transfer-Encoding.\r\n");
}

TEST_CASE("NUL bytes: literal8 in BINARY, 0x80 in BODY") {
    Fixture f;
    f.add(bytes("Subject: x\nContent-Transfer-Encoding: binary\n\nab\0cd\n"));
    f.add(bytes("Subject: x\n\nab\0cd\n"));
    f.open();
    f.check("n1 FETCH 1 (BINARY.PEEK[] BINARY.SIZE[] BINARY.PEEK[1] BINARY.SIZE[1] BODY.PEEK[] BODY.PEEK[1])",
            bytes("* 1 FETCH (BINARY[] ~{56}\r\n"
                        "Subject: x\r\n"
                        "Content-Transfer-Encoding: binary\r\n"
                        "\r\n"
                        "ab\0cd\r\n"
                        " BINARY.SIZE[] 56 BINARY[1] ~{7}\r\n"
                        "ab\0cd\r\n"
                        " BINARY.SIZE[1] 7 BODY[] {56}\r\n"
                        "Subject: x\r\n"
                        "Content-Transfer-Encoding: binary\r\n"
                        "\r\n"
                        "ab\x80"
                        "cd\r\n"
                        " BODY[1] {7}\r\n"
                        "ab\x80"
                        "cd\r\n"
                        ")\r\n"
                        "n1 OK Fetch completed.\r\n"));
    f.check("n2 FETCH 2 (BINARY.PEEK[1] BODY.PEEK[TEXT]<2.3>)",
            bytes("* 2 FETCH (BINARY[1] ~{7}\r\n"
                        "ab\0cd\r\n"
                        " BODY[TEXT]<2> {3}\r\n"
                        "\x80"
                        "cd)\r\n"
                        "n2 OK Fetch completed.\r\n"));
}

TEST_CASE("A 5 MB message is streamed in pieces, LF converted to CRLF") {
    std::string body;
    for (int i = 0; body.size() < 5 * 1024 * 1024; ++i)
        body += "line " + std::to_string(i) + " of a big message, stored with LF line ends\n";
    const std::string lf = "Subject: big\n\n" + body;
    std::string crlf;
    for (char c : lf) {
        if (c == '\n')
            crlf += '\r';
        crlf += c;
    }
    Fixture f;
    f.add(lf);   // converted piece by piece
    f.add(crlf); // sent as a view of the mapped file
    HarnessOptions options;
    options.output_high_water = 64 * 1024;
    f.open(options);
    for (int seq : {1, 2}) {
        CAPTURE(seq);
        imapproto::Session& session = f.s->session();
        session.feed("b" + std::to_string(seq) + " FETCH " + std::to_string(seq) + " (BODY.PEEK[] RFC822.SIZE)\r\n");
        std::string out;
        int flushes = 0;
        std::size_t most_pending = 0;
        for (int guard = 0; guard < 100000; ++guard) {
            imapproto::Step step = session.run();
            most_pending = std::max(most_pending, session.output_pending());
            while (session.has_output()) {
                auto front = session.output_front();
                out.append(front);
                session.output_consume(front.size());
            }
            if (step.kind != imapproto::Step::Kind::flush)
                break;
            ++flushes;
        }
        const std::string head = "* " + std::to_string(seq) + " FETCH (RFC822.SIZE " + std::to_string(crlf.size()) +
                                 " BODY[] {" + std::to_string(crlf.size()) + "}\r\n";
        const std::string tail = ")\r\nb" + std::to_string(seq) + " OK Fetch completed.\r\n";
        REQUIRE(out.size() == head.size() + crlf.size() + tail.size());
        CHECK(out.compare(0, head.size(), head) == 0);
        CHECK(out.compare(head.size(), crlf.size(), crlf) == 0);
        CHECK(out.compare(head.size() + crlf.size(), tail.size(), tail) == 0);
        if (seq == 1) {
            // Converted output never waits in one piece much bigger than a
            // megabyte: the session flushed between pieces.
            CHECK(flushes >= 4);
            CHECK(most_pending < 2 * 1024 * 1024);
        }
    }
}

TEST_CASE("BINARY of a big base64 part streams the decoded bytes") {
    std::string data;
    for (int i = 0; i < 3 * 1024 * 1024; ++i)
        data += static_cast<char>((i * 7 + i / 13) & 0xff);
    static const char* alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string b64;
    for (std::size_t i = 0; i < data.size(); i += 3) {
        unsigned v = static_cast<unsigned char>(data[i]) << 16;
        if (i + 1 < data.size())
            v |= static_cast<unsigned char>(data[i + 1]) << 8;
        if (i + 2 < data.size())
            v |= static_cast<unsigned char>(data[i + 2]);
        b64 += alphabet[(v >> 18) & 63];
        b64 += alphabet[(v >> 12) & 63];
        b64 += i + 1 < data.size() ? alphabet[(v >> 6) & 63] : '=';
        b64 += i + 2 < data.size() ? alphabet[v & 63] : '=';
        if (b64.size() % 77 == 76)
            b64 += '\n';
    }
    const std::string msg = "Subject: bin\nContent-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n\n" +
                            b64 + "\n";
    Fixture f;
    f.add(msg);
    f.open();
    std::string out = f.s->cmd("b1 FETCH 1 (BINARY.SIZE[1] BINARY.PEEK[1]<1000.2000000>)");
    const std::string head = "* 1 FETCH (BINARY.SIZE[1] " + std::to_string(data.size()) + " BINARY[1]<1000> ~{2000000}\r\n";
    const std::string tail = ")\r\nb1 OK Fetch completed.\r\n";
    REQUIRE(out.size() == head.size() + 2000000 + tail.size());
    CHECK(out.compare(0, head.size(), head) == 0);
    CHECK(out.compare(head.size(), 2000000, data, 1000, 2000000) == 0);
    CHECK(out.compare(head.size() + 2000000, tail.size(), tail) == 0);
}

TEST_CASE("A big body with mixed line ends, lone CRs and NULs converts the same in every piece") {
    // Lines of varied lengths ending in CRLF, bare LF, or CR CR LF, some
    // with a NUL or a lone CR inside: pieces of the converted output start
    // at many different places relative to them.
    std::string body;
    for (int i = 0; body.size() < 3 * 1024 * 1024; ++i) {
        body += "row " + std::to_string(i) + std::string(static_cast<std::size_t>(i % 97), 'x');
        if (i % 5 == 0)
            body += std::string(1, '\0') + "nul";
        if (i % 7 == 0)
            body += "\rlone";
        body += i % 3 == 0 ? "\r\n" : i % 3 == 1 ? "\n" : "\r\r\n";
    }
    Fixture f;
    f.add("Subject: mixed\n\n" + body);
    // The file as stored (saving may have normalised line ends: a CR CR LF
    // can come back as CR LF), and what IMAP sends for it: bare LF -> CRLF,
    // NUL -> 0x80, everything else as it is.
    std::string stored;
    for (const char* dir : {"/cur", "/new"}) {
        for (const auto& entry : std::filesystem::directory_iterator(f.env.maildir("alice") + dir)) {
            std::ifstream in(entry.path(), std::ios::binary);
            stored.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
        }
    }
    REQUIRE(stored.size() > body.size() / 2);
    std::string imap;
    for (std::size_t i = 0; i < stored.size(); ++i) {
        char c = stored[i];
        if (c == '\n' && (i == 0 || stored[i - 1] != '\r'))
            imap += '\r';
        imap += c == '\0' ? '\x80' : c;
    }
    HarnessOptions options;
    options.output_high_water = 16 * 1024;
    f.open(options);
    std::string out = f.s->cmd("m1 FETCH 1 (BODY.PEEK[] BODY.PEEK[TEXT]<12345.2500000>)");
    const std::string text = imap.substr(std::string("Subject: mixed\r\n\r\n").size());
    const std::string expected = "* 1 FETCH (BODY[] {" + std::to_string(imap.size()) + "}\r\n" + imap +
                                 " BODY[TEXT]<12345> {2500000}\r\n" + text.substr(12345, 2500000) +
                                 ")\r\nm1 OK Fetch completed.\r\n";
    std::size_t diff = 0;
    while (diff < out.size() && diff < expected.size() && out[diff] == expected[diff])
        ++diff;
    INFO("sizes " << out.size() << " / " << expected.size() << ", first difference at " << diff);
    CHECK(out.size() == expected.size());
    CHECK(diff == expected.size());
}
