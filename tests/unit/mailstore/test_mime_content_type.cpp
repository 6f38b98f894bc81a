// Expected values were checked against Dovecot 2.3's BODYSTRUCTURE for the
// same field values (tests/corpus/tools/dovecot-fetch).
#include <doctest/doctest.h>

#include <mailstore/mime/content_type.hpp>

#include <string>
#include <utility>
#include <vector>

using namespace mailstore::mime;
using namespace std::string_literals;

namespace {

using Pairs = std::vector<std::pair<std::string, std::string>>;

Pairs pairs(const std::vector<Parameter>& params)
{
    Pairs out;
    for (const Parameter& p : params)
        out.emplace_back(p.name, p.value);
    return out;
}

} // namespace

TEST_CASE("mime content_type: type, subtype and parameters")
{
    ContentType ct = parse_content_type(" Multipart/Mixed; Boundary=b");
    CHECK(ct.valid());
    CHECK(ct.type == "Multipart");
    CHECK(ct.subtype == "Mixed");
    CHECK(pairs(ct.params) == Pairs{{"Boundary", "b"}});

    ct = parse_content_type("(c) multipart (d) / (e) mixed (f) ; (g) boundary (h) = (i) b (j)");
    CHECK(ct.type == "multipart");
    CHECK(ct.subtype == "mixed");
    CHECK(pairs(ct.params) == Pairs{{"boundary", "b"}});

    ct = parse_content_type("text/plain  ;  charset  =  x  ;");
    CHECK(pairs(ct.params) == Pairs{{"charset", "x"}});
    ct = parse_content_type("text/plain;\r\n charset=\"us\\-ascii\";\r\n\tformat=flowed");
    CHECK(pairs(ct.params) == Pairs{{"charset", "us-ascii"}, {"format", "flowed"}});
}

TEST_CASE("mime content_type: unusable types (Dovecot's reading)")
{
    for (const char* v : {"multipart; boundary=b", "multipart/; boundary=b", "multipart/mixed junk; boundary=b",
                          "multipart/mixed boundary=b", "\"multipart/mixed\"; boundary=b", "text; charset=x", "text/",
                          "/plain", "text/pl@in", "te(x)t/plain", "text/plain (comment", "", "   ", "@@",
                          "text/plain junk;charset=x", "text ; charset=x"}) {
        CAPTURE(v);
        ContentType ct = parse_content_type(v);
        CHECK_FALSE(ct.valid());
        CHECK(ct.type.empty());
        CHECK(ct.subtype.empty());
        CHECK(ct.params.empty());
    }
    // A lone type is kept, with an empty subtype.
    for (const char* v : {"text", "text ", "text (c)", "multipart"}) {
        ContentType ct = parse_content_type(v);
        CHECK_FALSE(ct.valid());
        CHECK_FALSE(ct.type.empty());
        CHECK(ct.subtype.empty());
    }
    CHECK(parse_content_type("TEXT").type == "TEXT");
}

