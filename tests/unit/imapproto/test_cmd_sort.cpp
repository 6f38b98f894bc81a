// SORT and UID SORT (RFC 5256 §3), ESORT (RFC 5267 §3), SORT=DISPLAY
// (RFC 5957) against a session over a real Maildir: the wire answers for
// each key, the RFC examples, charsets, RETURN options with SAVE and "$",
// MODSEQ, long answers, and the error answers Dovecot gives.
#include "session_harness.hpp"

#include <doctest/doctest.h>

#include <string>

using namespace imap_test;

namespace {

constexpr std::int64_t kJan1 = 1704110400; // 2024-01-01 12:00 UTC

// Five messages whose orders differ per key:
//   seq  From         To      Cc     Subject             Date (UTC)        size
//   1    carol        dave    -      Re: beta            03 Jan 10:00      small
//   2    Alice/alice  carl    zed    alpha               01 Jan 23:30 -05 large
//   3    bob          -       amy    [tag] Alpha (fwd)   - (arrival 02 Jan) medium
//   4    =?..?Émile   bea     -      =?..?Gamma          02 Jan 09:00      small+1
//   5    -            Zoë     bob    beta                05 Jan 00:00 +01  small
const std::string kMsg1 = "From: Carol <carol@example.net>\r\nTo: dave@example.org\r\n"
                          "Subject: Re: beta\r\nDate: Wed, 03 Jan 2024 10:00:00 +0000\r\n\r\nb1\r\n";
const std::string kMsg2 = "From: alice@example.com\r\nTo: Carl <carl@example.org>\r\nCc: zed@example.org\r\n"
                          "Subject: alpha\r\nDate: Mon, 01 Jan 2024 23:30:00 -0500\r\n\r\n" +
                          std::string(3000, 'x') + "\r\n";
const std::string kMsg3 = "From: \"Bob\" <bob@example.org>\r\nCc: amy@example.org\r\n"
                          "Subject: [tag] Alpha (fwd)\r\n\r\n" + std::string(500, 'y') + "\r\n";
const std::string kMsg4 = "From: =?utf-8?q?=C3=89mile?= <emile@example.org>\r\nTo: bea@example.org\r\n"
                          "Subject: =?utf-8?q?Gamma?=\r\nDate: Tue, 02 Jan 2024 09:00:00 +0000\r\n\r\nb44\r\n";
const std::string kMsg5 = "To: =?utf-8?q?Zo=C3=AB?= <zoe@example.org>\r\nCc: Bob <bob@example.org>\r\n"
                          "Subject: beta\r\nDate: Fri, 05 Jan 2024 00:00:00 +0100\r\n\r\nb5\r\n";

struct Fixture {
    MailEnv env;
    std::unique_ptr<SessionHarness> s;
    Fixture() {
        env.add_message("alice", "INBOX", kMsg1, 0, {}, kJan1 + 5 * 86400);
        env.add_message("alice", "INBOX", kMsg2, 0, {}, kJan1 + 4 * 86400);
        env.add_message("alice", "INBOX", kMsg3, 0, {}, kJan1 + 86400);
        env.add_message("alice", "INBOX", kMsg4, 0, {}, kJan1 + 3 * 86400);
        env.add_message("alice", "INBOX", kMsg5, 0, {}, kJan1 + 2 * 86400);
        s = std::make_unique<SessionHarness>(env);
        s->login();
        REQUIRE(tagged_line(s->cmd("s1 SELECT INBOX"), "s1").rfind("s1 OK", 0) == 0);
    }
    // The answer without the tagged line's text checked separately.
    std::string sort(std::string_view line) { return s->cmd(line); }
};

} // namespace

