// SEARCH and UID SEARCH against a session over a real Maildir: every key
// family, CHARSET with a literal, sequence and UID sets, ESEARCH's RETURN
// options, SEARCHRES's SAVE and "$", and the error answers.
#include "session_harness.hpp"

#include <doctest/doctest.h>

#include <mailstore/storage/mailbox.hpp>

#include <memory>
#include <string>

using namespace imap_test;
namespace ms = mailstore::storage;

namespace {

// Noon UTC, so the calendar date is the same in any server time zone.
constexpr std::int64_t kJan1 = 1704110400;  // 2024-01-01 12:00 UTC
constexpr std::int64_t kFeb15 = 1707998400; // 2024-02-15 12:00 UTC
constexpr std::int64_t kMar10 = 1710072000; // 2024-03-10 12:00 UTC
constexpr std::int64_t kApr1 = 1711972800;  // 2024-04-01 12:00 UTC
constexpr std::int64_t kMay1 = 1714564800;  // 2024-05-01 12:00 UTC

const std::string kMsg1 = "From: Alice <alice@example.com>\r\n"
                          "To: bob@example.org\r\n"
                          "Subject: Hello world\r\n"
                          "Date: Mon, 01 Jan 2024 10:00:00 +0000\r\n"
                          "\r\n"
                          "first message body\r\n";
const std::string kMsg2 = "From: Bob <bob@example.org>\r\n"
                          "To: alice@example.com\r\n"
                          "Cc: Carol <carol@example.net>\r\n"
                          "Subject: Meeting notes\r\n"
                          "Date: Thu, 15 Feb 2024 23:30:00 -0500\r\n"
                          "X-Priority: 1\r\n"
                          "\r\n"
                          "The agenda is attached.\r\n";
const std::string kMsg3 = "From: carol@example.net\r\n"
                          "To: alice@example.com\r\n"
                          "Bcc: dave@example.com\r\n"
                          "Subject: =?ISO-8859-1?Q?M=FCnchen?= trip\r\n"
                          "Date: Sun, 10 Mar 2024 08:00:00 +0100\r\n"
                          "MIME-Version: 1.0\r\n"
                          "Content-Type: text/plain; charset=ISO-8859-1\r\n"
                          "Content-Transfer-Encoding: quoted-printable\r\n"
                          "\r\n"
                          "Gr=FC=DFe aus M=FCnchen\r\n";
const std::string kMsg4 = "From: alice@example.com\r\n"
                          "To: team@example.com\r\n"
                          "Subject: Large report\r\n"
                          "Date: Mon, 01 Apr 2024 09:00:00 +0000\r\n"
                          "\r\n" +
                          std::string(5000, 'x') + "\r\n";
const std::string kMsg5 = "From: bob@example.org\r\n"
                          "To: alice@example.com\r\n"
                          "Subject: hello again\r\n"
                          "Date: Wed, 01 May 2024 12:00:00 +0000\r\n"
                          "\r\n"
                          "see you\r\n";

struct Saved {
    std::string data;
    ms::MailFlags flags = 0;
    std::vector<std::string> keywords;
    std::int64_t internal_date = 0;
};

// Saves the messages in one transaction without claiming \Recent (the
// harness's add_message opens the mailbox each time, which takes \Recent
// away from the earlier messages), expunging UID `expunge` first when set.
void save_messages(MailEnv& env, const std::vector<Saved>& messages, ms::Uid expunge = 0) {
    auto u = env.open_user("alice");
    ms::OpenOptions options;
    options.claim_recent = false;
    auto box = ms::Mailbox::open(u, "INBOX", options);
    REQUIRE(box.is_ok());
    if (expunge != 0) {
        auto tx = box->begin();
        ms::UidSet set;
        set.add(expunge);
        REQUIRE(tx.expunge(set).is_ok());
        REQUIRE(tx.commit().is_ok());
    }
    auto tx = box->begin();
    for (const auto& m : messages) {
        ms::SaveRequest req;
        req.data = m.data;
        req.flags = m.flags;
        req.keywords = m.keywords;
        if (m.internal_date != 0)
            req.internal_date = m.internal_date;
        REQUIRE(tx.save(req).is_ok());
    }
    REQUIRE(tx.commit().is_ok());
}

// Five messages with sequence numbers 1..5 and UIDs 2..6 (UID 1 was
// expunged), so answers show whether they are UIDs or sequence numbers.
struct Mailbox5 {
    MailEnv env;
    std::unique_ptr<SessionHarness> s;

