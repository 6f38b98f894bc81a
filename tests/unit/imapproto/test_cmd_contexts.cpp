// ESEARCH completion and CONTEXT=SEARCH (RFC 4731, RFC 5267 §4): PARTIAL
// ranges, the CONTEXT hint, UPDATE contexts kept up to date while another
// session appends, stores and expunges (exact ADDTO/REMOVEFROM lines and
// their place among the other untagged responses), CANCELUPDATE, NOUPDATE
// at the limit, and contexts ending with the selection.
#include "session_harness.hpp"

#include <doctest/doctest.h>

#include <memory>
#include <string>
#include <vector>

using namespace imap_test;

namespace doctest {
template <> struct StringMaker<std::vector<std::string>> {
    static String convert(const std::vector<std::string>& lines) {
        std::string text = "{";
        for (const auto& line : lines)
            text += "\n  " + line;
        text += "}";
        return String(text.c_str());
    }
};
} // namespace doctest

namespace {

std::string msg(int i) {
    return "From: a@example.com\r\nSubject: message " + std::to_string(i) + "\r\n\r\nbody " + std::to_string(i) + "\r\n";
}

// Six messages in alice's INBOX, UIDs 1..6; 2 and 4 \Seen.
struct Six {
    MailEnv env;
    Six() {
        for (int i = 1; i <= 6; ++i)
            env.add_message("alice", "INBOX", msg(i), (i == 2 || i == 4) ? mailstore::storage::flag_seen : 0);
    }
};

std::unique_ptr<SessionHarness> selected(MailEnv& env) {
    auto s = std::make_unique<SessionHarness>(env);
    s->login();
    REQUIRE(tagged_line(s->cmd("s SELECT INBOX"), "s").rfind("s OK", 0) == 0);
    return s;
}

// The untagged lines of `out`, without the tagged one.
std::vector<std::string> untagged(const std::string& out) {
    std::vector<std::string> result;
    for (auto& line : lines(out))
        if (line.rfind("* ", 0) == 0)
            result.push_back(line);
    return result;
}

std::string append_cmd(const std::string& tag, const std::string& data) {
    return tag + " APPEND INBOX {" + std::to_string(data.size()) + "+}\r\n" + data;
}

} // namespace

TEST_CASE("PARTIAL returns the results at the positions asked for (RFC 5267 §4.4)") {
    Six f;
    auto s = selected(f.env);
    CHECK(s->cmd("p1 SEARCH RETURN (PARTIAL 2:4) ALL") ==
          "* ESEARCH (TAG \"p1\") PARTIAL (2:4 2:4)\r\np1 OK Search completed.\r\n");
    // 500:400 is 400:500 (§5); written low:high as Dovecot does.
    CHECK(untagged(s->cmd("p2 SEARCH RETURN (PARTIAL 4:2) ALL")) ==
          std::vector<std::string>{"* ESEARCH (TAG \"p2\") PARTIAL (2:4 2:4)"});
    // Positions in the result, not sequence numbers: UNSEEN is 1,3,5,6.
    CHECK(untagged(s->cmd("p3 SEARCH RETURN (PARTIAL 2:3) UNSEEN")) ==
          std::vector<std::string>{"* ESEARCH (TAG \"p3\") PARTIAL (2:3 3,5)"});
    // A range spanning the end gives what exists; beyond it, NIL (§4.4 A02/A04).
    CHECK(untagged(s->cmd("p4 UID SEARCH RETURN (PARTIAL 3:500) UNSEEN")) ==
          std::vector<std::string>{"* ESEARCH (TAG \"p4\") UID PARTIAL (3:500 5:6)"});
    CHECK(untagged(s->cmd("p5 UID SEARCH RETURN (PARTIAL 24000:24500) UNSEEN")) ==
          std::vector<std::string>{"* ESEARCH (TAG \"p5\") UID PARTIAL (24000:24500 NIL)"});
    CHECK(untagged(s->cmd("p6 SEARCH RETURN (PARTIAL 1:10) KEYWORD nothing")) ==
          std::vector<std::string>{"* ESEARCH (TAG \"p6\") PARTIAL (1:10 NIL)"});
    // With the other options, in Dovecot's order: MIN MAX PARTIAL COUNT.
    CHECK(untagged(s->cmd("p7 SEARCH RETURN (COUNT PARTIAL 1:2 MAX MIN) ALL")) ==
          std::vector<std::string>{"* ESEARCH (TAG \"p7\") MIN 1 MAX 6 PARTIAL (1:2 1:2) COUNT 6"});
    // The largest nz-number is a valid bound.
    CHECK(untagged(s->cmd("p8 SEARCH RETURN (partial 1:4294967295) ALL")) ==
          std::vector<std::string>{"* ESEARCH (TAG \"p8\") PARTIAL (1:4294967295 1:6)"});
}