TEST_CASE("SORT by each key: the untagged SORT line and OK") {
    Fixture f;
    // Sent dates in UTC: 1 = 03 Jan 10:00, 2 = 02 Jan 04:30, 3 = none ->
    // arrival 02 Jan 12:00, 4 = 02 Jan 09:00, 5 = 04 Jan 23:00.
    CHECK(f.sort("a1 SORT (DATE) UTF-8 ALL") == "* SORT 2 4 3 1 5\r\na1 OK Sort completed.\r\n");
    CHECK(f.sort("a2 SORT (REVERSE DATE) UTF-8 ALL") == "* SORT 5 1 3 4 2\r\na2 OK Sort completed.\r\n");
    CHECK(f.sort("a3 SORT (ARRIVAL) UTF-8 ALL") == "* SORT 3 5 4 2 1\r\na3 OK Sort completed.\r\n");
    // Sizes: 1 < 5 < 4 < 3 < 2 (1 and 5 differ by the header).
    CHECK(f.sort("a4 SORT (SIZE) US-ASCII ALL") == "* SORT 1 5 4 3 2\r\na4 OK Sort completed.\r\n");
    // Base subjects: alpha (2, 3), beta (1, 5), gamma (4).
    CHECK(f.sort("a5 SORT (SUBJECT) UTF-8 ALL") == "* SORT 2 3 1 5 4\r\na5 OK Sort completed.\r\n");
    // REVERSE SUBJECT keeps the implicit sequence order inside ties.
    CHECK(f.sort("a6 SORT (REVERSE SUBJECT) UTF-8 ALL") == "* SORT 4 1 5 2 3\r\na6 OK Sort completed.\r\n");
    // FROM: "" (5), alice, bob, carol, emile.
    CHECK(f.sort("a7 SORT (FROM) UTF-8 ALL") == "* SORT 5 2 3 1 4\r\na7 OK Sort completed.\r\n");
    // TO: "" (3), bea, carl, dave, zoe.
    CHECK(f.sort("a8 SORT (TO) UTF-8 ALL") == "* SORT 3 4 2 1 5\r\na8 OK Sort completed.\r\n");
    // CC: "" (1, 4), amy, bob, zed.
    CHECK(f.sort("a9 SORT (CC) UTF-8 ALL") == "* SORT 1 4 3 5 2\r\na9 OK Sort completed.\r\n");
    // DISPLAYFROM: "", alice@example.com, Bob, Carol, Émile (E U+0301).
    CHECK(f.sort("b1 SORT (DISPLAYFROM) UTF-8 ALL") == "* SORT 5 2 3 1 4\r\nb1 OK Sort completed.\r\n");
    // DISPLAYTO: "", bea@example.org, Carl, dave@example.org, Zoë.
    CHECK(f.sort("b2 SORT (DISPLAYTO) UTF-8 ALL") == "* SORT 3 4 2 1 5\r\nb2 OK Sort completed.\r\n");
    CHECK(f.sort("b3 SORT (REVERSE DISPLAYTO) UTF-8 ALL") == "* SORT 5 1 2 4 3\r\nb3 OK Sort completed.\r\n");
}

TEST_CASE("SORT: the RFC 5256 §3 examples, search keys, UID SORT") {
    Fixture f;
    // (SUBJECT REVERSE DATE): alpha 2 (02 Jan 04:30), 3 (02 Jan 12:00) ->
    // 3 2; beta 5 then 1; gamma 4.
    CHECK(f.sort("a1 SORT (SUBJECT REVERSE DATE) UTF-8 ALL") == "* SORT 3 2 5 1 4\r\na1 OK Sort completed.\r\n");
    CHECK(f.sort("a2 SORT (SUBJECT) US-ASCII TEXT \"not in mailbox\"") == "* SORT\r\na2 OK Sort completed.\r\n");
    CHECK(f.sort("a3 SORT (SUBJECT) UTF-8 SINCE 4-Jan-2024") == "* SORT 2 1 4\r\na3 OK Sort completed.\r\n");
    CHECK(f.sort("a4 SORT (DATE) UTF-8 2:4") == "* SORT 2 4 3\r\na4 OK Sort completed.\r\n");
    CHECK(f.sort("a5 SORT (DATE) UTF-8 OR FROM bob TO bea") == "* SORT 4 3\r\na5 OK Sort completed.\r\n");
    // UIDs are 1..5 here too: take them from the view after an expunge.
    CHECK(tagged_line(f.s->cmd("e1 STORE 1 +FLAGS (\\Deleted)"), "e1").rfind("e1 OK", 0) == 0);
    CHECK(tagged_line(f.s->cmd("e2 EXPUNGE"), "e2").rfind("e2 OK", 0) == 0);
    // Sequence numbers moved down by one; UIDs did not.
    CHECK(f.sort("a6 SORT (DATE) UTF-8 ALL") == "* SORT 1 3 2 4\r\na6 OK Sort completed.\r\n");
    CHECK(f.sort("a7 UID SORT (DATE) UTF-8 ALL") == "* SORT 2 4 3 5\r\na7 OK Sort completed.\r\n");
    CHECK(f.sort("a8 UID SORT (REVERSE ARRIVAL) UTF-8 UID 3:5") == "* SORT 4 5 3\r\na8 OK Sort completed.\r\n");
}

