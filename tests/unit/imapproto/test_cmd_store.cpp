// STORE and UID STORE against a session over a real Maildir: every mode,
// .SILENT, keywords, the refused \Recent, read-only mailboxes, CONDSTORE's
// UNCHANGEDSINCE, and two sessions seeing each other's flag changes.
#include "session_harness.hpp"

#include <doctest/doctest.h>

#include <mailstore/storage/mailbox.hpp>

#include <memory>
#include <string>

using namespace imap_test;
namespace ms = mailstore::storage;

namespace {

// Three messages with sequence numbers 1..3 and UIDs 2..4.
struct Store3 {
    MailEnv env;
    std::unique_ptr<SessionHarness> s;

    Store3() {
        REQUIRE(env.add_message("alice", "INBOX", "Subject: gone\r\n\r\ngone\r\n") == 1);
        // One transaction, \Recent left for the session to claim.
        auto u = env.open_user("alice");
        ms::OpenOptions options;
        options.claim_recent = false;
        auto box = ms::Mailbox::open(u, "INBOX", options);
        REQUIRE(box.is_ok());
        auto tx = box->begin();
        ms::UidSet one;
        one.add(1);
        REQUIRE(tx.expunge(one).is_ok());
        REQUIRE(tx.commit().is_ok());
        tx = box->begin();
        std::vector<std::string> texts; // the requests point into these until commit
        texts.reserve(3);
        for (int i = 1; i <= 3; ++i) {
            texts.push_back("Subject: m" + std::to_string(i) + "\r\n\r\nbody\r\n");
            ms::SaveRequest req;
            req.data = texts.back();
            REQUIRE(tx.save(req).is_ok());
        }
        REQUIRE(tx.commit().is_ok());
        s = std::make_unique<SessionHarness>(env);
        s->login();
        REQUIRE(has_line(s->cmd("s SELECT INBOX"), "* 3 EXISTS"));
    }

    // Flags and keywords of UID `uid` as stored, read through a new
    // Mailbox: "\Seen \Flagged | kw1 kw2".
    std::string on_disk(ms::Uid uid) {
        auto u = env.open_user("alice");
        ms::OpenOptions options;
        options.read_only = true;
        auto box = ms::Mailbox::open(u, "INBOX", options);
        REQUIRE(box.is_ok());
        ms::Seq seq = box->view().seq(uid);
        REQUIRE(seq != 0);
        std::string text = ms::format_flags(box->view().flags(seq)) + " |";
        for (const auto& kw : box->view().keywords(seq))
            text += " " + kw;
        return text;
    }
};

} // namespace

TEST_CASE("STORE +FLAGS, -FLAGS and FLAGS answer with the resulting flags") {
    Store3 m;
    auto out = m.s->cmd("a1 STORE 1 +FLAGS (\\Seen)");
    CHECK(out == "* 1 FETCH (FLAGS (\\Seen \\Recent))\r\na1 OK Store completed.\r\n");
    CHECK(m.on_disk(2) == "\\Seen |");
    // Nothing changes: no FETCH.
    out = m.s->cmd("a2 STORE 1 +FLAGS (\\Seen)");
    CHECK(out == "a2 OK Store completed.\r\n");
    // Bare flags without parentheses, and a flag name in any case.
    out = m.s->cmd("a3 STORE 1:2 +FLAGS \\Answered \\flagged");
    CHECK(out == "* 1 FETCH (FLAGS (\\Answered \\Flagged \\Seen \\Recent))\r\n"
                 "* 2 FETCH (FLAGS (\\Answered \\Flagged \\Recent))\r\n"
                 "a3 OK Store completed.\r\n");
    CHECK(m.on_disk(3) == "\\Answered \\Flagged |");
    out = m.s->cmd("a4 STORE 1:* -FLAGS (\\Answered)");
    CHECK(out == "* 1 FETCH (FLAGS (\\Flagged \\Seen \\Recent))\r\n"
                 "* 2 FETCH (FLAGS (\\Flagged \\Recent))\r\n"
                 "a4 OK Store completed.\r\n");
    // FLAGS replaces everything (\Recent stays: it is not stored).
    out = m.s->cmd("a5 STORE 1,3 FLAGS (\\Draft)");
    CHECK(out == "* 1 FETCH (FLAGS (\\Draft \\Recent))\r\n"
                 "* 3 FETCH (FLAGS (\\Draft \\Recent))\r\n"
                 "a5 OK Store completed.\r\n");
    CHECK(m.on_disk(2) == "\\Draft |");
    CHECK(m.on_disk(3) == "\\Flagged |");
    CHECK(m.on_disk(4) == "\\Draft |");
    out = m.s->cmd("a6 STORE 1 FLAGS ()");
    CHECK(out == "* 1 FETCH (FLAGS (\\Recent))\r\na6 OK Store completed.\r\n");
    CHECK(m.on_disk(2) == " |");
    // Lower-case item names.
    out = m.s->cmd("a7 store 2 -flags (\\Flagged)");
    CHECK(out == "* 2 FETCH (FLAGS (\\Recent))\r\na7 OK Store completed.\r\n");
}