TEST_CASE("bad PARTIAL ranges and option combinations answer BAD") {
    Six f;
    auto s = selected(f.env);
    CHECK(tagged_line(s->cmd("b1 SEARCH RETURN (PARTIAL 0:2) ALL"), "b1") ==
          "b1 BAD Error in IMAP command SEARCH: PARTIAL range broken");
    CHECK(tagged_line(s->cmd("b2 SEARCH RETURN (PARTIAL -1:-2) ALL"), "b2") ==
          "b2 BAD Error in IMAP command SEARCH: PARTIAL range broken");
    CHECK(tagged_line(s->cmd("b3 SEARCH RETURN (PARTIAL 1:*) ALL"), "b3") ==
          "b3 BAD Error in IMAP command SEARCH: PARTIAL range broken");
    CHECK(tagged_line(s->cmd("b4 SEARCH RETURN (PARTIAL 1:4294967296) ALL"), "b4") ==
          "b4 BAD Error in IMAP command SEARCH: PARTIAL range broken");
    CHECK(tagged_line(s->cmd("b5 SEARCH RETURN (PARTIAL 5) ALL"), "b5") ==
          "b5 BAD Error in IMAP command SEARCH: PARTIAL range broken");
    CHECK(tagged_line(s->cmd("b6 SEARCH RETURN (PARTIAL) ALL"), "b6") ==
          "b6 BAD Error in IMAP command SEARCH: PARTIAL range missing");
    CHECK(tagged_line(s->cmd("b7 SEARCH RETURN (PARTIAL 1:2 PARTIAL 3:4) ALL"), "b7") ==
          "b7 BAD Error in IMAP command SEARCH: PARTIAL can be used only once");
    // §4.4: one PARTIAL, one ALL, or neither.
    CHECK(tagged_line(s->cmd("b8 SEARCH RETURN (PARTIAL 1:2 ALL) ALL"), "b8") ==
          "b8 BAD Error in IMAP command SEARCH: PARTIAL conflicts with ALL");
    CHECK(tagged_line(s->cmd("b9 SEARCH RETURN (PARTIAL 01:2) ALL"), "b9") ==
          "b9 BAD Error in IMAP command SEARCH: PARTIAL range broken");
    CHECK(tagged_line(s->cmd("b10 SEARCH RETURN (PARTIAL (1:2)) ALL"), "b10") ==
          "b10 BAD Error in IMAP command SEARCH: PARTIAL range missing");
}

TEST_CASE("the CONTEXT hint is accepted and changes nothing (RFC 5267 §4.2)") {
    Six f;
    auto s = selected(f.env);
    CHECK(s->cmd("A01 SEARCH RETURN (CONTEXT COUNT) UNSEEN") ==
          "* ESEARCH (TAG \"A01\") COUNT 4\r\nA01 OK Search completed.\r\n");
    // CONTEXT alone is like RETURN (): ALL.
    CHECK(untagged(s->cmd("A02 SEARCH RETURN (CONTEXT) UNSEEN")) ==
          std::vector<std::string>{"* ESEARCH (TAG \"A02\") ALL 1,3,5:6"});
}

