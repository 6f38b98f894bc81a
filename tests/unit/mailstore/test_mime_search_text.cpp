// SEARCH BODY / HEADER / TEXT over parsed messages. The expectations on what
// is and is not searched were each checked against Dovecot 2.3's SEARCH on
// the same messages.
#include <doctest/doctest.h>

#include <mailstore/mime/charset.hpp>
#include <mailstore/mime/message.hpp>
#include <mailstore/mime/search_text.hpp>
#include <mailstore/mime/section.hpp>
#include <mailstore/mime/transfer_encoding.hpp>

#include <string>
#include <string_view>
#include <vector>

using namespace mailstore::mime;
using namespace std::string_literals;

namespace {

std::string crlf(std::string_view lf)
{
    std::string out;
    for (char c : lf) {
        if (c == '\n')
            out += '\r';
        out += c;
    }
    return out;
}

std::vector<std::string> body_texts(const ParsedMessage& m)
{
    std::vector<std::string> texts;
    for_each_body_text(m, [&](std::string_view t) { texts.emplace_back(t); });
    return texts;
}

const std::string mixed = crlf(R"(From: Alice <alice@example.com>
Subject: outer subject
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="b1"

preamble-word
--b1
Content-Type: text/plain; charset=iso-8859-1
Content-Transfer-Encoding: quoted-printable

caf=E9 plainword
--b1
Content-Type: text/html

<b>htmlword</b>
--b1
Content-Type: application/octet-stream
Content-Transfer-Encoding: base64

YXR0YWNod29yZA==
--b1
Content-Type: application/octet-stream

rawattachword
--b1
Content-Type: message/rfc822

From: Bob <bob@example.com>
Subject: innersubject

innerbody
--b1--
epilogue-word
)");

} // namespace

TEST_CASE("mime search body: text parts only, decoded")
{
    const auto m = ParsedMessage::parse(mixed);
    const auto texts = body_texts(m);
    REQUIRE(texts.size() == 3);
    CHECK(texts[0] == "caf\xC3\xA9 plainword");
    CHECK(texts[1] == "<b>htmlword</b>");
    CHECK(texts[2] == "innerbody");  // the CRLF before the boundary is not part of it

    for (std::string_view yes : {"caf\xC3\xA9", "CAFE\xCC\x81", "plainword", "htmlword", "<b>",
                                 "innerbody", "PLAINWORD", "cafe", ""}) {
        CAPTURE(yes);
        CHECK(body_contains(m, yes));
    }
    for (std::string_view no : {"caf=E9", "attachword", "YXR0YWNod29yZA", "rawattachword",
                                "innersubject", "preamble-word", "epilogue-word", "outer", "alice",
                                "Content-Type", "bob@example", "plainword\r\n<b>"}) {
        CAPTURE(no);
        CHECK_FALSE(body_contains(m, no));
    }
}

TEST_CASE("mime search text: every header and the body text")
{
    const auto m = ParsedMessage::parse(mixed);
    for (std::string_view yes : {"outer", "alice", "Subject", "From:", "innersubject", "caf\xC3\xA9",
                                 "multipart", "octet-stream", "iso-8859-1", "Bob <bob",
                                 "Alice <alice@example.com>", "Subject: outer",
                                 "Transfer-Encoding: quoted", "plainword", "innerbody", ""}) {
        CAPTURE(yes);
        CHECK(text_contains(m, yes));
    }
    for (std::string_view no : {"rawattachword", "preamble-word", "epilogue-word", "attachword",
                                "Subject:outer", "nowhere"}) {
        CAPTURE(no);
        CHECK_FALSE(text_contains(m, no));
    }
}

