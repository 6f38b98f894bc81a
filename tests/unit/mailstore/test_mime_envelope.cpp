// ENVELOPE (RFC 3501 §7.4.2) as Dovecot 2.3 builds it. Every expected value
// below was checked byte for byte against Dovecot 2.3.19's FETCH ENVELOPE
// (tests/corpus/tools/dovecot-fetch) for the same header.
#include <mailstore/mime/envelope.hpp>
#include <mailstore/mime/header.hpp>

#include <doctest/doctest.h>

#include <string>
#include <vector>

using namespace mailstore::mime;

namespace {

std::string text(const std::optional<std::string>& s) { return s ? "\"" + *s + "\"" : "NIL"; }

// The list in IMAP-like form, strings raw between quotes (no escaping), so
// that the expectations read like Dovecot's output.
std::string text(const std::vector<EnvelopeAddress>& list)
{
    if (list.empty()) return "NIL";
    std::string out = "(";
    for (const auto& a : list)
        out += "(" + text(a.name) + " " + text(a.adl) + " " + text(a.mailbox) + " " + text(a.host) + ")";
    return out + ")";
}

Envelope envelope_of(const std::string& header_block)
{
    Header header(header_block);
    return build_envelope(header);
}

struct Case {
    const char* value;     // after "From:" / "To:"
    const char* expected;  // the address list
};

// Address lists, well-formed and damaged.
const Case address_cases[] = {
    {" user@example.com",
     "((NIL NIL \"user\" \"example.com\"))"},
    {" John Doe <john@example.com>",
     "((\"John Doe\" NIL \"john\" \"example.com\"))"},
    {" \"Doe, John\" <john@example.com>",
     "((\"Doe, John\" NIL \"john\" \"example.com\"))"},
    {" john@example.com (John Doe)",
     "((\"John Doe\" NIL \"john\" \"example.com\"))"},
    {" <john@example.com> (John Doe)",
     "((NIL NIL \"john\" \"example.com\"))"},
    {" \"quo\\\"ted\\\\x\" <a@b>",
     "((\"quo\"ted\\x\" NIL \"a\" \"b\"))"},
    {" \"local part\"@example.com",
     "((NIL NIL \"local part\" \"example.com\"))"},
    {" a@[1.2.3.4]",
     "((NIL NIL \"a\" \"[1.2.3.4]\"))"},
    {" <@r1,@r2:user@host>",
     "((NIL \"@r1,@r2\" \"user\" \"host\"))"},
    {" undisclosed-recipients:;",
     "((NIL NIL \"undisclosed-recipients\" NIL)(NIL NIL NIL NIL))"},
    {" grp: a@b, c@d;, e@f",
     "((NIL NIL \"grp\" NIL)(NIL NIL \"a\" \"b\")(NIL NIL \"c\" \"d\")(NIL NIL NIL NIL)(NIL NIL \"e\" \"f\"))"},
    {" John <john@example.com",
     "((\"John\" NIL \"john\" \"SYNTAX_ERROR\"))"},
    {" \"unclosed <a@b>",
     "((NIL NIL \"MISSING_MAILBOX\" \"MISSING_DOMAIN\"))"},
    {" a@b (unclosed comment",
     "((NIL NIL \"a\" \"MISSING_DOMAIN\"))"},
    {" ,,a@b,,c@d,,",
     "((NIL NIL \"MISSING_MAILBOX\" \"MISSING_DOMAIN\")(NIL NIL \"MISSING_MAILBOX\" \"MISSING_DOMAIN\")(NIL NIL \"a\" \"b\")(NIL NIL \"MISSING_MAILBOX\" \"MISSING_DOMAIN\")(NIL NIL \"c\" \"d\")(NIL NIL \"MISSING_MAILBOX\" \"MISSING_DOMAIN\"))"},
    {" userwithoutat",
     "((NIL NIL \"userwithoutat\" \"MISSING_DOMAIN\"))"},
    {" <>",
     "((NIL NIL \"MISSING_MAILBOX\" \"MISSING_DOMAIN\"))"},
    {" Name <>",
     "((\"Name\" NIL \"MISSING_MAILBOX\" \"MISSING_DOMAIN\"))"},
    {" @example.com",
     "((NIL NIL \"MISSING_MAILBOX\" \"example.com\"))"},
    {" user@",
     "((NIL NIL \"user\" \"MISSING_DOMAIN\"))"},
    {" J. R. Doe <j@x>",
     "((\"J. R. Doe\" NIL \"j\" \"x\"))"},
    {" =?utf-8?q?J=C3=B6rg?= <j@x>",
     "((\"=?utf-8?q?J=C3=B6rg?=\" NIL \"j\" \"x\"))"},
    {" Pete(A nice \\) chap) <pete(his account)@silly.test(his host)>",
     "((\"Pete\" NIL \"pete\" \"silly.test\"))"},
    {" a@b, ",
     "((NIL NIL \"a\" \"b\"))"},
    {" ",
     "NIL"},
    {"",
     "NIL"},
    {" Mary Smith <mary@x.test>, jdoe@example.org, Who? <one@y.test>",
     "((\"Mary Smith\" NIL \"mary\" \"x.test\")(NIL NIL \"jdoe\" \"example.org\")(\"Who?\" NIL \"one\" \"y.test\"))"},
    {" <boss@nil.test>, \"Giant; \\\"Big\\\" Box\" <sysservices@example.net>",
     "((NIL NIL \"boss\" \"nil.test\")(\"Giant; \"Big\" Box\" NIL \"sysservices\" \"example.net\"))"},
    {" A Group:Ed Jones <c@a.test>,joe@where.test,John <jdoe@one.test>;",
     "((NIL NIL \"A Group\" NIL)(\"Ed Jones\" NIL \"c\" \"a.test\")(NIL NIL \"joe\" \"where.test\")(\"John\" NIL \"jdoe\" \"one.test\")(NIL NIL NIL NIL))"},
    {" a @ b . c",
     "((NIL NIL \"a\" \"b.c\"))"},
    {" Name <a@b> trailing junk",
     "((\"Name\" NIL \"a\" \"b\"))"},
    {" nested: grp: a@b;;",
     "((NIL NIL \"nested\" NIL)(NIL NIL \"grp\" \"MISSING_DOMAIN\")(NIL NIL NIL NIL))"},
    {" a(x)@b",
     "((\"x\" NIL \"a\" \"b\"))"},
    {" (x) a@b",
     "((NIL NIL \"a\" \"b\"))"},
    {" a@b (x) (y)",
     "((\"y\" NIL \"a\" \"b\"))"},
    {" a@b (x (nested) \\) y)",
     "((\"x (nested) ) y\" NIL \"a\" \"b\"))"},
    {" <@r1,@r2 user@host>",
     "((NIL \"INVALID_ROUTE\" \"user\" \"host\"))"},
    {" <@r1:user>",
     "((NIL \"@r1\" \"user\" \"MISSING_DOMAIN\"))"},
    {" <@r1 , , @r2:user@host>",
     "((NIL \"@r1,@r2\" \"user\" \"host\"))"},
    {" Name <@r1>",
     "((\"Name\" \"INVALID_ROUTE\" \"MISSING_MAILBOX\" \"MISSING_DOMAIN\"))"},
    {" a@[1.2.3.4",
     "((NIL NIL \"a\" \"MISSING_DOMAIN\"))"},
    {" a@b.",
     "((NIL NIL \"a\" \"MISSING_DOMAIN\"))"},
    {" a..b@c",
     "((NIL NIL \"a..b\" \"c\"))"},
    {" .a@b",
     "((NIL NIL \".a\" \"b\"))"},
    {" \"a\".\"b\"@c",
     "((\"a\" NIL \"MISSING_MAILBOX\" \"MISSING_DOMAIN\"))"},
    {" =?utf-8?q?a?= =?utf-8?q?b?= <a@b>",
     "((\"=?utf-8?q?a?= =?utf-8?q?b?=\" NIL \"a\" \"b\"))"},
    {" \"=?utf-8?q?a?=\" <a@b>",
     "((\"=?utf-8?q?a?=\" NIL \"a\" \"b\"))"},
    {" just a name",
     "((\"just a name\" NIL \"MISSING_MAILBOX\" \"MISSING_DOMAIN\"))"},
    {" \"just quoted\"",
     "((\"just quoted\" NIL \"MISSING_MAILBOX\" \"MISSING_DOMAIN\"))"},
    {" name only, a@b",
     "((\"name only\" NIL \"MISSING_MAILBOX\" \"MISSING_DOMAIN\")(NIL NIL \"a\" \"b\"))"},
    {" grp:",
     "((NIL NIL \"grp\" NIL)(NIL NIL NIL NIL))"},
    {" grp: a@b",
     "((NIL NIL \"grp\" NIL)(NIL NIL \"a\" \"b\")(NIL NIL NIL NIL))"},
    {" grp: ; a@b",
     "((NIL NIL \"grp\" NIL)(NIL NIL NIL NIL))"},
    {" grp:;,a@b",
     "((NIL NIL \"grp\" NIL)(NIL NIL NIL NIL)(NIL NIL \"a\" \"b\"))"},
    {" a@b c@d",
     "((NIL NIL \"a\" \"b\"))"},
    {" a@b; c@d",
     "((NIL NIL \"a\" \"b\"))"},
    {" \"\" <a@b>",
     "((NIL NIL \"a\" \"b\"))"},
    {" a b c <d@e> f",
     "((\"a b c\" NIL \"d\" \"e\"))"},
    {" <a@b>, <c",
     "((NIL NIL \"a\" \"b\")(NIL NIL \"c\" \"SYNTAX_ERROR\"))"},
    {" a\xc3""\xa4""@b\xff""",
     "((NIL NIL \"a\xc3""\xa4""\" \"b\xff""\"))"},
    {" N\xe4""me <a@b>",
     "((\"N\xe4""me\" NIL \"a\" \"b\"))"},
    {" \"a\\\\b\" <c@d>",
     "((\"a\\b\" NIL \"c\" \"d\"))"},
    {" Na.me <a@b>",
     "((\"Na.me\" NIL \"a\" \"b\"))"},
    {" .Name <a@b>",
     "((NIL NIL \".Name\" \"MISSING_DOMAIN\"))"},
    {" a@b,c@d",
     "((NIL NIL \"a\" \"b\")(NIL NIL \"c\" \"d\"))"},
    {" John Smith",
     "((\"John Smith\" NIL \"MISSING_MAILBOX\" \"MISSING_DOMAIN\"))"},
    {" \"A\" \"B\" <a@b>",
     "((\"A B\" NIL \"a\" \"b\"))"},
    {" A\"B\"C <a@b>",
     "((\"A B C\" NIL \"a\" \"b\"))"},
    {" \"a  b\" <x@y>",
     "((\"a  b\" NIL \"x\" \"y\"))"},
    {" \"a\tb\" <x@y>",
     "((\"a\tb\" NIL \"x\" \"y\"))"},
    {" \"\ta\" <x@y>",
     "((\"\ta\" NIL \"x\" \"y\"))"},
    {" x@y (a  b)",
     "((\"a  b\" NIL \"x\" \"y\"))"},
    {" a.@b",
     "((NIL NIL \"a.\" \"b\"))"},
    {" .@b",
     "((NIL NIL \".\" \"b\"))"},
    {" a@.b",
     "((NIL NIL \"a\" \"MISSING_DOMAIN\"))"},
    {" a@b..c",
     "((NIL NIL \"a\" \"MISSING_DOMAIN\"))"},
    {" a@b .c",
     "((NIL NIL \"a\" \"b.c\"))"},
    {" a@b. c",
     "((NIL NIL \"a\" \"b.c\"))"},
    {" a@b.(x)",
     "((\"x\" NIL \"a\" \"MISSING_DOMAIN\"))"},
    {" a@b.,c@d",
     "((NIL NIL \"a\" \"MISSING_DOMAIN\")(NIL NIL \"c\" \"d\"))"},
    {" a\x01""b@c",
     "((NIL NIL \"a\" \"MISSING_DOMAIN\"))"},
    {" a\x7f""b@c",
     "((NIL NIL \"a\" \"MISSING_DOMAIN\"))"},
    {" a@b\x01""c",
     "((NIL NIL \"a\" \"b\"))"},
    {" N\x01""me <a@b>",
     "((NIL NIL \"N\" \"MISSING_DOMAIN\"))"},
    {" \"N\x01""me\" <a@b>",
     "((\"N\x01""me\" NIL \"a\" \"b\"))"},
    {" <a@b>x",
     "((NIL NIL \"a\" \"b\"))"},
    {" <a@b>, x",
     "((NIL NIL \"a\" \"b\")(NIL NIL \"x\" \"MISSING_DOMAIN\"))"},
    {" <a@b>,",
     "((NIL NIL \"a\" \"b\"))"},
    {" <a @ b>",
     "((NIL NIL \"a\" \"b\"))"},
    {" < a@b >",
     "((NIL NIL \"a\" \"b\"))"},
    {" <a@b.>",
     "((NIL NIL \"a\" \"SYNTAX_ERROR\"))"},
    {" <\"q l\"@b>",
     "((NIL NIL \"q l\" \"b\"))"},
    {" <a>",
     "((NIL NIL \"a\" \"MISSING_DOMAIN\"))"},
    {" <a@b>>",
     "((NIL NIL \"a\" \"b\"))"},
    {" a@b@c",
     "((NIL NIL \"a\" \"b\"))"},
    {" <@r1,@r2:>",
     "((NIL \"@r1,@r2\" \"MISSING_MAILBOX\" \"MISSING_DOMAIN\"))"},
    {" <@r1,x:a@b>",
     "((NIL \"INVALID_ROUTE\" \"x\" \"SYNTAX_ERROR\"))"},
    {" <@:a@b>",
     "((NIL \"INVALID_ROUTE\" \"MISSING_MAILBOX\" \"SYNTAX_ERROR\"))"},
    {" <@ r1 , @ r2 : a@b>",
     "((NIL \"@r1,@r2\" \"a\" \"b\"))"},
    {" <@[1.2.3.4],@r2:a@b>",
     "((NIL \"@[1.2.3.4],@r2\" \"a\" \"b\"))"},
    {" <@r1@r2:a@b>",
     "((NIL \"@r1,@r2\" \"a\" \"b\"))"},
    {" <@r1",
     "((NIL \"INVALID_ROUTE\" \"MISSING_MAILBOX\" \"SYNTAX_ERROR\"))"},
    {" a .b@c",
     "((NIL NIL \"a.b\" \"c\"))"},
    {" a..b .c@d",
     "((NIL NIL \"a..b.c\" \"d\"))"},
    {" user (Name)",
     "((\"Name\" NIL \"user\" \"MISSING_DOMAIN\"))"},
    {" \"q\" (Name)",
     "((\"Name\" NIL \"q\" \"MISSING_DOMAIN\"))"},
    {" user (Name) more",
     "((\"Name\" NIL \"user\" \"MISSING_DOMAIN\"))"},
    {" \"a\\",
     "((NIL NIL \"MISSING_MAILBOX\" \"MISSING_DOMAIN\"))"},
    {" \"a\\\\\" <x@y>",
     "((\"a\\\" NIL \"x\" \"y\"))"},
    {" a@b (x\\",
     "((NIL NIL \"a\" \"MISSING_DOMAIN\"))"},
    {" \"x\" a@b",
     "((\"x a\" NIL \"MISSING_MAILBOX\" \"MISSING_DOMAIN\"))"},
    {" a@b \"x\"",
     "((NIL NIL \"a\" \"b\"))"},
    {" x a@b",
     "((\"x a\" NIL \"MISSING_MAILBOX\" \"MISSING_DOMAIN\"))"},
    {" \"x\" y <a@b>",
     "((\"x y\" NIL \"a\" \"b\"))"},
    {" x.y.z",
     "((NIL NIL \"x.y.z\" \"MISSING_DOMAIN\"))"},
    {" a@b . ",
     "((NIL NIL \"a\" \"MISSING_DOMAIN\"))"},
    {" (c1) Name (c2) <a@b> (c3)",
     "((\"Name\" NIL \"a\" \"b\"))"},
    {" a@ [1.2.3.4] (c)",
     "((\"c\" NIL \"a\" \"[1.2.3.4]\"))"},
    {" a@[1.2\\].3]",
     "((NIL NIL \"a\" \"[1.2\\].3]\"))"},
    {" a@[ 1.2 ]",
     "((NIL NIL \"a\" \"[ 1.2 ]\"))"},
    {" grp: (c) ;",
     "((NIL NIL \"grp\" NIL)(NIL NIL NIL NIL))"},
    {" \"quoted grp\": a@b;",
     "((NIL NIL \"quoted grp\" NIL)(NIL NIL \"a\" \"b\")(NIL NIL NIL NIL))"},
    {" grp : a@b ;",
     "((NIL NIL \"grp\" NIL)(NIL NIL \"a\" \"b\")(NIL NIL NIL NIL))"},
    {" g.r.p: a@b;",
     "((NIL NIL \"g.r.p\" NIL)(NIL NIL \"a\" \"b\")(NIL NIL NIL NIL))"},
    {" :a@b;",
     "((NIL NIL \"\" NIL)(NIL NIL \"a\" \"b\")(NIL NIL NIL NIL))"},
    {" grp: <a@b>, Name <c@d>;",
     "((NIL NIL \"grp\" NIL)(NIL NIL \"a\" \"b\")(\"Name\" NIL \"c\" \"d\")(NIL NIL NIL NIL))"},
    {" grp: a@b, , c@d;",
     "((NIL NIL \"grp\" NIL)(NIL NIL \"a\" \"b\")(NIL NIL \"MISSING_MAILBOX\" \"MISSING_DOMAIN\")(NIL NIL \"c\" \"d\")(NIL NIL NIL NIL))"},
    {" grp: a@b,;",
     "((NIL NIL \"grp\" NIL)(NIL NIL \"a\" \"b\")(NIL NIL \"MISSING_MAILBOX\" \"MISSING_DOMAIN\")(NIL NIL NIL NIL))"},
    {" grp: \"x\";",
     "((NIL NIL \"grp\" NIL)(\"x\" NIL \"MISSING_MAILBOX\" \"MISSING_DOMAIN\")(NIL NIL NIL NIL))"},
    {" grp: a@b c@d;",
     "((NIL NIL \"grp\" NIL)(NIL NIL \"a\" \"b\")(NIL NIL NIL NIL))"},
    {" grp: a@b; x",
     "((NIL NIL \"grp\" NIL)(NIL NIL \"a\" \"b\")(NIL NIL NIL NIL))"},
    {" \"a\rb\" <x@y>, (c\rd) <e@f>, g\rh@i",
     "((\"a\rb\" NIL \"x\" \"y\")(NIL NIL \"e\" \"f\")(\"g h\" NIL \"MISSING_MAILBOX\" \"MISSING_DOMAIN\"))"},
    {" <",
     "((NIL NIL \"MISSING_MAILBOX\" \"SYNTAX_ERROR\"))"},
    {" Name <",
     "((\"Name\" NIL \"MISSING_MAILBOX\" \"SYNTAX_ERROR\"))"},
    {" <a@b> (x",
     "((NIL NIL \"a\" \"SYNTAX_ERROR\"))"},
    {" \"x\" <a@b",
     "((\"x\" NIL \"a\" \"SYNTAX_ERROR\"))"},
    {" a@b (c) <d@e>",
     "((\"c\" NIL \"a\" \"b\"))"},
    {" Name <a@b> (c), d@e",
     "((\"Name\" NIL \"a\" \"b\")(NIL NIL \"d\" \"e\"))"},
    {" <a@b> <c@d>",
     "((NIL NIL \"a\" \"b\"))"},
    {" a:b@c",
     "((NIL NIL \"a\" NIL)(NIL NIL \"b\" \"c\")(NIL NIL NIL NIL))"},
    {" g: a@b; , c@d",
     "((NIL NIL \"g\" NIL)(NIL NIL \"a\" \"b\")(NIL NIL NIL NIL)(NIL NIL \"c\" \"d\"))"},
    {" g1: a@b;, g2: ;",
     "((NIL NIL \"g1\" NIL)(NIL NIL \"a\" \"b\")(NIL NIL NIL NIL)(NIL NIL \"g2\" NIL)(NIL NIL NIL NIL))"},
    {" ()",
     "NIL"},
    {" (x)",
     "NIL"},
    {" (x",
     "NIL"},
    {" \"",
     "((NIL NIL \"MISSING_MAILBOX\" \"MISSING_DOMAIN\"))"},
    {" \\",
     "((NIL NIL \"MISSING_MAILBOX\" \"MISSING_DOMAIN\"))"},
    {" a\\b@c",
     "((NIL NIL \"a\" \"MISSING_DOMAIN\"))"},
    {" ;",
     "((NIL NIL \"MISSING_MAILBOX\" \"MISSING_DOMAIN\"))"},
    {" :",
     "((NIL NIL \"\" NIL)(NIL NIL NIL NIL))"},
    {" :;",
     "((NIL NIL \"\" NIL)(NIL NIL NIL NIL))"},
    {" @",
     "((NIL NIL \"MISSING_MAILBOX\" \"MISSING_DOMAIN\"))"},
    {" <@>",
     "((NIL \"INVALID_ROUTE\" \"MISSING_MAILBOX\" \"MISSING_DOMAIN\"))"},
    {" a@b>",
     "((NIL NIL \"a\" \"b\"))"},
    {" Name <a@b>, , Name2 <c@d>",
     "((\"Name\" NIL \"a\" \"b\")(NIL NIL \"MISSING_MAILBOX\" \"MISSING_DOMAIN\")(\"Name2\" NIL \"c\" \"d\"))"},
    {" \"a\" <b@c> (x) d@e",
     "((\"a\" NIL \"b\" \"c\"))"},
    {" x <a@b>(c)",
     "((\"x\" NIL \"a\" \"b\"))"},
    {" <a@b(c)>",
     "((NIL NIL \"a\" \"b\"))"},
    {" <a(c)@b>",
     "((NIL NIL \"a\" \"b\"))"},
    {" =?utf-8?b?w6Q=?= <a@b>",
     "((\"=?utf-8?b?w6Q=?=\" NIL \"a\" \"b\"))"},
    {" \"\\\"\" <a@b>",
     "((\"\"\" NIL \"a\" \"b\"))"},
    {" grp: a@b,; , c@d",
     "((NIL NIL \"grp\" NIL)(NIL NIL \"a\" \"b\")(NIL NIL \"MISSING_MAILBOX\" \"MISSING_DOMAIN\")(NIL NIL NIL NIL)(NIL NIL \"c\" \"d\"))"},
    {" grp: \"x\" junk; , c@d",
     "((NIL NIL \"grp\" NIL)(\"x junk\" NIL \"MISSING_MAILBOX\" \"MISSING_DOMAIN\")(NIL NIL NIL NIL)(NIL NIL \"c\" \"d\"))"},
    {" grp: a b; , c@d",
     "((NIL NIL \"grp\" NIL)(\"a b\" NIL \"MISSING_MAILBOX\" \"MISSING_DOMAIN\")(NIL NIL NIL NIL)(NIL NIL \"c\" \"d\"))"},
    {" grp: <a@b; , c@d",
     "((NIL NIL \"grp\" NIL)(NIL NIL \"a\" \"SYNTAX_ERROR\")(NIL NIL NIL NIL)(NIL NIL \"c\" \"d\"))"},
    {" a. b c@d",
     "((\"a.  b c\" NIL \"MISSING_MAILBOX\" \"MISSING_DOMAIN\"))"},
    {" a.\tb@d",
     "((\"a.  b\" NIL \"MISSING_MAILBOX\" \"MISSING_DOMAIN\"))"},
    {" a.b c@d",
     "((\"a.b c\" NIL \"MISSING_MAILBOX\" \"MISSING_DOMAIN\"))"},
    {" a . . b@c",
     "((\"a.  . b\" NIL \"MISSING_MAILBOX\" \"MISSING_DOMAIN\"))"},
    {" a.(x)b@c",
     "((\"a.  b\" NIL \"MISSING_MAILBOX\" \"MISSING_DOMAIN\"))"},
    {" <a. b@c>",
     "((NIL NIL \"MISSING_MAILBOX\" \"SYNTAX_ERROR\"))"},
    {" a. @b",
     "((NIL NIL \"MISSING_MAILBOX\" \"MISSING_DOMAIN\"))"},
    {" Name a. b <x@y>",
     "((\"Name a. b\" NIL \"x\" \"y\"))"},
    {" g: a. b, c@d;",
     "((NIL NIL \"g\" NIL)(\"a.  b\" NIL \"MISSING_MAILBOX\" \"MISSING_DOMAIN\")(NIL NIL \"c\" \"d\")(NIL NIL NIL NIL))"},
    {" a.",
     "((NIL NIL \"a.\" \"MISSING_DOMAIN\"))"},
    {" <a.@b>",
     "((NIL NIL \"a.\" \"b\"))"},
    {" dot., x@y",
     "((NIL NIL \"MISSING_MAILBOX\" \"MISSING_DOMAIN\")(NIL NIL \"x\" \"y\"))"},
    {" a.;",
     "((NIL NIL \"MISSING_MAILBOX\" \"MISSING_DOMAIN\"))"},
    {" a. ",
     "((NIL NIL \"MISSING_MAILBOX\" \"MISSING_DOMAIN\"))"},
    {" a .",
     "((NIL NIL \"a.\" \"MISSING_DOMAIN\"))"},
    {" a.:b",
     "((NIL NIL \"a.\" NIL)(NIL NIL \"b\" \"MISSING_DOMAIN\")(NIL NIL NIL NIL))"},
    {" \"\"@b",
     "((NIL NIL \"\" \"b\"))"},
    {" <\"\"@b>",
     "((NIL NIL \"\" \"b\"))"},
    {" a@b, (x",
     "((NIL NIL \"a\" \"b\")(NIL NIL \"MISSING_MAILBOX\" \"MISSING_DOMAIN\"))"},
    {" a@b, (x\\\\y",
     "((NIL NIL \"a\" \"b\")(NIL NIL \"MISSING_MAILBOX\" \"MISSING_DOMAIN\"))"},
    {" g: a@b, (x;",
     "((NIL NIL \"g\" NIL)(NIL NIL \"a\" \"b\")(NIL NIL NIL NIL))"},
    {" \"\"",
     "((\"\" NIL \"MISSING_MAILBOX\" \"MISSING_DOMAIN\"))"},
    {" Name <\"\">",
     "((\"Name\" NIL \"\" \"MISSING_DOMAIN\"))"},
    {" ,(:=?utf-8?q?z?= \\",
     "((NIL NIL \"MISSING_MAILBOX\" \"MISSING_DOMAIN\")(NIL NIL \"MISSING_MAILBOX\" \"MISSING_DOMAIN\"))"},
    {" \"\"(n (e) d)",
     "((\"n (e) d\" NIL \"\" \"MISSING_DOMAIN\"))"},
    {" bc\t(@\"a\\\"b\"\t> \t",
     "((\"@\"a\" NIL \"MISSING_MAILBOX\" \"MISSING_DOMAIN\"))"},
    {" (c):\"a\\\"b\"(aabc\"a\\\"b\"(",
     "((NIL NIL \"\" NIL)(\"aabc\"a\" NIL \"MISSING_MAILBOX\" \"MISSING_DOMAIN\")(NIL NIL NIL NIL))"},
};

} // namespace

