// Expected offsets, sizes and line counts below were taken from Dovecot 2.3
// (tests/corpus/tools/dovecot-fetch: BODYSTRUCTURE sizes/lines, BODY[n],
// BODY[n.MIME], RFC822.SIZE) for the same input bytes.
#include <doctest/doctest.h>

#include <mailstore/mime/message.hpp>

#include <deque>
#include <initializer_list>
#include <string>

using namespace mailstore::mime;
using namespace std::string_literals;

namespace {

// ParsedMessage is a view: the bytes must outlive it. Tests build messages
// as temporaries, so they are kept here (a deque never moves its elements).
ParsedMessage parse_kept(std::string raw, const ParseLimits& limits = {})
{
    static std::deque<std::string> store;
    store.push_back(std::move(raw));
    return ParsedMessage::parse(store.back(), limits);
}

const MessagePart& child(const MessagePart& p, std::initializer_list<std::size_t> path)
{
    const MessagePart* cur = &p;
    for (std::size_t i : path) {
        REQUIRE(i < cur->children.size());
        cur = &cur->children[i];
    }
    return *cur;
}

std::string nested_multiparts(int depth, const char* fmt = "x%03d")
{
    std::string s;
    char b[32];
    for (int i = 0; i < depth; ++i) {
        std::snprintf(b, sizeof b, fmt, i);
        s += "Content-Type: multipart/mixed; boundary=\""s + b + "\"\r\n\r\n--" + b + "\r\n";
    }
    s += "Content-Type: text/plain\r\n\r\nleaf\r\n";
    for (int i = depth - 1; i >= 0; --i) {
        std::snprintf(b, sizeof b, fmt, i);
        s += "--"s + b + "--\r\n";
    }
    return s;
}

std::string many_parts(int n)
{
    std::string s = "Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n";
    for (int i = 0; i < n; ++i)
        s += "--b\r\n\r\np" + std::to_string(i) + "\r\n";
    return s + "--b--\r\n";
}

} // namespace

TEST_CASE("mime parser: simple message, CRLF")
{
    std::string m = "Subject: x\r\n\r\nbody\r\nline2";
    auto pm = parse_kept(m);
    const MessagePart& r = pm.root();
    CHECK(r.header_offset == 0);
    CHECK(r.header_size == 14);
    CHECK(r.header_lines == 2);
    CHECK(r.body_offset == 14);
    CHECK(r.body_size == 11);
    CHECK(r.body_vsize == 11);
    CHECK(r.body_lines == 1);  // line endings, not lines: "line2" has none
    CHECK(pm.virtual_size() == 25);
    CHECK(pm.part_count() == 1);
    CHECK(pm.body_bytes(r) == "body\r\nline2");
    CHECK(r.effective_type() == "text");
    CHECK(r.effective_subtype() == "plain");
}

TEST_CASE("mime parser: multipart with preamble and epilogue (CRLF and LF give the same IMAP sizes)")
{
    std::string crlf = "Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\npreamble\r\n--b1\r\n"
                       "Content-Type: text/plain\r\n\r\nhello\r\nworld\r\n--b1\r\n\r\nsecond\r\n--b1--\r\nepilogue\r\n";
    std::string lf;
    for (char c : crlf)
        if (c != '\r')
            lf.push_back(c);
    for (const std::string* m : {&crlf, &lf}) {
        auto pm = parse_kept(*m);
        const MessagePart& r = pm.root();
        REQUIRE(r.is_multipart);
        REQUIRE(r.children.size() == 2);
        CHECK(pm.part_count() == 3);
        CHECK_FALSE(r.missing_final_boundary);
        CHECK(child(r, {0}).body_vsize == 12);
        CHECK(child(r, {0}).body_lines == 1);
        CHECK(child(r, {0}).header_vsize == 28);
        CHECK(child(r, {1}).body_vsize == 6);
        CHECK(child(r, {1}).body_lines == 0);
        CHECK(child(r, {1}).header_vsize == 2);
        CHECK(pm.body_bytes(child(r, {1})) == "second");
    }
    CHECK(parse_kept(crlf).virtual_size() == 140);
    CHECK(parse_kept(lf).virtual_size() == 140);
    auto pl = parse_kept(lf);
    CHECK(child(pl.root(), {0}).body_size == 11);  // raw "hello\nworld"
    CHECK(child(pl.root(), {0}).body_offset == 86);
    CHECK(child(pl.root(), {0}).header_size == 26);
}

TEST_CASE("mime parser: missing final boundary, last part runs to the end")
{
    std::string m = "Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n--b1\r\n\r\nno-final\r\n--b1\r\n\r\nlast";
    auto pm = parse_kept(m);
    REQUIRE(pm.root().children.size() == 2);
    CHECK(pm.root().missing_final_boundary);
    CHECK(child(pm.root(), {0}).body_vsize == 8);
    CHECK(child(pm.root(), {1}).body_vsize == 4);
    CHECK(pm.virtual_size() == 78);
}

TEST_CASE("mime parser: junk after a boundary still makes it a boundary")
{
    std::string m = "Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n--b1junk\r\n\r\nA\r\n--b1 \r\n\r\nB\r\n"
                    "--b1--junk\r\n\r\nC\r\n";
    auto pm = parse_kept(m);
    REQUIRE(pm.root().children.size() == 2);
    CHECK(pm.body_bytes(child(pm.root(), {0})) == "A");
    CHECK(pm.body_bytes(child(pm.root(), {1})) == "B");
    CHECK_FALSE(pm.root().missing_final_boundary);
}