TEST_CASE("STORE .SILENT sends no FETCH but stores") {
    Store3 m;
    auto out = m.s->cmd("b1 STORE 1:2 +FLAGS.SILENT (\\Seen \\Flagged)");
    CHECK(out == "b1 OK Store completed.\r\n");
    CHECK(m.on_disk(2) == "\\Flagged \\Seen |");
    CHECK(m.on_disk(3) == "\\Flagged \\Seen |");
    out = m.s->cmd("b2 STORE 2 -FLAGS.SILENT (\\Seen)");
    CHECK(out == "b2 OK Store completed.\r\n");
    CHECK(m.on_disk(3) == "\\Flagged |");
    out = m.s->cmd("b3 STORE 3 FLAGS.SILENT (\\Answered)");
    CHECK(out == "b3 OK Store completed.\r\n");
    CHECK(m.on_disk(4) == "\\Answered |");
    // Our own silent changes are not reported later either.
    out = m.s->cmd("b4 NOOP");
    CHECK_FALSE(has_line(out, "* 1 FETCH"));
    CHECK_FALSE(has_line(out, "* 2 FETCH"));
    CHECK_FALSE(has_line(out, "* 3 FETCH"));
    CHECK(tagged_line(out, "b4").rfind("b4 OK", 0) == 0);
}

TEST_CASE("UID STORE names UIDs and answers with UID") {
    Store3 m;
    auto out = m.s->cmd("c1 UID STORE 3 +FLAGS (\\Seen)");
    CHECK(out == "* 2 FETCH (UID 3 FLAGS (\\Seen \\Recent))\r\nc1 OK Store completed.\r\n");
    CHECK(m.on_disk(3) == "\\Seen |");
    out = m.s->cmd("c2 UID STORE 1:3 +FLAGS (\\Flagged)");
    CHECK(out == "* 1 FETCH (UID 2 FLAGS (\\Flagged \\Recent))\r\n"
                 "* 2 FETCH (UID 3 FLAGS (\\Flagged \\Seen \\Recent))\r\n"
                 "c2 OK Store completed.\r\n");
    // UIDs that do not exist are ignored (RFC 3501 §6.4.8).
    out = m.s->cmd("c3 UID STORE 99 +FLAGS (\\Seen)");
    CHECK(out == "c3 OK Store completed.\r\n");
    out = m.s->cmd("c4 UID STORE 10:* +FLAGS (\\Draft)");
    CHECK(out == "* 3 FETCH (UID 4 FLAGS (\\Draft \\Recent))\r\nc4 OK Store completed.\r\n");
    out = m.s->cmd("c5 UID STORE 2 +FLAGS.SILENT (\\Deleted)");
    CHECK(out == "c5 OK Store completed.\r\n");
    CHECK(m.on_disk(2) == "\\Flagged \\Deleted |");
}