TEST_CASE("mime envelope address lists match Dovecot")
{
    for (const auto& c : address_cases) {
        std::string block = std::string("From:") + c.value + "\r\n\r\n";
        CAPTURE(c.value);
        Envelope env = envelope_of(block);
        CHECK(text(env.from) == c.expected);
        // Sender and Reply-To default to From.
        CHECK(env.sender == env.from);
        CHECK(env.reply_to == env.from);
        std::string to_block = std::string("To:") + c.value + "\r\n\r\n";
        CHECK(text(envelope_of(to_block).to) == c.expected);
    }
}

TEST_CASE("mime envelope folded addresses")
{
    CHECK(text(envelope_of("From: Name\r\n  Folded <a@b>\r\n\r\n").from) == "((\"Name Folded\" NIL \"a\" \"b\"))");
    CHECK(text(envelope_of("From: \"quoted\r\n folded\" <a@b>\r\n\r\n").from) ==
          "((\"quoted folded\" NIL \"a\" \"b\"))");
    CHECK(text(envelope_of("From: a@b (Fold\r\n ed)\r\n\r\n").from) == "((\"Fold ed\" NIL \"a\" \"b\"))");
    // The tab after the fold stays in a quoted name (Dovecot then writes
    // the name "for humans": {3} "a b").
    CHECK(text(envelope_of("From: \"a\r\n\tb\" <x@y>\r\n\r\n").from) == "((\"a\tb\" NIL \"x\" \"y\"))");
    CHECK(text(envelope_of("From: a\r\n\tb <x@y>\r\n\r\n").from) == "((\"a b\" NIL \"x\" \"y\"))");
    CHECK(text(envelope_of("From: a@[1.2\r\n .3]\r\n\r\n").from) == "((NIL NIL \"a\" \"[1.2 .3]\"))");
}