TEST_CASE("mime parser: boundary text inside a body line is data")
{
    std::string m = "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\nsee --b here\r\n x--b\r\n--b--\r\n";
    auto pm = parse_kept(m);
    REQUIRE(pm.root().children.size() == 1);
    CHECK(pm.body_bytes(child(pm.root(), {0})) == "see --b here\r\n x--b");
}

TEST_CASE("mime parser: nested boundaries that are prefixes of each other")
{
    // Outer "b", inner "bb": the longest matching boundary wins.
    std::string n1 = "Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\n"
                     "Content-Type: multipart/alternative; boundary=\"bb\"\r\n\r\n--bb\r\n\r\nin1\r\n--bb\r\n\r\nin2\r\n"
                     "--bb--\r\n--b\r\n\r\nout2\r\n--b--\r\n";
    auto p1 = parse_kept(n1);
    REQUIRE(p1.root().children.size() == 2);
    const MessagePart& alt = child(p1.root(), {0});
    REQUIRE(alt.children.size() == 2);
    CHECK(p1.body_bytes(child(alt, {0})) == "in1");
    CHECK(p1.body_bytes(child(alt, {1})) == "in2");
    // The inner multipart's body keeps the line ending of its closing line.
    CHECK(alt.body_vsize == 34);
    CHECK(alt.header_vsize == 54);
    CHECK(p1.body_bytes(child(p1.root(), {1})) == "out2");
    CHECK(p1.virtual_size() == 160);

    // Outer "bb", inner "b" (never closed): "--bb" ends the inner multipart.
    std::string n2 = "Content-Type: multipart/mixed; boundary=\"bb\"\r\n\r\n--bb\r\n"
                     "Content-Type: multipart/alternative; boundary=\"b\"\r\n\r\n--b\r\n\r\nin1\r\n--b\r\n\r\nin2\r\n"
                     "--bb\r\n\r\nout2\r\n--bb--\r\n";
    auto p2 = parse_kept(n2);
    REQUIRE(p2.root().children.size() == 2);
    const MessagePart& alt2 = child(p2.root(), {0});
    REQUIRE(alt2.children.size() == 2);
    CHECK(alt2.missing_final_boundary);
    CHECK(alt2.body_vsize == 22);
    CHECK(p2.body_bytes(child(alt2, {1})) == "in2");

    // The same boundary nested: the innermost one takes the line.
    std::string n3 = "Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\n"
                     "Content-Type: multipart/alternative; boundary=\"b\"\r\n\r\n--b\r\n\r\nin1\r\n--b\r\n\r\nin2\r\n"
                     "--b--\r\n--b\r\n\r\nout2\r\n--b--\r\n";
    auto p3 = parse_kept(n3);
    REQUIRE(p3.root().children.size() == 2);
    CHECK(child(p3.root(), {0}).children.size() == 2);
    CHECK(child(p3.root(), {0}).body_vsize == 31);
}

TEST_CASE("mime parser: epilogue and the line ending before the next boundary")
{
    std::string pre = "Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\n"
                      "Content-Type: multipart/alternative; boundary=\"bb\"\r\n\r\n--bb\r\n\r\nin1\r\n";
    struct Case {
        const char* tail;
        std::uint64_t inner_vsize;
    } cases[] = {
        {"--bb--\r\nEPI\r\n--b\r\n\r\nout2\r\n--b--\r\n", 24},  // "...--bb--\r\nEPI"
        {"--bb--\r\n\r\n--b\r\n\r\nout2\r\n--b--\r\n", 21},      // "...--bb--\r\n"
        {"--bb--\r\n--b--\r\n", 21},                            // nothing to strip
        {"--bb--EPI\r\n--b--\r\n", 24},                         // "...--bb--EPI\r\n"
    };
    for (const Case& c : cases) {
        auto pm = parse_kept(pre + c.tail);
        CHECK(child(pm.root(), {0}).body_vsize == c.inner_vsize);
        CHECK(pm.body_bytes(child(pm.root(), {0, 0})) == "in1");
    }
    // Once closed, a boundary is data: "--b" after "--b--" is epilogue.
    auto ep = parse_kept("Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\nA\r\n--b--\r\n--b\r\n\r\nX\r\n");
    CHECK(ep.root().children.size() == 1);
}

TEST_CASE("mime parser: a boundary inside a part's header")
{
    std::string m = "Content-Type: multipart/mixed; boundary=zz\r\n\r\n"
                    "--zz\r\nContent-Type: text/html\r\n"
                    "--zz\r\nContent-Type: text/html\r\n\r\n"
                    "--zz\r\nContent-Type: text/html\r\n\r\n\r\n"
                    "--zz\r\nContent-Type: text/html\r\n\r\nX\r\n--zz--\r\n";
    auto pm = parse_kept(m);
    REQUIRE(pm.root().children.size() == 4);
    // Dovecot's BODY[n.MIME]: 23, 25, 27, 27 octets; bodies 0, 0, 0, 1.
    CHECK(child(pm.root(), {0}).header_size == 23);
    CHECK(child(pm.root(), {1}).header_size == 25);
    CHECK(child(pm.root(), {2}).header_size == 27);
    CHECK(child(pm.root(), {3}).header_size == 27);
    CHECK(child(pm.root(), {0}).body_size == 0);
    CHECK(child(pm.root(), {1}).body_size == 0);
    CHECK(child(pm.root(), {2}).body_size == 0);
    CHECK(child(pm.root(), {3}).body_size == 1);
    CHECK(child(pm.root(), {0}).content_type.subtype == "html");
}

