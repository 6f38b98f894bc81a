// RFC 5321 paths and parameters, RFC 3461 xtext, and the DATA phase's
// dot-unstuffing, without a session.
#include <data_reader.hpp>
#include <smtp_path.hpp>

#include <doctest/doctest.h>

#include <string>

using namespace lmtpd;

namespace {

std::string error_of(std::string_view arg, std::string_view keyword = "FROM", std::string_view command = "MAIL") {
    PathArgument p;
    auto err = parse_path_argument(arg, keyword, command, p);
    return err ? std::to_string(err->code) + " " + err->text : "ok";
}

PathArgument parsed(std::string_view arg, std::string_view keyword = "FROM") {
    PathArgument p;
    auto err = parse_path_argument(arg, keyword, "MAIL", p);
    REQUIRE_MESSAGE(!err, err->text);
    return p;
}

std::string unstuff(std::string_view in, bool* done = nullptr, std::size_t* used = nullptr) {
    DotDecoder d;
    std::string out;
    const std::size_t n = d.decode(in, out);
    if (done)
        *done = d.done();
    if (used)
        *used = n;
    return out;
}

} // namespace

TEST_CASE("paths: the forms RFC 5321 §4.1.2 allows") {
    CHECK(parsed("FROM:<alice@example.org>").address == "alice@example.org");
    CHECK(parsed("from:<alice@example.org>").address == "alice@example.org");
    CHECK(parsed("FROM:<>").null_path);
    CHECK(parsed("FROM:<>").address.empty());
    // A source route is accepted and dropped (§4.1.2, appendix C).
    CHECK(parsed("FROM:<@relay1.example,@relay2.example:alice@example.org>").address == "alice@example.org");
    CHECK(parsed("FROM:<alice@[192.0.2.1]>").address == "alice@[192.0.2.1]");
    CHECK(parsed("FROM:<alice@[IPv6:2001:db8::1]>").address == "alice@[IPv6:2001:db8::1]");
    // A quoted local part that is an atom anyway is unquoted; one that is
    // not stays quoted.
    CHECK(parsed("TO:<\"alice\"@example.org>", "TO").address == "alice@example.org");
    CHECK(parsed("TO:<\"a b\"@example.org>", "TO").address == "\"a b\"@example.org");
    CHECK(parsed("TO:<\"a\\\"b\"@example.org>", "TO").address == "\"a\\\"b\"@example.org");
    // Dovecot's leniency: a bare local part, dots anywhere in it.
    CHECK(parsed("TO:<postmaster>", "TO").address == "postmaster");
    CHECK(parsed("FROM:<a..b@example.org>").address == "a..b@example.org");
    CHECK(parsed("FROM:<.a.@example.org>").address == ".a.@example.org");
    CHECK(parsed("FROM:<a@mail_host.example>").address == "a@mail_host.example");
    // Trailing spaces and several spaces between parameters.
    CHECK(parsed("FROM:<a@b>  ").parameters.empty());
    auto p = parsed("FROM:<a@b> body=8bitmime  SIZE=10 SMTPUTF8");
    REQUIRE(p.parameters.size() == 3);
    CHECK(p.parameters[0].keyword == "BODY");
    CHECK(*p.parameters[0].value == "8bitmime");
    CHECK(p.parameters[1].keyword == "SIZE");
    CHECK(*p.parameters[1].value == "10");
    CHECK(p.parameters[2].keyword == "SMTPUTF8");
    CHECK(!p.parameters[2].value);
    // UTF-8 is marked (RFC 6531); the session decides whether it is allowed.
    CHECK(parsed("FROM:<j\xC3\xB6rg@b\xC3\xBC" "cher.example>").non_ascii);
    CHECK(!parsed("FROM:<jorg@example>").non_ascii);
}

