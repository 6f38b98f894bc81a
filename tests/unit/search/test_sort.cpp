// SORT orderings (RFC 5256 §3, RFC 5957 §3) over real Maildirs: every key,
// missing headers, RFC 2047 subjects and names, Re:/Fwd: subjects, equal
// keys in sequence order, REVERSE on each key, i;unicode-casemap order,
// dates with time zones and unparseable dates, the criteria parser, the
// index cache of the keys, and messages whose files are gone.
#include "search_fixture.hpp"

#include <mailstore/mime/date.hpp>
#include <mailstore/sort.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>

using namespace search_test;
namespace search = mailstore::search;
namespace fs = std::filesystem;

namespace {

std::int64_t utc(std::string_view internaldate) {
    auto dt = mime::parse_internaldate(internaldate);
    REQUIRE_MESSAGE(dt.has_value(), internaldate);
    return dt->utc;
}

std::vector<Seq> all_seqs(SearchFixture& f) {
    std::vector<Seq> seqs;
    for (Seq s = 1; s <= f.view().count(); ++s)
        seqs.push_back(s);
    return seqs;
}

// The whole mailbox sorted by `criteria` ("REVERSE DATE SUBJECT"), as
// "3 1 2", or "error: ...".
std::string sorted(SearchFixture& f, std::string_view criteria) {
    auto parsed = search::parse_sort_criteria(criteria);
    if (!parsed)
        return "parse error: " + parsed.status().message();
    auto result = search::sort(*f.box, all_seqs(f), *parsed);
    if (!result)
        return "error: " + result.status().message();
    std::string out;
    for (auto seq : *result)
        out += (out.empty() ? "" : " ") + std::to_string(seq);
    return out;
}

std::string parse_error(std::string_view text) {
    auto parsed = search::parse_sort_criteria(text);
    return parsed ? std::string("ok") : parsed.status().message();
}

std::string msg(std::string_view headers) { return std::string(headers) + "\r\nbody\r\n"; }

// The file of the message with sequence number `seq` in cur/ or new/.
fs::path file_of(SearchFixture& f, Seq seq) {
    auto guid = f.box->message(seq).guid();
    REQUIRE(guid.is_ok());
    for (const char* sub : {"cur", "new"})
        for (const auto& e : fs::directory_iterator(fs::path(f.dir.str()) / "Maildir" / sub))
            if (e.path().filename().string().rfind(*guid, 0) == 0)
                return e.path();
    FAIL("no file for message " << seq);
    return {};
}

} // namespace

TEST_CASE("sort criteria: every key, any case, REVERSE as Dovecot reads it") {
    auto parsed = search::parse_sort_criteria("(arrival Cc DATE from REVERSE size Subject to displayfrom REVERSE DISPLAYTO)");
    REQUIRE(parsed.is_ok());
    std::vector<search::SortCriterion> want{
        {search::SortKey::arrival, false},      {search::SortKey::cc, false},
        {search::SortKey::date, false},         {search::SortKey::from, false},
        {search::SortKey::size, true},          {search::SortKey::subject, false},
        {search::SortKey::to, false},           {search::SortKey::display_from, false},
        {search::SortKey::display_to, true},
    };
    CHECK(*parsed == want);
    // REVERSE REVERSE cancels out (Dovecot accepts it; RFC 5256 §5 has one).
    auto twice = search::parse_sort_criteria("REVERSE REVERSE DATE");
    REQUIRE(twice.is_ok());
    CHECK(*twice == std::vector<search::SortCriterion>{{search::SortKey::date, false}});
    CHECK(search::sort_key_name(search::SortKey::display_from) == "DISPLAYFROM");

    // From tokens: strings count like atoms (Dovecot takes ("DATE")).
    std::vector<search::Token> tokens{{search::Token::Kind::string, "reverse"}, {search::Token::Kind::atom, "Date"}};
    auto from_tokens = search::parse_sort_criteria(tokens);
    REQUIRE(from_tokens.is_ok());
    CHECK(*from_tokens == std::vector<search::SortCriterion>{{search::SortKey::date, true}});
}