    Mailbox5() {
        REQUIRE(env.add_message("alice", "INBOX", "Subject: gone\r\n\r\ngone\r\n") == 1);
        save_messages(env,
                      {{kMsg1, ms::flag_seen, {}, kJan1},
                       {kMsg2, ms::flag_flagged | ms::flag_answered, {"$Work"}, kFeb15},
                       {kMsg3, ms::flag_deleted, {}, kMar10},
                       {kMsg4, ms::flag_draft, {}, kApr1},
                       {kMsg5, 0, {}, kMay1}},
                      1);
        s = std::make_unique<SessionHarness>(env);
        s->login();
        auto out = s->cmd("s SELECT INBOX");
        REQUIRE(has_line(out, "* 5 EXISTS"));
    }

    // The "* SEARCH" / "* ESEARCH" line of a command that must succeed
    // ("" when there is none).
    std::string result(const std::string& command) {
        auto out = s->cmd(command);
        std::string tag = command.substr(0, command.find(' '));
        INFO(command << "\n" << out);
        CHECK(tagged_line(out, tag) == tag + " OK Search completed.");
        for (const auto& line : lines(out))
            if (line.rfind("* SEARCH", 0) == 0 || line.rfind("* ESEARCH", 0) == 0)
                return line;
        return "";
    }
};

} // namespace

TEST_CASE("SEARCH: flag keys") {
    Mailbox5 m;
    CHECK(m.result("a1 SEARCH ALL") == "* SEARCH 1 2 3 4 5");
    CHECK(m.result("a2 SEARCH SEEN") == "* SEARCH 1");
    CHECK(m.result("a3 SEARCH UNSEEN") == "* SEARCH 2 3 4 5");
    CHECK(m.result("a4 SEARCH FLAGGED") == "* SEARCH 2");
    CHECK(m.result("a5 SEARCH UNFLAGGED") == "* SEARCH 1 3 4 5");
    CHECK(m.result("a6 SEARCH ANSWERED") == "* SEARCH 2");
    CHECK(m.result("a7 SEARCH UNANSWERED") == "* SEARCH 1 3 4 5");
    CHECK(m.result("a8 SEARCH DELETED") == "* SEARCH 3");
    CHECK(m.result("a9 SEARCH UNDELETED") == "* SEARCH 1 2 4 5");
    CHECK(m.result("a10 SEARCH DRAFT") == "* SEARCH 4");
    CHECK(m.result("a11 SEARCH UNDRAFT") == "* SEARCH 1 2 3 5");
    CHECK(m.result("a12 SEARCH KEYWORD $Work") == "* SEARCH 2");
    CHECK(m.result("a13 SEARCH UNKEYWORD $Work") == "* SEARCH 1 3 4 5");
    CHECK(m.result("a14 SEARCH KEYWORD $Other") == "* SEARCH");
    // This session selected the mailbox first: every message is \Recent.
    CHECK(m.result("a15 SEARCH RECENT") == "* SEARCH 1 2 3 4 5");
    CHECK(m.result("a16 SEARCH NEW") == "* SEARCH 2 3 4 5");
    CHECK(m.result("a17 SEARCH OLD") == "* SEARCH");
    // Lower case keys work too.
    CHECK(m.result("a18 search flagged") == "* SEARCH 2");
}

TEST_CASE("SEARCH: header and text keys") {
    Mailbox5 m;
    CHECK(m.result("b1 SEARCH FROM alice") == "* SEARCH 1 4");
    CHECK(m.result("b2 SEARCH FROM \"BOB@EXAMPLE\"") == "* SEARCH 2 5");
    CHECK(m.result("b3 SEARCH TO alice") == "* SEARCH 2 3 5");
    CHECK(m.result("b4 SEARCH CC carol") == "* SEARCH 2");
    CHECK(m.result("b5 SEARCH BCC dave") == "* SEARCH 3");
    CHECK(m.result("b6 SEARCH SUBJECT hello") == "* SEARCH 1 5");
    CHECK(m.result("b7 SEARCH HEADER X-Priority 1") == "* SEARCH 2");
    CHECK(m.result("b8 SEARCH HEADER X-Priority \"\"") == "* SEARCH 2");
    CHECK(m.result("b9 SEARCH BODY agenda") == "* SEARCH 2");
    CHECK(m.result("b10 SEARCH BODY \"Meeting\"") == "* SEARCH");   // only in the header
    CHECK(m.result("b11 SEARCH TEXT \"Meeting\"") == "* SEARCH 2"); // header and body
    CHECK(m.result("b12 SEARCH TEXT bob@example.org") == "* SEARCH 1 2 5");
    // RFC 2047 subjects and quoted-printable ISO-8859-1 bodies are decoded
    // (UTF-8 search strings as non-synchronising literals).
    CHECK(m.result("b13 SEARCH SUBJECT {8+}\r\nm\xc3\xbcnchen") == "* SEARCH 3");
    CHECK(m.result("b14 SEARCH CHARSET UTF-8 BODY {6+}\r\nGR\xc3\x9c\xc3\x9f") == "* SEARCH 3");
}