TEST_CASE("mime content_type: broken parameters are skipped to the next ';'")
{
    CHECK(pairs(parse_content_type("text/plain; charset=x junk; format=y").params) ==
          Pairs{{"charset", "x"}, {"format", "y"}});
    CHECK(pairs(parse_content_type("text/plain; charset=\"x\" junk; format=y").params) ==
          Pairs{{"charset", "x"}, {"format", "y"}});
    CHECK(pairs(parse_content_type("text/plain; ch@rset=x; format=y").params) == Pairs{{"format", "y"}});
    CHECK(pairs(parse_content_type("text/plain; a b=1; c=2").params) == Pairs{{"c", "2"}});
    CHECK(pairs(parse_content_type("text/plain; charset=x@y").params) == Pairs{{"charset", "x"}});
    CHECK(pairs(parse_content_type("text/plain; charset=x (comment)").params) == Pairs{{"charset", "x"}});
    // ";;" loses everything after it; "=x" has an empty name.
    CHECK(parse_content_type("multipart/mixed;; boundary=b;").params.empty());
    CHECK(pairs(parse_content_type("text/plain; a=1;; b=2").params) == Pairs{{"a", "1"}});
    CHECK(pairs(parse_content_type("text/plain; =x; a").params) == Pairs{{"", "x"}});
    // Unclosed quote: the parameter is dropped.
    CHECK(parse_content_type("text/plain; a=\"unterminated").params.empty());
    // Empty values.
    CHECK(pairs(parse_content_type("text/plain; charset=").params) == Pairs{{"charset", ""}});
    CHECK(pairs(parse_content_type("text/plain; charset= ; format=y").params) == Pairs{{"charset", ""}, {"format", "y"}});
    // name==?utf-8?...?= (a common mailer bug) keeps the word.
    CHECK(pairs(parse_content_type("text/plain; name==?utf-8?B?w6k=?= x; y=1").params) ==
          Pairs{{"name", "=?utf-8?B?w6k=?="}, {"y", "1"}});
    // Duplicates stay, in order.
    CHECK(pairs(parse_content_type("multipart/mixed; boundary=\"b\"; boundary=c").params) ==
          Pairs{{"boundary", "b"}, {"boundary", "c"}});
    // Quoted strings: quoted-pairs and folding removed.
    CHECK(pairs(parse_content_type("text/plain; name=\"a\\\"b\\\\c\"").params) == Pairs{{"name", "a\"b\\c"}});
    CHECK(pairs(parse_content_type("text/plain; name=\"a\r\n b\";\r\n\tc=d").params) == Pairs{{"name", "a b"}, {"c", "d"}});
}

TEST_CASE("mime content_type: 8-bit, control bytes and NUL")
{
    CHECK(pairs(parse_content_type("text/plain; name=\xc3\xa4.pdf; x=\xe9; y=\"q\xe9\"").params) ==
          Pairs{{"name", "\xc3\xa4.pdf"}, {"x", "\xe9"}, {"y", "q\xe9"}});
    CHECK(pairs(parse_content_type("text/plain; name=a\x01" "b; c=\x7f" "d").params) == Pairs{{"name", "a"}, {"c", ""}});
    CHECK(pairs(parse_content_type("text/plain; name=\"a\0b\""s).params) == Pairs{{"name", "a\xEF\xBF\xBD" "b"}});
}