TEST_CASE("mime parser: message/rfc822 cut short by a boundary (Dovecot's sizes)")
{
    auto wrap = [](const std::string& inner) {
        return "Content-Type: multipart/mixed; boundary=zz\r\n\r\n--zz\r\nContent-Type: message/rfc822\r\n\r\n" +
               inner + "--zz--\r\n";
    };
    struct Case {
        std::string inner;
        std::uint64_t msg_vsize, msg_lines, inner_header, inner_body;
    } cases[] = {
        {"Subject: a\r\n\r\nbody\r\n", 18, 2, 14, 4},
        {"Subject: a\r\n", 12, 1, 10, 0},        // header cut: the part keeps the CRLF
        {"Subject: a\r\n\r\n", 14, 2, 12, 0},    // the empty line is the boundary's
        {"Subject: a\r\n\r\n\r\n", 14, 2, 14, 0},
        {"Subject: a\r\n\r\nX\r\n", 15, 2, 14, 1},
        {"", 0, 0, 0, 0},
    };
    for (const Case& c : cases) {
        CAPTURE(c.inner);
        auto pm = parse_kept(wrap(c.inner));
        const MessagePart& msg = child(pm.root(), {0});
        REQUIRE(msg.is_message);
        REQUIRE(msg.children.size() == 1);
        CHECK(msg.body_vsize == c.msg_vsize);
        CHECK(msg.body_lines == c.msg_lines);
        CHECK(msg.children[0].header_size == c.inner_header);
        CHECK(msg.children[0].body_size == c.inner_body);
    }
    // An empty encapsulated message gives its empty line to the boundary:
    // the message/rfc822 part's own header loses it (BODY[1.MIME] is 30).
    auto pm = parse_kept(wrap(""));
    CHECK(child(pm.root(), {0}).header_size == 30);

    // A multipart inside, cut in its child's header.
    auto mp = parse_kept(
        wrap("Content-Type: multipart/mixed; boundary=c\r\n\r\n--c\r\nContent-Type: text/plain\r\n"));
    const MessagePart& m2 = child(mp.root(), {0});
    CHECK(m2.body_vsize == 76);
    CHECK(m2.body_lines == 4);
    CHECK(child(m2, {0}).body_vsize == 31);
    CHECK(child(m2, {0, 0}).header_size == 24);
}

TEST_CASE("mime parser: message/rfc822 nesting and boundaries inherited from outside")
{
    std::string m = "Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: message/rfc822\r\n\r\n"
                    "Subject: inner\r\nContent-Type: multipart/mixed; boundary=c\r\n\r\n--c\r\n\r\nA\r\n"
                    "--b\r\n\r\nx\r\n--b--\r\n";
    auto pm = parse_kept(m);
    const MessagePart& msg = child(pm.root(), {0});
    REQUIRE(msg.is_message);
    CHECK(msg.body_vsize == 69);
    CHECK(msg.body_lines == 5);
    const MessagePart& inner = msg.children[0];
    CHECK(inner.header_offset == msg.body_offset);
    CHECK(inner.is_multipart);
    CHECK(inner.missing_final_boundary);
    CHECK(pm.body_bytes(child(inner, {0})) == "A");
    CHECK(pm.part_count() == 5);
}

TEST_CASE("mime parser: message/rfc822 is descended into whatever its encoding")
{
    // Dovecot parses the body as a message even when it is base64: here the
    // base64 line becomes a header without a colon and the body is empty.
    std::string m = "Content-Type: message/rfc822\r\nContent-Transfer-Encoding: base64\r\n\r\n"
                    "U3ViamVjdDogaGkNCg0KYm9keQ0K\r\n";
    auto pm = parse_kept(m);
    REQUIRE(pm.root().is_message);
    CHECK(pm.root().transfer_encoding == "base64");
    CHECK(pm.root().body_vsize == 30);
    CHECK(pm.root().body_lines == 1);
    CHECK(pm.root().children[0].header_size == 30);
    CHECK(pm.root().children[0].body_size == 0);
}

TEST_CASE("mime parser: message/global is a leaf unless asked for")
{
    std::string m = "Content-Type: message/global\r\n\r\nSubject: hi\r\n\r\nbody\r\n";
    auto leaf = parse_kept(m);
    CHECK_FALSE(leaf.root().is_message);
    CHECK(leaf.root().children.empty());
    CHECK(leaf.root().body_vsize == 21);
    ParseLimits limits;
    limits.descend_message_global = true;
    auto deep = parse_kept(m, limits);
    REQUIRE(deep.root().is_message);
    CHECK(deep.body_bytes(deep.root().children[0]) == "body\r\n");
}

TEST_CASE("mime parser: multipart/digest children default to message/rfc822")
{
    std::string m = "Content-Type: multipart/digest; boundary=\"b\"\r\n\r\n--b\r\n\r\nSubject: d1\r\n\r\nbody1\r\n"
                    "--b\r\nContent-Type: text/plain\r\n\r\nt\r\n--b--\r\n";
    auto pm = parse_kept(m);
    const MessagePart& d1 = child(pm.root(), {0});
    CHECK(d1.in_digest);
    CHECK_FALSE(d1.has_content_type);
    CHECK(d1.effective_type() == "message");
    CHECK(d1.effective_subtype() == "rfc822");
    REQUIRE(d1.is_message);
    CHECK(d1.body_vsize == 20);
    CHECK(d1.body_lines == 2);
    CHECK(pm.body_bytes(d1.children[0]) == "body1");
    CHECK_FALSE(child(pm.root(), {1}).is_message);
    // A multipart inside a digest is not itself a digest.
    std::string nested = "Content-Type: multipart/digest; boundary=d\r\n\r\n--d\r\n"
                         "Content-Type: multipart/mixed; boundary=m\r\n\r\n--m\r\n\r\nSubject: x\r\n\r\nbody\r\n--m--\r\n--d--\r\n";
    auto pn = parse_kept(nested);
    CHECK_FALSE(child(pn.root(), {0, 0}).is_message);
}

