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

// ----------------------------------------------------------------------
// Body structures of hand-built part trees: the writer's own rules, apart
// from what the parser makes of a message. The parts point at no bytes
// (header and body size 0 of an empty message), so every Content-* value
// comes from the part itself.

namespace {

using mailstore::mime::MessagePart;
using mailstore::mime::Parameter;
using mailstore::mime::ParsedMessage;

const ParsedMessage& empty_message() {
    static const ParsedMessage message = ParsedMessage::parse("");
    return message;
}

MessagePart leaf(std::string type, std::string subtype, std::vector<Parameter> params = {}) {
    MessagePart p;
    p.has_content_type = true;
    p.content_type.type = std::move(type);
    p.content_type.subtype = std::move(subtype);
    p.content_type.params = std::move(params);
    p.body_vsize = 7;
    p.body_lines = 1;
    return p;
}

MessagePart multipart(std::string subtype, std::vector<MessagePart> children,
                      std::vector<Parameter> params = {}) {
    MessagePart p = leaf("multipart", std::move(subtype), std::move(params));
    p.is_multipart = true;
    p.children = std::move(children);
    return p;
}

std::string structure(const MessagePart& part, bool extended = true) {
    std::string out;
    imapproto::write_body_structure(out, empty_message(), part, extended);
    return out;
}

} // namespace

TEST_CASE("fetch writer: a part without Content-Type is text/plain us-ascii") {
    MessagePart p;
    p.body_vsize = 7;
    p.body_lines = 1;
    CHECK(structure(p) == "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 7 1 NIL NIL NIL NIL)");
    CHECK(structure(p, false) == "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 7 1)");
}

TEST_CASE("fetch writer: type and subtype as written, charset default appended") {
    // Content-Type: TEXT/HTML
    CHECK(structure(leaf("TEXT", "HTML")) ==
          "(\"TEXT\" \"HTML\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 7 1 NIL NIL NIL NIL)");
    // Content-Type: text/plain; format=flowed -> charset after the others
    CHECK(structure(leaf("text", "plain", {{"format", "flowed"}})) ==
          "(\"text\" \"plain\" (\"format\" \"flowed\" \"charset\" \"us-ascii\") NIL NIL \"7bit\" 7 1 NIL NIL NIL NIL)");
    // Content-Type: TEXT/plain; CHARSET=x -> a charset in any case counts
    CHECK(structure(leaf("TEXT", "plain", {{"CHARSET", "x"}})) ==
          "(\"TEXT\" \"plain\" (\"CHARSET\" \"x\") NIL NIL \"7bit\" 7 1 NIL NIL NIL NIL)");
    // charset*=utf-8''x is not a charset parameter for this purpose
    CHECK(structure(leaf("text", "plain", {{"charset*", "utf-8''x"}})) ==
          "(\"text\" \"plain\" (\"charset*\" \"utf-8''x\" \"charset\" \"us-ascii\") NIL NIL \"7bit\" 7 1 NIL NIL NIL NIL)");
    // Content-Type: text (no subtype) is still text: lines and charset
    CHECK(structure(leaf("text", "")) ==
          "(\"text\" \"\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 7 1 NIL NIL NIL NIL)");
}

TEST_CASE("fetch writer: parameters as strings, duplicates and empty names kept") {
    // Content-Type: text/plain; =x; a="b\"c"; a=caf\xc3\xa9
    CHECK(structure(leaf("text", "plain", {{"", "x"}, {"a", "b\"c"}, {"a", "caf\xc3\xa9"}})) ==
          "(\"text\" \"plain\" (\"\" \"x\" \"a\" \"b\\\"c\" \"a\" {5}\r\ncaf\xc3\xa9 \"charset\" \"us-ascii\") "
          "NIL NIL \"7bit\" 7 1 NIL NIL NIL NIL)");
    // A CR in a parameter value stays (in a literal), unlike header fields.
    CHECK(structure(leaf("text", "plain", {{"a", "x\ry"}})) ==
          "(\"text\" \"plain\" (\"a\" {3}\r\nx\ry \"charset\" \"us-ascii\") NIL NIL \"7bit\" 7 1 NIL NIL NIL NIL)");
}