TEST_CASE("mime envelope NUL bytes stay for the writer to replace")
{
    const char raw[] = "From: \"N\0M\" <a\0b@c>, d@e\r\nTo: q@r (c\0d)\r\nSubject: a\0b\r\n\r\n";
    std::string block(raw, sizeof raw - 1);
    Envelope env = envelope_of(block);
    // NUL is not atext: the angle address breaks there (Dovecot: "a" SYNTAX_ERROR
    // and the list ends).
    CHECK(text(env.from) == std::string("((\"N\0M\" NIL \"a\" \"SYNTAX_ERROR\"))", 32));
    CHECK(text(env.to) == std::string("((\"c\0d\" NIL \"q\" \"r\"))", 21));
    CHECK(env.subject == std::string("a\0b", 3));
}

TEST_CASE("mime envelope unclosed quote keeps the text before its last NUL")
{
    const char raw[] = "Reply-To: x.y\"(n (e) d);:). <a@b>\0 \r\n :\r\nFrom: f@x\r\n\r\n";
    Envelope env = envelope_of(std::string(raw, sizeof raw - 1));
    // Dovecot: ({26} "x.y (n (e) d);:). <a@b>\xef\xbf\xbd" NIL "MISSING_MAILBOX" "MISSING_DOMAIN")
    CHECK(text(env.reply_to) == std::string("((\"x.y (n (e) d);:). <a@b>\0\" NIL \"MISSING_MAILBOX\" \"MISSING_DOMAIN\"))", 69));
}