TEST_CASE("mime search header fields decoded")
{
    // The bytes must outlive the ParsedMessage, which views them.
    const std::string raw = crlf("From: a@b\n"
                                 "Subject:   =?utf-8?q?caf=C3=A9?= x\n"
                                 "X-Fold: aa\n bb\n"
                                 "X-Tab:\tval\n"
                                 "X-Bad no colon line\n"
                                 "Comments: first\n"
                                 "Comments: =?iso-8859-1?q?d=E9j=E0?=\n"
                                 "X-Latin: caf\xE9\n"
                                 "\n"
                                 "body\n");
    const auto m = ParsedMessage::parse(raw);
    CHECK(header_contains(m, "subject", "caf\xC3\xA9 x"));
    CHECK(header_contains(m, "Subject", "CAF"));
    CHECK_FALSE(header_contains(m, "Subject", "=?utf"));
    CHECK(header_contains(m, "X-Fold", "aa bb"));
    CHECK_FALSE(header_contains(m, "X-Fold", "aa  bb"));
    CHECK_FALSE(header_contains(m, "X-Fold", "X-Fold"));
    CHECK(header_contains(m, "comments", "first"));
    CHECK(header_contains(m, "comments", "D\xC3\x89J\xC3\x80"));  // second occurrence
    CHECK(header_contains(m, "X-Latin", "caf\xC3\xA9"));       // undeclared 8-bit as Latin-1
    // An empty needle: the field is there or not.
    CHECK(header_contains(m, "X-Tab", ""));
    CHECK_FALSE(header_contains(m, "X-Missing", ""));
    CHECK_FALSE(header_contains(m, "X-Missing", "x"));
    CHECK_FALSE(header_contains(m, "", ""));

    // TEXT sees "Name: decoded value" lines joined by CRLF.
    CHECK(text_contains(m, "Subject: caf\xC3\xA9"));
    CHECK_FALSE(text_contains(m, "Subject:   caf\xC3\xA9"));
    CHECK_FALSE(text_contains(m, "Subject: =?utf"));
    CHECK(text_contains(m, "aa bb"));
    CHECK_FALSE(text_contains(m, "aa\r\n bb"));
    CHECK(text_contains(m, "X-Tab:\tval"));
    CHECK_FALSE(text_contains(m, "X-Tab: val"));
    CHECK(text_contains(m, "X-Bad no colon"));
    CHECK(text_contains(m, "a@b\r\nSubject"));
    CHECK_FALSE(text_contains(m, "b Subject"));
    CHECK(text_contains(m, "From: a@b"));
    CHECK(text_contains(m, "body"));
}

TEST_CASE("mime search header: top-level only")
{
    const auto m = ParsedMessage::parse(mixed);
    CHECK(header_contains(m, "Subject", "outer"));
    CHECK_FALSE(header_contains(m, "Subject", "innersubject"));
    CHECK_FALSE(header_contains(m, "Content-Transfer-Encoding", ""));
}

