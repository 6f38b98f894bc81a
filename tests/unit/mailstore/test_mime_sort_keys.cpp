// SORT / THREAD keys: RFC 5256 base subject, sent date, address keys, and
// message-id parsing; RFC 5957 display keys.
#include <mailstore/mime/header.hpp>
#include <mailstore/mime/sort_keys.hpp>

#include <doctest/doctest.h>

#include <string>

using namespace mailstore::mime;

namespace {

std::string base(std::string_view s) { return base_subject(s); }

bool refwd(std::string_view s)
{
    bool r = false;
    base_subject(s, &r);
    return r;
}

} // namespace

TEST_CASE("mime sort base subject RFC 5256 section 2.1")
{
    // (1) decoding and whitespace
    CHECK(base("=?utf-8?q?Re=3A_foo?=") == "foo");
    CHECK(base("=?iso-8859-1?q?Gr=FC=DFe?=") == "Gr\xc3\xbc\xc3\x9f" "e");
    CHECK(base("Re:\tfoo   \r\n bar") == "foo bar");
    CHECK(base("  plain  subject  ") == "plain subject");
    // (2) trailers
    CHECK(base("foo (fwd)") == "foo");
    CHECK(base("foo (FWD) (fwd)  ") == "foo");
    CHECK(base("foo(fwd)") == "foo");
    CHECK(base("(fwd)") == "");
    // (3) leaders: re / fw / fwd, blobs before them, blob inside them
    CHECK(base("Re: foo") == "foo");
    CHECK(base("RE: Re: re: foo") == "foo");
    CHECK(base("re:re:foo") == "foo");
    CHECK(base("Fwd: foo") == "foo");
    CHECK(base("Fw: foo") == "foo");
    CHECK(base("FWD:fw:re: x") == "x");
    CHECK(base("Re[2]: foo") == "foo");
    CHECK(base("Re [2] : foo") == "foo");
    CHECK(base("Re : foo") == "foo");
    CHECK(base("[list] Re: foo") == "foo");
    CHECK(base("[a] [b] Re: foo") == "foo");
    CHECK(base("Re: [list] Re: foo") == "foo");
    CHECK(base("Rex: foo") == "Rex: foo");
    CHECK(base("Re foo") == "Re foo");
    CHECK(base("Re:") == "");
    // (4) a blob goes unless it is all that is left
    CHECK(base("[list] foo") == "foo");
    CHECK(base("[a] [b] foo") == "foo");
    CHECK(base("[a][b]foo") == "foo");
    CHECK(base("[list]") == "[list]");
    CHECK(base("[a] [b]") == "[b]");
    CHECK(base("[a] [b] ") == "[b]");
    CHECK(base("[unclosed foo") == "[unclosed foo");
    CHECK(base("[a[b] foo") == "[a[b] foo");
    // (6) [fwd: ...] wrapper, then again from (2)
    CHECK(base("[Fwd: foo]") == "foo");
    CHECK(base("[fwd: Re: foo]") == "foo");
    CHECK(base("Re: [Fwd: foo (fwd)]") == "foo");
    CHECK(base("[Fwd: [Fwd: foo]]") == "foo");
    CHECK(base("[fwd: foo") == "[fwd: foo");
    CHECK(base("[fwd:]") == "");
    CHECK(base("") == "");
    // Not case-folded (comparison does that).
    CHECK(base("Re: FOO Bar") == "FOO Bar");
}

TEST_CASE("mime sort reply or forward")
{
    CHECK(refwd("Re: foo"));
    CHECK(refwd("Fwd: foo"));
    CHECK(refwd("foo (fwd)"));
    CHECK(refwd("[Fwd: foo]"));
    CHECK(refwd("[list] Re: foo"));
    CHECK(!refwd("foo"));
    CHECK(!refwd("[list] foo"));
    CHECK(!refwd("  foo  "));
    CHECK(!refwd("Rex: foo"));
    CHECK(!refwd(""));
}

TEST_CASE("mime sort base subject of large inputs")
{
    std::string blobs;
    for (int i = 0; i < 100000; ++i) blobs += "[a]";
    CHECK(base(blobs + "x") == "x");
    CHECK(base(blobs) == "[a]");
    std::string res;
    for (int i = 0; i < 100000; ++i) res += "Re: ";
    CHECK(base(res + "x") == "x");
    std::string fwds;
    for (int i = 0; i < 20000; ++i) fwds += "[fwd: ";
    fwds += "x";
    fwds += std::string(20000, ']');
    CHECK(base(fwds) == "x");
    std::string opens(200000, '[');
    CHECK(base(opens) == opens);
}