TEST_CASE("sort criteria: errors in Dovecot's words") {
    CHECK(parse_error("") == "Empty sort program");
    CHECK(parse_error("()") == "Empty sort program");
    CHECK(parse_error("FOO") == "Unknown sort argument: FOO");
    CHECK(parse_error("DATE BODY") == "Unknown sort argument: BODY");
    CHECK(parse_error("REVERSE") == "Sort list ends with REVERSE");
    CHECK(parse_error("DATE REVERSE") == "Sort list ends with REVERSE");
    CHECK(parse_error("(DATE") == "Invalid sort list argument");
    std::string many;
    for (std::size_t i = 0; i <= search::max_sort_criteria; ++i)
        many += "DATE ";
    CHECK(parse_error(many) == "Too many sort criteria");
    CHECK(parse_error(std::string(1000, 'X')) == "Unknown sort argument: " + std::string(64, 'X'));

    std::vector<search::Token> nested{{search::Token::Kind::list_begin, ""}, {search::Token::Kind::atom, "DATE"},
                                      {search::Token::Kind::list_end, ""}};
    auto parsed = search::parse_sort_criteria(nested);
    REQUIRE_FALSE(parsed.is_ok());
    CHECK(parsed.status().code() == Status::Code::invalid_argument);
    CHECK(parsed.status().message() == "Invalid sort list argument");
    std::vector<search::Token> empty;
    CHECK(search::parse_sort_criteria(empty).status().message() == "Empty sort program");
}

TEST_CASE("ARRIVAL: the internal date and time; equal dates in sequence order; REVERSE keeps them so") {
    SearchFixture f;
    f.add(msg("Subject: a\r\n"), 0, {}, utc("02-Jan-2024 10:00:00 +0000"));
    f.add(msg("Subject: b\r\n"), 0, {}, utc("01-Jan-2024 10:00:01 +0000"));
    f.add(msg("Subject: c\r\n"), 0, {}, utc("01-Jan-2024 10:00:00 +0000"));
    f.add(msg("Subject: d\r\n"), 0, {}, utc("01-Jan-2024 10:00:01 +0000"));
    CHECK(sorted(f, "ARRIVAL") == "3 2 4 1");
    // RFC 5256 §3: REVERSE does not reverse the implicit sequence order.
    CHECK(sorted(f, "REVERSE ARRIVAL") == "1 2 4 3");
}

TEST_CASE("DATE: the sent date in UTC, the internal date when the Date field is missing or unparseable") {
    SearchFixture f;
    // 10:00 +0200 is 08:00 UTC: before 09:00 +0000.
    f.add(msg("Date: Mon, 1 Jan 2024 09:00:00 +0000\r\n"), 0, {}, utc("01-Jan-2020 00:00:00 +0000"));
    f.add(msg("Date: Mon, 1 Jan 2024 10:00:00 +0200\r\n"), 0, {}, utc("01-Jan-2030 00:00:00 +0000"));
    // No Date: the internal date 08:30 UTC.
    f.add(msg("Subject: no date\r\n"), 0, {}, utc("01-Jan-2024 08:30:00 +0000"));
    // Unparseable: the internal date, 07:00 UTC.
    f.add(msg("Date: yesterday, around noon\r\n"), 0, {}, utc("01-Jan-2024 07:00:00 +0000"));
    // -0500: 04:00 local is 09:00 UTC, equal to message 1.
    f.add(msg("Date: Mon, 1 Jan 2024 04:00:00 -0500\r\n"), 0, {}, utc("01-Jan-2000 00:00:00 +0000"));
    // Obsolete zone name: 01:00 PST is 09:00 UTC too.
    f.add(msg("Date: 1 Jan 2024 01:00:00 PST\r\n"), 0, {}, utc("01-Jan-2000 00:00:00 +0000"));
    CHECK(sorted(f, "DATE") == "4 2 3 1 5 6");
    CHECK(sorted(f, "REVERSE DATE") == "1 5 6 3 2 4");
    // The sent date is not the arrival.
    CHECK(sorted(f, "ARRIVAL") == "5 6 1 4 3 2");
}

TEST_CASE("SIZE: RFC822.SIZE (CRLF line ends), equal sizes in sequence order") {
    SearchFixture f;
    f.add("Subject: x\n\nlonger body here\n");           // LF: counted with CRLF
    f.add("Subject: x\r\n\r\nb\r\n");
    f.add("Subject: y\r\n\r\nb\r\n");
    f.add("Subject: x\r\n\r\nlonger body he\r\n");
    auto size = [&](Seq s) { return *f.box->message(s).virtual_size(); };
    // 1 is 29 octets as stored and 32 with CRLF; 4 is 30 either way.
    REQUIRE(size(1) == 32);
    REQUIRE(size(4) == 30);
    CHECK(sorted(f, "SIZE") == "2 3 4 1");
    CHECK(sorted(f, "REVERSE SIZE") == "1 4 2 3");
}

