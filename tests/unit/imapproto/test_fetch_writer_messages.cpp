// BODY / BODYSTRUCTURE / ENVELOPE of whole parsed messages: the writer
// together with the parser. Each expected value is Dovecot 2.3.19's answer
// for the same message (tests/corpus/tools/dovecot-fetch, run with
// mail_never_cache_fields = * so that no item is derived from another's
// cached answer).
#include <imapproto/fetch_writer.hpp>

#include <doctest/doctest.h>

#include <string>

using mailstore::mime::ParsedMessage;

namespace {

// Message text written with LF; Dovecot was given the same with CRLF.
std::string crlf(std::string_view lf) {
    std::string out;
    for (char c : lf) {
        if (c == '\n') out += '\r';
        out += c;
    }
    return out;
}

std::string bodystructure(const std::string& raw) {
    return imapproto::bodystructure_text(ParsedMessage::parse(raw));
}
std::string body(const std::string& raw) { return imapproto::body_text(ParsedMessage::parse(raw)); }

std::size_t count(const std::string& haystack, std::string_view needle) {
    std::size_t n = 0;
    for (auto pos = haystack.find(needle); pos != std::string::npos; pos = haystack.find(needle, pos + 1)) ++n;
    return n;
}

} // namespace

TEST_CASE("fetch writer messages: nested multipart, message/rfc822 and extension data") {
    const std::string raw = crlf(
        "Content-Type: MULTIPART/Mixed; Boundary=\"xx\"; foo=bar\n"
        "Content-Disposition: inline\n"
        "Content-Language: en\n"
        "Content-Location: loc\n"
        "Content-ID: <mp>\n"
        "Content-Description: mpdesc\n"
        "Content-MD5: mpmd5\n"
        "\n"
        "preamble\n"
        "--xx\n"
        "Content-Type: text/plain\n"
        "\n"
        "part1\n"
        "--xx\n"
        "Content-Type: Message/RFC822; x=y\n"
        "Content-Transfer-Encoding: 8BIT\n"
        "\n"
        "From: a@b\n"
        "Subject: inner\n"
        "\n"
        "inner body\n"
        "--xx\n"
        "Content-Type: multipart/alternative; boundary=yy\n"
        "\n"
        "--yy\n"
        "Content-Type: text/html\n"
        "\n"
        "<b>x</b>\n"
        "--yy--\n"
        "--xx--\n"
        "epilogue\n");
    CHECK(bodystructure(raw) ==
          "((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 5 0 NIL NIL NIL NIL)"
          "(\"message\" \"rfc822\" (\"x\" \"y\") NIL NIL \"8BIT\" 39 (NIL \"inner\" ((NIL NIL \"a\" \"b\")) "
          "((NIL NIL \"a\" \"b\")) ((NIL NIL \"a\" \"b\")) NIL NIL NIL NIL NIL) (\"text\" \"plain\" "
          "(\"charset\" \"us-ascii\") NIL NIL \"7bit\" 10 0 NIL NIL NIL NIL) 3 NIL NIL NIL NIL)"
          "((\"text\" \"html\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 8 0 NIL NIL NIL NIL) \"alternative\" "
          "(\"boundary\" \"yy\") NIL NIL NIL) \"Mixed\" (\"Boundary\" \"xx\" \"foo\" \"bar\") (\"inline\" NIL) "
          "(\"en\") \"loc\")");
    CHECK(body(raw) ==
          "((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 5 0)(\"message\" \"rfc822\" "
          "(\"x\" \"y\") NIL NIL \"8BIT\" 39 (NIL \"inner\" ((NIL NIL \"a\" \"b\")) ((NIL NIL \"a\" \"b\")) "
          "((NIL NIL \"a\" \"b\")) NIL NIL NIL NIL NIL) (\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL "
          "\"7bit\" 10 0) 3)((\"text\" \"html\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 8 0) "
          "\"alternative\") \"Mixed\")");
}

TEST_CASE("fetch writer messages: multipart/digest defaults to message/rfc822") {
    const std::string raw = crlf(
        "Content-Type: multipart/digest; boundary=d\n"
        "\n"
        "--d\n"
        "\n"
        "From: x@y\n"
        "Subject: d1\n"
        "\n"
        "body1\n"
        "--d\n"
        "Content-Type: text/plain\n"
        "\n"
        "body2\n"
        "--d\n"
        "Content-Type: garbage\n"
        "\n"
        "body3\n"
        "--d--\n");
    CHECK(bodystructure(raw) ==
          "((\"message\" \"rfc822\" NIL NIL NIL \"7bit\" 31 (NIL \"d1\" ((NIL NIL \"x\" \"y\")) "
          "((NIL NIL \"x\" \"y\")) ((NIL NIL \"x\" \"y\")) NIL NIL NIL NIL NIL) (\"text\" \"plain\" "
          "(\"charset\" \"us-ascii\") NIL NIL \"7bit\" 5 0 NIL NIL NIL NIL) 3 NIL NIL NIL NIL)"
          "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 5 0 NIL NIL NIL NIL)"
          "(\"garbage\" \"\" NIL NIL NIL \"7bit\" 5 NIL NIL NIL NIL) \"digest\" (\"boundary\" \"d\") NIL NIL NIL)");
}