TEST_CASE("STORE keywords") {
    Store3 m;
    auto out = m.s->cmd("d1 STORE 1 +FLAGS (project $Label1)");
    auto l = lines(out);
    CHECK(has_line(out, "* 1 FETCH (FLAGS (\\Recent project $Label1))"));
    // New keywords: FLAGS and PERMANENTFLAGS again (RFC 3501 §7.2.6).
    CHECK(has_line(out, "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft project $Label1)"));
    CHECK(has_line(out, "* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft project $Label1 \\*)]"));
    CHECK(tagged_line(out, "d1") == "d1 OK Store completed.");
    CHECK(m.on_disk(2) == " | project $Label1");
    // Known keywords, repeated ones, and removing one.
    out = m.s->cmd("d2 STORE 1:2 +FLAGS (project project \\Seen)");
    CHECK(out == "* 1 FETCH (FLAGS (\\Seen \\Recent project $Label1))\r\n"
                 "* 2 FETCH (FLAGS (\\Seen \\Recent project))\r\n"
                 "d2 OK Store completed.\r\n");
    out = m.s->cmd("d3 STORE 1 -FLAGS ($Label1)");
    CHECK(out == "* 1 FETCH (FLAGS (\\Seen \\Recent project))\r\nd3 OK Store completed.\r\n");
    CHECK(m.on_disk(2) == "\\Seen | project");
    out = m.s->cmd("d4 STORE 2 FLAGS ($Label1)");
    CHECK(out == "* 2 FETCH (FLAGS (\\Recent $Label1))\r\nd4 OK Store completed.\r\n");
    CHECK(m.on_disk(3) == " | $Label1");
}

TEST_CASE("STORE refuses \\Recent and bad syntax") {
    Store3 m;
    auto bad = [&](const std::string& line, const std::string& expected_prefix) {
        std::string tag = line.substr(0, line.find(' '));
        auto out = m.s->cmd(line);
        INFO(line << "\n" << out);
        CHECK(tagged_line(out, tag).rfind(tag + " BAD Error in IMAP command STORE: " + expected_prefix, 0) == 0);
        CHECK_FALSE(has_line(out, "* 1 FETCH"));
    };
    bad("e1 STORE 1 +FLAGS (\\Recent)", "Invalid system flag");
    bad("e2 STORE 1 FLAGS \\Recent", "Invalid system flag");
    bad("e3 STORE 1 +FLAGS (\\Foo)", "Invalid system flag");
    bad("e4 STORE 1 BLAH (\\Seen)", "Invalid arguments");
    bad("e5 STORE 1 +FLAGS.LOUD (\\Seen)", "Invalid arguments");
    bad("e6 STORE 1", "Invalid arguments");
    bad("e7 STORE 1 +FLAGS (\\Seen) extra", "Invalid arguments");
    bad("e8 STORE 4 +FLAGS (\\Seen)", "Invalid messageset");
    bad("e9 STORE 0 +FLAGS (\\Seen)", "Invalid messageset");
    bad("e10 STORE 1:x +FLAGS (\\Seen)", "Invalid messageset");
    bad("e11 STORE \"1\" +FLAGS (\\Seen)", "Invalid messageset");
    bad("e12 STORE 1 +FLAGS (\"quoted\")", "");
    bad("e13 STORE 1 +FLAGS ((nested))", "");
    bad("e14 STORE 1 (FOO 1) +FLAGS (\\Seen)", "Unknown STORE modifier");
    bad("e15 STORE 1 (UNCHANGEDSINCE x) +FLAGS (\\Seen)", "Invalid modseq");
    bad("e16 STORE 1 (UNCHANGEDSINCE) +FLAGS (\\Seen)", "Invalid modseq");
    bad("e17 STORE 1 +FLAGS \"\\Seen\"", "Invalid arguments");
    CHECK(m.on_disk(2) == " |");
    auto out = m.s->cmd("e18 UID STORE 1:x +FLAGS (\\Seen)");
    CHECK(out == "e18 BAD Error in IMAP command UID STORE: Invalid uidset\r\n");
    out = m.s->cmd("e19 UID STORE 2 BLAH (\\Seen)");
    CHECK(out == "e19 BAD Error in IMAP command UID STORE: Invalid arguments\r\n");
}

TEST_CASE("STORE in a read-only mailbox changes nothing") {
    Store3 m;
    m.s->cmd("f0 EXAMINE INBOX");
    auto out = m.s->cmd("f1 STORE 1 +FLAGS (\\Seen)");
    CHECK(out == "f1 OK Store ignored with read-only mailbox.\r\n");
    out = m.s->cmd("f2 UID STORE 2 FLAGS (\\Deleted kw)");
    CHECK(out == "f2 OK Store ignored with read-only mailbox.\r\n");
    CHECK(m.on_disk(2) == " |");
    CHECK(m.s->session().stats().deleted == 0);
}

