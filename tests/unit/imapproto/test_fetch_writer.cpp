// ENVELOPE / BODY / BODYSTRUCTURE text. Every expected value here is what
// Dovecot 2.3.19 sends for the same message (tests/corpus/tools/dovecot-fetch).
#include <imapproto/fetch_writer.hpp>

#include <doctest/doctest.h>

#include <string>

using mailstore::mime::Envelope;
using mailstore::mime::EnvelopeAddress;
using namespace std::string_literals;

namespace {

std::string envelope(const Envelope& e) {
    std::string out;
    imapproto::write_envelope(out, e);
    return out;
}

EnvelopeAddress mailbox(std::optional<std::string> name, std::string local, std::string host) {
    return {std::move(name), std::nullopt, std::move(local), std::move(host)};
}
EnvelopeAddress group_start(std::string name) { return {std::nullopt, std::nullopt, std::move(name), std::nullopt}; }
EnvelopeAddress group_end() { return {}; }

} // namespace

TEST_CASE("fetch writer: empty envelope is ten NILs") {
    CHECK(envelope(Envelope{}) == "(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)");
}

TEST_CASE("fetch writer: envelope field order and address lists") {
    // Date: Mon, 1 Jan 2024 00:00:00 +0000 / Subject: x / From: a@b.c /
    // To: x@y.z, "back\\slash" <b@c.d> / Message-ID: <id@x>
    Envelope e;
    e.date = "Mon, 1 Jan 2024 00:00:00 +0000";
    e.subject = "x";
    e.from = {mailbox(std::nullopt, "a", "b.c")};
    e.sender = e.from;
    e.reply_to = e.from;
    e.to = {mailbox(std::nullopt, "x", "y.z"), mailbox("back\\slash", "b", "c.d")};
    e.message_id = "<id@x>";
    CHECK(envelope(e) ==
          "(\"Mon, 1 Jan 2024 00:00:00 +0000\" \"x\" ((NIL NIL \"a\" \"b.c\")) ((NIL NIL \"a\" \"b.c\")) "
          "((NIL NIL \"a\" \"b.c\")) ((NIL NIL \"x\" \"y.z\")({10}\r\nback\\slash NIL \"b\" \"c.d\")) "
          "NIL NIL NIL \"<id@x>\")");
}

TEST_CASE("fetch writer: envelope lists are in from sender reply-to to cc bcc order") {
    Envelope e;
    e.from = {mailbox(std::nullopt, "f", "h")};
    e.sender = {mailbox(std::nullopt, "s", "h")};
    e.reply_to = {mailbox(std::nullopt, "r", "h")};
    e.to = {mailbox(std::nullopt, "t", "h")};
    e.cc = {mailbox(std::nullopt, "c", "h")};
    e.bcc = {mailbox(std::nullopt, "b", "h")};
    e.in_reply_to = "<irt>";
    CHECK(envelope(e) ==
          "(NIL NIL ((NIL NIL \"f\" \"h\")) ((NIL NIL \"s\" \"h\")) ((NIL NIL \"r\" \"h\")) "
          "((NIL NIL \"t\" \"h\")) ((NIL NIL \"c\" \"h\")) ((NIL NIL \"b\" \"h\")) \"<irt>\" NIL)");
}

TEST_CASE("fetch writer: envelope groups, routes and mailbox quoting") {
    // To: The Group: a@b, c@d;, "Grp\"q":x@y; and From: "a\"b"@x, <@r1,@r2:g@h>
    Envelope e;
    e.from = {mailbox(std::nullopt, "a\"b", "x"),
              EnvelopeAddress{std::nullopt, "@r1,@r2", "g", "h"},
              mailbox(std::nullopt, "caf\xc3\xa9", "h\xc3\xa9.de")};
    e.to = {group_start("The Group"), mailbox(std::nullopt, "a", "b"), group_end(),
            group_start("Grp\"q"), mailbox(std::nullopt, "x", "y"), group_end()};
    CHECK(envelope(e) ==
          "(NIL NIL ((NIL NIL \"a\\\"b\" \"x\")(NIL \"@r1,@r2\" \"g\" \"h\")"
          "(NIL NIL {5}\r\ncaf\xc3\xa9 {6}\r\nh\xc3\xa9.de)) NIL NIL "
          "((NIL NIL \"The Group\" NIL)(NIL NIL \"a\" \"b\")(NIL NIL NIL NIL)"
          "(NIL NIL \"Grp\\\"q\" NIL)(NIL NIL \"x\" \"y\")(NIL NIL NIL NIL)) NIL NIL NIL NIL)");
}