TEST_CASE("fetch writer: non-text leaves have no lines and no default parameters") {
    CHECK(structure(leaf("application", "octet-stream")) ==
          "(\"application\" \"octet-stream\" NIL NIL NIL \"7bit\" 7 NIL NIL NIL NIL)");
    // Content-Type: garbage -> what the parser read: type, empty subtype
    CHECK(structure(leaf("garbage", "")) == "(\"garbage\" \"\" NIL NIL NIL \"7bit\" 7 NIL NIL NIL NIL)");
    // An unusable Content-Type: both empty
    CHECK(structure(leaf("", "")) == "(\"\" \"\" NIL NIL NIL \"7bit\" 7 NIL NIL NIL NIL)");
    CHECK(structure(leaf("caf\xc3\xa9", "plain")) ==
          "({5}\r\ncaf\xc3\xa9 \"plain\" NIL NIL NIL \"7bit\" 7 NIL NIL NIL NIL)");
    // message/global and other message types are leaves
    CHECK(structure(leaf("message", "global")) == "(\"message\" \"global\" NIL NIL NIL \"7bit\" 7 NIL NIL NIL NIL)");
    CHECK(structure(leaf("message", "partial", {{"id", "1"}}), false) ==
          "(\"message\" \"partial\" (\"id\" \"1\") NIL NIL \"7bit\" 7)");
}

TEST_CASE("fetch writer: single-part fields and extension data") {
    // Content-Type: Text/Plain; CharSet="UTF-8"; Format=flowed
    // Content-Transfer-Encoding: QUOTED-Printable / Content-ID: <cid@x>
    // Content-Description: a "desc" / Content-MD5: abc==
    // Content-Disposition: Attachment; FileName="a b.txt"; size=3
    // Content-Language: en, DE-de / Content-Location: http://x/y
    MessagePart p = leaf("Text", "Plain", {{"CharSet", "UTF-8"}, {"Format", "flowed"}});
    p.transfer_encoding = "QUOTED-Printable";
    p.content_id = "<cid@x>";
    p.description = "a \"desc\"";
    p.md5 = "abc==";
    p.has_disposition = true;
    p.disposition.type = "Attachment";
    p.disposition.params = {{"FileName", "a b.txt"}, {"size", "3"}};
    p.language = {"en", "DE-de"};
    p.location = "http://x/y";
    p.body_vsize = 12;
    CHECK(structure(p) ==
          "(\"Text\" \"Plain\" (\"CharSet\" \"UTF-8\" \"Format\" \"flowed\") \"<cid@x>\" \"a \\\"desc\\\"\" "
          "\"QUOTED-Printable\" 12 1 \"abc==\" (\"Attachment\" (\"FileName\" \"a b.txt\" \"size\" \"3\")) "
          "(\"en\" \"DE-de\") \"http://x/y\")");
    CHECK(structure(p, false) ==
          "(\"Text\" \"Plain\" (\"CharSet\" \"UTF-8\" \"Format\" \"flowed\") \"<cid@x>\" \"a \\\"desc\\\"\" "
          "\"QUOTED-Printable\" 12 1)");
}

TEST_CASE("fetch writer: one language is still a list; disposition without parameters") {
    MessagePart p = leaf("text", "plain", {{"format", "flowed"}});
    p.language = {"en"};
    p.has_disposition = true;
    p.disposition.type = "inline";
    CHECK(structure(p) == "(\"text\" \"plain\" (\"format\" \"flowed\" \"charset\" \"us-ascii\") NIL NIL "
                          "\"7bit\" 7 1 NIL (\"inline\" NIL) (\"en\") NIL)");
    // Content-Disposition: ; filename=x -> an empty type
    p.disposition.type = "";
    p.disposition.params = {{"filename", "x"}};
    p.language.clear();
    CHECK(structure(p) == "(\"text\" \"plain\" (\"format\" \"flowed\" \"charset\" \"us-ascii\") NIL NIL "
                          "\"7bit\" 7 1 NIL (\"\" (\"filename\" \"x\")) NIL NIL)");
}