TEST_CASE("mime search body charsets and encodings")
{
    const auto msg = [](std::string_view headers, std::string_view body) {
        return crlf(std::string("From: a@b\nMIME-Version: 1.0\n") + std::string(headers) + "\n") +
               std::string(body);
    };
    struct Case {
        std::string raw;
        std::string text;
    };
    const Case cases[] = {
        // ISO-2022-JP, 7bit.
        {msg("Content-Type: text/plain; charset=ISO-2022-JP\n", "\x1B$B$3$s$K$A$O\x1B(B\r\n"),
         "\xE3\x81\x93\xE3\x82\x93\xE3\x81\xAB\xE3\x81\xA1\xE3\x81\xAF\r\n"},
        // GB2312 label, base64.
        {msg("Content-Type: text/plain; charset=\"gb2312\"\nContent-Transfer-Encoding: base64\n",
             "1tDOxA==\r\n"),
         "\xE4\xB8\xAD\xE6\x96\x87"},
        // Shift_JIS, 8bit.
        {msg("Content-Type: text/plain; charset=Shift_JIS\nContent-Transfer-Encoding: 8bit\n",
             "\x93\xFA\x96\x7B"),
         "\xE6\x97\xA5\xE6\x9C\xAC"},
        // Windows-1252 quotes in QP.
        {msg("Content-Type: text/plain; charset=windows-1252\n"
             "Content-Transfer-Encoding: quoted-printable\n",
             "=93hi=94"),
         "\xE2\x80\x9Chi\xE2\x80\x9D"},
        // ISO-8859-7 Greek.
        {msg("Content-Type: text/plain; charset=iso-8859-7\n", "\xE1\xE2\xE3"),
         "\xCE\xB1\xCE\xB2\xCE\xB3"},
        // No charset: us-ascii, which lets valid UTF-8 and Windows-1252 through.
        {msg("", "caf\xC3\xA9"), "caf\xC3\xA9"},
        {msg("Content-Type: text/plain\n", "caf\xE9"), "caf\xC3\xA9"},
        // Wrong label: says UTF-8, is Latin-1: U+FFFD where invalid.
        {msg("Content-Type: text/plain; charset=utf-8\n", "caf\xE9!"), "caf\xEF\xBF\xBD!"},
        // Unknown charset: valid UTF-8 kept, the rest U+FFFD.
        {msg("Content-Type: text/plain; charset=x-klingon\n", "ok \xE9"), "ok \xEF\xBF\xBD"},
        // Damaged base64: garbage skipped.
        {msg("Content-Type: text/plain\nContent-Transfer-Encoding: base64\n", "aGVs*bG8=\r\n"),
         "hello"},
        // Unknown transfer encoding: the bytes as they are.
        {msg("Content-Type: text/plain\nContent-Transfer-Encoding: x-uuencode\n", "begin 644"),
         "begin 644"},
    };
    for (const auto& c : cases) {
        CAPTURE(c.raw);
        const auto m = ParsedMessage::parse(c.raw);
        const auto texts = body_texts(m);
        REQUIRE(texts.size() == 1);
        CHECK(texts[0] == c.text);
        CHECK(body_contains(m, c.text));
    }
    // Matching across a charset: the needle is UTF-8, case-folded.
    const auto greek = ParsedMessage::parse(cases[4].raw);
    CHECK(body_contains(greek, "\xCE\x91\xCE\x92\xCE\x93"));  // ΑΒΓ
}

TEST_CASE("mime search: text/* leaves, defaults and digests")
{
    // A non-MIME message is text/plain.
    auto m = ParsedMessage::parse("Subject: s\r\n\r\nplain body");
    CHECK(body_contains(m, "PLAIN BODY"));
    // A non-text single part is not searched.
    const std::string png = crlf("MIME-Version: 1.0\nContent-Type: image/png\n\nnottext");
    m = ParsedMessage::parse(png);
    CHECK_FALSE(body_contains(m, "nottext"));
    CHECK(body_texts(m).empty());
    CHECK_FALSE(text_contains(m, "nottext"));
    CHECK(text_contains(m, "image/png"));
    // Digest parts default to message/rfc822; their body text is searched.
    const std::string digest = crlf("MIME-Version: 1.0\n"
                                    "Content-Type: multipart/digest; boundary=d\n\n"
                                    "--d\n\nSubject: in digest\n\ndigestbody\n"
                                    "--d--\n");
    m = ParsedMessage::parse(digest);
    CHECK(body_contains(m, "digestbody"));
    CHECK_FALSE(body_contains(m, "in digest"));
    CHECK(text_contains(m, "in digest"));
}

TEST_CASE("mime search: deep nesting and many parts")
{
    // 3000 nested message/rfc822 levels: beyond the parser's depth limit the
    // rest is opaque; the walk must neither recurse nor crash.
    std::string raw;
    for (int i = 0; i < 3000; ++i)
        raw += "MIME-Version: 1.0\r\nContent-Type: message/rfc822\r\n\r\n";
    raw += "Subject: deepest\r\n\r\ndeep text\r\n";
    const auto deep = ParsedMessage::parse(raw);
    CHECK_FALSE(body_contains(deep, "deep text"));
    CHECK(text_contains(deep, "message/rfc822"));

    // 5000 text parts, the match in the last one.
    std::string many = "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=x\r\n\r\n";
    for (int i = 0; i < 5000; ++i)
        many += "--x\r\nContent-Type: text/plain\r\n\r\npart " + std::to_string(i) + "\r\n";
    many += "--x--\r\n";
    const auto m = ParsedMessage::parse(many);
    CHECK(body_texts(m).size() == 5000);
    CHECK(body_contains(m, "part 4999"));
    CHECK_FALSE(body_contains(m, "part 5000"));
    // A match never spans two parts.
    CHECK_FALSE(body_contains(m, "part 1part 2"));
}