TEST_CASE("mime parser: multipart without boundary lines, parameter or subtype")
{
    auto none = parse_kept("Content-Type: multipart/mixed; boundary=zz\r\n\r\nhello\r\nworld\r\n");
    CHECK(none.root().is_multipart);
    CHECK(none.root().children.empty());
    CHECK(none.root().missing_final_boundary);

    auto empties = parse_kept("Content-Type: multipart/mixed; boundary=zz\r\n\r\n--zz\r\n--zz\r\n--zz--\r\n");
    REQUIRE(empties.root().children.size() == 2);
    CHECK(child(empties.root(), {0}).header_size == 0);
    CHECK(child(empties.root(), {0}).body_size == 0);

    auto no_param = parse_kept("Content-Type: multipart/mixed\r\n\r\n--b\r\n\r\nx\r\n--b--\r\n");
    CHECK(no_param.root().is_multipart);
    CHECK(no_param.root().children.empty());

    // An empty boundary is a boundary: every "--" line matches.
    auto empty_b = parse_kept("Content-Type: multipart/mixed; boundary=\"\"\r\n\r\n--\r\n\r\nx\r\n----\r\n");
    REQUIRE(empty_b.root().children.size() == 1);
    CHECK(empty_b.body_bytes(child(empty_b.root(), {0})) == "x");

    auto lone = parse_kept("MIME-Version: 1.0\r\nContent-Type: multipart\r\n\r\nx\r\n");
    CHECK_FALSE(lone.root().is_multipart);
    CHECK(lone.root().effective_type() == "application");
    CHECK(lone.root().effective_subtype() == "octet-stream");

    auto junk = parse_kept("Content-Type: multipart/mixed junk; boundary=b\r\n\r\n--b\r\n\r\nx\r\n--b--\r\n");
    CHECK_FALSE(junk.root().is_multipart);
    CHECK(junk.root().effective_type() == "");
    CHECK(junk.root().effective_subtype() == "");
}

TEST_CASE("mime parser: boundaries longer than 80 octets are compared on 80")
{
    std::string b81(81, 'B');
    auto pm = parse_kept("MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"" + b81 + "\"\n\n--" + b81 +
                                   "\n\nx\n--" + b81 + "--\n");
    // The closing "--" is not where an 80-octet boundary ends: a second part.
    CHECK(pm.root().children.size() == 2);
    std::string b80(80, 'B');
    auto ok = parse_kept("MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"" + b80 + "\"\n\n--" + b80 +
                                   "\n\nx\n--" + b80 + "--\n");
    CHECK(ok.root().children.size() == 1);
}

TEST_CASE("mime parser: depth limit makes the 100th level opaque")
{
    auto p99 = parse_kept(nested_multiparts(99));
    const MessagePart* cur = &p99.root();
    for (int i = 0; i < 99; ++i) {
        REQUIRE(cur->is_multipart);
        REQUIRE(cur->children.size() == 1);
        cur = &cur->children[0];
    }
    CHECK(cur->effective_type() == "text");
    CHECK(cur->body_vsize == 4);

    auto p100 = parse_kept(nested_multiparts(100));
    cur = &p100.root();
    for (int i = 0; i < 99; ++i)
        cur = &cur->children.at(0);
    CHECK(cur->opaque);
    CHECK_FALSE(cur->is_multipart);
    CHECK(cur->children.empty());
    CHECK(cur->effective_type() == "application");
    CHECK(cur->effective_subtype() == "octet-stream");
    CHECK(cur->content_type.subtype == "mixed");  // kept for the parameters
    CHECK(cur->body_vsize == 50);                 // its own closing boundary is data

    auto p150 = parse_kept(nested_multiparts(150));
    cur = &p150.root();
    for (int i = 0; i < 99; ++i)
        cur = &cur->children.at(0);
    CHECK(cur->opaque);
    CHECK(cur->body_vsize == 3450);
    CHECK(p150.part_count() == 100);
}

TEST_CASE("mime parser: depth limit with message/rfc822 nesting")
{
    std::string m;
    for (int i = 0; i < 150; ++i)
        m += "Subject: m" + std::to_string(i) + "\r\nContent-Type: message/rfc822\r\n\r\n";
    m += "Subject: leaf\r\n\r\nleaf\r\n";
    auto pm = parse_kept(m);
    const MessagePart* cur = &pm.root();
    for (int i = 0; i < 99; ++i) {
        REQUIRE(cur->is_message);
        cur = &cur->children.at(0);
    }
    CHECK(cur->opaque);
    CHECK(cur->body_vsize == 2373);
    CHECK(pm.part_count() == 100);
}