TEST_CASE("fetch writer: header fields lose line breaks, 8-bit ones are literals") {
    MessagePart p = leaf("text", "plain");
    p.content_id = "c\rd";
    p.description = "caf\xc3\xa9";
    p.md5 = "a\rb";
    p.location = "abc ";
    CHECK(structure(p) == "(\"text\" \"plain\" (\"charset\" \"us-ascii\") \"c d\" {5}\r\ncaf\xc3\xa9 \"7bit\" 7 1 "
                          "\"a b\" NIL NIL \"abc \")");
}

TEST_CASE("fetch writer: multipart children back to back, then subtype and extension") {
    MessagePart text = leaf("text", "plain");
    text.body_vsize = 5;
    text.body_lines = 0;
    MessagePart html = leaf("text", "html");
    html.body_vsize = 8;
    html.body_lines = 0;
    MessagePart alt = multipart("alternative", {html}, {{"boundary", "yy"}});
    MessagePart mixed = multipart("Mixed", {text, alt}, {{"Boundary", "xx"}, {"foo", "bar"}});
    mixed.content_type.type = "MULTIPART";
    mixed.has_disposition = true;
    mixed.disposition.type = "inline";
    mixed.language = {"en"};
    mixed.location = "loc";
    mixed.content_id = "<mp>";  // not part of body-ext-mpart
    mixed.description = "mpdesc";
    mixed.md5 = "mpmd5";
    CHECK(structure(mixed) ==
          "((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 5 0 NIL NIL NIL NIL)"
          "((\"text\" \"html\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 8 0 NIL NIL NIL NIL) \"alternative\" "
          "(\"boundary\" \"yy\") NIL NIL NIL) \"Mixed\" (\"Boundary\" \"xx\" \"foo\" \"bar\") (\"inline\" NIL) (\"en\") \"loc\")");
    CHECK(structure(mixed, false) ==
          "((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 5 0)"
          "((\"text\" \"html\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 8 0) \"alternative\") \"Mixed\")");
}

TEST_CASE("fetch writer: multipart without parts gets one empty text/plain") {
    // Content-Type: multipart/mixed; boundary=z, and no boundary line at all
    MessagePart mp = multipart("mixed", {}, {{"boundary", "z"}});
    CHECK(structure(mp) == "((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 0 0 NIL NIL NIL NIL) "
                           "\"mixed\" (\"boundary\" \"z\") NIL NIL NIL)");
    CHECK(structure(mp, false) == "((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 0 0) \"mixed\")");
    // Content-Type: multipart/mixed (no boundary): the same, parameters NIL
    CHECK(structure(multipart("mixed", {})) ==
          "((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 0 0 NIL NIL NIL NIL) \"mixed\" NIL NIL NIL NIL)");
}

TEST_CASE("fetch writer: parts that cannot be descended into are application/octet-stream") {
    // Content-Type: multipart (no subtype)
    MessagePart bare = leaf("multipart", "");
    bare.body_vsize = 17;
    CHECK(structure(bare) == "(\"application\" \"octet-stream\" NIL NIL NIL \"7bit\" 17 NIL NIL NIL NIL)");
    // A multipart past the nesting limit keeps its parameters.
    MessagePart deep = multipart("mixed", {}, {{"boundary", "b99"}});
    deep.opaque = true;
    deep.body_vsize = 0;
    CHECK(structure(deep) ==
          "(\"application\" \"octet-stream\" (\"boundary\" \"b99\") NIL NIL \"7bit\" 0 NIL NIL NIL NIL)");
    // So does a message/rfc822 one, with its other fields.
    MessagePart msg = leaf("Message", "RFC822", {{"x", "y"}});
    msg.is_message = true;
    msg.opaque = true;
    msg.description = "d";
    msg.body_vsize = 258;
    CHECK(structure(msg) ==
          "(\"application\" \"octet-stream\" (\"x\" \"y\") NIL \"d\" \"7bit\" 258 NIL NIL NIL NIL)");
}