TEST_CASE("paths: refusals name the problem as Dovecot does") {
    CHECK(error_of("TO:<a@b>") == "501 5.5.4 Invalid parameters");
    CHECK(error_of("FROM <a@b>") == "501 5.5.4 Invalid parameters");
    CHECK(error_of("") == "501 5.5.4 Invalid parameters");
    CHECK(error_of("FROM:a@b") == "501 5.5.4 Invalid FROM: Missing '<' at beginning of path");
    CHECK(error_of("FROM: <a@b>") == "501 5.5.4 Invalid FROM: Unexpected whitespace before path");
    CHECK(error_of("FROM:<a@b") == "501 5.5.4 Invalid FROM: Missing '>' at end of path");
    CHECK(error_of("FROM:<a@b c>") == "501 5.5.4 Invalid FROM: Missing '>' at end of path");
    CHECK(error_of("FROM:<a b@c>") == "501 5.5.4 Invalid FROM: Missing '>' at end of path");
    CHECK(error_of("FROM:<a(b)@c>") == "501 5.5.4 Invalid FROM: Invalid character in localpart");
    CHECK(error_of("FROM:<a@>") == "501 5.5.4 Invalid FROM: Missing domain");
    CHECK(error_of("FROM:<a@.b>") == "501 5.5.4 Invalid FROM: Invalid character in domain");
    CHECK(error_of("FROM:<a@b!c>") == "501 5.5.4 Invalid FROM: Invalid character in localpart");
    CHECK(error_of("FROM:<a@[1.2.3.4>") == "501 5.5.4 Invalid FROM: Missing ']' at end of domain literal");
    CHECK(error_of("FROM:<a@[1.2\\3]>") == "501 5.5.4 Invalid FROM: Invalid character in domain literal");
    CHECK(error_of("FROM:<@b>") == "501 5.5.4 Invalid FROM: Invalid source route");
    CHECK(error_of("FROM:<@x:>") == "501 5.5.4 Invalid FROM: Missing localpart");
    CHECK(error_of("FROM:<@x;a@b>") == "501 5.5.4 Invalid FROM: Invalid source route");
    CHECK(error_of("FROM:<\"ab@c>") == "501 5.5.4 Invalid FROM: Missing '\"' at end of localpart");
    CHECK(error_of("FROM:<a@b>BODY=7BIT") == "501 5.5.4 Invalid FROM: Invalid character in path");
    CHECK(error_of("FROM:<a@b>\tBODY=7BIT") == "501 5.5.4 Invalid FROM: Invalid character in path");
    CHECK(error_of("FROM:<\xC3@b>") == "501 5.5.4 Invalid FROM: Invalid UTF-8 in path");
    CHECK(error_of("TO:<a@b> =x", "TO", "RCPT") ==
          "501 5.5.4 Invalid RCPT parameter: Unexpected character in parameter keyword");
    CHECK(error_of("FROM:<a@b> -X=1") == "501 5.5.4 Invalid MAIL parameter: Unexpected character in parameter keyword");
    CHECK(error_of("FROM:<a@b> X=") == "501 5.5.4 Invalid MAIL parameter: Missing parameter value");
    CHECK(error_of("FROM:<a@b> X=a\x01") == "501 5.5.4 Invalid MAIL parameter: Unexpected character in parameter value");
    CHECK(error_of("FROM:<a@b> X=a=b") == "501 5.5.4 Invalid MAIL parameter: Unexpected character in parameter value");
}

TEST_CASE("xtext (RFC 3461 §4)") {
    CHECK(*decode_xtext("rfc822") == "rfc822");
    CHECK(*decode_xtext("a+2Bb+3Dc") == "a+b=c");
    CHECK(*decode_xtext("") == "");
    CHECK(!decode_xtext("a+2b"));  // hex digits are upper case
    CHECK(!decode_xtext("a+2"));
    CHECK(!decode_xtext("a+"));
    CHECK(!decode_xtext("a=b"));
    CHECK(!decode_xtext("a b"));
    CHECK(!decode_xtext("\xC3\xA9"));
}

TEST_CASE("decimal numbers saturate instead of overflowing (RFC 1870 SIZE)") {
    CHECK(*parse_decimal_saturating("0") == 0);
    CHECK(*parse_decimal_saturating("2147483648") == 2147483648ull);
    CHECK(*parse_decimal_saturating("18446744073709551615") == UINT64_MAX);
    CHECK(*parse_decimal_saturating("99999999999999999999") == UINT64_MAX);
    CHECK(!parse_decimal_saturating("999999999999999999999")); // 21 digits
    CHECK(!parse_decimal_saturating(""));
    CHECK(!parse_decimal_saturating("12a"));
    CHECK(!parse_decimal_saturating("-1"));
    CHECK(!parse_decimal_saturating("+1"));
}