TEST_CASE("SORT: charsets convert the search strings; an unknown one is NO [BADCHARSET]") {
    Fixture f;
    // "Zoë" in ISO-8859-1, as a literal.
    CHECK(f.s->send("c1 SORT (DATE) ISO-8859-1 TO {3}") == "+ OK\r\n");
    CHECK(f.s->send_raw("Zo\xeb\r\n") == "* SORT 5\r\nc1 OK Sort completed.\r\n");
    CHECK(f.sort("c2 SORT (DATE) \"utf-8\" TO \"Zo\xc3\xab\"") == "* SORT 5\r\nc2 OK Sort completed.\r\n");
    auto r = f.sort("c3 SORT (DATE) FOO-8 ALL");
    CHECK(r.rfind("c3 NO [BADCHARSET (", 0) == 0);
    CHECK(r.find("UTF-8") != std::string::npos);
    CHECK(r.find("] Unsupported charset\r\n") != std::string::npos);
    CHECK(f.sort("c4 SORT (DATE) NIL ALL").rfind("c4 NO [BADCHARSET (", 0) == 0);
}

TEST_CASE("SORT errors: Dovecot's answers") {
    Fixture f;
    const std::string pre = " BAD Error in IMAP command SORT: ";
    CHECK(f.sort("d1 SORT (FOO) UTF-8 ALL") == "d1" + pre + "Unknown sort argument: FOO\r\n");
    CHECK(f.sort("d2 SORT () UTF-8 ALL") == "d2" + pre + "Empty sort program\r\n");
    CHECK(f.sort("d3 SORT (DATE)") == "d3" + pre + "Invalid charset argument\r\n");
    CHECK(f.sort("d4 SORT (REVERSE) UTF-8 ALL") == "d4" + pre + "Sort list ends with REVERSE\r\n");
    CHECK(f.sort("d5 SORT (DATE REVERSE) UTF-8 ALL") == "d5" + pre + "Sort list ends with REVERSE\r\n");
    CHECK(f.sort("d6 SORT DATE UTF-8 ALL") == "d6" + pre + "Invalid sort argument\r\n");
    CHECK(f.sort("d7 SORT (DATE) UTF-8") == "d7" + pre + "Missing search parameters\r\n");
    CHECK(f.sort("d8 SORT") == "d8" + pre + "Invalid sort argument\r\n");
    CHECK(f.sort("d9 SORT ((DATE)) UTF-8 ALL") == "d9" + pre + "Invalid sort list argument\r\n");
    CHECK(f.sort("e1 SORT (DATE) (UTF-8) ALL") == "e1" + pre + "Invalid charset argument\r\n");
    CHECK(f.sort("e2 SORT RETURN (FOO) (DATE) UTF-8 ALL") == "e2" + pre + "Unknown SEARCH return option\r\n");
    CHECK(f.sort("e3 SORT RETURN") == "e3" + pre + "Invalid sort argument\r\n");
    CHECK(f.sort("e4 SORT (DATE) UTF-8 FOO").rfind("e4 BAD Error in IMAP command SORT: ", 0) == 0);
    CHECK(f.sort("e5 UID SORT (BODY) UTF-8 ALL") == "e5 BAD Error in IMAP command UID SORT: Unknown sort argument: BODY\r\n");
    // Dovecot takes a quoted key and REVERSE REVERSE.
    CHECK(f.sort("e6 SORT (\"DATE\") UTF-8 ALL") == "* SORT 2 4 3 1 5\r\ne6 OK Sort completed.\r\n");
    CHECK(f.sort("e7 SORT (REVERSE REVERSE DATE) UTF-8 ALL") == "* SORT 2 4 3 1 5\r\ne7 OK Sort completed.\r\n");
    // The session still works.
    CHECK(f.sort("e8 SORT (SIZE) UTF-8 1") == "* SORT 1\r\ne8 OK Sort completed.\r\n");
}