TEST_CASE("mime content_type: RFC 2231 continuations joined as Dovecot shows them")
{
    auto ct = [](const char* v) { return pairs(parse_content_type(v).params); };
    CHECK(ct("text/plain; name*0=\"a\"; name*1=\"b\"") == Pairs{{"name", "ab"}});
    CHECK(ct("text/plain; name*1=\"b\"; name*0=\"a\"") == Pairs{{"name", "ab"}});
    CHECK(ct("text/plain; Name*0=a; name*1=b") == Pairs{{"Name", "ab"}});
    CHECK(ct("text/plain; a*00=1; a*1=2") == Pairs{{"a", "12"}});
    CHECK(ct("text/plain; a*0=\"x y\"; a*1=z") == Pairs{{"a", "x yz"}});
    // Plain parameters first, joined ones after, sorted by name.
    CHECK(ct("text/plain; format=flowed; name*1=b; name*0=a; x=y") ==
          Pairs{{"format", "flowed"}, {"x", "y"}, {"name", "ab"}});
    CHECK(ct("text/plain; b*0=1; a*0=2; b*1=3; a*1=4") == Pairs{{"a", "24"}, {"b", "13"}});
    CHECK(ct("text/plain; a*=x; a=y") == Pairs{{"a", "y"}, {"a*", "x"}});
    // Extended: still encoded, "''" added when section 0 was not extended.
    CHECK(ct("text/plain; name*=utf-8''%C3%A9") == Pairs{{"name*", "utf-8''%C3%A9"}});
    CHECK(ct("text/plain; name*0*=utf-8''%C3%A9; name*1=\"x\"") == Pairs{{"name*", "utf-8''%C3%A9x"}});
    CHECK(ct("text/plain; name*0*=utf-8''%C3%A9; name*1*=%C3%A9; name*2=z") == Pairs{{"name*", "utf-8''%C3%A9%C3%A9z"}});
    CHECK(ct("text/plain; a*0=1; a*1*=%41; a*2=x") == Pairs{{"a*", "''1%41x"}});
    CHECK(ct("text/plain; a*0*=us-ascii'en'a; a*1=b") == Pairs{{"a*", "us-ascii'en'ab"}});
    // Gaps and duplicates: not joined, listed one by one.
    CHECK(ct("text/plain; name*0=\"a\"; name*2=\"c\"") == Pairs{{"name*0", "a"}, {"name*2", "c"}});
    CHECK(ct("text/plain; a*1=1; a*2=2") == Pairs{{"a*1", "1"}, {"a*2", "2"}});
    CHECK(ct("text/plain; a*1*=x; a*2=y") == Pairs{{"a*1*", "x"}, {"a*2", "y"}});
    CHECK(ct("text/plain; a*0=1; a*1=2; a*1=3") == Pairs{{"a*0", "1"}, {"a*1", "2"}, {"a*1", "3"}});
    CHECK(ct("text/plain; a*1=1; a*0=0; a*3=3") == Pairs{{"a*0", "0"}, {"a*1", "1"}, {"a*3", "3"}});
    CHECK(ct("text/plain; name*0=\"a\"; name*0=\"b\"") == Pairs{{"name*0", "a"}, {"name*0", "b"}});
    CHECK(ct("text/plain; a*=x; a*0=y") == Pairs{{"a*0*", "x"}, {"a*0", "y"}});
    // Not RFC 2231 names.
    CHECK(ct("text/plain; a*x=1") == Pairs{{"a*x", "1"}});
    CHECK(ct("text/plain; a*0x=1") == Pairs{{"a*0x", "1"}});
    CHECK(ct("text/plain; a**=1") == Pairs{{"a*", "1"}});
    // Section numbers wrap at 32 bits; a starred name without a number
    // takes the previous number (Dovecot's corpus answer).
    CHECK(ct("application/octet-stream; name*0=\"a\"; name*2=\"c\"; name*=\"x\"; title*=utf-8'en'%E2%82; "
             "foo*0*=bad%ZZ; bar*00=\"lead\"; bar*1=z; name*999999999999=big") ==
          Pairs{{"bar", "leadz"}, {"foo*", "bad%ZZ"}, {"name*0", "a"}, {"name*2", "c"}, {"name*2*", "x"},
                {"name*3567587327", "big"}, {"title*2*", "utf-8'en'%E2%82"}});
}

TEST_CASE("mime content_type: at most 128 parameters")
{
    std::string v = "text/plain";
    for (int i = 0; i < 2000; ++i)
        v += "; p" + std::to_string(i) + "=v" + std::to_string(i);
    auto params = parse_content_type(v).params;
    REQUIRE(params.size() == 128);
    CHECK(params.back().name == "p127");
}

TEST_CASE("mime content_type: Content-Disposition")
{
    ContentDisposition d = parse_content_disposition("attachment; filename=\"a b.pdf\"; size=3");
    CHECK(d.type == "attachment");
    CHECK(pairs(d.params) == Pairs{{"filename", "a b.pdf"}, {"size", "3"}});
    CHECK(parse_content_disposition("Attachment").type == "Attachment");
    d = parse_content_disposition("inline junk; a=b");
    CHECK(d.type == "inline");
    CHECK(pairs(d.params) == Pairs{{"a", "b"}});
    d = parse_content_disposition("\"inline\"");
    CHECK(d.type.empty());
    CHECK(d.params.empty());
    d = parse_content_disposition("; filename=x");
    CHECK(d.type.empty());
    CHECK(pairs(d.params) == Pairs{{"filename", "x"}});
    CHECK(parse_content_disposition("(c) attachment (d) ; x=y").type == "attachment");
    CHECK(parse_content_disposition("attachment;;x=y").params.empty());
    CHECK(pairs(parse_content_disposition("attachment; filename*0=a; filename*1=b").params) == Pairs{{"filename", "ab"}});
}