TEST_CASE("mime search: SEARCH and BINARY read the transfer encoding alike")
{
    // Both use MessagePart::encoding. Dovecot's SEARCH BODY and BINARY
    // decode each of these (no MIME-Version, a stray parameter).
    const char* raws[] = {
        "Subject: a\r\nContent-Transfer-Encoding: base64\r\n\r\naGVsbG8gd29ybGQ=",
        "Subject: a\r\nContent-Transfer-Encoding: base64; x=y\r\nMIME-Version: 1.0\r\n\r\naGVsbG8gd29ybGQ=",
        "Subject: a\r\nContent-Transfer-Encoding: QUOTED-PRINTABLE (c)\r\n\r\nhello=20w=6Frld",
        "MIME-Version: 1.0\r\nContent-Transfer-Encoding: 7bit\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        "aGVsbG8gd29ybGQ=",
        "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n"
        "Content-Transfer-Encoding: base64\r\n\r\naGVsbG8gd29ybGQ=\r\n--b--\r\n",
    };
    for (const char* raw : raws) {
        CAPTURE(raw);
        const auto m = ParsedMessage::parse(std::string_view(raw));
        const auto texts = body_texts(m);
        REQUIRE(texts.size() == 1);
        CHECK(texts[0] == "hello world");
        CHECK(body_contains(m, "HELLO WORLD"));
        auto bin = decode_part_binary(m, std::vector<std::uint32_t>{1});
        REQUIRE(bin.is_ok());
        CHECK(bin.value() == texts[0]);
    }
    // An encoding neither can undo: BINARY refuses, SEARCH reads the bytes.
    const std::string_view unknown = "MIME-Version: 1.0\r\nContent-Transfer-Encoding: base64 x\r\n\r\naGk=";
    const auto u = ParsedMessage::parse(unknown);
    CHECK(decode_part_binary(u, std::vector<std::uint32_t>{1}).status().message() == "unknown-cte");
    CHECK(body_contains(u, "aGk="));
    CHECK_FALSE(body_contains(u, "hi"));
}

TEST_CASE("mime search: parts with an invalid Content-Type are text/plain")
{
    // RFC 2045 §5.2: assume text/plain; charset=us-ascii for a syntactically
    // invalid Content-Type. (Dovecot 2.3's SEARCH BODY finds none of these.)
    for (const char* ct : {"text/plain junk", "text/", "; charset=utf-8", "foo", "/plain", "image"}) {
        CAPTURE(ct);
        const std::string single = "Subject: a\r\nMIME-Version: 1.0\r\nContent-Type: "s + ct +
                                   "\r\n\r\nhello w\xC3\xB6rld\r\n";
        const auto m = ParsedMessage::parse(single);
        CHECK(body_contains(m, "W\xC3\x96RLD"));
        const std::string multi = "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
                                  "--b\r\nContent-Type: "s + ct + "\r\n\r\nhello there\r\n--b--\r\n";
        const auto mm = ParsedMessage::parse(multi);
        CHECK(body_contains(mm, "there"));
        CHECK(text_contains(mm, "there"));
    }
    // Valid non-text types stay unsearched.
    const std::string_view pdf = "MIME-Version: 1.0\r\nContent-Type: application/pdf\r\n\r\nhello\r\n";
    CHECK_FALSE(body_contains(ParsedMessage::parse(pdf), "hello"));
}

namespace {

// A text part of `body` (7bit/8bit, so raw pieces cut it where they fall)
// labelled `charset`.
std::string big_part(std::string_view charset, std::string_view cte, const std::string& body)
{
    return "MIME-Version: 1.0\r\nContent-Type: text/plain; charset="s + std::string(charset) +
           "\r\nContent-Transfer-Encoding: " + std::string(cte) + "\r\n\r\n" + body;
}

} // namespace