TEST_CASE("fetch writer: envelope mailbox is not cleaned up like a name") {
    // From: "a\rb"@c -> the mailbox keeps the CR, in a literal.
    Envelope e;
    e.from = {mailbox(std::nullopt, "a\rb", "c")};
    CHECK(envelope(e) == "(NIL NIL ((NIL NIL {3}\r\na\rb \"c\")) NIL NIL NIL NIL NIL NIL NIL)");
}

TEST_CASE("fetch writer: envelope display names are text for people") {
    // "A \"q\" B" <a@b.c>, "Name   Here" <a@b>, "  x  " <a@b>, "   " <a@b>,
    // "caf\xc3\xa9" <g@h>, "p\rq" <g@h>
    Envelope e;
    e.from = {mailbox("A \"q\" B", "a", "b.c"), mailbox("Name   Here", "a", "b"),
              mailbox("  x  ", "a", "b"), mailbox("   ", "a", "b"),
              mailbox("caf\xc3\xa9", "g", "h"), mailbox("p\rq", "g", "h"),
              mailbox("Name Here", "a", "b")};
    CHECK(envelope(e) ==
          "(NIL NIL (({7}\r\nA \"q\" B NIL \"a\" \"b.c\")({9}\r\nName Here NIL \"a\" \"b\")"
          "({1}\r\nx NIL \"a\" \"b\")(\"\" NIL \"a\" \"b\")({5}\r\ncaf\xc3\xa9 NIL \"g\" \"h\")"
          "({3}\r\np q NIL \"g\" \"h\")(\"Name Here\" NIL \"a\" \"b\")) NIL NIL NIL NIL NIL NIL NIL)");
}

TEST_CASE("fetch writer: envelope subject is text for people") {
    Envelope e;
    e.subject = "caf\xc3\xa9 test";
    CHECK(envelope(e) == "(NIL {10}\r\ncaf\xc3\xa9 test NIL NIL NIL NIL NIL NIL NIL NIL)");
    e.subject = "   lead  two\tspaces\r\n  folded   trail   ";
    CHECK(envelope(e) == "(NIL {28}\r\nlead two spaces folded trail NIL NIL NIL NIL NIL NIL NIL NIL)");
    e.subject = "a\"b";
    CHECK(envelope(e) == "(NIL {3}\r\na\"b NIL NIL NIL NIL NIL NIL NIL NIL)");
    e.subject = "";
    CHECK(envelope(e) == "(NIL \"\" NIL NIL NIL NIL NIL NIL NIL NIL)");
    e.subject = "\t";
    CHECK(envelope(e) == "(NIL \"\" NIL NIL NIL NIL NIL NIL NIL NIL)");
    e.subject = "a\x1b" "b";
    CHECK(envelope(e) == "(NIL \"a\x1b" "b\" NIL NIL NIL NIL NIL NIL NIL NIL)");
    e.subject = "a\0b"s;
    CHECK(envelope(e) == "(NIL {5}\r\na\xef\xbf\xbd" "b NIL NIL NIL NIL NIL NIL NIL NIL)");
}

TEST_CASE("fetch writer: envelope date and message ids are header values") {
    // Date: x"y\z, Message-ID: <a\b"c>, In-Reply-To: café; empty Date.
    Envelope e;
    e.date = "x\"y\\z";
    e.message_id = "<a\\b\"c>";
    e.in_reply_to = "caf\xc3\xa9";
    CHECK(envelope(e) == "(\"x\\\"y\\\\z\" NIL NIL NIL NIL NIL NIL NIL {5}\r\ncaf\xc3\xa9 \"<a\\\\b\\\"c>\")");
    // Whitespace is kept as written; line breaks are not sent.
    e = Envelope{};
    e.date = "a\r\n\tb";
    e.in_reply_to = "c\r de \rf";
    e.message_id = "<id@x>  ";
    CHECK(envelope(e) == "(\"a\tb\" NIL NIL NIL NIL NIL NIL NIL \"c de  f\" \"<id@x>  \")");
    e = Envelope{};
    e.date = "";
    e.message_id = "\t";
    CHECK(envelope(e) == "(\"\" NIL NIL NIL NIL NIL NIL NIL NIL \"\t\")");
}
