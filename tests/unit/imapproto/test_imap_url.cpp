// The IMAP URL parser and formatter (RFC 5092, RFC 4467 URLAUTH parts,
// RFC 4469 relative URLs): every RFC example, malformed URLs, percent
// escapes and the length bound.
#include "url/imap_url.hpp"

#include <doctest/doctest.h>

#include <string>

using namespace imapproto::detail::url;

namespace {

ImapUrl parse_ok(std::string_view text, UrlForm form = UrlForm::absolute, const ImapUrl* base = nullptr) {
    auto r = parse_imap_url(text, form, base);
    INFO(text, " -> ", r.error);
    REQUIRE(r.url.has_value());
    return *r.url;
}

std::string parse_error(std::string_view text, UrlForm form = UrlForm::absolute, const ImapUrl* base = nullptr) {
    auto r = parse_imap_url(text, form, base);
    INFO(text);
    CHECK_FALSE(r.url.has_value());
    return r.error;
}

} // namespace

TEST_CASE("RFC 5092 §9: a message with UIDVALIDITY and a partial range") {
    auto u = parse_ok("imap://minbari.example.org/gray-council;UIDVALIDITY=385759045/;UID=20/;PARTIAL=0.1024");
    CHECK(u.has_server);
    CHECK(u.user.empty());
    CHECK_FALSE(u.auth);
    CHECK(u.host == "minbari.example.org");
    CHECK_FALSE(u.port);
    CHECK(u.mailbox == "gray-council");
    CHECK(u.uidvalidity == 385759045u);
    CHECK(u.uid == 20u);
    CHECK_FALSE(u.section);
    REQUIRE(u.partial);
    CHECK(u.partial->offset == 0u);
    CHECK(u.partial->length == 1024u);
    CHECK(u.is_message_part());
    CHECK(format_imap_url(u) ==
          "imap://minbari.example.org/gray-council;UIDVALIDITY=385759045/;UID=20/;PARTIAL=0.1024");
}

TEST_CASE("RFC 5092 §9: a percent-encoded UTF-8 mailbox name") {
    auto u = parse_ok("imap://psicorp.example.org/~peter/%E6%97%A5%E6%9C%AC%E8%AA%9E/%E5%8F%B0%E5%8C%97");
    CHECK(u.mailbox == "~peter/\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E/\xE5\x8F\xB0\xE5\x8C\x97");
    CHECK_FALSE(u.uid);
    CHECK_FALSE(u.is_message_part());
    CHECK(format_imap_url(u) == "imap://psicorp.example.org/~peter/%E6%97%A5%E6%9C%AC%E8%AA%9E/%E5%8F%B0%E5%8C%97");
}

TEST_CASE("RFC 5092 §9: ;AUTH= without a user, lower-case keys, and a relative ;section=") {
    auto u = parse_ok("imap://;AUTH=GSSAPI@minbari.example.org/gray-council/;uid=20/;section=1.2");
    CHECK(u.user.empty());
    CHECK(u.auth == "GSSAPI");
    CHECK(u.mailbox == "gray-council");
    CHECK(u.uid == 20u);
    CHECK(u.section == "1.2");
    CHECK(format_imap_url(u) == "imap://;AUTH=GSSAPI@minbari.example.org/gray-council/;UID=20/;SECTION=1.2");

    // "<;section=1.4>" found in that body part.
    auto r = parse_ok(";section=1.4", UrlForm::any, &u);
    CHECK(r.host == "minbari.example.org");
    CHECK(r.mailbox == "gray-council");
    CHECK(r.uid == 20u);
    CHECK(r.section == "1.4");
}