TEST_CASE("mime parser: boundary-prefix nesting past the depth limit (Dovecot's shape)")
{
    // Boundaries b0..b100: "--b99" inside the opaque level matches the open
    // boundary "b9" and reopens the structure there, exactly as Dovecot.
    auto pm = parse_kept(nested_multiparts(101, "b%d"));
    const MessagePart* b9 = &pm.root();
    for (int i = 0; i < 9; ++i)
        b9 = &b9->children.at(0);
    CHECK(b9->content_type.params.at(0).value == "b9");
    REQUIRE(b9->children.size() == 12);
    CHECK(b9->children[1].is_multipart);
    CHECK(b9->children[1].content_type.params.at(0).value == "b100");
    CHECK(b9->children[2].body_size == 0);
}

TEST_CASE("mime parser: part limit stops boundary recognition")
{
    auto p = parse_kept(many_parts(9999));
    CHECK(p.part_count() == 10000);
    REQUIRE(p.root().children.size() == 9999);
    // The closing boundary came after the 10000th part: it is data.
    CHECK(p.root().children.back().body_vsize == 14);
    CHECK(p.root().children.back().body_lines == 2);

    auto q = parse_kept(many_parts(10005));
    CHECK(q.part_count() == 10000);
    CHECK(q.root().children.back().body_vsize == 103);
    CHECK(q.root().children.back().body_lines == 20);

    // A message/rfc822 as the 10000th part is opaque.
    std::string s = "Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n";
    for (int i = 0; i < 9998; ++i)
        s += "--b\r\n\r\np" + std::to_string(i) + "\r\n";
    auto r = parse_kept(s + "--b\r\nContent-Type: message/rfc822\r\n\r\nSubject: x\r\n\r\nbody\r\n--b--\r\n");
    CHECK(r.root().children.back().opaque);
    CHECK(r.root().children.back().body_vsize == 27);
    // A multipart as the 10000th part stays a multipart, without children.
    auto t = parse_kept(s + "--b\r\nContent-Type: multipart/alternative; boundary=\"c\"\r\n\r\n--c\r\n\r\nx\r\n--c--\r\n--b--\r\n");
    CHECK(t.root().children.back().is_multipart);
    CHECK(t.root().children.back().children.empty());

    ParseLimits small;
    small.max_parts = 3;
    auto u = parse_kept(many_parts(5), small);
    CHECK(u.part_count() == 3);
}

TEST_CASE("mime parser: 20k parts are cut at the 10k limit; 150-deep nesting stops at depth 100")
{
    auto a = parse_kept(many_parts(20000));
    CHECK(a.part_count() == 10000);
    // Below depth 100 the rest is one opaque body, in which "--b1xx"
    // lines match the open "b1x" boundaries (see the b0..b100 case above).
    auto b = parse_kept(nested_multiparts(150, "b%d"));
    CHECK(b.part_count() == 241);
}

TEST_CASE("mime parser: Content-* fields ignored without MIME-Version or Content-Type")
{
    auto plain = parse_kept("Content-Transfer-Encoding: base64\r\nContent-ID: <a@b>\r\n\r\neA==\r\n");
    CHECK(plain.root().transfer_encoding.empty());
    CHECK(plain.root().content_id.empty());
    auto mime = parse_kept("MIME-Version: 1.0\r\nContent-Transfer-Encoding: base64\r\nContent-ID: <a@b>\r\n\r\neA==\r\n");
    CHECK(mime.root().transfer_encoding == "base64");
    CHECK(mime.root().content_id == "<a@b>");
    auto ct = parse_kept("Content-Transfer-Encoding: base64\r\nContent-Type: text/plain\r\n\r\neA==\r\n");
    CHECK(ct.root().transfer_encoding == "base64");
    // Inside a multipart every part's fields count.
    auto mp = parse_kept("Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n"
                                   "Content-Transfer-Encoding: base64\r\nContent-ID: <a@b>\r\n\r\neA==\r\n--b--\r\n");
    CHECK(child(mp.root(), {0}).transfer_encoding == "base64");
}

TEST_CASE("mime parser: Content-* values as BODYSTRUCTURE shows them")
{
    std::string m = "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=a\r\nContent-Type: text/html; charset=b\r\n"
                    "Content-ID: <1>\r\nContent-ID: <2>\r\nContent-Transfer-Encoding: base64 (c)\r\n"
                    "Content-Transfer-Encoding: 8bit\r\nContent-Description: a\r\n b\r\n\tc \r\n"
                    "Content-MD5:  abc (x) \r\nContent-Location: http://x/y (c) z\r\n"
                    "Content-Language: EN-us , (c) de ,fr\r\nContent-Disposition: inline junk; a=b\r\n\r\nx\r\n";
    auto pm = parse_kept(m);
    const MessagePart& r = pm.root();
    CHECK(r.content_type.subtype == "plain");  // the first field wins
    CHECK(r.content_id == "<1>");
    CHECK(r.transfer_encoding == "base64");
    CHECK(r.description == "a b\tc ");  // unfolded, leading blanks gone, trailing kept
    CHECK(r.md5 == "abc (x) ");
    CHECK(r.location == "http://x/y (c) z");
    CHECK(r.language == std::vector<std::string>{"EN-us", "de", "fr"});
    CHECK(r.has_disposition);
    CHECK(r.disposition.type == "inline");
    REQUIRE(r.disposition.params.size() == 1);
    CHECK(r.disposition.params[0].name == "a");
    auto bad = parse_kept("MIME-Version: 1.0\r\nContent-Transfer-Encoding: \"base64\"\r\n\r\nx\r\n");
    CHECK(bad.root().transfer_encoding.empty());
}