TEST_CASE("fetch writer messages: multiparts without parts") {
    const std::string empty_text = "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 0 0 NIL NIL NIL NIL)";
    // No boundary line at all.
    CHECK(bodystructure(crlf("Content-Type: multipart/mixed; boundary=z\n\nno parts here\n")) ==
          "(" + empty_text + " \"mixed\" (\"boundary\" \"z\") NIL NIL NIL)");
    // Only the closing boundary.
    CHECK(bodystructure(crlf("Content-Type: multipart/mixed; boundary=z\n\n--z--\n")) ==
          "(" + empty_text + " \"mixed\" (\"boundary\" \"z\") NIL NIL NIL)");
    // No boundary parameter.
    CHECK(bodystructure(crlf("Content-Type: multipart/mixed\n\nhello\n")) ==
          "(" + empty_text + " \"mixed\" NIL NIL NIL NIL)");
    CHECK(body(crlf("Content-Type: multipart/mixed\n\nhello\n")) ==
          "((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 0 0) \"mixed\")");
}

TEST_CASE("fetch writer messages: leaves with unusual types") {
    // "multipart" without a subtype is not descended into.
    CHECK(bodystructure(crlf("Content-Type: multipart\n\n--b\n\nx\n--b--\n")) ==
          "(\"application\" \"octet-stream\" NIL NIL NIL \"7bit\" 17 NIL NIL NIL NIL)");
    // message/global is a leaf in Dovecot 2.3 (no envelope, no lines).
    CHECK(bodystructure(crlf("Content-Type: message/global\n\nSubject: a\n\nx\n")) ==
          "(\"message\" \"global\" NIL NIL NIL \"7bit\" 17 NIL NIL NIL NIL)");
    CHECK(bodystructure(crlf("Content-Type: garbage\n\nhello\n")) ==
          "(\"garbage\" \"\" NIL NIL NIL \"7bit\" 7 NIL NIL NIL NIL)");
    CHECK(bodystructure(crlf("Content-Type: te xt/plain\n\nhello\n")) ==
          "(\"\" \"\" NIL NIL NIL \"7bit\" 7 NIL NIL NIL NIL)");
    CHECK(bodystructure(crlf("Content-Type: text\n\nhello\n")) ==
          "(\"text\" \"\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 7 1 NIL NIL NIL NIL)");
    CHECK(bodystructure(crlf("Subject: x\n\nhello\n")) ==
          "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 7 1 NIL NIL NIL NIL)");
}

TEST_CASE("fetch writer messages: empty message/rfc822") {
    CHECK(bodystructure(crlf("Content-Type: message/rfc822\n\n")) ==
          "(\"message\" \"rfc822\" NIL NIL NIL \"7bit\" 0 (NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL) "
          "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 0 0 NIL NIL NIL NIL) 0 NIL NIL NIL NIL)");
}

TEST_CASE("fetch writer messages: empty Content-* fields are empty strings, not NIL") {
    CHECK(bodystructure(crlf("Content-Type: text/plain\nContent-ID:\n\nhello\n")) ==
          "(\"text\" \"plain\" (\"charset\" \"us-ascii\") \"\" NIL \"7bit\" 7 1 NIL NIL NIL NIL)");
    CHECK(bodystructure(crlf("Content-Type: text/plain\nContent-Description:\n\nhello\n")) ==
          "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL \"\" \"7bit\" 7 1 NIL NIL NIL NIL)");
    CHECK(bodystructure(crlf("Content-Type: text/plain\nContent-MD5:\n\nhello\n")) ==
          "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 7 1 \"\" NIL NIL NIL)");
    CHECK(bodystructure(crlf("Content-Type: text/plain\nContent-Location:\n\nhello\n")) ==
          "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 7 1 NIL NIL NIL \"\")");
    CHECK(bodystructure(crlf("Content-Type: text/plain\nContent-Disposition:\n\nhello\n")) ==
          "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 7 1 NIL (\"\" NIL) NIL NIL)");
}

TEST_CASE("fetch writer messages: message/rfc822 past the nesting limit is opaque") {
    std::string raw;
    for (int i = 0; i < 101; ++i)
        raw += "Subject: s" + std::to_string(i) + "\nContent-Type: Message/RFC822; x=y\nContent-Description: d\n\n";
    raw += "Subject: leaf\n\nleaf\n";
    std::string out = bodystructure(crlf(raw));
    CHECK(out.starts_with("(\"message\" \"rfc822\" (\"x\" \"y\") NIL \"d\" \"7bit\" 7515 (NIL \"s1\" NIL NIL "
                          "NIL NIL NIL NIL NIL NIL) (\"message\" \"rfc822\""));
    CHECK(count(out, "\"rfc822\"") == 99);
    CHECK(out.find("(\"application\" \"octet-stream\" (\"x\" \"y\") NIL \"d\" \"7bit\" 99 NIL NIL NIL NIL) 11 "
                   "NIL NIL NIL NIL) 15 NIL NIL NIL NIL)") != std::string::npos);
    CHECK(out.ends_with(" 399 NIL NIL NIL NIL) 403 NIL NIL NIL NIL)"));
}