TEST_CASE("mime content_type: Content-Language")
{
    using V = std::vector<std::string>;
    CHECK(parse_content_language("en") == V{"en"});
    CHECK(parse_content_language("en, de") == V{"en", "de"});
    CHECK(parse_content_language(" EN-us , (c) de ,fr") == V{"EN-us", "de", "fr"});
    CHECK(parse_content_language("en de") == V{"en"});
    CHECK(parse_content_language("en,,de") == V{"en"});
    CHECK(parse_content_language("\"en\"").empty());
    CHECK(parse_content_language("en;de") == V{"en"});
    CHECK(parse_content_language(",en").empty());
    CHECK(parse_content_language("x@y") == V{"x"});
    CHECK(parse_content_language("").empty());
    CHECK(parse_content_language("(unclosed").empty());
}

TEST_CASE("mime content_type: Content-Transfer-Encoding token")
{
    CHECK(parse_content_transfer_encoding("base64") == "base64");
    CHECK(parse_content_transfer_encoding(" Quoted-Printable ") == "Quoted-Printable");
    CHECK(parse_content_transfer_encoding("(c) 7bit (d)") == "7bit");
    CHECK(parse_content_transfer_encoding("base64 (x)") == "base64");
    CHECK(parse_content_transfer_encoding("b\xe4se64") == "b\xe4se64");
    for (const char* v : {"base64 junk", "8bit;", "ba\"se64", "b@se64", "\"base64\"", "", "(unclosed"})
        CHECK(parse_content_transfer_encoding(v).empty());
}

TEST_CASE("mime content_type: find_parameter and decode_parameter")
{
    auto params = parse_content_type("text/plain; Charset=utf-8; name*=utf-8''%C3%A9t%C3%A9.txt; "
                                     "filename=\"=?utf-8?q?caf=C3=A9?=\"; latin=\"caf\xe9\"")
                      .params;
    REQUIRE(find_parameter(params, "charset") != nullptr);
    CHECK(*find_parameter(params, "CHARSET") == "utf-8");
    CHECK(find_parameter(params, "name") == nullptr);  // its name is "name*"
    CHECK(find_parameter(params, "missing") == nullptr);
    CHECK(decode_parameter(params, "name") == "\xc3\xa9t\xc3\xa9.txt");
    CHECK(decode_parameter(params, "NAME*") == "\xc3\xa9t\xc3\xa9.txt");
    CHECK(decode_parameter(params, "charset") == "utf-8");
    CHECK(decode_parameter(params, "missing") == std::nullopt);
    // The extended form wins over a plain one of the same name.
    auto both = parse_content_type("text/plain; name=plain; name*=''ext").params;
    CHECK(decode_parameter(both, "name") == "ext");
    // Joined sections with a language, and a bad escape kept as written.
    auto joined = parse_content_type("text/plain; u*=''x%ZZ; t*0*=us-ascii'en'a%20b; t*1=c");
    CHECK(decode_parameter(joined, "t") == "a bc");
    CHECK(decode_parameter(joined, "u") == "x%ZZ");
    // After t*1, an unnumbered u* counts as section 1 for BODYSTRUCTURE
    // (Dovecot), but each name has its own numbering (RFC 2231 §3): u is x.
    auto quirk = parse_content_type("text/plain; t*0=a; t*1=c; u*=''x");
    CHECK(find_parameter(quirk.params, "u*1*") != nullptr);
    CHECK(decode_parameter(quirk, "u") == "x");
    CHECK(decode_parameter(quirk, "t") == "ac");
}