TEST_CASE("mime envelope fields given more than once")
{
    Envelope env = envelope_of("From: a@b\r\nFrom: \r\nFrom: c@d\r\nSubject: first\r\nsubject: second\r\n"
                               "Message-ID: <a@b>\r\nMessage-ID: <c@d>\r\n\r\n");
    CHECK(text(env.from) == "((NIL NIL \"a\" \"b\")(NIL NIL \"c\" \"d\"))");
    CHECK(env.subject == "second");
    CHECK(env.message_id == "<c@d>");
    CHECK(text(envelope_of("From: grp:;\r\nFrom: a@b\r\n\r\n").from) ==
          "((NIL NIL \"grp\" NIL)(NIL NIL NIL NIL)(NIL NIL \"a\" \"b\"))");
}

TEST_CASE("mime envelope sender and reply-to")
{
    Envelope env = envelope_of("Sender: s@x\r\nFrom: f@x\r\n\r\n");
    CHECK(text(env.from) == "((NIL NIL \"f\" \"x\"))");
    CHECK(text(env.sender) == "((NIL NIL \"s\" \"x\"))");
    CHECK(text(env.reply_to) == "((NIL NIL \"f\" \"x\"))");

    env = envelope_of("Sender:\r\nReply-To: \r\nFrom: f@x\r\n\r\n");
    CHECK(text(env.sender) == "((NIL NIL \"f\" \"x\"))");
    CHECK(text(env.reply_to) == "((NIL NIL \"f\" \"x\"))");

    // Damaged but present: not replaced by From.
    env = envelope_of("Sender: ,\r\nReply-To: <>\r\nFrom: f@x\r\n\r\n");
    CHECK(text(env.sender) == "((NIL NIL \"MISSING_MAILBOX\" \"MISSING_DOMAIN\"))");
    CHECK(text(env.reply_to) == "((NIL NIL \"MISSING_MAILBOX\" \"MISSING_DOMAIN\"))");

    env = envelope_of("Bcc: b@x\r\nCc: c@x\r\nTo: t@x\r\nReply-To: r@x\r\nFrom: f@x\r\n\r\n");
    CHECK(text(env.reply_to) == "((NIL NIL \"r\" \"x\"))");
    CHECK(text(env.to) == "((NIL NIL \"t\" \"x\"))");
    CHECK(text(env.cc) == "((NIL NIL \"c\" \"x\"))");
    CHECK(text(env.bcc) == "((NIL NIL \"b\" \"x\"))");

    env = envelope_of("Subject: x\r\n\r\n");
    CHECK(env.from.empty());
    CHECK(env.sender.empty());
    CHECK(env.reply_to.empty());
}