TEST_CASE("RFC 5092 §9: search URLs, ;AUTH=* and a LITERAL+ literal in the search") {
    auto u = parse_ok("imap://;AUTH=*@minbari.example.org/gray%20council?SUBJECT%20shadows");
    CHECK(u.auth == "*");
    CHECK(u.mailbox == "gray council");
    CHECK(u.search == "SUBJECT shadows");
    CHECK_FALSE(u.is_message_part());
    CHECK(format_imap_url(u) == "imap://;AUTH=*@minbari.example.org/gray%20council?SUBJECT%20shadows");

    auto v = parse_ok("imap://john;AUTH=*@minbari.example.org/babylon5/personel?"
                      "charset%20UTF-8%20SUBJECT%20%7B14+%7D%0D%0A%D0%98%D0%B2%"
                      "D0%B0%D0%BD%D0%BE%D0%B2%D0%B0");
    CHECK(v.user == "john");
    CHECK(v.mailbox == "babylon5/personel");
    CHECK(v.search == "charset UTF-8 SUBJECT {14+}\r\n\xD0\x98\xD0\xB2\xD0\xB0\xD0\xBD\xD0\xBE\xD0\xB2\xD0\xB0");
}

TEST_CASE("RFC 5092: server-only URLs") {
    auto a = parse_ok("imap://minbari.example.org");
    CHECK(a.host == "minbari.example.org");
    CHECK_FALSE(a.mailbox);
    auto b = parse_ok("imap://minbari.example.org/");
    CHECK_FALSE(b.mailbox);
    CHECK(format_imap_url(b) == "imap://minbari.example.org/");
    auto c = parse_ok("IMAP://joe@[2001:db8::1]:993/INBOX/;UID=7");
    CHECK(c.host == "[2001:db8::1]");
    CHECK(c.port == 993);
    CHECK(c.user == "joe");
    CHECK(format_imap_url(c) == "imap://joe@[2001:db8::1]:993/INBOX/;UID=7");
}

TEST_CASE("RFC 4467: URLAUTH rump and full URLs") {
    const std::string rump = "imap://joe@example.com/INBOX/;uid=20/;section=1.2;urlauth=submit+fred";
    auto r = parse_ok(rump);
    REQUIRE(r.urlauth);
    CHECK(r.urlauth->access == "submit+fred");
    CHECK(r.urlauth->mechanism.empty());
    CHECK(r.urlauth->token.empty());
    CHECK(r.urlauth->rump == rump);

    auto f = parse_ok(rump + ":internal:91354a473744909de610943775f92038");
    REQUIRE(f.urlauth);
    CHECK(f.user == "joe");
    CHECK(f.mailbox == "INBOX");
    CHECK(f.uid == 20u);
    CHECK(f.section == "1.2");
    CHECK(f.urlauth->access == "submit+fred");
    CHECK(f.urlauth->mechanism == "INTERNAL");
    CHECK(f.urlauth->token == "91354a473744909de610943775f92038");
    // RFC 4467 §6: the rump is the text as written, no decoding or folding.
    CHECK(f.urlauth->rump == rump);
    CHECK(format_imap_url(f) == "imap://joe@example.com/INBOX/;UID=20/;SECTION=1.2;URLAUTH=submit+fred:INTERNAL:"
                                "91354a473744909de610943775f92038");

    // The second GENURLAUTH example: no owner (GENURLAUTH refuses it, the
    // grammar allows it).
    auto s = parse_ok("imap://example.com/Shared/;uid=20/;section=1.2;urlauth=submit+fred");
    CHECK(s.user.empty());
    CHECK(s.mailbox == "Shared");

    for (const char* access : {"anonymous", "AUTHUSER", "user+bob%40example.org"}) {
        auto a = parse_ok(std::string("imap://joe@h/INBOX/;UID=1;URLAUTH=") + access);
        REQUIRE(a.urlauth);
        if (std::string(access) == "AUTHUSER")
            CHECK(a.urlauth->access == "authuser");
        if (std::string(access).rfind("user+", 0) == 0)
            CHECK(a.urlauth->access == "user+bob@example.org");
    }
}