TEST_CASE("STORE counts messages marked \\Deleted") {
    Store3 m;
    m.s->cmd("g1 STORE 1:2 +FLAGS.SILENT (\\Deleted)");
    CHECK(m.s->session().stats().deleted == 2);
    // Already \Deleted: not counted again.
    m.s->cmd("g2 STORE 1:3 +FLAGS (\\Deleted)");
    CHECK(m.s->session().stats().deleted == 3);
    m.s->cmd("g3 STORE 3 FLAGS (\\Seen)");
    m.s->cmd("g4 STORE 3 FLAGS (\\Deleted \\Seen)");
    CHECK(m.s->session().stats().deleted == 4);
}

TEST_CASE("STORE UNCHANGEDSINCE (CONDSTORE)") {
    Store3 m;
    // Modseqs are far above 1: the test fails for message 1.
    auto out = m.s->cmd("h1 STORE 1 (UNCHANGEDSINCE 1) +FLAGS (\\Seen)");
    auto l = lines(out);
    REQUIRE(l.size() == 2);
    CHECK(l[0].rfind("* OK [HIGHESTMODSEQ ", 0) == 0);
    CHECK(l[1] == "h1 OK [MODIFIED 1] Conditional store failed.");
    CHECK(m.on_disk(2) == " |");
    // A value no modseq reaches: stored, and the FETCH carries MODSEQ now
    // that CONDSTORE is on.
    out = m.s->cmd("h2 STORE 1:2 (UNCHANGEDSINCE 9223372036854775807) +FLAGS (\\Seen)");
    l = lines(out);
    REQUIRE(l.size() == 3);
    CHECK(l[0].rfind("* 1 FETCH (UID 2 MODSEQ (", 0) == 0);
    CHECK(l[0].find(") FLAGS (\\Seen \\Recent))") != std::string::npos);
    CHECK(l[1].rfind("* 2 FETCH (UID 3 MODSEQ (", 0) == 0);
    CHECK(l[2] == "h2 OK Store completed.");
    CHECK(m.on_disk(2) == "\\Seen |");
    // UID STORE reports UIDs in [MODIFIED]; .SILENT still reports MODSEQ.
    out = m.s->cmd("h3 UID STORE 2:4 (UNCHANGEDSINCE 1) +FLAGS (\\Flagged)");
    CHECK(tagged_line(out, "h3") == "h3 OK [MODIFIED 2:4] Conditional store failed.");
    out = m.s->cmd("h4 UID STORE 4 +FLAGS.SILENT (\\Flagged)");
    l = lines(out);
    REQUIRE(l.size() == 2);
    CHECK(l[0].rfind("* 3 FETCH (UID 4 MODSEQ (", 0) == 0);
    CHECK(l[0].back() == ')');
    CHECK(l[0].find("FLAGS") == std::string::npos);
    CHECK(m.on_disk(4) == "\\Flagged |");
}