TEST_CASE("SEARCH: CHARSET ISO-8859-1 with a literal") {
    Mailbox5 m;
    // "München" in ISO-8859-1 is 7 octets.
    auto out = m.s->send_raw("c1 SEARCH CHARSET ISO-8859-1 BODY {7}\r\n");
    CHECK(out.rfind("+ ", 0) == 0);
    out = m.s->send_raw("M\xfcnchen\r\n");
    CHECK(out == "* SEARCH 3\r\nc1 OK Search completed.\r\n");
    // Non-synchronising (LITERAL+) works the same.
    out = m.s->send_raw("c2 SEARCH CHARSET iso-8859-1 SUBJECT {7+}\r\nM\xfcnchen\r\n");
    CHECK(out == "* SEARCH 3\r\nc2 OK Search completed.\r\n");
}

TEST_CASE("SEARCH: dates and sizes") {
    Mailbox5 m;
    CHECK(m.result("d1 SEARCH BEFORE 15-Feb-2024") == "* SEARCH 1");
    CHECK(m.result("d2 SEARCH ON 15-Feb-2024") == "* SEARCH 2");
    CHECK(m.result("d3 SEARCH SINCE 1-Apr-2024") == "* SEARCH 4 5");
    CHECK(m.result("d4 SEARCH SINCE 1-Jan-2025") == "* SEARCH");
    // The Date: header in its own zone: 23:30 -0500 is still 15 February.
    CHECK(m.result("d6 SEARCH SENTON 15-Feb-2024") == "* SEARCH 2");
    CHECK(m.result("d7 SEARCH SENTBEFORE 10-Mar-2024") == "* SEARCH 1 2");
    CHECK(m.result("d8 SEARCH SENTSINCE 10-Mar-2024") == "* SEARCH 3 4 5");
    CHECK(m.result("d9 SEARCH LARGER 1000") == "* SEARCH 4");
    CHECK(m.result("d10 SEARCH SMALLER 1000") == "* SEARCH 1 2 3 5");
    // WITHIN (RFC 5032): all of them are older than an hour.
    CHECK(m.result("d11 SEARCH YOUNGER 3600") == "* SEARCH");
    CHECK(m.result("d12 SEARCH OLDER 3600") == "* SEARCH 1 2 3 4 5");
}

TEST_CASE("SEARCH: NOT, OR, parentheses, sequence and UID sets") {
    Mailbox5 m;
    CHECK(m.result("e1 SEARCH NOT SEEN") == "* SEARCH 2 3 4 5");
    CHECK(m.result("e2 SEARCH OR SEEN DRAFT") == "* SEARCH 1 4");
    CHECK(m.result("e3 SEARCH OR (FROM alice SMALLER 1000) DELETED") == "* SEARCH 1 3");
    CHECK(m.result("e4 SEARCH NOT (OR SEEN FLAGGED)") == "* SEARCH 3 4 5");
    CHECK(m.result("e5 SEARCH UNSEEN NOT DELETED FROM example") == "* SEARCH 2 4 5");
    CHECK(m.result("e6 SEARCH 2:3") == "* SEARCH 2 3");
    CHECK(m.result("e7 SEARCH 2,4:*") == "* SEARCH 2 4 5");
    CHECK(m.result("e8 SEARCH UID 2:3") == "* SEARCH 1 2");
    CHECK(m.result("e9 SEARCH UID 6:*") == "* SEARCH 5");
    CHECK(m.result("e10 SEARCH 1:4 DELETED") == "* SEARCH 3");
    // Numbers beyond the mailbox name nothing (Dovecot answers so, too).
    CHECK(m.result("e10b SEARCH 4:10") == "* SEARCH 4 5");
    CHECK(m.result("e10c SEARCH 9") == "* SEARCH");
    // UID SEARCH answers UIDs; a bare set still means sequence numbers.
    CHECK(m.result("e11 UID SEARCH 1:2") == "* SEARCH 2 3");
    CHECK(m.result("e12 UID SEARCH UID 4:*") == "* SEARCH 4 5 6");
    CHECK(m.result("e13 UID SEARCH FLAGGED") == "* SEARCH 3");
    CHECK(m.result("e14 UID SEARCH DELETED OR SEEN FLAGGED") == "* SEARCH");
}