TEST_CASE("mime sort message ids")
{
    CHECK(parse_message_id("<a@b>") == "a@b");
    CHECK(parse_message_id("  <a@b> (comment)") == "a@b");
    CHECK(parse_message_id("junk <a@b> more") == "a@b");
    CHECK(parse_message_id("(c <x@y>) <a@b>") == "a@b");
    CHECK(parse_message_id("<  a @ b  >") == "a@b");
    CHECK(parse_message_id("<a(c)@b>") == "a@b");
    CHECK(parse_message_id("<a@b\r\n >") == "a@b");
    // Checked with Dovecot's THREAD REFERENCES: <"a10"@b> is <a10@b>, and
    // "<1234>" is no message-id.
    CHECK(parse_message_id("<\"q l\"@b>") == "q l@b");
    CHECK(parse_message_id("<\"a10\"@b>") == "a10@b");
    CHECK(parse_message_id("<\"a\\\"b\"@c>") == "a\"b@c");
    CHECK(!parse_message_id("<1234>"));
    CHECK(!parse_message_id("<@b>"));
    CHECK(!parse_message_id("<a@>"));
    CHECK(parse_message_id("<a@[1.2.3.4]>") == "a@[1.2.3.4]");
    CHECK(parse_message_id("<x <a@b>") == "a@b");
    CHECK(parse_message_id("<> <a@b>") == "a@b");
    CHECK(!parse_message_id("<a@b"));
    CHECK(!parse_message_id("<>"));
    CHECK(!parse_message_id("a@b"));
    CHECK(!parse_message_id(""));
    CHECK(!parse_message_id("(<a@b>)"));

    CHECK(parse_message_ids("<a@b> <c@d>\r\n <e@f>") == std::vector<std::string>{"a@b", "c@d", "e@f"});
    CHECK(parse_message_ids("<a@b>, junk <c@d>") == std::vector<std::string>{"a@b", "c@d"});
    CHECK(parse_message_ids("<a@b> <broken") == std::vector<std::string>{"a@b"});
    CHECK(parse_message_ids("Your message of Monday <a@b>") == std::vector<std::string>{"a@b"});
    CHECK(parse_message_ids("").empty());

    std::string many;
    for (int i = 0; i < 100000; ++i) many += "<" + std::to_string(i) + "@x> ";
    CHECK(parse_message_ids(many).size() == 100000);
    CHECK(parse_message_ids(std::string(1 << 20, '<')).empty());
}

// Orders checked with Dovecot 2.3.19's SORT (FROM) / (DISPLAYFROM).
TEST_CASE("mime sort address keys")
{
    CHECK(sort_address_key("John <JOHN@x>") == "JOHN");
    CHECK(sort_address_key("a@b, c@d") == "a");
    CHECK(sort_address_key("\"q l\"@b") == "q l");
    CHECK(sort_address_key("") == "");
    CHECK(sort_address_key("  ") == "");
    // Missing parts sort by ENVELOPE's placeholder, as in Dovecot.
    CHECK(sort_address_key("Name <>") == "MISSING_MAILBOX");
    CHECK(sort_address_key("just a name") == "MISSING_MAILBOX");
    // A group start's addr-mailbox is the group name (RFC 3501 §7.4.2).
    CHECK(sort_address_key("undisclosed-recipients:;") == "undisclosed-recipients");
    CHECK(sort_address_key("zzz: aaa@x;") == "zzz");

    CHECK(sort_display_key("=?utf-8?q?J=C3=B6rg?= <j@x>") == "J\xc3\xb6rg");
    CHECK(sort_display_key("=?utf-8?q?b_a?= <y@x>") == "b a");
    CHECK(sort_display_key("\"Doe, John\" <j@x>") == "Doe, John");
    CHECK(sort_display_key("\"  spaced  \" <a@x>") == "  spaced  ");
    CHECK(sort_display_key("a@b") == "a@b");
    CHECK(sort_display_key("\"\" <a@b>") == "a@b");
    CHECK(sort_display_key("a@b (Comment Name)") == "Comment Name");
    CHECK(sort_display_key("Name <>") == "Name");
    CHECK(sort_display_key("<>") == "MISSING_MAILBOX@MISSING_DOMAIN");
    CHECK(sort_display_key("userwithoutat") == "userwithoutat@MISSING_DOMAIN");
    CHECK(sort_display_key("grp: a@b;") == "grp");
    CHECK(sort_display_key("") == "");
}

TEST_CASE("mime sort sent date")
{
    Header h("Date: Sat, 28 Nov 2026 17:35:54 +0100\r\nDate: 1 Jan 2000 00:00:00 +0000\r\n\r\n");
    auto d = sent_date(h);
    REQUIRE(d);
    CHECK(d->utc == 1795883754);
    CHECK(d->zone_minutes == 60);
    Header none("Subject: x\r\n\r\n");
    CHECK(!sent_date(none));
    Header bad("Date: yesterday\r\n\r\n");
    CHECK(!sent_date(bad));
}