TEST_CASE("SUBJECT: the base subject (Re:, Fwd:, [tags], (fwd), encoded words), case-insensitive") {
    SearchFixture f;
    f.add(msg("Subject: Re: banana\r\n"));                     // banana
    f.add(msg("Subject: =?utf-8?q?Apple?=\r\n"));              // apple
    f.add(msg("Subject: [list] Fwd: re: APPLE (fwd)\r\n"));    // apple
    f.add(msg("Subject: cherry\r\n"));                         // cherry
    f.add(msg("From: a@b\r\n"));                               // missing: "" first
    f.add(msg("Subject: [Fwd: Banana]\r\n"));                  // banana
    f.add(msg("Subject: \r\n"));                               // empty
    CHECK(sorted(f, "SUBJECT") == "5 7 2 3 1 6 4");
    CHECK(sorted(f, "REVERSE SUBJECT") == "4 1 6 2 3 5 7");
}

TEST_CASE("SUBJECT: i;unicode-casemap order for non-ASCII text (RFC 5051 titlecase + NFKD)") {
    SearchFixture f;
    f.add(msg("Subject: =?iso-8859-1?q?=E9t=E9?=\r\n"));  // été: E + U+0301 ...
    f.add(msg("Subject: Etz\r\n"));                       // ETZ
    f.add(msg("Subject: =?utf-8?b?w4l0w6k=?=\r\n"));      // Été: equal to été
    f.add(msg("Subject: ZEBRA\r\n"));
    f.add(msg("Subject: \xc3\xa6on\r\n"));                // æon: Æ (U+00C6) sorts after Z in octets
    f.add(msg("Subject: \xef\xac\x81sh\r\n"));            // ﬁsh: NFKD "fi"
    f.add(msg("Subject: FISH\r\n"));
    // casemap: "E\xcc\x81T..." > "ETZ" since 0xCC > 'T'; ﬁsh -> "fiSH"
    // (no titlecase, decomposed to lower-case "fi"): 'f' > 'Z'.
    CHECK(sorted(f, "SUBJECT") == "2 1 3 7 4 6 5");
}

TEST_CASE("FROM, TO, CC: the local part of the first address; missing first; REVERSE") {
    SearchFixture f;
    f.add(msg("From: Zed <bob@zzz.example>\r\nTo: x@y, a@b\r\nCc: carol@a\r\n"));
    f.add(msg("From: \"Bob\" <ALICE@example.org>\r\nTo: =?utf-8?q?Z=C3=BC?= <yy@b>\r\n"));
    f.add(msg("To: undisclosed-recipients:;\r\nCc: Bob <bob@c>\r\n"));
    f.add(msg("From: carol@example.com, alice@example.com\r\nTo: x@z\r\nCc: alice@q\r\n"));
    CHECK(sorted(f, "FROM") == "3 2 1 4");
    CHECK(sorted(f, "REVERSE FROM") == "4 1 2 3");
    // TO: x, yy, the group name, x.
    CHECK(sorted(f, "TO") == "3 1 4 2");
    CHECK(sorted(f, "CC") == "2 4 3 1");
    CHECK(sorted(f, "REVERSE CC") == "1 3 4 2");
    // 1 and 4 tie on TO (x): FROM decides (bob before carol).
    CHECK(sorted(f, "TO FROM") == "3 1 4 2");
}

TEST_CASE("DISPLAYFROM, DISPLAYTO: display name, else the addr-spec (RFC 5957 §3)") {
    SearchFixture f;
    f.add(msg("From: Zed <alice@example.org>\r\nTo: bob@x\r\n"));
    f.add(msg("From: zebra@example.org\r\nTo: \"Anna\" <zz@x>\r\n"));
    f.add(msg("From: =?utf-8?q?=C3=89mile?= <a@b>\r\n"));
    f.add(msg("From: \"ann\" <zzz@example.org>\r\nTo: Carl <aaa@x>\r\n"));
    // ann, Zebra@.., Zed, Émile (E + U+0301 > "Z"? no: 'E' < 'Z').
    CHECK(sorted(f, "DISPLAYFROM") == "4 3 2 1");
    CHECK(sorted(f, "REVERSE DISPLAYFROM") == "1 2 3 4");
    CHECK(sorted(f, "FROM") == "3 1 2 4");
    // TO missing on 3: first; then Anna, bob@x, Carl.
    CHECK(sorted(f, "DISPLAYTO") == "3 2 1 4");
    CHECK(sorted(f, "REVERSE DISPLAYTO") == "4 1 2 3");
}

