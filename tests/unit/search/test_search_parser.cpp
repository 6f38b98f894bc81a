// Parsing SEARCH programs: every RFC 3501 §6.4.4 key, OLDER/YOUNGER,
// MODSEQ, "$", CHARSET conversion, and every error and bound.
#include "../test_support.hpp"

#include <mailstore/search.hpp>

#include <string>
#include <vector>

using namespace mailstore;
using namespace mailstore::search;

namespace {

const char* key_name(Key k) {
    switch (k) {
    case Key::all: return "ALL";
    case Key::and_: return "AND";
    case Key::or_: return "OR";
    case Key::not_: return "NOT";
    case Key::answered: return "ANSWERED";
    case Key::deleted: return "DELETED";
    case Key::draft: return "DRAFT";
    case Key::flagged: return "FLAGGED";
    case Key::seen: return "SEEN";
    case Key::recent: return "RECENT";
    case Key::new_: return "NEW";
    case Key::old: return "OLD";
    case Key::unanswered: return "UNANSWERED";
    case Key::undeleted: return "UNDELETED";
    case Key::undraft: return "UNDRAFT";
    case Key::unflagged: return "UNFLAGGED";
    case Key::unseen: return "UNSEEN";
    case Key::keyword: return "KEYWORD";
    case Key::unkeyword: return "UNKEYWORD";
    case Key::bcc: return "BCC";
    case Key::cc: return "CC";
    case Key::from: return "FROM";
    case Key::to: return "TO";
    case Key::subject: return "SUBJECT";
    case Key::header: return "HEADER";
    case Key::body: return "BODY";
    case Key::text: return "TEXT";
    case Key::before: return "BEFORE";
    case Key::on: return "ON";
    case Key::since: return "SINCE";
    case Key::sentbefore: return "SENTBEFORE";
    case Key::senton: return "SENTON";
    case Key::sentsince: return "SENTSINCE";
    case Key::larger: return "LARGER";
    case Key::smaller: return "SMALLER";
    case Key::sequence: return "SEQ";
    case Key::uid: return "UID";
    case Key::older: return "OLDER";
    case Key::younger: return "YOUNGER";
    case Key::modseq: return "MODSEQ";
    case Key::savedbefore: return "SAVEDBEFORE";
    case Key::savedon: return "SAVEDON";
    case Key::savedsince: return "SAVEDSINCE";
    case Key::savedatesupported: return "SAVEDATESUPPORTED";
    case Key::emailid: return "EMAILID";
    case Key::threadid: return "THREADID";
    case Key::uidafter: return "UIDAFTER";
    case Key::uidbefore: return "UIDBEFORE";
    }
    return "?";
}

// A compact rendering of a node: KEY, KEY[text], KEY[field|text], KEY=number,
// KEY@date, KEY{set}, KEY(children).
std::string show(const Node& n) {
    std::string out = key_name(n.key);
    switch (n.key) {
    case Key::and_:
    case Key::or_:
    case Key::not_: {
        out += '(';
        for (std::size_t i = 0; i < n.children.size(); ++i)
            out += (i ? " " : "") + show(n.children[i]);
        return out + ')';
    }
    case Key::header:
        return out + "[" + n.field + "|" + n.text + "]";
    case Key::keyword: case Key::unkeyword: case Key::bcc: case Key::cc: case Key::from: case Key::to:
    case Key::subject: case Key::body: case Key::text: case Key::emailid: case Key::threadid:
        return out + "[" + n.text + "]";
    case Key::before: case Key::on: case Key::since: case Key::sentbefore: case Key::senton: case Key::sentsince:
    case Key::savedbefore: case Key::savedon: case Key::savedsince:
        return out + "@" + std::to_string(n.date);
    case Key::larger: case Key::smaller: case Key::older: case Key::younger:
    case Key::uidafter: case Key::uidbefore:
        return out + "=" + std::to_string(n.number);
    case Key::modseq:
        return out + "=" + std::to_string(n.number) + (n.field.empty() ? "" : "[" + n.field + "]");
    case Key::sequence: case Key::uid:
        return out + "{" + n.set.to_string() + "}";
    default:
        return out;
    }
}

std::string parsed(std::string_view text) {
    auto p = parse(text);
    if (!p)
        return "error: " + p.status().message();
    return show(p->root);
}

Status error_of(std::string_view text) {
    auto p = parse(text);
    REQUIRE_MESSAGE(!p.is_ok(), text);
    return p.status();
}

} // namespace