TEST_CASE("UPDATE: another session's flag changes, appends and expunges (RFC 5267 §4.3)") {
    Six f;
    auto s = selected(f.env);
    // UPDATE alone returns an ESEARCH without data.
    CHECK(s->cmd("B01 UID SEARCH RETURN (UPDATE) UNSEEN") == "* ESEARCH (TAG \"B01\") UID\r\nB01 OK Search completed.\r\n");
    auto other = selected(f.env);

    // A message leaves the result.
    other->cmd("o1 STORE 3 +FLAGS.SILENT (\\Seen)");
    CHECK(untagged(s->cmd("n1 NOOP")) ==
          std::vector<std::string>{"* 3 FETCH (FLAGS (\\Seen))", "* ESEARCH (TAG \"B01\") UID REMOVEFROM (0 3)"});
    // Two enter it: one set in mailbox order.
    other->cmd("o2 STORE 2,4 -FLAGS.SILENT (\\Seen)");
    CHECK(untagged(s->cmd("n2 NOOP")) ==
          std::vector<std::string>{"* 2 FETCH (FLAGS ())", "* 4 FETCH (FLAGS ())",
                                   "* ESEARCH (TAG \"B01\") UID ADDTO (0 2,4)"});
    // A change that does not touch the result says nothing about it.
    other->cmd("o3 STORE 2 +FLAGS.SILENT (\\Flagged)");
    CHECK(untagged(s->cmd("n3 NOOP")) == std::vector<std::string>{"* 2 FETCH (FLAGS (\\Flagged))"});
    // New mail: ADDTO after EXISTS (§4.3.3).
    REQUIRE(tagged_line(other->cmd(append_cmd("o4", msg(7))), "o4").rfind("o4 OK", 0) == 0);
    REQUIRE(tagged_line(other->cmd(append_cmd("o5", msg(8))), "o5").rfind("o5 OK", 0) == 0);
    other->cmd("o6 STORE 8 +FLAGS.SILENT (\\Seen)");
    CHECK(untagged(s->cmd("n4 NOOP")) ==
          std::vector<std::string>{"* 8 EXISTS", "* ESEARCH (TAG \"B01\") UID ADDTO (0 7)"});
    // Expunges: REMOVEFROM before EXPUNGE (§4.3.4).
    other->cmd("o7 STORE 1,3,4 +FLAGS.SILENT (\\Deleted)");
    other->cmd("o8 EXPUNGE");
    CHECK(untagged(s->cmd("n5 NOOP")) ==
          std::vector<std::string>{"* ESEARCH (TAG \"B01\") UID REMOVEFROM (0 1,4)", "* 4 EXPUNGE", "* 3 EXPUNGE",
                                   "* 1 EXPUNGE"});
    // What is left: UIDs 2 5 6 7.
    CHECK(untagged(s->cmd("c UID SEARCH RETURN (ALL) UNSEEN")) ==
          std::vector<std::string>{"* ESEARCH (TAG \"c\") UID ALL 2,5:7"});
}

TEST_CASE("UPDATE of a SEARCH without UID reports sequence numbers (RFC 5267 §4.3.2)") {
    Six f;
    auto s = selected(f.env);
    CHECK(untagged(s->cmd("B01 SEARCH RETURN (UPDATE COUNT) UNSEEN")) ==
          std::vector<std::string>{"* ESEARCH (TAG \"B01\") COUNT 4"});
    auto other = selected(f.env);
    // Expunging 1 and 3: the REMOVEFROM names the numbers the client still
    // knows, before the EXPUNGE responses change them.
    other->cmd("o1 STORE 1,3 +FLAGS.SILENT (\\Deleted)");
    other->cmd("o2 EXPUNGE");
    auto out = untagged(s->cmd("n1 NOOP"));
    REQUIRE(out.size() == 3);
    CHECK(out[0] == "* ESEARCH (TAG \"B01\") REMOVEFROM (0 1,3)");
    // Messages now: UIDs 2 4 5 6 at 1..4; 5 and 6 (seqs 3, 4) still match.
    other->cmd("o3 UID STORE 2 -FLAGS.SILENT (\\Seen)");
    CHECK(untagged(s->cmd("n2 NOOP")) ==
          std::vector<std::string>{"* 1 FETCH (FLAGS ())", "* ESEARCH (TAG \"B01\") ADDTO (0 1)"});
    REQUIRE(tagged_line(other->cmd(append_cmd("o4", msg(7))), "o4").rfind("o4 OK", 0) == 0);
    CHECK(untagged(s->cmd("n3 NOOP")) ==
          std::vector<std::string>{"* 5 EXISTS", "* ESEARCH (TAG \"B01\") ADDTO (0 5)"});
}