TEST_CASE("several criteria in priority order; the result does not depend on the order of the input") {
    SearchFixture f;
    f.add(msg("Subject: b\r\nDate: Mon, 1 Jan 2024 10:00:00 +0000\r\n"));
    f.add(msg("Subject: a\r\nDate: Mon, 1 Jan 2024 11:00:00 +0000\r\n"));
    f.add(msg("Subject: Re: b\r\nDate: Mon, 1 Jan 2024 09:00:00 +0000\r\n"));
    f.add(msg("Subject: a\r\nDate: Mon, 1 Jan 2024 08:00:00 +0000\r\n"));
    f.add(msg("Subject: a\r\nDate: Mon, 1 Jan 2024 08:00:00 +0000\r\n"));
    CHECK(sorted(f, "SUBJECT DATE") == "4 5 2 3 1");
    CHECK(sorted(f, "SUBJECT REVERSE DATE") == "2 4 5 1 3");
    CHECK(sorted(f, "REVERSE SUBJECT REVERSE DATE") == "1 3 2 4 5");

    auto criteria = search::parse_sort_criteria("SUBJECT DATE");
    REQUIRE(criteria.is_ok());
    auto shuffled = search::sort(*f.box, {5, 3, 1, 4, 2}, *criteria);
    REQUIRE(shuffled.is_ok());
    CHECK(*shuffled == std::vector<Seq>{4, 5, 2, 3, 1});
    // A subset.
    auto some = search::sort(*f.box, {1, 2, 3}, *criteria);
    REQUIRE(some.is_ok());
    CHECK(*some == std::vector<Seq>{2, 3, 1});
    auto none = search::sort(*f.box, {}, *criteria);
    REQUIRE(none.is_ok());
    CHECK(none->empty());
}

TEST_CASE("Sorter in slices gives what sort() gives") {
    SearchFixture f;
    for (int i = 0; i < 25; ++i)
        f.add(msg("Subject: s" + std::to_string((i * 7) % 10) + "\r\nFrom: u" + std::to_string(i % 3) + "@x\r\n"));
    auto criteria = search::parse_sort_criteria("FROM REVERSE SUBJECT");
    REQUIRE(criteria.is_ok());
    auto whole = search::sort(*f.box, all_seqs(f), *criteria);
    REQUIRE(whole.is_ok());
    search::Sorter sorter(*criteria, all_seqs(f));
    CHECK(sorter.needs_header());
    int steps = 0;
    for (;;) {
        auto done = sorter.load(*f.box, 4);
        REQUIRE(done.is_ok());
        ++steps;
        if (*done)
            break;
    }
    CHECK(steps == 7);
    CHECK(sorter.finish() == *whole);
    CHECK(search::Sorter({{search::SortKey::size, false}, {search::SortKey::arrival, true}}, {}).needs_header() == false);
}

TEST_CASE("the header keys are kept in the index cache: a second sort does not read the files") {
    SearchFixture f;
    f.add(msg("Subject: b\r\nFrom: x@y\r\nDate: Mon, 1 Jan 2024 10:00:00 +0000\r\n"));
    f.add(msg("Subject: a\r\nFrom: y@y\r\nDate: Mon, 1 Jan 2024 11:00:00 +0000\r\n"));
    f.add(msg("Subject: c\r\nFrom: z@y\r\n"), 0, {}, utc("01-Jan-2024 09:00:00 +0000"));
    CHECK(sorted(f, "SUBJECT") == "2 1 3");
    CHECK(sorted(f, "DATE") == "3 1 2");
    CHECK(sorted(f, "REVERSE FROM") == "3 2 1");
    f.sync(); // writes the cache entries into the index
    f.reopen();
    CHECK(f.box->message(2).cached("sort.subject") == std::optional<std::string>("A"));
    CHECK(f.box->message(1).cached("sort.date") == std::optional<std::string>(std::to_string(utc("01-Jan-2024 10:00:00 +0000"))));
    // No Date: "" (the internal date is read from the index each time).
    CHECK(f.box->message(3).cached("sort.date") == std::optional<std::string>(""));
    CHECK(f.box->message(3).cached("sort.from") == std::optional<std::string>("Z"));
    CHECK_FALSE(f.box->message(1).cached("sort.displayfrom").has_value());

    // Rewrite the files (same size) behind the index's back: the cached
    // keys still decide, proof that the files were not read.
    for (Seq s = 1; s <= 3; ++s) {
        auto path = file_of(f, s);
        std::string data;
        {
            std::ifstream in(path, std::ios::binary);
            data.assign(std::istreambuf_iterator<char>(in), {});
        }
        auto at = data.find("Subject: ");
        REQUIRE(at != std::string::npos);
        data[at + 9] = static_cast<char>('c' - (s - 1)); // c, b, a: reversed
        std::ofstream(path, std::ios::binary | std::ios::trunc) << data;
    }
    CHECK(sorted(f, "SUBJECT") == "2 1 3");
    // Keys not cached yet are read from the (rewritten) files.
    CHECK(sorted(f, "DISPLAYFROM") == "1 2 3");
    CHECK(f.box->message(1).cached("sort.displayfrom") == std::optional<std::string>("X@Y"));
}