TEST_CASE("fetch writer messages: part limit") {
    // 10005 parts; the 10000th is a multipart: it keeps its type and gets
    // the empty text/plain, everything after it is lost.
    std::string raw = "Content-Type: multipart/mixed; boundary=b\n\n";
    for (int i = 0; i < 10005; ++i)
        raw += i == 9998 ? "--b\nContent-Type: multipart/alternative; boundary=c\n\n--c\n\nx\n--c--\n" : "--b\n\nx\n";
    raw += "--b--\n";
    std::string out = bodystructure(crlf(raw));
    const std::string one = "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 1 0 NIL NIL NIL NIL)";
    CHECK(count(out, one) == 9998);
    CHECK(out.ends_with(one + "((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 0 0 NIL NIL NIL NIL) "
                              "\"alternative\" (\"boundary\" \"c\") NIL NIL NIL) \"mixed\" (\"boundary\" \"b\") NIL NIL NIL)"));

    // The same with a message/rfc822 in that place: an opaque leaf that
    // takes the rest of the body.
    raw = "Content-Type: multipart/mixed; boundary=b\n\n";
    for (int i = 0; i < 10005; ++i)
        raw += i == 9998 ? "--b\nContent-Type: message/rfc822\n\nSubject: inner\n\nx\n" : "--b\n\nx\n";
    raw += "--b--\n";
    out = bodystructure(crlf(raw));
    CHECK(count(out, one) == 9998);
    CHECK(out.ends_with(one + "(\"application\" \"octet-stream\" NIL NIL NIL \"7bit\" 88 NIL NIL NIL NIL) "
                              "\"mixed\" (\"boundary\" \"b\") NIL NIL NIL)"));
}

TEST_CASE("fetch writer messages: envelope of a whole message") {
    const std::string raw = crlf(
        "From: \"A \\\"q\\\" B\" <a@b.c>\n"
        "To: x@y.z, \"back\\\\slash\" <b@c.d>\n"
        "Subject: caf\xc3\xa9 test\n"
        "Date: Mon, 1 Jan 2024 00:00:00 +0000\n"
        "Message-ID: <id@x>\n"
        "\n"
        "hello\n");
    CHECK(imapproto::envelope_text(ParsedMessage::parse(raw)) ==
          "(\"Mon, 1 Jan 2024 00:00:00 +0000\" {10}\r\ncaf\xc3\xa9 test (({7}\r\nA \"q\" B NIL \"a\" \"b.c\")) "
          "(({7}\r\nA \"q\" B NIL \"a\" \"b.c\")) (({7}\r\nA \"q\" B NIL \"a\" \"b.c\")) ((NIL NIL \"x\" \"y.z\")"
          "({10}\r\nback\\slash NIL \"b\" \"c.d\")) NIL NIL NIL \"<id@x>\")");
    // A folded subject is sent as a literal: the fold is cleaned away.
    const std::string folded = crlf("Subject: a\n b\n\nx\n");
    CHECK(imapproto::envelope_text(ParsedMessage::parse(folded)) ==
          "(NIL {3}\r\na b NIL NIL NIL NIL NIL NIL NIL NIL)");
}

TEST_CASE("fetch writer messages: top-level Content-* fields without MIME-Version are NIL") {
    // RFC 2045 §4: without MIME-Version or Content-Type the Content-* fields
    // of a message's own header do not count; Dovecot sends NIL for each
    // (never ""), and 7bit although the field says base64.
    CHECK(bodystructure(crlf("Content-ID: <x@y>\nContent-Description: d\nSubject: a\n\nbody\n")) ==
          "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 6 1 NIL NIL NIL NIL)");
    CHECK(bodystructure(crlf("Content-MD5: m\nContent-Location: l\nContent-Transfer-Encoding: base64\n\nbody\n")) ==
          "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 6 1 NIL NIL NIL NIL)");
    // The same inside message/rfc822; the message/rfc822 part's own fields,
    // being a multipart child's, count.
    CHECK(bodystructure(crlf("Content-Type: multipart/mixed; boundary=b\n\n"
                             "--b\nContent-Type: message/rfc822\nContent-ID:\n\n"
                             "Subject: inner\nContent-ID: <i@y>\nContent-Description:\n\ninner body\n"
                             "--b--\n")) ==
          "((\"message\" \"rfc822\" NIL \"\" NIL \"7bit\" 69 (NIL \"inner\" NIL NIL NIL NIL NIL NIL NIL NIL) "
          "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 10 0 NIL NIL NIL NIL) 4 NIL NIL NIL NIL) "
          "\"mixed\" (\"boundary\" \"b\") NIL NIL NIL)");
    // With MIME-Version they count, empty ones as "".
    CHECK(bodystructure(crlf("MIME-Version: 1.0\nContent-ID: <x@y>\nContent-Description:\n\nbody\n")) ==
          "(\"text\" \"plain\" (\"charset\" \"us-ascii\") \"<x@y>\" \"\" \"7bit\" 6 1 NIL NIL NIL NIL)");
}