TEST_CASE("SEARCH: ESEARCH RETURN options") {
    Mailbox5 m;
    CHECK(m.result("f1 SEARCH RETURN (MIN MAX ALL COUNT) UNSEEN") ==
          "* ESEARCH (TAG \"f1\") MIN 2 MAX 5 ALL 2:5 COUNT 4");
    CHECK(m.result("f2 UID SEARCH RETURN (MIN MAX ALL COUNT) UNSEEN") ==
          "* ESEARCH (TAG \"f2\") UID MIN 3 MAX 6 ALL 3:6 COUNT 4");
    CHECK(m.result("f3 SEARCH RETURN (MIN) UNSEEN") == "* ESEARCH (TAG \"f3\") MIN 2");
    CHECK(m.result("f4 SEARCH RETURN (MAX) UNSEEN") == "* ESEARCH (TAG \"f4\") MAX 5");
    CHECK(m.result("f5 SEARCH RETURN (COUNT) UNSEEN") == "* ESEARCH (TAG \"f5\") COUNT 4");
    CHECK(m.result("f6 SEARCH RETURN (ALL) OR SEEN UNDELETED") == "* ESEARCH (TAG \"f6\") ALL 1:2,4:5");
    // RETURN () is RETURN (ALL) (RFC 4731 §3.1).
    CHECK(m.result("f7 SEARCH RETURN () 1,3:4") == "* ESEARCH (TAG \"f7\") ALL 1,3:4");
    CHECK(m.result("f8 UID SEARCH RETURN () 1,3:4") == "* ESEARCH (TAG \"f8\") UID ALL 2,4:5");
    // The order of the options does not matter; the answer's does not change.
    CHECK(m.result("f9 SEARCH RETURN (COUNT MAX) 2:4") == "* ESEARCH (TAG \"f9\") MAX 4 COUNT 3");
    CHECK(m.result("f10 SEARCH RETURN (min count) 2:4") == "* ESEARCH (TAG \"f10\") MIN 2 COUNT 3");
    CHECK(m.result("f11 SEARCH RETURN (ALL ALL) 5") == "* ESEARCH (TAG \"f11\") ALL 5");
    // Nothing found: MIN, MAX and ALL are left out, COUNT 0 is not.
    CHECK(m.result("f12 SEARCH RETURN (MIN MAX ALL COUNT) OLD") == "* ESEARCH (TAG \"f12\") COUNT 0");
    CHECK(m.result("f13 SEARCH RETURN (ALL) OLD") == "* ESEARCH (TAG \"f13\")");
    CHECK(m.result("f14 UID SEARCH RETURN (MIN MAX) OLD") == "* ESEARCH (TAG \"f14\") UID");
    // CHARSET follows RETURN.
    CHECK(m.result("f15 SEARCH RETURN (COUNT) CHARSET UTF-8 FROM alice") == "* ESEARCH (TAG \"f15\") COUNT 2");
}