TEST_CASE("a message whose file is gone sorts with empty header keys, without an error") {
    SearchFixture f;
    f.add(msg("Subject: b\r\nDate: Mon, 1 Jan 2024 10:00:00 +0000\r\n"), 0, {}, utc("01-Jan-2024 12:00:00 +0000"));
    f.add(msg("Subject: a\r\nDate: Mon, 1 Jan 2024 11:00:00 +0000\r\n"), 0, {}, utc("01-Jan-2024 12:00:00 +0000"));
    f.add(msg("Subject: c\r\nDate: Mon, 1 Jan 2024 10:30:00 +0000\r\n"), 0, {}, utc("01-Jan-2024 09:00:00 +0000"));
    fs::remove(file_of(f, 3));
    CHECK(sorted(f, "SUBJECT") == "3 2 1");
    // DATE falls back to the internal date from the index.
    CHECK(sorted(f, "DATE") == "3 1 2");
    // The sizes are in the index: all three are equal.
    CHECK(sorted(f, "SIZE") == "1 2 3");
    // Nothing was cached for it: a later sort tries again.
    CHECK_FALSE(f.box->message(3).cached("sort.subject").has_value());
}

TEST_CASE("a huge subject is compared on its first 1000 octets") {
    SearchFixture f;
    std::string a(3000, 'a');
    f.add(msg("Subject: " + a + "z\r\n"));
    f.add(msg("Subject: " + a + "b\r\n"));
    f.add(msg("Subject: " + std::string(999, 'a') + "b\r\n"));
    // 1 and 2 agree in the first 1000 octets: sequence order.
    CHECK(sorted(f, "SUBJECT") == "1 2 3");
    CHECK(sorted(f, "REVERSE SUBJECT") == "3 1 2");
}

TEST_CASE("one sort of more messages than a Mailbox keeps pending leaves every key cached") {
    SearchFixture f;
    // Files written straight into cur/ (saving 10,500 messages one by one
    // through the API would take long): the sync finds them.
    constexpr int n = 10500;
    fs::path cur = fs::path(f.dir.str()) / "Maildir" / "cur";
    for (int i = 0; i < n; ++i)
        std::ofstream(cur / ("17000" + std::to_string(10000 + i) + ".M" + std::to_string(i) + "P1.test:2,"),
                      std::ios::binary)
            << "Subject: " << (n - i) % 97 << "\r\nDate: Mon, 1 Jan 2024 10:00:00 +0000\r\n\r\nx\r\n";
    f.sync();
    REQUIRE(f.view().count() == n);
    auto criteria = search::parse_sort_criteria("DATE");
    REQUIRE(criteria.is_ok());
    auto result = search::sort(*f.box, all_seqs(f), *criteria);
    REQUIRE(result.is_ok());
    CHECK(*result == all_seqs(f)); // equal dates: sequence order
    f.reopen();
    int cached = 0;
    for (Seq s = 1; s <= n; ++s)
        cached += f.box->message(s).cached("sort.date").has_value() ? 1 : 0;
    CHECK(cached == n);
}

TEST_CASE("DISPLAYFROM of a group: the group name as written, encoded words and all (Dovecot's key)") {
    SearchFixture f;
    f.add(msg("From: Anna <zz@example.org>\r\n"));
    f.add(msg("From: =?UTF-8?Q?Gr=C3=BCppe?=: a@example.org, b@example.org;\r\n"));
    f.add(msg("From: Friends: c@example.org;\r\n"));
    f.add(msg("From: =?UTF-8?Q?=C3=89mile?= <e@example.org>\r\n"));
    // "=?UTF-8?Q?GR=C3=BCPPE?=" ('=' sorts before letters), ANNA,
    // E + U+0301 MILE (decoded: a person's name), FRIENDS.
    CHECK(sorted(f, "DISPLAYFROM") == "2 1 4 3");
    CHECK(sorted(f, "REVERSE DISPLAYFROM") == "3 4 1 2");
}