TEST_CASE("mime parser: no header/body separator, empty input, bare CR, mixed line ends")
{
    auto nohdr = parse_kept("no header separator at all\r\njust text");
    CHECK(nohdr.root().header_size == 37);
    CHECK(nohdr.root().body_size == 0);
    CHECK(nohdr.root().body_offset == 37);

    auto empty = parse_kept("");
    CHECK(empty.root().header_size == 0);
    CHECK(empty.virtual_size() == 0);
    CHECK(empty.part_count() == 1);

    auto blank = parse_kept("\r\n");
    CHECK(blank.root().header_size == 2);
    CHECK(blank.root().header_lines == 1);
    CHECK(blank.root().body_size == 0);

    // A bare CR is neither a line end nor doubled in CRLF form.
    auto cr = parse_kept("Subject: a\rb\r\n\r\nline1\rline2\r\n");
    CHECK(cr.root().header_size == 16);
    CHECK(cr.root().body_lines == 1);
    CHECK(cr.root().body_vsize == 13);

    auto mixed = parse_kept("A: 1\nB: 2\r\n\nbody\r\nx\ny");
    CHECK(mixed.root().header_size == 12);
    CHECK(mixed.root().header_vsize == 14);
    CHECK(mixed.root().body_vsize == 10);
    CHECK(mixed.root().body_lines == 2);
    CHECK(mixed.virtual_size() == 24);
}

TEST_CASE("mime parser: NUL bytes and a 1 MB header line")
{
    auto nul = parse_kept("Subject: a\0b\r\n\r\nx\0y\r\n"s);
    CHECK(nul.root().header_has_nuls);
    CHECK(nul.root().has_nuls);
    CHECK(nul.root().body_size == 5);
    auto clean = parse_kept("Subject: ab\r\n\r\nxy\r\n");
    CHECK_FALSE(clean.root().has_nuls);
    CHECK_FALSE(clean.root().header_has_nuls);

    std::string longline = "X-Long: " + std::string(1 << 20, 'a') + "\r\nContent-Type: text/html\r\n\r\nbody\r\n";
    auto lp = parse_kept(longline);
    CHECK(lp.root().header_size == (1u << 20) + 10 + 25 + 2);
    CHECK(lp.root().content_type.subtype == "html");
    CHECK(lp.body_bytes(lp.root()) == "body\r\n");
}

TEST_CASE("mime parser: find_part follows IMAP part numbers the way Dovecot does")
{
    std::string m = "Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: message/rfc822\r\n\r\n"
                    "Subject: inner\r\nContent-Type: multipart/mixed; boundary=c\r\n\r\n--c\r\n\r\nA\r\n"
                    "--b\r\n\r\nx\r\n--b--\r\n";
    auto pm = parse_kept(m);
    std::uint32_t p1[] = {1}, p11[] = {1, 1}, p2[] = {2}, p3[] = {3}, p12[] = {1, 2}, p21[] = {2, 1}, p0[] = {0},
                  p211[] = {2, 1, 1};
    CHECK(pm.find_part({}) == &pm.root());
    CHECK(pm.find_part(p1) == &child(pm.root(), {0}));
    CHECK(pm.find_part(p11) == &child(pm.root(), {0, 0, 0}));
    CHECK(pm.find_part(p2) == &child(pm.root(), {1}));
    CHECK(pm.find_part(p3) == nullptr);
    CHECK(pm.find_part(p12) == nullptr);
    CHECK(pm.find_part(p21) == &child(pm.root(), {1}));  // a leaf is its own part 1
    CHECK(pm.find_part(p211) == nullptr);
    CHECK(pm.find_part(p0) == nullptr);

    auto simple = parse_kept("Subject: x\r\n\r\nbody\r\n");
    CHECK(simple.find_part(p1) == &simple.root());
    CHECK(simple.find_part(p2) == nullptr);
    CHECK(simple.find_part(p11) == nullptr);

    // message/rfc822 at the top: 1 is the root, 1.1 the encapsulated body.
    auto msg = parse_kept("Content-Type: message/rfc822\r\n\r\nSubject: hi\r\n\r\nbody\r\n");
    CHECK(msg.find_part(p1) == &msg.root());
    REQUIRE(msg.find_part(p11) != nullptr);
    CHECK(msg.body_bytes(*msg.find_part(p11)) == "body\r\n");
}

TEST_CASE("mime parser: moved ParsedMessage keeps its tree")
{
    std::string m = "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\nA\r\n--b--\r\n";
    auto a = parse_kept(m);
    ParsedMessage b = std::move(a);
    REQUIRE(b.root().children.size() == 1);
    CHECK(b.body_bytes(b.root().children[0]) == "A");
}