TEST_CASE("SEARCH: SAVE and $") {
    Mailbox5 m;
    // SAVE alone answers nothing but the tagged OK (RFC 5182 §2.4).
    auto out = m.s->cmd("g1 SEARCH RETURN (SAVE) UNSEEN UNDELETED");
    CHECK(out == "g1 OK Search completed.\r\n");
    CHECK(m.result("g2 SEARCH $") == "* SEARCH 2 4 5");
    CHECK(m.result("g3 UID SEARCH $") == "* SEARCH 3 5 6");
    CHECK(m.result("g4 SEARCH $ FLAGGED") == "* SEARCH 2");
    CHECK(m.result("g5 SEARCH OR $ SEEN") == "* SEARCH 1 2 4 5");
    CHECK(m.result("g6 SEARCH NOT $") == "* SEARCH 1 3");
    CHECK(m.result("g7 SEARCH UID $") == "* SEARCH 2 4 5");
    out = m.s->cmd("g8 FETCH $ (UID)");
    CHECK(out == "* 2 FETCH (UID 3)\r\n* 4 FETCH (UID 5)\r\n* 5 FETCH (UID 6)\r\ng8 OK Fetch completed.\r\n");

    // SAVE with MIN or MAX alone keeps only those (RFC 5182 §2.1).
    CHECK(m.result("g9 SEARCH RETURN (SAVE MIN) UNSEEN") == "* ESEARCH (TAG \"g9\") MIN 2");
    CHECK(m.result("g10 SEARCH $") == "* SEARCH 2");
    CHECK(m.result("g11 SEARCH RETURN (SAVE MAX) UNSEEN") == "* ESEARCH (TAG \"g11\") MAX 5");
    CHECK(m.result("g12 SEARCH $") == "* SEARCH 5");
    CHECK(m.result("g13 SEARCH RETURN (SAVE MIN MAX) UNSEEN") == "* ESEARCH (TAG \"g13\") MIN 2 MAX 5");
    CHECK(m.result("g14 SEARCH $") == "* SEARCH 2 5");
    // With COUNT or ALL everything is kept.
    CHECK(m.result("g15 SEARCH RETURN (SAVE MIN COUNT) UNSEEN") == "* ESEARCH (TAG \"g15\") MIN 2 COUNT 4");
    CHECK(m.result("g16 SEARCH $") == "* SEARCH 2 3 4 5");
    // The search uses the old "$" and then replaces it.
    CHECK(m.result("g17 SEARCH RETURN (SAVE ALL) $ DELETED") == "* ESEARCH (TAG \"g17\") ALL 3");
    CHECK(m.result("g18 SEARCH $") == "* SEARCH 3");
    // An empty result replaces it too.
    CHECK(m.s->cmd("g19 SEARCH RETURN (SAVE) OLD") == "g19 OK Search completed.\r\n");
    CHECK(m.result("g20 SEARCH $") == "* SEARCH");

    // BAD leaves "$" alone; NO (an unknown charset) empties it (RFC 5182 §2.1).
    CHECK(m.s->cmd("g21 SEARCH RETURN (SAVE) SEEN") == "g21 OK Search completed.\r\n");
    out = m.s->cmd("g22 SEARCH RETURN (SAVE) NOSUCHKEY");
    CHECK(tagged_line(out, "g22").rfind("g22 BAD Error in IMAP command SEARCH: ", 0) == 0);
    CHECK(m.result("g23 SEARCH $") == "* SEARCH 1");
    out = m.s->cmd("g24 SEARCH RETURN (SAVE) CHARSET X-NO-SUCH-CHARSET BODY x");
    CHECK(tagged_line(out, "g24").rfind("g24 NO [BADCHARSET (", 0) == 0);
    CHECK(m.result("g25 SEARCH $") == "* SEARCH");

    // "$" after a new SELECT is empty again.
    CHECK(m.s->cmd("g26 SEARCH RETURN (SAVE) ALL") == "g26 OK Search completed.\r\n");
    m.s->cmd("g27 SELECT INBOX");
    CHECK(m.result("g28 SEARCH $") == "* SEARCH");
}

TEST_CASE("SEARCH: errors") {
    Mailbox5 m;
    auto out = m.s->cmd("h1 SEARCH CHARSET X-NO-SUCH-CHARSET BODY x");
    std::string tagged = tagged_line(out, "h1");
    CHECK(tagged.rfind("h1 NO [BADCHARSET (", 0) == 0);
    CHECK(tagged.find("UTF-8") != std::string::npos);
    CHECK(tagged.find(")] Unsupported charset") != std::string::npos);
    CHECK_FALSE(has_line(out, "* SEARCH"));

    out = m.s->cmd("h2 SEARCH");
    CHECK(out == "h2 BAD Error in IMAP command SEARCH: Missing search parameters\r\n");
    out = m.s->cmd("h3 SEARCH RETURN (FOO) ALL");
    CHECK(out == "h3 BAD Error in IMAP command SEARCH: Unknown SEARCH return option\r\n");
    out = m.s->cmd("h4 SEARCH RETURN (SAVE)");
    CHECK(out == "h4 BAD Error in IMAP command SEARCH: Missing search parameters\r\n");
    out = m.s->cmd("h5 SEARCH RETURN (\"MIN\") ALL");
    CHECK(out == "h5 BAD Error in IMAP command SEARCH: Unknown SEARCH return option\r\n");

    // The parser's own messages, after Dovecot's prefix.
    for (const char* bad : {"h6 SEARCH NOSUCHKEY", "h7 SEARCH SUBJECT", "h8 SEARCH ON 1-Foo-2024",
                            "h9 SEARCH LARGER x", "h10 SEARCH ALL RETURN (ALL)", "h11 SEARCH UID 1:x",
                            "h12 SEARCH OR SEEN", "h13 SEARCH CHARSET UTF-8 RETURN (ALL) ALL"}) {
        std::string line(bad);
        std::string tag = line.substr(0, line.find(' '));
        out = m.s->cmd(line);
        INFO(line << "\n" << out);
        CHECK(tagged_line(out, tag).rfind(tag + " BAD Error in IMAP command SEARCH: ", 0) == 0);
        CHECK_FALSE(has_line(out, "* SEARCH"));
    }
    // Not in the selected state.
    out = m.s->cmd("h14 CLOSE");
    out = m.s->cmd("h15 SEARCH ALL");
    CHECK(tagged_line(out, "h15").rfind("h15 BAD", 0) == 0);
}