TEST_CASE("mime envelope unstructured fields are raw")
{
    Envelope env = envelope_of("Subject:  two  spaces  \r\nDate:   Mon, 1 Jan 2024 00:00:00 +0000  \r\n\r\n");
    // Only the whitespace after the colon goes; Dovecot sends the date as
    // "Mon, 1 Jan 2024 00:00:00 +0000  " and the subject for humans.
    CHECK(env.date == "Mon, 1 Jan 2024 00:00:00 +0000  ");
    CHECK(env.subject == "two  spaces  ");
    CHECK(!env.message_id);
    CHECK(!env.in_reply_to);

    env = envelope_of("Subject:\r\nDate:\r\n\r\n");
    CHECK(env.subject == "");
    CHECK(env.date == "");
    env = envelope_of("Subject: \r\nDate: \r\nMessage-ID: \r\nIn-Reply-To: \r\n\r\n");
    CHECK(env.subject == "");
    CHECK(env.date == "");
    CHECK(env.message_id == "");
    CHECK(env.in_reply_to == "");

    // Folding kept: the writer drops the line breaks (date "Wed,  1 Jan ...").
    env = envelope_of("Date: Wed,\r\n  1 Jan 2020 10:00:00 +0100\r\nSubject: folded\r\n  line\r\n\tthird\r\n"
                      "Message-ID: \r\n <a@b>\r\n\r\n");
    CHECK(env.date == "Wed,\r\n  1 Jan 2020 10:00:00 +0100");
    CHECK(env.subject == "folded\r\n  line\r\n\tthird");
    CHECK(env.message_id == "\r\n <a@b>");

    // Message-ID and In-Reply-To are not parsed: junk and comments stay.
    env = envelope_of("Message-ID:   <a@b> (comment)  \r\nIn-Reply-To: \"quoted\" <a@b>\r\n\r\n");
    CHECK(env.message_id == "<a@b> (comment)  ");
    CHECK(env.in_reply_to == "\"quoted\" <a@b>");

    env = envelope_of("Subject: 8bit \xe4\xc3\xa4 =?utf-8?q?x?=\r\n\r\n");
    CHECK(env.subject == "8bit \xe4\xc3\xa4 =?utf-8?q?x?=");
    env = envelope_of("Subject : x\r\n\r\n");
    CHECK(env.subject == "x");
}