TEST_CASE("SORT outside the selected state") {
    MailEnv env;
    env.add_message("alice", "INBOX", kMsg1);
    SessionHarness s(env);
    CHECK(tagged_line(s.cmd("n1 SORT (DATE) UTF-8 ALL"), "n1").rfind("n1 BAD", 0) == 0);
    s.login();
    CHECK(s.cmd("n2 SORT (DATE) UTF-8 ALL") == "n2 BAD No mailbox selected.\r\n");
    CHECK(s.cmd("n3 UID SORT (DATE) UTF-8 ALL") == "n3 BAD No mailbox selected.\r\n");
}

TEST_CASE("ESORT: RETURN options in sort order (RFC 5267 §3)") {
    Fixture f;
    CHECK(f.sort("r1 SORT RETURN (MIN MAX COUNT ALL) (DATE) UTF-8 ALL") ==
          "* ESEARCH (TAG \"r1\") MIN 2 MAX 5 ALL 2,4,3,1,5 COUNT 5\r\nr1 OK Sort completed.\r\n");
    // RFC 5267 §3.3: RETURN () is ALL; descending runs are not ranges.
    CHECK(f.sort("r2 UID SORT RETURN () (REVERSE DATE) UTF-8 ALL") ==
          "* ESEARCH (TAG \"r2\") UID ALL 5,1,3:4,2\r\nr2 OK Sort completed.\r\n");
    CHECK(f.sort("r3 SORT RETURN (ALL) (ARRIVAL) UTF-8 ALL") ==
          "* ESEARCH (TAG \"r3\") ALL 3,5,4,2,1\r\nr3 OK Sort completed.\r\n");
    CHECK(f.sort("r4 SORT RETURN (ALL) (CC) UTF-8 ALL") ==
          "* ESEARCH (TAG \"r4\") ALL 1,4,3,5,2\r\nr4 OK Sort completed.\r\n");
    // An ascending run of consecutive numbers is a range.
    CHECK(f.sort("r5 SORT RETURN (ALL COUNT) (SUBJECT) UTF-8 2:5") ==
          "* ESEARCH (TAG \"r5\") ALL 2:3,5,4 COUNT 4\r\nr5 OK Sort completed.\r\n");
    CHECK(f.sort("r6 SORT RETURN (MIN) (REVERSE SIZE) UTF-8 ALL") ==
          "* ESEARCH (TAG \"r6\") MIN 2\r\nr6 OK Sort completed.\r\n");
    // Nothing matched: COUNT 0, no MIN/MAX/ALL.
    CHECK(f.sort("r7 SORT RETURN (MIN MAX ALL COUNT) (DATE) UTF-8 NOT ALL") ==
          "* ESEARCH (TAG \"r7\") COUNT 0\r\nr7 OK Sort completed.\r\n");
    CHECK(f.sort("r8 SORT RETURN (ALL) (DATE) UTF-8 NOT ALL") == "* ESEARCH (TAG \"r8\")\r\nr8 OK Sort completed.\r\n");
}

TEST_CASE("ESORT with SEARCHRES: SAVE keeps the result for \"$\" (RFC 5182 §2.4)") {
    Fixture f;
    CHECK(f.sort("v1 SORT RETURN (SAVE) (DATE) UTF-8 2:4") == "v1 OK Sort completed.\r\n");
    CHECK(f.sort("v2 SEARCH $") == "* SEARCH 2 3 4\r\nv2 OK Search completed.\r\n");
    CHECK(f.sort("v3 SORT (REVERSE DATE) UTF-8 $") == "* SORT 3 4 2\r\nv3 OK Sort completed.\r\n");
    // MIN alone saves the first in sort order, MAX the last.
    CHECK(f.sort("v4 SORT RETURN (SAVE MIN) (DATE) UTF-8 ALL") == "* ESEARCH (TAG \"v4\") MIN 2\r\nv4 OK Sort completed.\r\n");
    CHECK(f.sort("v5 SEARCH $") == "* SEARCH 2\r\nv5 OK Search completed.\r\n");
    CHECK(f.sort("v6 SORT RETURN (SAVE MAX) (DATE) UTF-8 ALL") == "* ESEARCH (TAG \"v6\") MAX 5\r\nv6 OK Sort completed.\r\n");
    CHECK(f.sort("v7 SEARCH $") == "* SEARCH 5\r\nv7 OK Search completed.\r\n");
    // An unknown charset empties "$".
    CHECK(f.sort("v8 SORT RETURN (SAVE) (DATE) FOO-8 ALL").rfind("v8 NO [BADCHARSET", 0) == 0);
    CHECK(f.sort("v9 SEARCH $") == "* SEARCH\r\nv9 OK Search completed.\r\n");
}