TEST_CASE("SEARCH MODSEQ (CONDSTORE)") {
    Mailbox5 m;
    auto out = m.s->cmd("k1 SEARCH MODSEQ 1 SEEN");
    auto l = lines(out);
    REQUIRE(l.size() == 3);
    // The first MODSEQ search turns CONDSTORE on (RFC 7162 §3.1).
    CHECK(l[0].rfind("* OK [HIGHESTMODSEQ ", 0) == 0);
    CHECK(l[1].rfind("* SEARCH 1 (MODSEQ ", 0) == 0);
    CHECK(l[1].back() == ')');
    CHECK(l[2] == "k1 OK Search completed.");
    out = m.s->cmd("k2 SEARCH RETURN (COUNT) MODSEQ 1");
    l = lines(out);
    REQUIRE(l.size() == 2);
    CHECK(l[0].rfind("* ESEARCH (TAG \"k2\") COUNT 5 MODSEQ ", 0) == 0);
    // Nothing found: no MODSEQ.
    CHECK(m.result("k3 SEARCH MODSEQ 9223372036854775807") == "* SEARCH");
    // The highest modseq of the matches is the one of the last change.
    m.s->cmd("k4 STORE 2 +FLAGS.SILENT (\\Seen)");
    out = m.s->cmd("k5 FETCH 2 (MODSEQ)");
    auto fetched = lines(out)[0]; // "* 2 FETCH (MODSEQ (n))"
    auto modseq = fetched.substr(fetched.find("MODSEQ (") + 8);
    modseq = modseq.substr(0, modseq.find(')'));
    CHECK(m.result("k6 SEARCH MODSEQ 1 SEEN") == "* SEARCH 1 2 (MODSEQ " + modseq + ")");
}

TEST_CASE("SEARCH: a big mailbox is searched in slices") {
    MailEnv env;
    {
        auto u = env.open_user("alice");
        auto box = ms::Mailbox::open(u, "INBOX");
        REQUIRE(box.is_ok());
        auto tx = box->begin();
        std::vector<std::string> texts; // the requests point into these until commit
        texts.reserve(1200);
        for (int i = 1; i <= 1200; ++i) {
            std::string text = "Subject: number " + std::to_string(i) + "\r\n\r\n";
            text += (i == 1 || i == 501 || i == 1000 || i == 1200) ? "a needle here\r\n" : "hay\r\n";
            texts.push_back(std::move(text));
            ms::SaveRequest req;
            req.data = texts.back();
            REQUIRE(tx.save(req).is_ok());
        }
        REQUIRE(tx.commit().is_ok());
    }
    SessionHarness s(env);
    s.login();
    s.cmd("s SELECT INBOX");
    auto out = s.cmd("a SEARCH BODY needle");
    CHECK(out == "* SEARCH 1 501 1000 1200\r\na OK Search completed.\r\n");
    out = s.cmd("b SEARCH RETURN (COUNT ALL) NOT BODY needle");
    CHECK(out == "* ESEARCH (TAG \"b\") ALL 2:500,502:999,1001:1199 COUNT 1196\r\nb OK Search completed.\r\n");
    // A long answer arrives whole and in order.
    out = s.cmd("c SEARCH ALL");
    std::string expected = "* SEARCH";
    for (int i = 1; i <= 1200; ++i)
        expected += " " + std::to_string(i);
    CHECK(out == expected + "\r\nc OK Search completed.\r\n");
}