TEST_CASE("mime content_type: raw_params keep the parameters as written")
{
    auto ct = parse_content_type("text/plain; name*0=\"a%41b\"; name*1*=%42; charset=x; name*2=\"c%20d\"");
    CHECK(pairs(ct.raw_params) ==
          Pairs{{"name*0", "a%41b"}, {"name*1*", "%42"}, {"charset", "x"}, {"name*2", "c%20d"}});
    // BODYSTRUCTURE's joined form is unchanged by them.
    CHECK(pairs(ct.params) == Pairs{{"charset", "x"}, {"name*", "''a%41b%42c%20d"}});
    auto cd = parse_content_disposition("attachment; filename*=UTF-8''a%20b; size=3");
    CHECK(pairs(cd.raw_params) == Pairs{{"filename*", "UTF-8''a%20b"}, {"size", "3"}});
    CHECK(parse_content_type("text/plain junk; a=b").raw_params.empty());
}

TEST_CASE("mime content_type: decode_parameter follows RFC 2231 sections")
{
    auto ct = [](std::string_view v) { return parse_content_type(v); };
    // §4.1: non-extended sections are literal, extended ones percent-decoded.
    CHECK(decode_parameter(ct("text/plain; name*0=\"a%41b\"; name*1*=%42; name*2=\"c%20d\""), "name") ==
          "a%41bBc%20d");
    // The charset of section 0 applies to the whole value.
    CHECK(decode_parameter(ct("text/plain; n*0*=iso-8859-1'de'caf%E9; n*1=\" \"; n*2*=%E0"), "n") ==
          "caf\xc3\xa9 \xc3\xa0");
    // Out of order: joined by number. Duplicates: the first written wins.
    CHECK(decode_parameter(ct("text/plain; n*2=c; n*0=a; n*1=b"), "n") == "abc");
    CHECK(decode_parameter(ct("text/plain; n*0=a; n*1=b; n*1=X; n*0=Y; n*2=c"), "n") == "abc");
    // Each name numbers its own sections, interleaving allowed.
    CHECK(decode_parameter(ct("text/plain; a*0=1; b*0=x; a*1=2; b*1=y"), "a") == "12");
    CHECK(decode_parameter(ct("text/plain; a*0=1; b*0=x; a*1=2; b*1=y"), "b") == "xy");
    // A gap ends the value; without section 0 there is nothing.
    CHECK(decode_parameter(ct("text/plain; n*0=a; n*1=b; n*3=d"), "n") == "ab");
    CHECK(decode_parameter(ct("text/plain; n*1=b; n*2=c"), "n") == std::nullopt);
    CHECK(decode_parameter(ct("text/plain; n=plain; n*1=b"), "n") == "plain");
    // Not sections: a leading zero, a non-number, a doubled star.
    CHECK(decode_parameter(ct("text/plain; n*0=a; n*01=b; n*1x=c; n**=d"), "n") == "a");
    CHECK(decode_parameter(ct("text/plain; n*00=a"), "n") == std::nullopt);
    // Sections or the single extended form win over the plain value;
    // between the two RFC 2231 forms, the first written wins.
    CHECK(decode_parameter(ct("text/plain; n=p; n*0=s0; n*1=s1"), "n") == "s0s1");
    CHECK(decode_parameter(ct("text/plain; n*=''e; n*0=s"), "n") == "e");
    CHECK(decode_parameter(ct("text/plain; n*0=s; n*=''e"), "n") == "s");
    // Section 0 extended without its two quotes: no charset, still decoded.
    CHECK(decode_parameter(ct("text/plain; n*0*=a%41; n*1*=%42"), "n") == "aAB");
    CHECK(decode_parameter(ct("text/plain; n*=%41'"), "n") == "A'");
    // An unknown charset falls back to UTF-8-or-Latin-1; bad escapes stay.
    CHECK(decode_parameter(ct("text/plain; n*=x-nonesuch''caf%E9%G1%4"), "n") == "caf\xc3\xa9%G1%4");
    // Non-extended sections are not RFC 2047-decoded (only plain values are).
    CHECK(decode_parameter(ct("text/plain; n*0=\"=?utf-8?q?a?=\""), "n") == "=?utf-8?q?a?=");
    // The same through Content-Disposition.
    CHECK(decode_parameter(parse_content_disposition("attachment; filename*0=\"x%20\"; filename*1*=%41"),
                           "filename") == "x%20A");
}