// MessagePart::encoding: Dovecot 2.3's BINARY rule (each case checked with
// dovecot-fetch --items 'BINARY.PEEK[1]').
TEST_CASE("mime parser: encoding is the last Content-Transfer-Encoding, MIME-Version or not")
{
    auto enc = [](const std::string& cte_lines) {
        return parse_kept("Subject: a\r\n" + cte_lines + "\r\naGVsbG8gd29ybGQ=\r\n").root().encoding;
    };
    CHECK(enc("") == TransferEncoding::seven_bit);  // absent: RFC 2045 §6.1
    // No MIME-Version: BODYSTRUCTURE ignores the field, BINARY decodes.
    auto nomv = parse_kept("Subject: a\r\nContent-Transfer-Encoding: base64\r\n\r\naGVsbG8gd29ybGQ=\r\n");
    CHECK(nomv.root().transfer_encoding.empty());
    CHECK(nomv.root().encoding == TransferEncoding::base64);
    CHECK(enc("Content-Transfer-Encoding: base64; x=y\r\n") == TransferEncoding::base64);
    CHECK(enc("Content-Transfer-Encoding: BASE64\r\n") == TransferEncoding::base64);
    CHECK(enc("Content-Transfer-Encoding: (c) base64 (d)\r\n") == TransferEncoding::base64);
    CHECK(enc("Content-Transfer-Encoding: 7bit; x\r\n") == TransferEncoding::seven_bit);
    CHECK(enc("Content-Transfer-Encoding: quoted-printable\r\n") == TransferEncoding::quoted_printable);
    CHECK(enc("Content-Transfer-Encoding: 8bit\r\n") == TransferEncoding::eight_bit);
    CHECK(enc("Content-Transfer-Encoding: binary\r\n") == TransferEncoding::binary);
    // Present but without a usable mechanism: [UNKNOWN-CTE].
    CHECK(enc("Content-Transfer-Encoding: base64 x\r\n") == TransferEncoding::unknown);
    CHECK(enc("Content-Transfer-Encoding:\r\n") == TransferEncoding::unknown);
    CHECK(enc("Content-Transfer-Encoding:   \r\n") == TransferEncoding::unknown);
    CHECK(enc("Content-Transfer-Encoding: (c)\r\n") == TransferEncoding::unknown);
    CHECK(enc("Content-Transfer-Encoding: (unclosed base64\r\n") == TransferEncoding::unknown);
    CHECK(enc("Content-Transfer-Encoding: \"base64\"\r\n") == TransferEncoding::unknown);
    CHECK(enc("Content-Transfer-Encoding: x-foo\r\n") == TransferEncoding::unknown);
    // Two fields: BODYSTRUCTURE shows the first, BINARY decodes by the last.
    auto two = parse_kept("MIME-Version: 1.0\r\nContent-Transfer-Encoding: base64\r\n"
                          "Content-Transfer-Encoding: quoted-printable\r\n\r\naGVsbG8gd29ybGQ=\r\n");
    CHECK(two.root().transfer_encoding == "base64");
    CHECK(two.root().encoding == TransferEncoding::quoted_printable);
    CHECK(enc("Content-Transfer-Encoding: base64\r\nContent-Transfer-Encoding:\r\n") ==
          TransferEncoding::unknown);
    // An encapsulated message without MIME-Version: its body is base64.
    auto inner = parse_kept("Content-Type: message/rfc822\r\n\r\nSubject: b\r\n"
                            "Content-Transfer-Encoding: base64\r\n\r\naGVsbG8gd29ybGQ=\r\n");
    REQUIRE(inner.root().children.size() == 1);
    CHECK(inner.root().encoding == TransferEncoding::seven_bit);
    CHECK(inner.root().children[0].encoding == TransferEncoding::base64);
    CHECK(inner.root().children[0].transfer_encoding.empty());
}

TEST_CASE("mime parser: Content-ID/-Description/-MD5/-Location presence follows RFC 2045 §4")
{
    auto none = parse_kept("Content-ID: <x@y>\r\nContent-Description: d\r\nContent-MD5: m\r\n"
                           "Content-Location: l\r\nSubject: a\r\n\r\nbody\r\n");
    CHECK_FALSE(none.root().has_content_id);
    CHECK_FALSE(none.root().has_description);
    CHECK_FALSE(none.root().has_md5);
    CHECK_FALSE(none.root().has_location);
    CHECK(none.root().content_id.empty());
    auto empty = parse_kept("MIME-Version: 1.0\r\nContent-ID:\r\nContent-Description: \r\n"
                            "Content-MD5:\r\nContent-Location:\r\n\r\nbody\r\n");
    CHECK(empty.root().has_content_id);
    CHECK(empty.root().has_description);
    CHECK(empty.root().has_md5);
    CHECK(empty.root().has_location);
    CHECK(empty.root().content_id.empty());
    CHECK(empty.root().description.empty());
    // Content-Type alone makes them count too; a multipart child always.
    auto ct = parse_kept("Content-Type: multipart/mixed; boundary=b\r\nContent-ID: <r@y>\r\n\r\n"
                         "--b\r\nContent-Description: c\r\n\r\nx\r\n--b--\r\n");
    CHECK(ct.root().has_content_id);
    CHECK(ct.root().content_id == "<r@y>");
    REQUIRE(ct.root().children.size() == 1);
    CHECK(ct.root().children[0].has_description);
    CHECK_FALSE(ct.root().children[0].has_content_id);
    CHECK(ct.root().children[0].description == "c");
}

TEST_CASE("mime parser: a part from another message gives bytes clamped to this one")
{
    const std::string small = "Subject: a\r\n\r\nhi\r\n";
    const std::string big = "Subject: a much longer header\r\n\r\n" + std::string(100, 'x') + "\r\n";
    auto s = ParsedMessage::parse(small);
    auto b = ParsedMessage::parse(big);
    CHECK(s.body_bytes(s.root()) == "hi\r\n");
    // big's body starts at 33, past small's end (18): empty, no throw.
    CHECK(s.body_bytes(b.root()) == "");
    // big's header range [0, 33) is clamped to small's 18 bytes.
    CHECK(s.header_bytes(b.root()) == small);
    MessagePart odd;
    odd.header_offset = 14;
    odd.header_size = ~std::uint64_t{0};
    odd.body_offset = ~std::uint64_t{0};
    odd.body_size = ~std::uint64_t{0};
    CHECK(s.header_bytes(odd) == "hi\r\n");
    CHECK(s.body_bytes(odd) == "");
    CHECK(s.header(odd).fields().size() == 1);
}