TEST_CASE("EXPIRE takes RFC 3339 date-times") {
    auto u = parse_ok("imap://joe@h/INBOX/;UID=1;EXPIRE=2004-12-11T16:57:05Z;URLAUTH=anonymous");
    CHECK(u.expire == 1102784225);
    CHECK(format_imap_url(u) == "imap://joe@h/INBOX/;UID=1;EXPIRE=2004-12-11T16:57:05Z;URLAUTH=anonymous");
    CHECK(parse_rfc3339("2004-12-11T16:57:05.123+01:00") == 1102780625);
    CHECK(parse_rfc3339("2004-12-11t16:57:05z") == 1102784225);
    CHECK(parse_rfc3339("2024-02-29T23:59:59Z") == 1709251199);
    CHECK_FALSE(parse_rfc3339("2023-02-29T00:00:00Z"));
    CHECK_FALSE(parse_rfc3339("2004-12-11T16:57:05"));
    CHECK_FALSE(parse_rfc3339("2004-13-11T16:57:05Z"));
    CHECK_FALSE(parse_rfc3339("2004-12-11 16:57:05Z"));
    CHECK_FALSE(parse_rfc3339("2004-12-11T16:57:05+0100"));
    CHECK_FALSE(parse_rfc3339("2004-12-11T16:57:05.Z"));
    CHECK_FALSE(parse_rfc3339(""));
    CHECK(parse_error("imap://joe@h/INBOX/;UID=1;EXPIRE=tomorrow;URLAUTH=anonymous") == "Invalid EXPIRE date-time");
    // EXPIRE goes before URLAUTH, never on a mailbox URL.
    CHECK(parse_error("imap://joe@h/INBOX;EXPIRE=2004-12-11T16:57:05Z") == "Misplaced ;EXPIRE=");
}

TEST_CASE("RFC 4469: CATENATE's relative URLs against imap://user@server/[mailbox]") {
    ImapUrl base;
    base.has_server = true;
    base.user = "alice";
    base.host = "mail.example.org";
    auto a = parse_ok("/Drafts;UIDVALIDITY=385759045/;UID=20/;section=HEADER", UrlForm::any, &base);
    CHECK(a.user == "alice");
    CHECK(a.host == "mail.example.org");
    CHECK(a.mailbox == "Drafts");
    CHECK(a.uidvalidity == 385759045u);
    CHECK(a.uid == 20u);
    CHECK(a.section == "HEADER");
    auto b = parse_ok("/Drafts;UIDVALIDITY=385759045/;UID=30", UrlForm::any, &base);
    CHECK(b.uid == 30u);
    CHECK_FALSE(b.section);
    auto c = parse_ok("/Drafts;UIDVALIDITY=385759045/;UID=20/;Section=2.MIME", UrlForm::any, &base);
    CHECK(c.section == "2.MIME");

    // Without a selected mailbox a ";UID=" URL has nothing to refer to.
    CHECK(parse_error(";UID=20", UrlForm::any, &base) == "Relative URL without a base message");
    base.mailbox = "Sent";
    auto d = parse_ok(";UID=20/;SECTION=1", UrlForm::any, &base);
    CHECK(d.mailbox == "Sent");
    CHECK(d.uid == 20u);
    CHECK(d.section == "1");
    auto e = parse_ok("INBOX/;UID=5", UrlForm::any, &base);
    CHECK(e.mailbox == "INBOX");
    auto f = parse_ok("//bob@other.example/INBOX/;UID=5", UrlForm::any, &base);
    CHECK(f.user == "bob");
    CHECK(f.host == "other.example");
    // Absolute URLs parse as well; relative ones need UrlForm::any and a base.
    CHECK(parse_ok("imap://alice@mail.example.org/INBOX/;UID=5", UrlForm::any, &base).uid == 5u);
    CHECK(parse_error("/INBOX/;UID=5") == "Not an absolute IMAP URL");
    CHECK(parse_error("/INBOX/;UID=5", UrlForm::any) == "Not an IMAP URL");
    CHECK(parse_error(";FOO=1", UrlForm::any, &base) == "Invalid relative URL");
    CHECK(parse_error("imap:/INBOX", UrlForm::any, &base) == "Invalid URL scheme");
    CHECK(parse_error("http://example.org/", UrlForm::any, &base) == "Invalid URL scheme");
}