TEST_CASE("mime envelope of a huge damaged header stays bounded")
{
    std::string block = "From: " + std::string(1 << 20, ',') + "\r\nTo: " + std::string(1 << 20, '(') +
                        "\r\nCc: " + std::string(200000, '"') + "\r\n\r\n";
    Envelope env = envelope_of(block);
    CHECK(env.from.size() == 100000);  // capped
    CHECK(env.to.empty());             // unclosed comment: nothing
    // '""""...': one phrase of empty quoted strings, no address.
    REQUIRE(env.cc.size() == 1);
    CHECK(env.cc[0].mailbox == "MISSING_MAILBOX");
}

TEST_CASE("mime envelope keeps the leading space of a line of 8190 bytes or more")
{
    // Dovecot reads such lines in pieces and does not skip the whitespace
    // after the colon (its literal {8181} for this subject comes from that).
    std::string block = "Subject: " + std::string(8181, 'S') + "\r\nDate: " + std::string(8180, 'D') +
                        "\r\nIn-Reply-To: " + std::string(8178, 'I') + "\r\n\r\n";
    Envelope env = envelope_of(block);
    CHECK(env.subject == " " + std::string(8181, 'S'));
    CHECK(env.date == std::string(8180, 'D'));  // line of 8186 bytes
    CHECK(env.in_reply_to == " " + std::string(8178, 'I'));
    block = "Subject: " + std::string(8180, 'S') + "\n\n";
    CHECK(envelope_of(block).subject == std::string(8180, 'S'));
}