TEST_CASE("no REMOVEFROM for expunges where EXPUNGE may not be sent (RFC 5267 §4.3.4, RFC 3501 §7.4.1)") {
    Six f;
    auto s = selected(f.env);
    s->cmd("B01 UID SEARCH RETURN (UPDATE) ALL");
    auto other = selected(f.env);
    other->cmd("o1 STORE 5 +FLAGS.SILENT (\\Deleted)");
    other->cmd("o2 EXPUNGE");
    // FETCH, STORE and SEARCH send no EXPUNGE, and no REMOVEFROM for it.
    auto out = untagged(s->cmd("f1 FETCH 1 UID"));
    CHECK(out == std::vector<std::string>{"* 1 FETCH (UID 1)"});
    // (The expunged message no longer matches: its file is gone.)
    out = untagged(s->cmd("f2 SEARCH RETURN (COUNT) ALL"));
    CHECK(out == std::vector<std::string>{"* ESEARCH (TAG \"f2\") COUNT 5"});
    CHECK(untagged(s->cmd("n1 NOOP")) ==
          std::vector<std::string>{"* ESEARCH (TAG \"B01\") UID REMOVEFROM (0 5)", "* 5 EXPUNGE"});
}

TEST_CASE("the session's own STORE updates its contexts") {
    Six f;
    auto s = selected(f.env);
    s->cmd("B01 UID SEARCH RETURN (UPDATE) FLAGGED");
    CHECK(untagged(s->cmd("t1 STORE 2:3 +FLAGS (\\Flagged)")) ==
          std::vector<std::string>{"* 2 FETCH (FLAGS (\\Flagged \\Seen))", "* 3 FETCH (FLAGS (\\Flagged))",
                                   "* ESEARCH (TAG \"B01\") UID ADDTO (0 2:3)"});
    CHECK(untagged(s->cmd("t2 UID STORE 3 -FLAGS.SILENT (\\Flagged)")) ==
          std::vector<std::string>{"* ESEARCH (TAG \"B01\") UID REMOVEFROM (0 3)"});
}

TEST_CASE("sequence numbers and $ in the program are fixed when the command runs (RFC 5267 §4.3)") {
    Six f;
    auto s = selected(f.env);
    // 5:6 means UIDs 5 and 6, whatever happens later.
    CHECK(untagged(s->cmd("B01 UID SEARCH RETURN (UPDATE ALL) 5:6 UNSEEN")) ==
          std::vector<std::string>{"* ESEARCH (TAG \"B01\") UID ALL 5:6"});
    s->cmd("v UID SEARCH RETURN (SAVE) 1:2");
    CHECK(untagged(s->cmd("B02 UID SEARCH RETURN (UPDATE SAVE COUNT) $ SEEN")) ==
          std::vector<std::string>{"* ESEARCH (TAG \"B02\") UID COUNT 1"});
    auto other = selected(f.env);
    other->cmd("o1 STORE 1 +FLAGS.SILENT (\\Deleted)");
    other->cmd("o2 EXPUNGE");
    REQUIRE(tagged_line(other->cmd(append_cmd("o3", msg(7))), "o3").rfind("o3 OK", 0) == 0);
    // The new message is 6 now, but not in the context.
    auto out = untagged(s->cmd("n1 NOOP"));
    CHECK(out == std::vector<std::string>{"* 1 EXPUNGE", "* 6 EXISTS"});
    // UID 1 was in "$" when B02 ran: still there for B02, and it matches
    // once \Seen... but it is gone; UID 2 (now 1) loses \Seen.
    other->cmd("o4 UID STORE 2 -FLAGS.SILENT (\\Seen)");
    other->cmd("o5 UID STORE 6 +FLAGS.SILENT (\\Seen)");
    CHECK(untagged(s->cmd("n2 NOOP")) ==
          std::vector<std::string>{"* 1 FETCH (FLAGS ())", "* 5 FETCH (FLAGS (\\Seen \\Recent))",
                                   "* ESEARCH (TAG \"B01\") UID REMOVEFROM (0 6)",
                                   "* ESEARCH (TAG \"B02\") UID REMOVEFROM (0 2)"});
}