TEST_CASE("Malformed URLs are refused with the reason") {
    CHECK(parse_error("") == "Empty URL");
    CHECK(parse_error("http://example.org/") == "Not an absolute IMAP URL");
    CHECK(parse_error("imap://") == "Missing host");
    CHECK(parse_error("imap://@host/INBOX") == "Empty user name");
    CHECK(parse_error("imap://joe;AUTH=@host/INBOX") == "Invalid ;AUTH= mechanism");
    CHECK(parse_error("imap://joe;FOO=x@host/INBOX") == "Invalid ;AUTH= in the user part");
    CHECK(parse_error("imap://host:/INBOX") == "Invalid port");
    CHECK(parse_error("imap://host:0/INBOX") == "Invalid port");
    CHECK(parse_error("imap://host:65536/INBOX") == "Invalid port");
    CHECK(parse_error("imap://host:99999999999/INBOX") == "Invalid port");
    CHECK(parse_error("imap://[::1/INBOX") == "Invalid IP literal");
    CHECK(parse_error("imap://ho\"st/INBOX") == "Invalid host");
    CHECK(parse_error("imap://host//INBOX") == "Invalid URL path");
    CHECK(parse_error("imap://host/;UID=1") == "Invalid URL path");
    CHECK(parse_error("imap://host/INBOX/;UID=0") == "Invalid UID");
    CHECK(parse_error("imap://host/INBOX/;UID=4294967296") == "Invalid UID");
    CHECK(parse_error("imap://host/INBOX/;UID=01") == "Invalid UID");
    CHECK(parse_error("imap://host/INBOX/;UID=-1") == "Invalid UID");
    CHECK(parse_error("imap://host/INBOX/;UID=") == "Empty URL parameter");
    CHECK(parse_error("imap://host/INBOX;UID=1") == "Misplaced ;UID=");
    CHECK(parse_error("imap://host/INBOX/;UIDVALIDITY=1") == "Misplaced ;UIDVALIDITY=");
    CHECK(parse_error("imap://host/INBOX/;UID=1;UIDVALIDITY=1") == "Misplaced ;UIDVALIDITY=");
    CHECK(parse_error("imap://host/INBOX/;SECTION=1") == "Misplaced ;SECTION=");
    CHECK(parse_error("imap://host/INBOX/;UID=1;SECTION=1") == "Misplaced ;SECTION=");
    CHECK(parse_error("imap://host/INBOX/;UID=1/;PARTIAL=1.0") == "Invalid PARTIAL range");
    CHECK(parse_error("imap://host/INBOX/;UID=1/;PARTIAL=x") == "Invalid PARTIAL range");
    CHECK(parse_error("imap://host/INBOX/;UID=1/;FOO=1") == "Unknown URL parameter");
    CHECK(parse_error("imap://host/INBOX/;UID=1/") == "Unexpected '/'");
    CHECK(parse_error("imap://host/INBOX/;UID=1//;SECTION=1") == "Invalid UID");
    CHECK(parse_error("imap://host/INBOX/;UID=1?ALL") == "Misplaced search");
    CHECK(parse_error("imap://host/INBOX/;UID") == "Missing '=' in URL parameter");
    CHECK(parse_error("imap://host/IN BOX") == "Invalid character in URL");
    CHECK(parse_error("imap://host/IN\x80" "BOX") == "Invalid character in URL");
    CHECK(parse_error("imap://host/IN%G0BOX") == "Invalid mailbox name");
    CHECK(parse_error("imap://host/INBOX%4") == "Invalid mailbox name");
    CHECK(parse_error("imap://host/IN%00BOX") == "Invalid mailbox name");
    CHECK(parse_error("imap://host/IN%0ABOX") == "Invalid mailbox name");
    CHECK(parse_error("imap://host/IN\"BOX") == "Invalid mailbox name");
    CHECK(parse_error("imap://host/INBOX/;UID=1/;SECTION=1%") == "Invalid SECTION");
    // URLAUTH: access identifiers, mechanisms, tokens, and nothing after it.
    const std::string m = "imap://joe@host/INBOX/;UID=1";
    CHECK(parse_error(m + ";URLAUTH=root") == "Invalid URLAUTH access identifier");
    CHECK(parse_error(m + ";URLAUTH=user+") == "Invalid URLAUTH access identifier");
    CHECK(parse_error(m + ";URLAUTH=anonymous:internal") == "Invalid URLAUTH: missing token");
    CHECK(parse_error(m + ";URLAUTH=anonymous::91354a473744909de610943775f92038") == "Invalid URLAUTH mechanism");
    CHECK(parse_error(m + ";URLAUTH=anonymous:in_ternal:91354a473744909de610943775f92038") ==
          "Invalid URLAUTH mechanism");
    CHECK(parse_error(m + ";URLAUTH=anonymous:internal:91354a47") == "Invalid URLAUTH token");
    CHECK(parse_error(m + ";URLAUTH=anonymous:internal:91354a473744909de610943775f9203x") == "Invalid URLAUTH token");
    CHECK(parse_error(m + ";URLAUTH=anonymous:internal:91354a473744909de610943775f92038;UID=2") ==
          "Invalid URLAUTH token");
    CHECK(parse_error("imap://joe@host/INBOX;URLAUTH=anonymous") == "Misplaced ;URLAUTH=");
}