TEST_CASE("SORT with a MODSEQ key: (MODSEQ n) and CONDSTORE turned on (RFC 7162 §3.1.5)") {
    Fixture f;
    auto r = f.sort("m1 SORT (REVERSE DATE) UTF-8 MODSEQ 1");
    CHECK(r.rfind("* OK [HIGHESTMODSEQ ", 0) == 0);
    CHECK(r.find("\r\n* SORT 5 1 3 4 2 (MODSEQ ") != std::string::npos);
    CHECK(r.find("m1 OK Sort completed.\r\n") != std::string::npos);
}

TEST_CASE("SORT over many messages: the answer is one line, in order, and reads headers in slices") {
    MailEnv env;
    constexpr int n = 1200;
    for (int i = 0; i < n; ++i) {
        // Subjects s0000..s1199 in an order that is neither ascending nor
        // descending: (i * 7) mod n is a permutation since gcd(7, n) = 1.
        char subject[16];
        std::snprintf(subject, sizeof subject, "s%04d", (i * 7) % n);
        env.add_message("alice", "INBOX", std::string("Subject: ") + subject + "\r\n\r\nx\r\n");
    }
    SessionHarness s(env);
    s.login();
    s.cmd("s1 SELECT INBOX");
    std::string want = "* SORT";
    // The message with subject k is seq i+1 where (i * 7) % n == k.
    std::vector<int> seq_of(n);
    for (int i = 0; i < n; ++i)
        seq_of[(i * 7) % n] = i + 1;
    for (int k = 0; k < n; ++k)
        want += " " + std::to_string(seq_of[k]);
    want += "\r\n";
    CHECK(s.cmd("a1 SORT (SUBJECT) UTF-8 ALL") == want + "a1 OK Sort completed.\r\n");
    // Again, from the cache this time: the same answer.
    CHECK(s.cmd("a2 SORT (SUBJECT) UTF-8 ALL") == want + "a2 OK Sort completed.\r\n");
    // With a body search (sliced evaluation) too.
    CHECK(s.cmd("a3 SORT (SUBJECT) UTF-8 BODY x") == want + "a3 OK Sort completed.\r\n");
}

TEST_CASE("CONTEXT=SORT: PARTIAL counts positions in sort order; UPDATE keeps the sorted result (RFC 5267 §4)") {
    Fixture f;
    // DATE order: 2 4 3 1 5; positions 2..4 are 4 3 1.
    CHECK(f.sort("p1 SORT RETURN (PARTIAL 2:4) (DATE) UTF-8 ALL") ==
          "* ESEARCH (TAG \"p1\") PARTIAL (2:4 4,3,1)\r\np1 OK Sort completed.\r\n");
    CHECK(f.sort("p2 UID SORT RETURN (PARTIAL 4:9 COUNT) (DATE) UTF-8 ALL") ==
          "* ESEARCH (TAG \"p2\") UID PARTIAL (4:9 1,5) COUNT 5\r\np2 OK Sort completed.\r\n");
    CHECK(f.sort("p3 SORT RETURN (PARTIAL 6:9) (DATE) UTF-8 ALL") ==
          "* ESEARCH (TAG \"p3\") PARTIAL (6:9 NIL)\r\np3 OK Sort completed.\r\n");
    // An UPDATE context: a new message that sorts first is added at
    // position 1 (ADDTO (1 6)) after the next command's sync.
    CHECK(f.sort("u1 SORT RETURN (UPDATE COUNT) (DATE) UTF-8 ALL") ==
          "* ESEARCH (TAG \"u1\") COUNT 5\r\nu1 OK Sort completed.\r\n");
    CHECK(f.sort("u1 SORT RETURN (UPDATE) (DATE) UTF-8 ALL") ==
          "u1 BAD Error in IMAP command SORT: Duplicate search update tag\r\n");
    f.env.add_message("alice", "INBOX", "Date: Sun, 31 Dec 2023 10:00:00 +0000\r\nSubject: early\r\n\r\nx\r\n");
    auto r = f.s->cmd("n1 NOOP");
    CHECK(r.find("* 6 EXISTS\r\n") != std::string::npos);
    CHECK(r.find("* ESEARCH (TAG \"u1\") ADDTO (1 6)\r\n") != std::string::npos);
    CHECK(f.sort("c1 CANCELUPDATE \"u1\"") == "c1 OK Updates cancelled\r\n");
    f.env.add_message("alice", "INBOX", "Date: Sat, 30 Dec 2023 10:00:00 +0000\r\n\r\nx\r\n");
    r = f.s->cmd("n2 NOOP");
    CHECK(r.find("* 7 EXISTS\r\n") != std::string::npos);
    CHECK(r.find("ESEARCH") == std::string::npos);
}