TEST_CASE("a tag in use by an UPDATE context is refused (RFC 5267 §4.3)") {
    Six f;
    auto s = selected(f.env);
    s->cmd("B01 UID SEARCH RETURN (UPDATE COUNT) DELETED");
    CHECK(s->cmd("B01 SEARCH RETURN (UPDATE) FLAGGED") ==
          "B01 BAD Error in IMAP command SEARCH: Duplicate search update tag\r\n");
    // Without UPDATE the tag may be used again (no context is created).
    CHECK(tagged_line(s->cmd("B01 SEARCH RETURN (COUNT) FLAGGED"), "B01") == "B01 OK Search completed.");
}

TEST_CASE("CANCELUPDATE ends contexts; unknown tags and bad arguments") {
    Six f;
    auto s = selected(f.env);
    s->cmd("B01 UID SEARCH RETURN (UPDATE) UNSEEN");
    s->cmd("B02 UID SEARCH RETURN (UPDATE) SEEN");
    CHECK(s->cmd("c1 CANCELUPDATE") == "c1 BAD Error in IMAP command CANCELUPDATE: Invalid parameters\r\n");
    CHECK(s->cmd("c2 CANCELUPDATE B01") == "c2 BAD Error in IMAP command CANCELUPDATE: Invalid parameters\r\n");
    // One unknown tag: nothing is cancelled.
    CHECK(s->cmd("c3 CANCELUPDATE \"B01\" \"zz\"") == "c3 NO Unknown tag\r\n");
    auto other = selected(f.env);
    other->cmd("o1 STORE 1 +FLAGS.SILENT (\\Seen)");
    CHECK(untagged(s->cmd("n1 NOOP")) ==
          std::vector<std::string>{"* 1 FETCH (FLAGS (\\Seen))", "* ESEARCH (TAG \"B01\") UID REMOVEFROM (0 1)",
                                   "* ESEARCH (TAG \"B02\") UID ADDTO (0 1)"});
    CHECK(s->cmd("B04 CANCELUPDATE \"B01\"") == "B04 OK Updates cancelled\r\n");
    other->cmd("o2 STORE 3 +FLAGS.SILENT (\\Seen)");
    CHECK(untagged(s->cmd("n2 NOOP")) ==
          std::vector<std::string>{"* 3 FETCH (FLAGS (\\Seen))", "* ESEARCH (TAG \"B02\") UID ADDTO (0 3)"});
    CHECK(s->cmd("c5 CANCELUPDATE \"B01\"") == "c5 NO Unknown tag\r\n");
    CHECK(s->cmd("c6 CANCELUPDATE \"B02\"") == "c6 OK Updates cancelled\r\n");
    other->cmd("o3 STORE 5 +FLAGS.SILENT (\\Seen)");
    CHECK(untagged(s->cmd("n3 NOOP")) == std::vector<std::string>{"* 5 FETCH (FLAGS (\\Seen))"});
    // The tag may start a new context once cancelled.
    CHECK(tagged_line(s->cmd("B01 SEARCH RETURN (UPDATE) ALL"), "B01") == "B01 OK Search completed.");
}

TEST_CASE("CANCELUPDATE needs a selected mailbox") {
    Six f;
    SessionHarness h(f.env);
    h.login();
    CHECK(tagged_line(h.cmd("c1 CANCELUPDATE \"x\""), "c1").rfind("c1 BAD", 0) == 0);
}