TEST_CASE("Overlong URLs are refused before they are parsed") {
    std::string base = "imap://host/";
    std::string at_limit = base + std::string(kMaxUrlLength - base.size(), 'a');
    CHECK(parse_ok(at_limit).mailbox->size() == kMaxUrlLength - base.size());
    CHECK(parse_error(at_limit + "a") == "URL too long");
    // A huge number of parameters is just as bounded: one error, no state.
    std::string many = "imap://host/INBOX";
    while (many.size() < kMaxUrlLength)
        many += "/;UID=1";
    CHECK_FALSE(parse_imap_url(many).url);
}

TEST_CASE("Percent-encoding round trips through the formatter") {
    CHECK(percent_encode("gray council", Charset::bchar) == "gray%20council");
    CHECK(percent_encode("a/b:c@d;e?f#g%h", Charset::bchar) == "a/b:c@d%3Be%3Ff%23g%25h");
    CHECK(percent_encode("a/b:c@d", Charset::achar) == "a%2Fb%3Ac%40d");
    CHECK(percent_decode("gray%20council", Charset::bchar) == "gray council");
    CHECK(percent_decode("a%2fb", Charset::achar) == "a/b");
    CHECK_FALSE(percent_decode("a/b", Charset::achar));
    CHECK_FALSE(percent_decode("a%2", Charset::achar));
    ImapUrl u;
    u.has_server = true;
    u.user = "fred@example.org";
    u.host = "mail.example.org";
    u.mailbox = "Entw\xC3\xBC rfe;x?y";
    u.uid = 9;
    u.section = "1.HEADER.FIELDS (From)";
    const std::string text = format_imap_url(u);
    CHECK(text == "imap://fred%40example.org@mail.example.org/Entw%C3%BC%20rfe%3Bx%3Fy/;UID=9/"
                  ";SECTION=1.HEADER.FIELDS%20(From)");
    auto back = parse_ok(text);
    CHECK(back.user == u.user);
    CHECK(back.mailbox == u.mailbox);
    CHECK(back.uid == 9u);
    CHECK(back.section == u.section);
}