TEST_CASE("fetch writer: message/rfc822 is lower case with envelope, body and lines") {
    MessagePart inner;  // no header: envelope of NILs, text/plain body
    inner.body_vsize = 10;
    inner.body_lines = 0;
    MessagePart msg = leaf("Message", "RFC822", {{"x", "y"}});
    msg.is_message = true;
    msg.transfer_encoding = "8BIT";
    msg.body_vsize = 39;
    msg.body_lines = 3;
    msg.children = {inner};
    CHECK(structure(msg) ==
          "(\"message\" \"rfc822\" (\"x\" \"y\") NIL NIL \"8BIT\" 39 (NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL) "
          "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 10 0 NIL NIL NIL NIL) 3 NIL NIL NIL NIL)");
    CHECK(structure(msg, false) ==
          "(\"message\" \"rfc822\" (\"x\" \"y\") NIL NIL \"8BIT\" 39 (NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL) "
          "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 10 0) 3)");
    // An empty message/rfc822 body: Dovecot shows an empty message.
    MessagePart empty = leaf("message", "rfc822");
    empty.body_vsize = 0;
    empty.body_lines = 0;
    CHECK(structure(empty) ==
          "(\"message\" \"rfc822\" NIL NIL NIL \"7bit\" 0 (NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL) "
          "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 0 0 NIL NIL NIL NIL) 0 NIL NIL NIL NIL)");
}

TEST_CASE("fetch writer: digest parts without Content-Type are message/rfc822") {
    MessagePart inner;
    inner.body_vsize = 5;
    inner.body_lines = 0;
    MessagePart m1;
    m1.in_digest = true;
    m1.is_message = true;
    m1.body_vsize = 31;
    m1.body_lines = 3;
    m1.children = {inner};
    MessagePart m2 = leaf("text", "plain");
    m2.in_digest = true;
    MessagePart digest = multipart("digest", {m1, m2}, {{"boundary", "d"}});
    CHECK(structure(digest, false) ==
          "((\"message\" \"rfc822\" NIL NIL NIL \"7bit\" 31 (NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL) "
          "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 5 0) 3)"
          "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 7 1) \"digest\")");
    // Past the nesting limit it is an opaque leaf like any message/rfc822.
    m1.opaque = true;
    m1.children.clear();
    CHECK(structure(m1) == "(\"application\" \"octet-stream\" NIL NIL NIL \"7bit\" 31 NIL NIL NIL NIL)");
}

TEST_CASE("fetch writer: a hand-built tree deeper than any parser makes stays bounded") {
    MessagePart part = leaf("text", "plain");
    for (int i = 0; i < 400; ++i) part = multipart("mixed", {std::move(part)});
    std::string out = structure(part, false);
    // 250 levels are written as multiparts, the one below as an opaque leaf.
    CHECK(out.starts_with(std::string(250, '(') + "(\"application\" \"octet-stream\" NIL NIL NIL \"7bit\" 7)"));
    CHECK(out.ends_with(" \"mixed\")"));
}

TEST_CASE("fetch writer: only the first 128 parameters are reported") {
    // Content-Type: text/plain; q0=v; ... q127=v; charset=utf-8 (129th)
    std::vector<Parameter> params;
    std::string expected = "(\"text\" \"plain\" (";
    for (int i = 0; i < 128; ++i) {
        params.push_back({"q" + std::to_string(i), "v"});
        expected += "\"q" + std::to_string(i) + "\" \"v\" ";
    }
    params.push_back({"charset", "utf-8"});
    expected += "\"charset\" \"us-ascii\") NIL NIL \"7bit\" 7 1)";
    MessagePart p = leaf("text", "plain", params);
    CHECK(structure(p, false) == expected);
    // The same limit for Content-Disposition.
    MessagePart a = leaf("application", "x");
    a.has_disposition = true;
    a.disposition.type = "attachment";
    a.disposition.params = params;
    std::string out = structure(a);
    CHECK(out.find("\"q127\" \"v\"))") != std::string::npos);
    CHECK(out.find("utf-8") == std::string::npos);
}