TEST_CASE("NOUPDATE when the context limit is reached (RFC 5267 §4.3.1)") {
    Six f;
    auto s = selected(f.env);
    for (int i = 0; i < 10; ++i) {
        const std::string tag = "u" + std::to_string(i);
        CHECK(tagged_line(s->cmd(tag + " UID SEARCH RETURN (UPDATE) ALL"), tag) == tag + " OK Search completed.");
    }
    // The other options are still honoured.
    CHECK(s->cmd("B02 UID SEARCH RETURN (UPDATE COUNT) UNSEEN") ==
          "* ESEARCH (TAG \"B02\") UID COUNT 4\r\n* NO [NOUPDATE \"B02\"] Too many contexts\r\n"
          "B02 OK Search completed.\r\n");
    // B02 is no context.
    CHECK(s->cmd("c CANCELUPDATE \"B02\"") == "c NO Unknown tag\r\n");
    CHECK(s->cmd("c2 CANCELUPDATE \"u0\" \"u1\"") == "c2 OK Updates cancelled\r\n");
    CHECK(s->cmd("B03 UID SEARCH RETURN (UPDATE COUNT) UNSEEN") ==
          "* ESEARCH (TAG \"B03\") UID COUNT 4\r\nB03 OK Search completed.\r\n");
}

TEST_CASE("contexts end with the selection") {
    Six f;
    auto s = selected(f.env);
    s->cmd("B01 UID SEARCH RETURN (UPDATE) UNSEEN");
    s->cmd("B02 SEARCH RETURN (UPDATE) UNSEEN");
    CHECK(tagged_line(s->cmd("x UNSELECT"), "x") .rfind("x OK", 0) == 0);
    s->cmd("s2 SELECT INBOX");
    CHECK(s->cmd("c CANCELUPDATE \"B01\"") == "c NO Unknown tag\r\n");
    auto other = selected(f.env);
    other->cmd("o1 STORE 1 +FLAGS.SILENT (\\Seen)");
    CHECK(untagged(s->cmd("n1 NOOP")) == std::vector<std::string>{"* 1 FETCH (FLAGS (\\Seen))"});
    // SELECT of another mailbox ends them too.
    s->cmd("B03 UID SEARCH RETURN (UPDATE) ALL");
    s->cmd("cr CREATE Other");
    s->cmd("s3 SELECT Other");
    CHECK(s->cmd("c2 CANCELUPDATE \"B03\"") == "c2 NO Unknown tag\r\n");
}

TEST_CASE("PARTIAL with UPDATE: the updates cover every match (RFC 5267 §4.4)") {
    Six f;
    auto s = selected(f.env);
    CHECK(untagged(s->cmd("A03 UID SEARCH RETURN (PARTIAL 1:2 UPDATE) UNSEEN")) ==
          std::vector<std::string>{"* ESEARCH (TAG \"A03\") UID PARTIAL (1:2 1,3)"});
    auto other = selected(f.env);
    other->cmd("o1 STORE 6 +FLAGS.SILENT (\\Seen)");
    CHECK(untagged(s->cmd("n1 NOOP")) ==
          std::vector<std::string>{"* 6 FETCH (FLAGS (\\Seen \\Recent))", "* ESEARCH (TAG \"A03\") UID REMOVEFROM (0 6)"});
}

TEST_CASE("updates arrive during IDLE") {
    Six f;
    auto s = selected(f.env);
    s->cmd("B01 UID SEARCH RETURN (UPDATE) UNSEEN");
    CHECK(s->send("i IDLE") == "+ idling\r\n");
    auto other = selected(f.env);
    REQUIRE(tagged_line(other->cmd(append_cmd("o1", msg(7))), "o1").rfind("o1 OK", 0) == 0);
    s->session().wake();
    auto out = s->send_raw("");
    CHECK(out == "* 7 EXISTS\r\n* ESEARCH (TAG \"B01\") UID ADDTO (0 7)\r\n");
    CHECK(tagged_line(s->send("DONE"), "i") == "i OK Idle completed.");
}

TEST_CASE("a session closed with contexts open frees them") {
    Six f;
    {
        auto s = selected(f.env);
        for (int i = 0; i < 10; ++i)
            s->cmd("u" + std::to_string(i) + " UID SEARCH RETURN (UPDATE) ALL");
        // Dropped without LOGOUT: the sanitizer builds check nothing leaks.
    }
    auto s = selected(f.env);
    s->cmd("u0 UID SEARCH RETURN (UPDATE) ALL");
    CHECK(tagged_line(s->cmd("l LOGOUT"), "l") == "l OK Logout completed.");
}