TEST_CASE("mime content_type: decode_parameter on filenames as mailers write them")
{
    // Thunderbird / Apple Mail: RFC 2231 single extended value.
    auto tb = parse_content_disposition(
        "attachment;\r\n filename*=UTF-8''%C3%9Cbersicht%20M%C3%A4rz%202024.pdf");
    CHECK(decode_parameter(tb, "filename") == "\xc3\x9c" "bersicht M\xc3\xa4rz 2024.pdf");
    // Thunderbird, long names: extended continuations, folded.
    auto tbl = parse_content_disposition("attachment;\r\n filename*0*=UTF-8''%D0%9E%D1%82%D1%87%D1%91%D1%82%20;\r\n"
                                         " filename*1*=%D0%B7%D0%B0%20%D0%BC%D0%B0%D1%80%D1%82.docx");
    CHECK(decode_parameter(tbl, "filename") ==
          "\xd0\x9e\xd1\x82\xd1\x87\xd1\x91\xd1\x82 \xd0\xb7\xd0\xb0 \xd0\xbc\xd0\xb0\xd1\x80\xd1\x82.docx");
    // Apple Mail: continuations with a plain first section for ASCII.
    auto apple = parse_content_type("application/pdf;\r\n\tname*0=\"Very long file name that \";\r\n"
                                    "\tname*1=\"goes on.pdf\"");
    CHECK(decode_parameter(apple, "name") == "Very long file name that goes on.pdf");
    // Outlook / Gmail: RFC 2047 in a quoted plain value, next to RFC 2231.
    auto ol = parse_content_type("application/vnd.ms-excel;\r\n"
                                 "\tname=\"=?UTF-8?B?w5xiZXJzaWNodC54bHN4?=\"");
    CHECK(decode_parameter(ol, "name") == "\xc3\x9c" "bersicht.xlsx");
    auto both = parse_content_disposition("attachment; filename=\"=?iso-8859-1?Q?caf=E9.txt?=\";\r\n"
                                          " filename*=iso-8859-1''caf%E9.txt");
    CHECK(decode_parameter(both, "filename") == "caf\xc3\xa9.txt");
    // Split RFC 2047 words in a plain value are joined (adjacent words).
    auto split = parse_content_type("text/plain; name=\"=?UTF-8?Q?a=C3?= =?UTF-8?Q?=A9b.txt?=\"");
    CHECK(decode_parameter(split, "name") == "a\xc3\xa9" "b.txt");
}

TEST_CASE("mime content_type: decode_parameter with other engineers' decoders")
{
    // RFC 2047 words in a plain parameter (against RFC 2047 §5, but common)
    // and undeclared Latin-1 need the charset/encoded-word code.
    auto params = parse_content_type("text/plain; filename=\"=?utf-8?q?caf=C3=A9?=\"; latin=\"caf\xe9\"; "
                                     "iso*=iso-8859-1''caf%E9")
                      .params;
    CHECK(decode_parameter(params, "filename") == "caf\xc3\xa9");
    CHECK(decode_parameter(params, "latin") == "caf\xc3\xa9");
    CHECK(decode_parameter(params, "iso") == "caf\xc3\xa9");
}