TEST_CASE("UTF-8 and VRFY strings") {
    CHECK(valid_utf8("plain"));
    CHECK(valid_utf8("j\xC3\xB6rg \xE2\x82\xAC \xF0\x9F\x98\x80"));
    CHECK(!valid_utf8("\xC0\xAF"));         // overlong
    CHECK(!valid_utf8("\xED\xA0\x80"));     // surrogate
    CHECK(!valid_utf8("\xF4\x90\x80\x80")); // past U+10FFFF
    CHECK(!valid_utf8("\xC2\x85"));         // C1 control
    CHECK(!valid_utf8("\xE2\x82"));         // cut short
    CHECK(is_smtp_string("alice"));
    CHECK(is_smtp_string("\"alice smith\""));
    CHECK(!is_smtp_string("<alice>"));
    CHECK(!is_smtp_string("\"open"));
    CHECK(!is_smtp_string(""));
}

TEST_CASE("dot-unstuffing (RFC 5321 §4.5.2)") {
    bool done = false;
    std::size_t used = 0;
    CHECK(unstuff("a\r\n..b\r\n.c\r\n.\r\nNOOP\r\n", &done, &used) == "a\r\n.b\r\nc\r\n");
    CHECK(done);
    CHECK(used == 15); // "NOOP" is left for the command reader
    // An empty message.
    CHECK(unstuff(".\r\n", &done) == "");
    CHECK(done);
    // "..": one dot of content; a lone "." inside a line is content.
    CHECK(unstuff("..\r\nx.\r\n. \r\n.\r\n", &done) == ".\r\nx.\r\n \r\n");
    // Only CRLF "." CRLF ends the data (RFC 5321 §4.1.1.4); a "." line next
    // to a bare LF is data kept as it came (the SMTP smuggling patterns,
    // which Dovecot 2.3.19 takes as the end).
    CHECK(unstuff("a\nb\n.\n", &done) == "a\nb\n.\n");
    CHECK(!done);
    CHECK(unstuff("a\r\n.\nMAIL FROM:<x>\r\n.\r\n", &done) == "a\r\n.\nMAIL FROM:<x>\r\n");
    CHECK(done);
    CHECK(unstuff("a\n.\r\nMAIL FROM:<x>\r\n.\r\n", &done) == "a\n.\r\nMAIL FROM:<x>\r\n");
    CHECK(done);
    CHECK(unstuff(".\n.\r\n", &done) == ".\n.\r\n");
    CHECK(!done);
    // Bare LF still ends lines for unstuffing: "..x" after it is ".x".
    CHECK(unstuff("a\n..x\r\n.\r\n", &done) == "a\n.x\r\n");
    CHECK(done);
    // A line ending in a bare LF, then CRLF "." CRLF: the end.
    CHECK(unstuff("a\n\r\n.\r\n", &done) == "a\n\r\n");
    CHECK(done);
    // ".\r" followed by something other than LF: content.
    CHECK(unstuff(".\rx\r\n.\r\n", &done) == "\rx\r\n");
    CHECK(done);
    // NUL and 8-bit bytes pass unchanged.
    CHECK(unstuff(std::string("a\0b\xE9\r\n.\r\n", 9), &done) == std::string("a\0b\xE9\r\n", 6));
    // Not finished: no end line yet.
    CHECK(unstuff("a\r\n.", &done) == "a\r\n");
    CHECK(!done);
}

TEST_CASE("dot-unstuffing split at every byte gives the same result") {
    const std::string wire = "H: v\r\n\r\n..a\r\n.b\r\n\r\n..\r\nx\n.\r\ny\r\n.\nlast\r\n.\r\nAFTER";
    const std::string whole = unstuff(wire);
    for (std::size_t cut = 0; cut <= wire.size(); ++cut) {
        DotDecoder d;
        std::string out;
        std::size_t used = d.decode(std::string_view(wire).substr(0, cut), out);
        if (!d.done())
            used += d.decode(std::string_view(wire).substr(cut), out);
        CHECK(d.done());
        CHECK(out == whole);
        CHECK(used == wire.size() - 5);
    }
    DotDecoder d;
    std::string out;
    for (char c : wire)
        if (!d.done())
            d.decode(std::string_view(&c, 1), out);
    CHECK(out == whole);
    CHECK(whole == "H: v\r\n\r\n.a\r\nb\r\n\r\n.\r\nx\n.\r\ny\r\n.\nlast\r\n");
}
