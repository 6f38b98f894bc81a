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
template <>
struct StringMaker<std::vector<std::string>> {
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
    return "From: a@example.com\r\nSubject: message " + std::to_string(i) + "\r\n\r\nbody " +
           std::to_string(i) + "\r\n";
}

// Six messages in alice's INBOX, UIDs 1..6; 2 and 4 \Seen.
struct Six {
    MailEnv env;
    Six() {
        for (int i = 1; i <= 6; ++i)
            env.add_message("alice", "INBOX", msg(i),
                            (i == 2 || i == 4) ? mailstore::storage::flag_seen : 0);
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
    // RFC 9394 §4: "-1:-2" is a range from the end; mixed signs are not.
    CHECK(tagged_line(s->cmd("b2 SEARCH RETURN (PARTIAL -1:2) ALL"), "b2") ==
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
    CHECK(s->cmd("B01 UID SEARCH RETURN (UPDATE) UNSEEN") ==
          "* ESEARCH (TAG \"B01\") UID\r\nB01 OK Search completed.\r\n");
    auto other = selected(f.env);

    // A message leaves the result.
    other->cmd("o1 STORE 3 +FLAGS.SILENT (\\Seen)");
    CHECK(untagged(s->cmd("n1 NOOP")) ==
          std::vector<std::string>{"* 3 FETCH (FLAGS (\\Seen))",
                                   "* ESEARCH (TAG \"B01\") UID REMOVEFROM (0 3)"});
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
          std::vector<std::string>{"* ESEARCH (TAG \"B01\") UID REMOVEFROM (0 1,4)", "* 4 EXPUNGE",
                                   "* 3 EXPUNGE", "* 1 EXPUNGE"});
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
    REQUIRE(out.size() >= 3); // RECENT may follow
    CHECK(out[0] == "* ESEARCH (TAG \"B01\") REMOVEFROM (0 1,3)");
    // Messages now: UIDs 2 4 5 6 at 1..4; 5 and 6 (seqs 3, 4) still match.
    other->cmd("o3 UID STORE 2 -FLAGS.SILENT (\\Seen)");
    CHECK(untagged(s->cmd("n2 NOOP")) ==
          std::vector<std::string>{"* 1 FETCH (FLAGS ())", "* ESEARCH (TAG \"B01\") ADDTO (0 1)"});
    REQUIRE(tagged_line(other->cmd(append_cmd("o4", msg(7))), "o4").rfind("o4 OK", 0) == 0);
    CHECK(untagged(s->cmd("n3 NOOP")) ==
          std::vector<std::string>{"* 5 EXISTS", "* ESEARCH (TAG \"B01\") ADDTO (0 5)"});
}

TEST_CASE(
    "no REMOVEFROM for expunges where EXPUNGE may not be sent (RFC 5267 §4.3.4, RFC 3501 §7.4.1)") {
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

TEST_CASE("REMOVEFROM numbers several expunged runs as the client knew them") {
    MailEnv env;
    for (int i = 1; i <= 12; ++i)
        env.add_message("alice", "INBOX", msg(i));
    auto s = selected(env);
    auto other = selected(env);
    // Make UIDs 1 and 4 gone already (the client knows 10 messages: UIDs
    // 2 3 5..12), then expunge UIDs 3, 5, 6, 9, 10 and 12 at once.
    other->cmd("o1 UID STORE 1,4 +FLAGS.SILENT (\\Deleted)");
    other->cmd("o2 EXPUNGE");
    s->cmd("n0 NOOP");
    s->cmd("B01 SEARCH RETURN (UPDATE) ALL");
    s->cmd("B02 UID SEARCH RETURN (UPDATE) ALL");
    other->cmd("o3 UID STORE 3,5:6,9:10,12 +FLAGS.SILENT (\\Deleted)");
    other->cmd("o4 EXPUNGE");
    auto out = untagged(s->cmd("n1 NOOP"));
    REQUIRE(out.size() >= 2);
    CHECK(out[0] == "* ESEARCH (TAG \"B01\") REMOVEFROM (0 2:4,7:8,10)");
    CHECK(out[1] == "* ESEARCH (TAG \"B02\") UID REMOVEFROM (0 3,5:6,9:10,12)");
}

TEST_CASE("the session's own STORE updates its contexts") {
    Six f;
    auto s = selected(f.env);
    s->cmd("B01 UID SEARCH RETURN (UPDATE) FLAGGED");
    CHECK(untagged(s->cmd("t1 STORE 2:3 +FLAGS (\\Flagged)")) ==
          std::vector<std::string>{"* 2 FETCH (FLAGS (\\Flagged \\Seen))",
                                   "* 3 FETCH (FLAGS (\\Flagged))",
                                   "* ESEARCH (TAG \"B01\") UID ADDTO (0 2:3)"});
    CHECK(untagged(s->cmd("t2 UID STORE 3 -FLAGS.SILENT (\\Flagged)")) ==
          std::vector<std::string>{"* ESEARCH (TAG \"B01\") UID REMOVEFROM (0 3)"});
}

TEST_CASE("the session's own EXPUNGE and MOVE: REMOVEFROM before the EXPUNGE responses") {
    Six f;
    auto s = selected(f.env);
    s->cmd("B01 SEARCH RETURN (UPDATE) UNSEEN");
    s->cmd("d STORE 3,5 +FLAGS.SILENT (\\Deleted)");
    CHECK(untagged(s->cmd("x EXPUNGE")) ==
          std::vector<std::string>{"* ESEARCH (TAG \"B01\") REMOVEFROM (0 3,5)", "* 5 EXPUNGE",
                                   "* 3 EXPUNGE"});
    // Now UIDs 1 2 4 6; unseen 1 and 6 (seqs 1, 4). MOVE takes 4 (UID 6).
    s->cmd("c CREATE Other");
    auto out = untagged(s->cmd("m MOVE 4 Other"));
    INFO(doctest::toString(out));
    REQUIRE(out.size() >= 3); // RECENT may follow
    CHECK(out[0].rfind("* OK [COPYUID ", 0) == 0);
    CHECK(out[1] == "* ESEARCH (TAG \"B01\") REMOVEFROM (0 4)");
    CHECK(out[2] == "* 4 EXPUNGE");
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
    CHECK(tagged_line(s->cmd("B01 SEARCH RETURN (COUNT) FLAGGED"), "B01") ==
          "B01 OK Search completed.");
}

TEST_CASE("CANCELUPDATE ends contexts; unknown tags and bad arguments") {
    Six f;
    auto s = selected(f.env);
    s->cmd("B01 UID SEARCH RETURN (UPDATE) UNSEEN");
    s->cmd("B02 UID SEARCH RETURN (UPDATE) SEEN");
    CHECK(s->cmd("c1 CANCELUPDATE") ==
          "c1 BAD Error in IMAP command CANCELUPDATE: Invalid parameters\r\n");
    CHECK(s->cmd("c2 CANCELUPDATE B01") ==
          "c2 BAD Error in IMAP command CANCELUPDATE: Invalid parameters\r\n");
    // One unknown tag: nothing is cancelled.
    CHECK(s->cmd("c3 CANCELUPDATE \"B01\" \"zz\"") == "c3 NO Unknown tag\r\n");
    auto other = selected(f.env);
    other->cmd("o1 STORE 1 +FLAGS.SILENT (\\Seen)");
    CHECK(untagged(s->cmd("n1 NOOP")) ==
          std::vector<std::string>{"* 1 FETCH (FLAGS (\\Seen))",
                                   "* ESEARCH (TAG \"B01\") UID REMOVEFROM (0 1)",
                                   "* ESEARCH (TAG \"B02\") UID ADDTO (0 1)"});
    CHECK(s->cmd("B04 CANCELUPDATE \"B01\"") == "B04 OK Updates cancelled\r\n");
    other->cmd("o2 STORE 3 +FLAGS.SILENT (\\Seen)");
    CHECK(untagged(s->cmd("n2 NOOP")) ==
          std::vector<std::string>{"* 3 FETCH (FLAGS (\\Seen))",
                                   "* ESEARCH (TAG \"B02\") UID ADDTO (0 3)"});
    CHECK(s->cmd("c5 CANCELUPDATE \"B01\"") == "c5 NO Unknown tag\r\n");
    CHECK(s->cmd("c6 CANCELUPDATE \"B02\"") == "c6 OK Updates cancelled\r\n");
    other->cmd("o3 STORE 5 +FLAGS.SILENT (\\Seen)");
    CHECK(untagged(s->cmd("n3 NOOP")) == std::vector<std::string>{"* 5 FETCH (FLAGS (\\Seen))"});
    // The tag may start a new context once cancelled.
    CHECK(tagged_line(s->cmd("B01 SEARCH RETURN (UPDATE) ALL"), "B01") ==
          "B01 OK Search completed.");
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
        CHECK(tagged_line(s->cmd(tag + " UID SEARCH RETURN (UPDATE) ALL"), tag) ==
              tag + " OK Search completed.");
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
    CHECK(tagged_line(s->cmd("x UNSELECT"), "x").rfind("x OK", 0) == 0);
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
          std::vector<std::string>{"* 6 FETCH (FLAGS (\\Seen \\Recent))",
                                   "* ESEARCH (TAG \"A03\") UID REMOVEFROM (0 6)"});
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

// --- sorted contexts (CONTEXT=SORT), driven directly ------------------------
// The engine's sorted path is driven here through a Context that holds a
// real mailbox and collects the untagged lines, independent of SORT's
// command handling (test_imap_contexts.py covers SORT RETURN (UPDATE) on
// the wire); another session changes the mailbox.

#include "session/context.hpp"
// The engine is internal to libimapproto (hidden symbols): its definitions
// are compiled into this program.
#include "session/search_updates.cpp" // NOLINT(bugprone-suspicious-include)

#include <mailstore/search.hpp>
#include <mailstore/sort.hpp>

#include <cstdlib>

namespace {

namespace st = mailstore::storage;
namespace se = mailstore::search;
using imapproto::detail::Context;

[[noreturn]] void not_used() {
    std::abort();
}

class ContextDouble final : public Context {
public:
    explicit ContextDouble(st::Mailbox mailbox) {
        command_.tag = "S01";
        command_.name = "SORT";
        selected_.mailbox = std::make_unique<st::Mailbox>(std::move(mailbox));
    }
    st::Mailbox& mailbox() { return *selected_.mailbox; }
    std::vector<std::string> lines;

    const imapproto::Command& command() const override { return command_; }
    void untagged(std::string_view line) override { lines.push_back("* " + std::string(line)); }
    void continuation(std::string_view) override { not_used(); }
    imapproto::detail::Output& out() override { not_used(); }
    bool output_full() const override { return false; }
    void finish_ok(std::string_view, std::string_view) override { not_used(); }
    void finish_no(std::string_view, std::string_view) override { not_used(); }
    void finish_bad(std::string_view) override { not_used(); }
    void finish_status(const mailstore::Status&) override { not_used(); }
    bool finished() const override { return false; }
    std::optional<std::string> take_line() override { return std::nullopt; }
    void set_delay(std::chrono::milliseconds) override {}
    imapproto::SessionState state() const override { return imapproto::SessionState::selected; }
    const imapproto::SessionOptions& options() const override { not_used(); }
    const imapproto::detail::SessionSettings& settings() const override { not_used(); }
    const mailstore::config::Config& config() const override { not_used(); }
    const mailstore::log::Logger& log() const override { not_used(); }
    imapproto::SessionStats& stats() override { not_used(); }
    imapproto::LoginBackend* login_backend() override { return nullptr; }
    bool plaintext_allowed() const override { return true; }
    mailstore::Status login(const std::string&, const std::string&,
                            const mailstore::auth::FieldList&) override {
        not_used();
    }
    void request_starttls() override {}
    bool tls_active() const override { return false; }
    bool starttls_available() const override { return false; }
    void request_compress() override {}
    bool compress_active() const override { return false; }
    void request_logout() override {}
    std::string capabilities() const override { return ""; }
    st::User& user() override { not_used(); }
    imapproto::detail::Selected* selected() override { return &selected_; }
    void select(std::unique_ptr<st::Mailbox>, bool) override { not_used(); }
    void deselect() override { not_used(); }
    void send_updates(bool) override { not_used(); }
    void send_flags() override {}
    Enabled& enabled() override { return enabled_; }
    st::UidSet& saved_result() override { return saved_; }
    imapproto::detail::SearchUpdates& search_updates() override { return updates_; }
    imapproto::detail::Notify& notify() override { not_used(); }
    const std::string& spool_dir() const override { return spool_; }

    imapproto::detail::SearchUpdates updates_;

    // What the session does after a command: sync, then the two hooks.
    std::vector<std::string> sync() {
        lines.clear();
        auto r = mailbox().sync();
        REQUIRE(r);
        updates_.before_expunges(*this, r.value());
        updates_.after_sync(*this, r.value());
        return lines;
    }

private:
    imapproto::Command command_;
    imapproto::detail::Selected selected_;
    Enabled enabled_;
    st::UidSet saved_;
    std::string spool_;
};

std::string subject_msg(const std::string& subject) {
    return "From: a@example.com\r\nSubject: " + subject + "\r\n\r\nbody\r\n";
}

// A SORT (SUBJECT) context over UNSEEN, created the way SORT would.
void add_sorted_context(ContextDouble& ctx, bool uid, const std::string& tag) {
    auto program = se::parse(std::string_view("UNSEEN"));
    REQUIRE(program);
    auto criteria = se::parse_sort_criteria(std::string_view("SUBJECT"));
    REQUIRE(criteria);
    auto found = se::evaluate(ctx.mailbox(), program.value());
    REQUIRE(found);
    auto sorted = se::sort(ctx.mailbox(), found.value(), criteria.value());
    REQUIRE(sorted);
    imapproto::detail::SearchContextSpec spec;
    spec.program = std::move(program).value();
    spec.uid = uid;
    spec.sort = criteria.value();
    REQUIRE(ctx.search_updates().add_context(ctx, tag, std::move(spec), sorted.value()));
}

} // namespace

TEST_CASE("sorted contexts report positions in the sort order (RFC 5267 §4.3.3, §4.3.4)") {
    MailEnv env;
    // UIDs 1..4: subjects d, b, f, h; all unseen. Sorted: b(2) d(1) f(3) h(4).
    for (const char* subject : {"d", "b", "f", "h"})
        env.add_message("alice", "INBOX", subject_msg(subject));
    auto user = env.open_user("alice");
    auto opened = st::Mailbox::open(user, "INBOX");
    REQUIRE(opened);
    ContextDouble ctx(std::move(opened).value());
    add_sorted_context(ctx, true, "S01");
    add_sorted_context(ctx, false, "S02");
    CHECK(ctx.search_updates().has_context("S01"));

    // New mail: c and e go to positions 2 and 4 (b c d e f h); a and g
    // (UIDs 7, 8) to 1 and 7... each at its final place, in sort order.
    env.add_message("alice", "INBOX", subject_msg("c")); // UID 5
    env.add_message("alice", "INBOX", subject_msg("e")); // UID 6
    CHECK(ctx.sync() == std::vector<std::string>{"* ESEARCH (TAG \"S01\") UID ADDTO (2 5 4 6)",
                                                 "* ESEARCH (TAG \"S02\") ADDTO (2 5 4 6)"});
    env.add_message("alice", "INBOX", subject_msg("a"));  // UID 7
    env.add_message("alice", "INBOX", subject_msg("g"));  // UID 8
    env.add_message("alice", "INBOX", subject_msg("g2")); // UID 9
    // a b c d e f g g2 h
    CHECK(ctx.sync() == std::vector<std::string>{"* ESEARCH (TAG \"S01\") UID ADDTO (1 7 7 8:9)",
                                                 "* ESEARCH (TAG \"S02\") ADDTO (1 7 7 8:9)"});

    // Another session sets \Seen on d (UID 1, position 4) and e (UID 6,
    // position 5): one run at position 4.
    auto other = selected(env);
    other->cmd("o1 UID STORE 1,6 +FLAGS.SILENT (\\Seen)");
    CHECK(ctx.sync() == std::vector<std::string>{"* ESEARCH (TAG \"S01\") UID REMOVEFROM (4 1,6)",
                                                 "* ESEARCH (TAG \"S02\") REMOVEFROM (4 1,6)"});
    // a b c f g g2 h. Expunging b (UID 2, seq 2) and g2 (UID 9, seq 9):
    // removed at 2 and then 5 (after b is gone), before the expunge.
    other->cmd("o2 UID STORE 2,9 +FLAGS.SILENT (\\Deleted)");
    other->cmd("o3 EXPUNGE");
    CHECK(ctx.sync() == std::vector<std::string>{"* ESEARCH (TAG \"S01\") UID REMOVEFROM (2 2 5 9)",
                                                 "* ESEARCH (TAG \"S02\") REMOVEFROM (2 2 5 9)"});
    // d unseen again: back at position 3 (a c d f g h); as a sequence
    // number it is 1 now.
    other->cmd("o4 UID STORE 1 -FLAGS.SILENT (\\Seen)");
    CHECK(ctx.sync() == std::vector<std::string>{"* ESEARCH (TAG \"S01\") UID ADDTO (3 1)",
                                                 "* ESEARCH (TAG \"S02\") ADDTO (3 1)"});
    CHECK(ctx.search_updates().cancel("S02"));
    CHECK(!ctx.search_updates().cancel("S02"));
    CHECK(ctx.search_updates().size() == 1);
}

TEST_CASE("many new matches of a sorted context are placed by one sort") {
    MailEnv env;
    env.add_message("alice", "INBOX", subject_msg("m050"));
    auto user = env.open_user("alice");
    auto opened = st::Mailbox::open(user, "INBOX");
    REQUIRE(opened);
    ContextDouble ctx(std::move(opened).value());
    add_sorted_context(ctx, true, "S01");
    // 100 new messages (more than are placed one by one): subjects m000..m099
    // in reverse arrival order; m050 (UID 1) already holds position 51.
    for (int i = 99; i >= 0; --i) {
        char subject[8];
        std::snprintf(subject, sizeof subject, "m%03d", i);
        if (i != 50)
            env.add_message("alice", "INBOX", subject_msg(subject));
        else
            env.add_message("alice", "INBOX", subject_msg("m050b"));
    }
    auto out = ctx.sync();
    REQUIRE(out.size() == 1);
    // Final order: m000 (UID 101) ... m049 (UID 52), m050 (UID 1), m050b
    // (UID 51), m051 (UID 50) ... m099 (UID 2): every new one is reported
    // at its final position; consecutive positions share one pair, the
    // UIDs in sort order (descending here, so no ranges: RFC 5267 §3.2).
    std::string expected = "* ESEARCH (TAG \"S01\") UID ADDTO (1 ";
    for (int uid = 101; uid >= 52; --uid)
        expected += std::to_string(uid) + (uid > 52 ? "," : "");
    expected += " 52 ";
    for (int uid = 51; uid >= 2; --uid)
        expected += std::to_string(uid) + (uid > 2 ? "," : "");
    expected += ')';
    CHECK(out[0] == expected);
}