TEST_CASE("mime parser: a moved-from ParsedMessage is the empty message")
{
    const std::string raw = "Subject: a\r\n\r\nhi\r\n";
    auto a = ParsedMessage::parse(raw);
    ParsedMessage b = std::move(a);
    CHECK(b.raw() == raw);
    // NOLINTBEGIN(bugprone-use-after-move): the moved-from state is the point.
    CHECK(a.raw() == "");
    CHECK(a.part_count() == 1);
    CHECK(a.virtual_size() == 0);
    CHECK(a.root().children.empty());
    CHECK(a.root().header_size == 0);
    CHECK(a.header_bytes(a.root()) == "");
    CHECK(a.body_bytes(b.root()) == "");
    CHECK(a.header(b.root()).fields().empty());
    const std::uint32_t one[] = {1};
    CHECK(a.find_part({}) == &a.root());
    CHECK(a.find_part(one) == &a.root());
    ParsedMessage c = ParsedMessage::parse(raw);
    c = std::move(b);
    CHECK(c.body_bytes(c.root()) == "hi\r\n");
    CHECK(b.body_bytes(c.root()) == "");
    // NOLINTEND(bugprone-use-after-move)
}

TEST_CASE("mime parser: max_depth is clamped to ParseLimits::kMaxDepth")
{
    std::string s;
    for (int i = 0; i < 3000; ++i)
        s += "Content-Type: message/rfc822\r\n\r\n";
    s += "body\r\n";
    ParseLimits huge;
    huge.max_depth = 1u << 30;
    huge.max_parts = 1u << 30;
    auto m = parse_kept(s, huge);
    CHECK(m.part_count() == ParseLimits::kMaxDepth);
    const MessagePart* p = &m.root();
    unsigned depth = 1;
    while (!p->children.empty()) {
        p = &p->children[0];
        ++depth;
    }
    CHECK(depth == ParseLimits::kMaxDepth);
    CHECK(p->opaque);
    CHECK(m.body_bytes(*p).size() == (3000 - ParseLimits::kMaxDepth) * 32 + 6);
}

namespace {

template <class T>
concept parse_accepts = requires(T&& t) { ParsedMessage::parse(std::forward<T>(t)); };
template <class T>
concept header_accepts = requires(T&& t) { Header(std::forward<T>(t)); };

} // namespace

// A temporary std::string would leave dangling views: it does not compile.
static_assert(!parse_accepts<std::string>);
static_assert(parse_accepts<std::string&>);
static_assert(parse_accepts<const std::string&>);
static_assert(parse_accepts<std::string_view>);
static_assert(parse_accepts<const char*>);
static_assert(!header_accepts<std::string>);
static_assert(header_accepts<const std::string&>);
static_assert(header_accepts<const char*>);

TEST_CASE("mime parser: for_each_part gives each part once with its IMAP number")
{
    auto numbers = [](const ParsedMessage& m) {
        std::string out;
        for_each_part(m, [&](std::span<const std::uint32_t> number, const MessagePart& part) {
            std::string n;
            for (std::uint32_t x : number)
                n += (n.empty() ? "" : ".") + std::to_string(x);
            out += "[" + n + "]" + std::string(part.effective_type()) + " ";
            // The number names the part, except a message's multipart root
            // (it shares its message's number).
            const MessagePart* found = m.find_part(number);
            CHECK(found != nullptr);
            if (!part.is_multipart || number.empty())
                CHECK(found == &part);
            return true;
        });
        return out;
    };
    CHECK(numbers(parse_kept("Subject: a\r\n\r\nx\r\n")) == "[1]text ");
    auto m = parse_kept(
        "Content-Type: multipart/mixed; boundary=b\r\n\r\n"
        "--b\r\n\r\none\r\n"
        "--b\r\nContent-Type: message/rfc822\r\n\r\n"
        "Content-Type: multipart/alternative; boundary=c\r\n\r\n"
        "--c\r\n\r\nin1\r\n--c\r\nContent-Type: text/html\r\n\r\nin2\r\n--c--\r\n"
        "--b\r\nContent-Type: message/rfc822\r\n\r\nSubject: s\r\n\r\nleaf\r\n"
        "--b\r\nContent-Type: image/png\r\n\r\npng\r\n"
        "--b--\r\n");
    CHECK(numbers(m) ==
          "[]multipart [1]text [2]message [2]multipart [2.1]text [2.2]text [3]message [3.1]text [4]image ");
    // Stopping early.
    int seen = 0;
    for_each_part(m, [&](std::span<const std::uint32_t>, const MessagePart&) { return ++seen < 3; });
    CHECK(seen == 3);
    // Any depth without recursion.
    std::string deep;
    for (int i = 0; i < 500; ++i)
        deep += "Content-Type: message/rfc822\r\n\r\n";
    ParseLimits lim;
    lim.max_depth = ParseLimits::kMaxDepth;
    auto d = parse_kept(deep + "x\r\n", lim);
    std::size_t count = 0, longest = 0;
    for_each_part(d, [&](std::span<const std::uint32_t> number, const MessagePart&) {
        ++count;
        longest = std::max(longest, number.size());
        return true;
    });
    CHECK(count == 501);
    CHECK(longest == 501);
}