TEST_CASE("STORE: two sessions see each other's changes, never their own twice") {
    Store3 m;
    SessionHarness other(m.env);
    other.login("alice");
    REQUIRE(has_line(other.cmd("o SELECT INBOX"), "* 3 EXISTS"));

    auto out = m.s->cmd("i1 STORE 1 +FLAGS (\\Flagged)");
    CHECK(out == "* 1 FETCH (FLAGS (\\Flagged \\Recent))\r\ni1 OK Store completed.\r\n");
    // The other session learns of it at its next NOOP; \Recent is not its.
    out = other.cmd("o1 NOOP");
    CHECK(has_line(out, "* 1 FETCH (FLAGS (\\Flagged))"));
    // We are not told again.
    out = m.s->cmd("i2 NOOP");
    CHECK_FALSE(has_line(out, "* 1 FETCH"));

    out = other.cmd("o2 STORE 1 -FLAGS (\\Flagged)");
    CHECK(has_line(out, "* 1 FETCH (FLAGS ())"));
    out = other.cmd("o3 NOOP");
    CHECK_FALSE(has_line(out, "* 1 FETCH"));
    out = m.s->cmd("i3 NOOP");
    CHECK(has_line(out, "* 1 FETCH (FLAGS (\\Recent))"));

    // A silent change is still another session's news.
    out = m.s->cmd("i4 STORE 2 +FLAGS.SILENT (\\Seen kw1)");
    CHECK(tagged_line(out, "i4") == "i4 OK Store completed.");
    CHECK_FALSE(has_line(out, "* 2 FETCH"));
    out = m.s->cmd("i5 NOOP");
    CHECK_FALSE(has_line(out, "* 2 FETCH"));
    out = other.cmd("o4 NOOP");
    CHECK(has_line(out, "* 2 FETCH (FLAGS (\\Seen kw1))"));
    CHECK(has_line(out, "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft kw1)"));

    // A change after our own to the same message is reported.
    m.s->cmd("i6 STORE 3 +FLAGS (\\Answered)");
    other.cmd("o5 STORE 3 +FLAGS (\\Draft)");
    out = m.s->cmd("i7 NOOP");
    CHECK(has_line(out, "* 3 FETCH (FLAGS (\\Answered \\Draft \\Recent))"));
}

TEST_CASE("STORE: another session's earlier change is reported, in the echo and after .SILENT") {
    Store3 m;
    SessionHarness other(m.env);
    other.login("alice");
    REQUIRE(has_line(other.cmd("o SELECT INBOX"), "* 3 EXISTS"));

    // RFC 3501 §6.4.6: the echo is the flags the message has after the
    // store, \Flagged from the other session included; nothing is left for
    // the next NOOP.
    other.cmd("o1 STORE 1 +FLAGS (\\Flagged)");
    auto out = m.s->cmd("i1 STORE 1 +FLAGS (\\Seen)");
    CHECK(out == "* 1 FETCH (FLAGS (\\Flagged \\Seen \\Recent))\r\ni1 OK Store completed.\r\n");
    CHECK(m.s->cmd("i2 NOOP") == "i2 OK NOOP completed.\r\n");

    // .SILENT hides our own change only: the other session's is news.
    other.cmd("o2 STORE 2 +FLAGS (\\Flagged)");
    out = m.s->cmd("i3 STORE 2 +FLAGS.SILENT (\\Seen)");
    CHECK(out == "* 2 FETCH (FLAGS (\\Flagged \\Seen \\Recent))\r\ni3 OK Store completed.\r\n");
    CHECK(m.s->cmd("i4 NOOP") == "i4 OK NOOP completed.\r\n");

    // A change the other session makes after our silent one is reported
    // at the next NOOP.
    out = m.s->cmd("i5 STORE 3 +FLAGS.SILENT (\\Seen)");
    CHECK(out == "i5 OK Store completed.\r\n");
    other.cmd("o3 STORE 3 +FLAGS (\\Answered)");
    CHECK(m.s->cmd("i6 NOOP") == "* 3 FETCH (FLAGS (\\Answered \\Seen \\Recent))\r\ni6 OK NOOP completed.\r\n");

    // A STORE that changes nothing sends no FETCH (Dovecot), yet reports
    // what the other session changed meanwhile.
    CHECK(m.s->cmd("i7 STORE 1 +FLAGS (\\Seen)") == "i7 OK Store completed.\r\n");
    other.cmd("o4 STORE 1 +FLAGS (\\Draft)");
    CHECK(m.s->cmd("i8 STORE 1 +FLAGS (\\Seen)") ==
          "* 1 FETCH (FLAGS (\\Flagged \\Seen \\Draft \\Recent))\r\ni8 OK Store completed.\r\n");
}

TEST_CASE("STORE of a new keyword: FLAGS and PERMANENTFLAGS before the FETCH") {
    Store3 m;
    auto out = m.s->cmd("k1 UID STORE 2 +FLAGS (project)");
    CHECK(out == "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft project)\r\n"
                 "* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft project \\*)] Flags permitted.\r\n"
                 "* 1 FETCH (UID 2 FLAGS (\\Recent project))\r\n"
                 "k1 OK Store completed.\r\n");
}