TEST_CASE("every key without arguments, any case") {
    CHECK(parsed("ALL ANSWERED DELETED DRAFT FLAGGED NEW OLD RECENT SEEN") ==
          "AND(ALL ANSWERED DELETED DRAFT FLAGGED NEW OLD RECENT SEEN)");
    CHECK(parsed("UNANSWERED UNDELETED UNDRAFT UNFLAGGED UNSEEN") ==
          "AND(UNANSWERED UNDELETED UNDRAFT UNFLAGGED UNSEEN)");
    CHECK(parsed("all Seen unSEEN") == "AND(ALL SEEN UNSEEN)");
}

TEST_CASE("string keys: atoms and quoted strings, converted to UTF-8") {
    CHECK(parsed("BCC a CC b FROM c TO d SUBJECT e BODY f TEXT g") ==
          "AND(BCC[a] CC[b] FROM[c] TO[d] SUBJECT[e] BODY[f] TEXT[g])");
    CHECK(parsed(R"(SUBJECT "hello world" FROM "a \"q\" \\ b")") == R"(AND(SUBJECT[hello world] FROM[a "q" \ b]))");
    CHECK(parsed(R"(SUBJECT "")") == "AND(SUBJECT[])");
    CHECK(parsed("HEADER X-Spam yes HEADER Message-ID \"\"") == "AND(HEADER[X-Spam|yes] HEADER[Message-ID|])");
    CHECK(parsed("KEYWORD $Junk UNKEYWORD work") == "AND(KEYWORD[$Junk] UNKEYWORD[work])");
    CHECK(parsed("keyword \\Seen") == "AND(KEYWORD[\\Seen])");
    CHECK(parsed("SUBJECT caf\xc3\xa9") == "AND(SUBJECT[caf\xc3\xa9])");
}

TEST_CASE("which programs need the message") {
    for (std::string_view text : {"ALL", "SEEN UNSEEN", "LARGER 5", "UID 1:*", "1:3", "SINCE 1-Jan-2020",
                                  "OLDER 5", "MODSEQ 4", "KEYWORD x", "NOT OR NEW DELETED"}) {
        CAPTURE(text);
        auto p = parse(text);
        REQUIRE(p.is_ok());
        CHECK_FALSE(p->needs_message);
    }
    for (std::string_view text : {"SUBJECT x", "FROM x", "TO x", "CC x", "BCC x", "HEADER a b", "BODY x", "TEXT x",
                                  "SENTON 1-Jan-2020", "SENTBEFORE 1-Jan-2020", "SENTSINCE 1-Jan-2020",
                                  "SEEN NOT (OR DELETED SUBJECT x)"}) {
        CAPTURE(text);
        auto p = parse(text);
        REQUIRE(p.is_ok());
        CHECK(p->needs_message);
    }
}

TEST_CASE("dates: 1-Feb-1994, 01-Feb-1994, quoted, any month case") {
    // 1994-02-01 is day 8797 since 1970-01-01.
    CHECK(parsed("SINCE 1-Feb-1994") == "AND(SINCE@8797)");
    CHECK(parsed("ON 01-Feb-1994") == "AND(ON@8797)");
    CHECK(parsed("BEFORE \"1-feb-1994\"") == "AND(BEFORE@8797)");
    CHECK(parsed("SENTBEFORE 2-FEB-1994 SENTON 1-Jan-1970 SENTSINCE 31-Dec-1969") ==
          "AND(SENTBEFORE@8798 SENTON@0 SENTSINCE@-1)");
    for (std::string_view bad : {"SINCE 1-Foo-2000", "SINCE 32-Jan-2000", "SINCE 30-Feb-2000", "SINCE 0-Jan-2000",
                                 "SINCE 1-Jan-94", "SINCE 1-Jan-20000", "SINCE 001-Jan-2000", "SINCE 1/1/2000",
                                 "SINCE 1-Jan-2000x", "SINCE \"\"", "ON x"}) {
        CAPTURE(bad);
        CHECK(parsed(bad) == "error: Invalid date");
    }
    CHECK(parsed("SINCE") == "error: Missing argument for SINCE");
}

TEST_CASE("numbers: LARGER/SMALLER number64, OLDER/YOUNGER nz-number, MODSEQ") {
    CHECK(parsed("LARGER 0 SMALLER 9223372036854775807") == "AND(LARGER=0 SMALLER=9223372036854775807)");
    CHECK(parsed("LARGER 99999999999") == "AND(LARGER=99999999999)");
    for (std::string_view bad : {"LARGER 9223372036854775808", "LARGER -1", "LARGER x", "LARGER 1k", "LARGER \"5\"",
                                 "SMALLER 18446744073709551616", "LARGER +5"}) {
        CAPTURE(bad);
        CHECK(parsed(bad) == "error: Invalid size");
    }
    CHECK(parsed("OLDER 1 YOUNGER 4294967295") == "AND(OLDER=1 YOUNGER=4294967295)");
    for (std::string_view bad : {"OLDER 0", "YOUNGER 4294967296", "OLDER x", "OLDER -5"}) {
        CAPTURE(bad);
        CHECK(parsed(bad) == "error: Invalid interval");
    }
    // RFC 9738 §3.2: UIDAFTER/UIDBEFORE take a uniqueid (nz-number).
    CHECK(parsed("uidafter 1 UIDBEFORE 4294967295") == "AND(UIDAFTER=1 UIDBEFORE=4294967295)");
    for (std::string_view bad : {"UIDAFTER 0", "UIDBEFORE 4294967296", "UIDAFTER *", "UIDAFTER 1:2", "UIDBEFORE -1"}) {
        CAPTURE(bad);
        CHECK(parsed(bad) == "error: Invalid UID");
    }
    CHECK(parsed("MODSEQ 0") == "AND(MODSEQ=0)");
    CHECK(parsed("MODSEQ 9223372036854775807") == "AND(MODSEQ=9223372036854775807)");
    CHECK(parsed(R"(MODSEQ "/flags/\\Seen" all 620162338)") == R"(AND(MODSEQ=620162338[/flags/\Seen]))");
    CHECK(parsed(R"(MODSEQ "/flags/$x" PRIV 7 SEEN)") == "AND(MODSEQ=7[/flags/$x] SEEN)");
    CHECK(parsed("MODSEQ 9223372036854775808") == "error: Invalid modseq");
    CHECK(parsed("MODSEQ x") == "error: Invalid modseq");
    CHECK(parsed(R"(MODSEQ "/flags/x" bogus 5)") == "error: Invalid MODSEQ entry type");
    CHECK(parsed(R"(MODSEQ "/flags/x" all)") == "error: Missing argument for MODSEQ");
    CHECK(parsed("MODSEQ") == "error: Missing argument for MODSEQ");
}

TEST_CASE("sets: sequence sets as keys, UID, $") {
    CHECK(parsed("1:3,5 UID 7:*") == "AND(SEQ{1:3,5} UID{7:*})");
    CHECK(parsed("*") == "AND(SEQ{*})");
    auto p = parse("$");
    REQUIRE(p.is_ok());
    CHECK(show(p->root) == "AND(SEQ{$})");
    CHECK(p->uses_saved);
    auto q = parse("NOT (UID $)");
    REQUIRE(q.is_ok());
    CHECK(q->uses_saved);
    auto r = parse("UID 1:*");
    REQUIRE(r.is_ok());
    CHECK_FALSE(r->uses_saved);
    for (std::string_view bad : {"UID 0", "UID 1:", "UID x", "UID \"1\"", "1,,2", "0", "4294967296", "1:*,", "$1"}) {
        CAPTURE(bad);
        CHECK(parsed(bad) == "error: Invalid messageset");
    }
    CHECK(parsed("UID") == "error: Missing argument for UID");
}

TEST_CASE("NOT, OR and parenthesised lists nest") {
    CHECK(parsed("NOT SEEN") == "AND(NOT(SEEN))");
    CHECK(parsed("OR SEEN FLAGGED") == "AND(OR(SEEN FLAGGED))");
    CHECK(parsed("OR (SEEN FLAGGED) NOT OR DELETED DRAFT ANSWERED") ==
          "AND(OR(AND(SEEN FLAGGED) NOT(OR(DELETED DRAFT))) ANSWERED)");
    CHECK(parsed("((((ALL))))") == "AND(AND(AND(AND(AND(ALL)))))");
    CHECK(parsed("(SUBJECT x)(FROM y)") == "AND(AND(SUBJECT[x]) AND(FROM[y]))");
    CHECK(parsed("NOT") == "error: Missing argument for NOT");
    CHECK(parsed("OR SEEN") == "error: Missing argument for OR");
    CHECK(parsed("(NOT)") == "error: Missing argument for NOT");
    CHECK(parsed("(OR SEEN)") == "error: Missing argument for OR");
}

TEST_CASE("syntax errors name the problem") {
    CHECK(parsed("FOO") == "error: Unknown search key: FOO");
    CHECK(parsed("seen foo") == "error: Unknown search key: foo");
    CHECK(parsed("\"ALL\"") == "error: Unknown search key: ALL");
    CHECK(parsed("\\Seen") == "error: Unknown search key: \\Seen");
    for (std::string_view key : {"SUBJECT", "FROM", "TO", "CC", "BCC", "BODY", "TEXT", "KEYWORD", "UNKEYWORD",
                                 "LARGER", "SMALLER", "OLDER", "YOUNGER", "BEFORE", "ON", "SENTON"}) {
        CAPTURE(key);
        CHECK(parsed(key) == "error: Missing argument for " + std::string(key));
        CHECK(parsed("(" + std::string(key) + ")") == "error: Missing argument for " + std::string(key));
    }
    CHECK(parsed("HEADER") == "error: Missing argument for HEADER");
    CHECK(parsed("HEADER Subject") == "error: Missing argument for HEADER");
    CHECK(parsed("HEADER \"Sub ject\" x") == "error: Invalid header field name");
    CHECK(parsed("HEADER Subject: x") == "error: Invalid header field name");
    CHECK(parsed("KEYWORD \"a b\"") == "error: Invalid keyword");
    CHECK(parsed("KEYWORD \"\"") == "error: Invalid keyword");
    CHECK(parsed("SUBJECT (x)") == "error: Missing argument for SUBJECT");
    CHECK(parsed("(ALL") == "error: Unbalanced parentheses");
    CHECK(parsed("ALL)") == "error: Unbalanced parentheses");
    CHECK(parsed(")") == "error: Unbalanced parentheses");
    CHECK(parsed("((ALL)") == "error: Unbalanced parentheses");
    CHECK(parsed("()") == "error: No search parameters inside list");
    CHECK(parsed("") == "error: Missing search parameters");
    CHECK(parsed("   ") == "error: Missing search parameters");
    CHECK(parsed("CHARSET UTF-8") == "error: Missing search parameters");
    CHECK(parsed("SUBJECT \"abc") == "error: Invalid quoted string");
    CHECK(parsed("SUBJECT \"a\\bc\"") == "error: Invalid quoted string");
    CHECK(parsed("SUBJECT \"a\\") == "error: Invalid quoted string");
    CHECK(parsed("SUBJECT a\rb") == "error: Invalid characters in search text");
    CHECK(parsed(std::string_view("SUBJECT a\0b", 11)) == "error: Invalid characters in search text");
    CHECK(parsed("SUBJECT \"a\nb\"") == "error: Invalid quoted string");
    // Every error is invalid_argument (a BAD reply) except an unknown charset.
    CHECK(error_of("FOO").code() == Status::Code::invalid_argument);
    CHECK(error_of("(").code() == Status::Code::invalid_argument);
}

TEST_CASE("CHARSET: UTF-8, US-ASCII and 8-bit charsets; invalid bytes; unknown names") {
    auto p = parse("CHARSET ISO-8859-1 SUBJECT caf\xe9");
    REQUIRE(p.is_ok());
    CHECK(p->charset == "ISO-8859-1");
    CHECK(show(p->root) == "AND(SUBJECT[caf\xc3\xa9])");
    CHECK(parsed("charset utf-8 SUBJECT caf\xc3\xa9") == "AND(SUBJECT[caf\xc3\xa9])");
    CHECK(parsed("CHARSET US-ASCII SUBJECT abc") == "AND(SUBJECT[abc])");
    CHECK(parsed("CHARSET \"KOI8-R\" FROM \xf0\xd2\xc9\xd7\xc5\xd4") ==
          "AND(FROM[\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82])"); // "Привет"
    CHECK(parsed("CHARSET windows-1251 BODY \xcf") == "AND(BODY[\xd0\x9f])");
    CHECK(parsed("CHARSET ISO-8859-2 HEADER X-A \xb1") == "AND(HEADER[X-A|\xc4\x85])");
    CHECK(parsed("CHARSET ISO-8859-15 TEXT \xa4") == "AND(TEXT[\xe2\x82\xac])");
    // Keywords, field names and sets are not converted.
    CHECK(parsed("CHARSET ISO-8859-1 KEYWORD abc") == "AND(KEYWORD[abc])");

    // Bytes that are not valid in the charset: BAD.
    CHECK(parsed("SUBJECT \xff") == "error: Invalid search string for the charset UTF-8");
    CHECK(parsed("SUBJECT caf\xe9") == "error: Invalid search string for the charset UTF-8");
    CHECK(parsed("CHARSET UTF-8 SUBJECT \xc3") == "error: Invalid search string for the charset UTF-8");
    CHECK(parsed("CHARSET US-ASCII SUBJECT caf\xe9") == "error: Invalid search string for the charset US-ASCII");
    CHECK(parsed("CHARSET US-ASCII SUBJECT caf\xc3\xa9") ==
          "error: Invalid search string for the charset US-ASCII");
    CHECK(parsed("CHARSET Shift_JIS SUBJECT \x81") == "error: Invalid search string for the charset Shift_JIS");
    CHECK(parsed("CHARSET EUC-KR SUBJECT a\xb0") == "error: Invalid search string for the charset EUC-KR");
    CHECK(error_of("SUBJECT \xff").code() == Status::Code::invalid_argument);

    // Unknown charset: not_supported, the message is the name (NO [BADCHARSET]).
    auto bad = parse("CHARSET X-NOPE SUBJECT x");
    REQUIRE_FALSE(bad.is_ok());
    CHECK(bad.status().code() == Status::Code::not_supported);
    CHECK(bad.status().message() == "X-NOPE");
    CHECK(parsed("CHARSET") == "error: Invalid charset argument");
    CHECK(parsed("CHARSET (ALL)") == "error: Invalid charset argument");
    // CHARSET only leads the program.
    CHECK(parsed("ALL CHARSET UTF-8") == "error: Unknown search key: CHARSET");
}

TEST_CASE("parse(tokens): strings and atoms as an IMAP parser hands them; allow_charset") {
    using K = Token::Kind;
    std::vector<Token> tokens = {{K::atom, "CHARSET"}, {K::string, "ISO-8859-1"}, {K::atom, "OR"},
                                 {K::list_begin, ""},  {K::atom, "SUBJECT"},       {K::string, "a (b) \"c\""},
                                 {K::list_end, ""},    {K::atom, "TEXT"},          {K::string, "\xe9t\xe9"}};
    auto p = parse(tokens);
    REQUIRE(p.is_ok());
    CHECK(p->charset == "ISO-8859-1");
    CHECK(show(p->root) == "AND(OR(AND(SUBJECT[a (b) \"c\"]) TEXT[\xc3\xa9t\xc3\xa9]))");
    auto no_charset = parse(tokens, false);
    REQUIRE_FALSE(no_charset.is_ok());
    CHECK(no_charset.status().message() == "Unknown search key: CHARSET");
    // A string may hold any byte but must be valid in the charset.
    std::vector<Token> nul = {{K::atom, "BODY"}, {K::string, std::string("a\0b", 3)}};
    auto q = parse(nul);
    REQUIRE(q.is_ok());
    CHECK(q->root.children[0].text == std::string("a\0b", 3));
}

TEST_CASE("supported_charsets lists UTF-8 first and only charsets that are accepted") {
    auto list = supported_charsets();
    REQUIRE(list.size() >= 10);
    CHECK(list[0] == "UTF-8");
    CHECK(list[1] == "US-ASCII");
    for (const auto& name : list) {
        CAPTURE(name);
        CHECK(parse("CHARSET " + name + " SUBJECT a").is_ok());
    }
}

TEST_CASE("bounds: 64 nesting levels, 10,000 keys") {
    std::string ok_nest = std::string(63, '(') + "ALL" + std::string(63, ')');
    CHECK(parse(ok_nest).is_ok());
    std::string deep = std::string(64, '(') + "ALL" + std::string(64, ')');
    CHECK(parsed(deep) == "error: Too deeply nested");
    std::string nots;
    for (int i = 0; i < 63; ++i)
        nots += "NOT ";
    CHECK(parse(nots + "ALL").is_ok());
    CHECK(parsed("NOT " + nots + "ALL") == "error: Too deeply nested");
    // An endless nesting is refused before it costs stack.
    CHECK(parsed(std::string(10000, '(')) == "error: Too deeply nested");

    std::string many;
    for (int i = 0; i < 10000; ++i)
        many += "SEEN ";
    CHECK(parse(many).is_ok());
    CHECK(parsed(many + "SEEN") == "error: Too many search keys");
    std::string many_tokens;
    for (int i = 0; i < 60000; ++i)
        many_tokens += "( ";
    CHECK(parsed(many_tokens) == "error: Too many search keys");
}

TEST_CASE("SAVEDATE keys (RFC 8514 §4): SAVEDBEFORE/SAVEDON/SAVEDSINCE take a date, SAVEDATESUPPORTED nothing") {
    CHECK(parsed("SAVEDBEFORE 2-Feb-1994 savedon 1-Jan-1970 SAVEDSINCE \"31-Dec-1969\" SAVEDATESUPPORTED") ==
          "AND(SAVEDBEFORE@8798 SAVEDON@0 SAVEDSINCE@-1 SAVEDATESUPPORTED)");
    CHECK(parsed("NOT SAVEDATESUPPORTED") == "AND(NOT(SAVEDATESUPPORTED))");
    CHECK(error_of("SAVEDON 32-Jan-2020").message() == "Invalid date");
    CHECK(error_of("SAVEDSINCE").message().find("SAVEDSINCE") != std::string::npos);
    // Answered from the index: no message is opened.
    auto p = parse("SAVEDON 1-Jan-2020 SAVEDATESUPPORTED");
    REQUIRE(p.is_ok());
    CHECK_FALSE(p->needs_message);
}

TEST_CASE("OBJECTID keys (RFC 8474 §6): EMAILID and THREADID take one objectid atom") {
    CHECK(parsed("EMAILID M6d99ac3275bb4e threadid T64b478a75b7ea9") ==
          "AND(EMAILID[M6d99ac3275bb4e] THREADID[T64b478a75b7ea9])");
    CHECK(parsed("OR EMAILID a_b-C THREADID 9") == "AND(OR(EMAILID[a_b-C] THREADID[9]))");
    // objectid = 1*255(ALPHA / DIGIT / "_" / "-"): anything else is a BAD.
    CHECK(error_of("EMAILID M.1").message() == "Invalid objectid for EMAILID");
    CHECK(error_of("THREADID \"T1\"").message() == "Invalid objectid for THREADID");
    CHECK(error_of("EMAILID " + std::string(256, 'a')).message() == "Invalid objectid for EMAILID");
    CHECK(parsed("EMAILID " + std::string(255, 'a')) ==
          "AND(EMAILID[" + std::string(255, 'a') + "])");
    CHECK(error_of("EMAILID").message() == "Missing argument for EMAILID");
    CHECK(error_of("THREADID ()").code() == Status::Code::invalid_argument);
    // EMAILID comes from the GUID; THREADID may need the header.
    auto email = parse("EMAILID M1");
    REQUIRE(email.is_ok());
    CHECK_FALSE(email->needs_message);
    auto thread = parse("THREADID T1");
    REQUIRE(thread.is_ok());
    CHECK(thread->needs_message);
}