TEST_CASE("SORT sends no EXPUNGE, UID SORT may (RFC 5256 §3)") {
    Fixture f;
    {
        auto u = f.env.open_user("alice");
        auto box = mailstore::storage::Mailbox::open(u, "INBOX");
        REQUIRE(box.is_ok());
        auto tx = box->begin();
        mailstore::storage::UidSet one;
        one.add(1);
        REQUIRE(tx.expunge(one).is_ok());
        REQUIRE(tx.commit().is_ok());
    }
    auto r = f.sort("x1 SORT (ARRIVAL) UTF-8 ALL");
    CHECK(r.find("EXPUNGE") == std::string::npos);
    CHECK(tagged_line(r, "x1") == "x1 OK Sort completed.");
    r = f.sort("x2 UID SORT (ARRIVAL) UTF-8 ALL");
    CHECK(r.find("* 1 EXPUNGE\r\n") != std::string::npos);
    CHECK(tagged_line(r, "x2") == "x2 OK Sort completed.");
    // Afterwards the sequence numbers have moved down.
    CHECK(f.sort("x3 SORT (ARRIVAL) UTF-8 ALL") == "* SORT 2 4 3 1\r\nx3 OK Sort completed.\r\n");
}

TEST_CASE("I18NLEVEL=1: SEARCH and SORT compare with i;unicode-casemap (RFC 5255 §4)") {
    MailEnv env;
    env.add_message("alice", "INBOX", "Subject: =?utf-8?q?=C3=89t=C3=A9?= report\r\n\r\nx\r\n");    // Été
    env.add_message("alice", "INBOX", "Subject: ETZ\r\n\r\nx\r\n");
    env.add_message("alice", "INBOX", "Subject: =?iso-8859-1?q?=E9t=E9?=\r\n\r\nx\r\n");         // été
    env.add_message("alice", "INBOX", "Subject: Stra\xc3\x9f" "e\r\n\r\nx\r\n");                  // Straße
    SessionHarness s(env);
    s.login();
    s.cmd("s1 SELECT INBOX");
    CHECK(s.cmd("a1 CAPABILITY").find(" I18NLEVEL=1") != std::string::npos);
    // Case-insensitive beyond ASCII: "ÉTÉ" finds Été and été.
    CHECK(s.cmd("a2 SEARCH CHARSET UTF-8 SUBJECT \"\xc3\x89T\xc3\x89\"") == "* SEARCH 1 3\r\na2 OK Search completed.\r\n");
    CHECK(s.cmd("a3 SORT (SUBJECT) UTF-8 SUBJECT \"\xc3\xa9t\xc3\xa9\"") == "* SORT 3 1\r\na3 OK Sort completed.\r\n");
    // Casemapped: "ETZ" < "E\u0301TE\u0301" (0xCC > 'T') < "E\u0301TE\u0301 REPORT"
    // (a prefix first) < "STRA\u00DFE" ('S' > 'E'; ß has no simple titlecase).
    CHECK(s.cmd("a4 SORT (SUBJECT) UTF-8 ALL") == "* SORT 2 3 1 4\r\na4 OK Sort completed.\r\n");
}