TEST_CASE("mime search: streamed body text equals the whole conversion")
{
    // Multibyte characters at every alignment around the 64 KiB piece
    // boundaries of the streaming decoder; the result must be what
    // convert_to_utf8 gives for the whole body at once.
    struct Case {
        const char* charset;
        std::string unit;
    };
    const Case cases[] = {
        {"utf-8", "ab\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80"},
        {"utf-8", "x\xE9y\xC3"},                                    // damaged UTF-8
        {"us-ascii", "caf\xC3\xA9 "},                               // valid UTF-8 kept
        {"us-ascii", "caf\xC3\xA9 \xE9"},                           // one Latin-1 byte: all cp1252
        {"iso-8859-1", "d\xE9j\xE0 "},
        {"gb18030", "\xD6\xD0\xCE\xC4\x81\x30\x81\x30" "a"},           // 2- and 4-byte forms
        {"iso-2022-jp", "\x1B$B$3$s\x1B(Bab"},                      // shift states
        {"shift_jis", "\x93\xFA\x96\x7Bz"},
        {"utf-7", "Hi +ZeVnLIqe- x+AOk-"},                          // base64 runs
    };
    for (const auto& c : cases) {
        CAPTURE(c.charset);
        std::string body;
        while (body.size() < 200000)
            body += c.unit;
        std::string whole;
        convert_to_utf8(c.charset, body, whole);
        const std::string raw = big_part(c.charset, "8bit", body);
        const auto m = ParsedMessage::parse(raw);
        const auto texts = body_texts(m);
        REQUIRE(texts.size() == 1);
        CHECK(texts[0] == whole);
        // The same through base64 (decoded pieces cut elsewhere).
        const std::string b64 = big_part(c.charset, "base64", encode_base64(body));
        const auto mb = ParsedMessage::parse(b64);
        std::string joined;
        bool all_valid = true;
        for_each_body_text_piece(mb, [&](std::size_t index, std::string_view piece) {
            CHECK(index == 0);
            all_valid = all_valid && is_valid_utf8(piece);
            joined.append(piece);
            return true;
        });
        CHECK(all_valid);
        CHECK(joined == whole);
    }
}

TEST_CASE("mime search: matches across pieces within a part, never across parts")
{
    // The needle straddles the 64 KiB boundary of the decoded text.
    std::string body(65536 - 3, 'x');
    body += "NEEDLE";
    body += std::string(70000, 'y');
    const std::string raw = big_part("utf-8", "base64", encode_base64(body));
    const auto m = ParsedMessage::parse(raw);
    CHECK(body_contains(m, "needle"));
    CHECK(body_contains(m, "xneedley"));
    CHECK_FALSE(body_contains(m, "needlex"));

    // Two big parts: the end of the first and the start of the second do
    // not join up.
    const std::string a(100000, 'a'), b(100000, 'b');
    const std::string two = "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=z\r\n\r\n"
                            "--z\r\nContent-Type: text/plain\r\n\r\n" + a + "\r\n--z\r\n"
                            "Content-Type: text/plain\r\n\r\n" + b + "\r\n--z--\r\n";
    const auto t = ParsedMessage::parse(two);
    CHECK(body_contains(t, "aaaa"));
    CHECK(body_contains(t, "bbbb"));
    CHECK_FALSE(body_contains(t, "ab"));
    CHECK_FALSE(text_contains(t, "aabb"));
    std::vector<std::size_t> sizes(2, 0);
    std::size_t calls = 0;
    for_each_body_text_piece(t, [&](std::size_t index, std::string_view piece) {
        REQUIRE(index < 2);
        sizes[index] += piece.size();
        ++calls;
        return true;
    });
    CHECK(sizes[0] == a.size());
    CHECK(sizes[1] == b.size());
    CHECK(calls >= 4);  // pieces, not whole parts
    // Stopping early: the sink returns false after the first piece.
    calls = 0;
    for_each_body_text_piece(t, [&](std::size_t, std::string_view) { return ++calls < 1; });
    CHECK(calls == 1);
}
