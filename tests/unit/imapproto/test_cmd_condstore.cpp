// CONDSTORE and QRESYNC (RFC 7162) through the session: what the client sees
// on the wire, byte for byte, for every server requirement of the RFC, and
// Dovecot 2.3's answers where the RFC leaves the choice (observed against
// Dovecot 2.3.19; docs/imap-condstore.md lists them).
#include "session_harness.hpp"

#include <doctest/doctest.h>

#include <filesystem>
#include <string>

using namespace imap_test;
namespace st = mailstore::storage;

namespace {

std::string msg(int i) { return "Subject: m" + std::to_string(i) + "\r\n\r\nbody " + std::to_string(i) + "\r\n"; }

// alice's INBOX with `n` messages (UIDs 1..n) that a first session already
// claimed, so no \Recent shows in the lines the tests compare.
struct Box {
    MailEnv env;
    explicit Box(int n = 5) {
        for (int i = 1; i <= n; ++i)
            env.add_message("alice", "INBOX", msg(i));
        SessionHarness claim(env);
        claim.login();
        REQUIRE(tagged_line(claim.cmd("c SELECT INBOX"), "c") == "c OK [READ-WRITE] Select completed.");
    }

    // What the storage holds, read through a fresh Mailbox.
    st::ModSeq modseq(st::Uid uid) {
        auto user = env.open_user("alice");
        auto box = st::Mailbox::open(user, "INBOX");
        REQUIRE(box.is_ok());
        st::Seq seq = box->view().seq(uid);
        REQUIRE(seq != 0);
        return box->view().modseq(seq);
    }
    st::ModSeq highest() {
        auto user = env.open_user("alice");
        auto box = st::Mailbox::open(user, "INBOX");
        REQUIRE(box.is_ok());
        return box->view().highest_modseq();
    }
    std::uint32_t uidvalidity() {
        auto user = env.open_user("alice");
        auto box = st::Mailbox::open(user, "INBOX");
        REQUIRE(box.is_ok());
        return box->view().uidvalidity();
    }
    // Another client (LDA, a second process) changes flags / expunges.
    void flags(st::Uid uid, st::MailFlags flags) {
        auto user = env.open_user("alice");
        auto box = st::Mailbox::open(user, "INBOX");
        REQUIRE(box.is_ok());
        auto tx = box->begin();
        st::UidSet set;
        set.add(uid);
        st::FlagUpdate up;
        up.mode = st::FlagUpdate::Mode::add;
        up.flags = flags;
        REQUIRE(tx.update_flags(set, up).is_ok());
        REQUIRE(tx.commit().is_ok());
    }
    void expunge(st::Uid first, st::Uid last) {
        auto user = env.open_user("alice");
        auto box = st::Mailbox::open(user, "INBOX");
        REQUIRE(box.is_ok());
        auto tx = box->begin();
        st::UidSet set;
        set.add(first, last);
        REQUIRE(tx.expunge(set).is_ok());
        REQUIRE(tx.commit().is_ok());
    }
    // Loses the index (and with it the expunge history): the storage
    // rebuilds it from the Maildir on the next open.
    void drop_index() {
        int removed = 0;
        for (const auto& e : std::filesystem::directory_iterator(env.maildir("alice")))
            if (e.path().filename().string().rfind("loft.index", 0) == 0) {
                std::filesystem::remove(e.path());
                ++removed;
            }
        REQUIRE(removed > 0);
    }
};

std::string hms(st::ModSeq m) { return "* OK [HIGHESTMODSEQ " + std::to_string(m) + "] Highest\r\n"; }
std::string ms(st::ModSeq m) { return std::to_string(m); }

} // namespace

TEST_CASE("CAPABILITY advertises CONDSTORE and QRESYNC") {
    Box b(0);
    SessionHarness s(b.env);
    s.login();
    auto caps = lines(s.cmd("a CAPABILITY"))[0];
    CHECK(caps.find(" CONDSTORE") != std::string::npos);
    CHECK(caps.find(" QRESYNC") != std::string::npos);
    CHECK(s.cmd("b ENABLE CONDSTORE QRESYNC") == "* ENABLED CONDSTORE QRESYNC\r\nb OK Enabled.\r\n");
}

TEST_CASE("HIGHESTMODSEQ on every SELECT/EXAMINE, never NOMODSEQ (RFC 7162 §3.1.2.1)") {
    Box b(2);
    SessionHarness s(b.env);
    s.login();
    // Loft keeps modseqs for every mailbox: HIGHESTMODSEQ on every SELECT,
    // also before CONDSTORE is enabled (Dovecot sends it only after), and
    // never NOMODSEQ (§3.1.2.2).
    auto plain = without_mailboxid(s.cmd("a SELECT INBOX"));
    CHECK(plain.find("* OK [UIDNEXT 3] Predicted next UID\r\n" + hms(b.highest()) + "a OK [READ-WRITE]") !=
          std::string::npos);
    CHECK_FALSE(has_line(plain, "* OK [NOMODSEQ"));
    // Selecting alone turns nothing on: no MODSEQ in FETCH yet.
    CHECK(s.cmd("a2 FETCH 1 (FLAGS)").find("MODSEQ") == std::string::npos);
    auto cond = without_mailboxid(s.cmd("b EXAMINE INBOX (CONDSTORE)"));
    CHECK(cond.find("* OK [UIDNEXT 3] Predicted next UID\r\n" + hms(b.highest()) + "b OK [READ-ONLY]") !=
          std::string::npos);
    CHECK_FALSE(has_line(cond, "* OK [NOMODSEQ"));
    // On for the rest of the session (RFC 7162 §3.1).
    CHECK(has_line(s.cmd("c SELECT INBOX"), hms(b.highest()).substr(0, hms(b.highest()).size() - 2)));
}

TEST_CASE("SELECT with a bad CONDSTORE parameter turns nothing on") {
    Box b(1);
    SessionHarness s(b.env);
    s.login();
    CHECK(s.cmd("a SELECT INBOX (CONDSTORE FOO)") == "a BAD Error in IMAP command SELECT: Unknown select parameter\r\n");
    s.cmd("b SELECT INBOX");
    CHECK(s.cmd("c FETCH 1 (FLAGS)").find("MODSEQ") == std::string::npos);
}

TEST_CASE("the first CONDSTORE enabling command with a mailbox selected reports HIGHESTMODSEQ") {
    Box b(2);
    const auto h = b.highest();
    SUBCASE("ENABLE CONDSTORE: before ENABLED, as Dovecot") {
        SessionHarness s(b.env);
        s.login();
        s.cmd("a SELECT INBOX");
        CHECK(s.cmd("b ENABLE CONDSTORE") == hms(h) + "* ENABLED CONDSTORE\r\nb OK Enabled.\r\n");
        // Again: an empty ENABLED (RFC 5161 §3.1 MUST send it, §3.2 allows it empty; Dovecot lists it again).
        CHECK(s.cmd("c ENABLE CONDSTORE") == "* ENABLED\r\nc OK Enabled.\r\n");
        CHECK(s.cmd("d ENABLE QRESYNC CONDSTORE") == "* ENABLED QRESYNC\r\nd OK Enabled.\r\n");
        CHECK(s.cmd("e ENABLE QRESYNC") == "* ENABLED\r\ne OK Enabled.\r\n");
    }
    SUBCASE("ENABLE QRESYNC") {
        SessionHarness s(b.env);
        s.login();
        s.cmd("a SELECT INBOX");
        CHECK(s.cmd("b ENABLE QRESYNC") == hms(h) + "* ENABLED QRESYNC\r\nb OK Enabled.\r\n");
    }
    SUBCASE("ENABLE without a selected mailbox: nothing to report") {
        SessionHarness s(b.env);
        s.login();
        CHECK(s.cmd("b ENABLE CONDSTORE") == "* ENABLED CONDSTORE\r\nb OK Enabled.\r\n");
        // SELECT (CONDSTORE) turned nothing more on: not listed.
        s.cmd("c SELECT INBOX (CONDSTORE)");
        CHECK(s.cmd("d ENABLE CONDSTORE") == "* ENABLED\r\nd OK Enabled.\r\n");
    }
    SUBCASE("FETCH MODSEQ: after the data") {
        SessionHarness s(b.env);
        s.login();
        s.cmd("a SELECT INBOX");
        {
            const std::string got = s.cmd("b FETCH 1 (MODSEQ)");
            CHECK(got ==
              "* 1 FETCH (MODSEQ (" + ms(b.modseq(1)) + "))\r\n" + hms(h) + "b OK Fetch completed.\r\n");
        }
        {
            const std::string got = s.cmd("c FETCH 1 (MODSEQ)");
            CHECK(got == "* 1 FETCH (MODSEQ (" + ms(b.modseq(1)) + "))\r\nc OK Fetch completed.\r\n");
        }
    }
    SUBCASE("FETCH CHANGEDSINCE") {
        SessionHarness s(b.env);
        s.login();
        s.cmd("a SELECT INBOX");
        CHECK(s.cmd("b FETCH 1:* (FLAGS) (CHANGEDSINCE " + ms(h) + ")") == hms(h) + "b OK Fetch completed.\r\n");
    }
    SUBCASE("STATUS HIGHESTMODSEQ: before the STATUS line") {
        SessionHarness s(b.env);
        s.login();
        s.cmd("a SELECT INBOX");
        CHECK(s.cmd("b STATUS INBOX (HIGHESTMODSEQ)") ==
              hms(h) + "* STATUS INBOX (HIGHESTMODSEQ " + ms(h) + ")\r\nb OK Status completed.\r\n");
    }
    SUBCASE("STORE UNCHANGEDSINCE") {
        SessionHarness s(b.env);
        s.login();
        s.cmd("a SELECT INBOX");
        CHECK(s.cmd("b STORE 1 (UNCHANGEDSINCE 1) +FLAGS (\\Seen)") ==
              hms(h) + "b OK [MODIFIED 1] Conditional store failed.\r\n");
    }
}

TEST_CASE("flag changes carry MODSEQ before FLAGS, UID once QRESYNC is on (Dovecot's order)") {
    Box b(3);
    SessionHarness s(b.env);
    s.login();
    s.cmd("a SELECT INBOX (CONDSTORE)");
    SUBCASE("STORE echo") {
        auto out = s.cmd("b STORE 1 +FLAGS (\\Seen)");
        CHECK(out == "* 1 FETCH (UID 1 MODSEQ (" + ms(b.modseq(1)) + ") FLAGS (\\Seen))\r\nb OK Store completed.\r\n");
        out = s.cmd("c UID STORE 2 +FLAGS (\\Flagged)");
        CHECK(out == "* 2 FETCH (UID 2 MODSEQ (" + ms(b.modseq(2)) +
                         ") FLAGS (\\Flagged))\r\nc OK Store completed.\r\n");
        // .SILENT still reports the new modseq (RFC 7162 §3.1.3).
        out = s.cmd("d STORE 3 +FLAGS.SILENT (\\Draft)");
        CHECK(out == "* 3 FETCH (UID 3 MODSEQ (" + ms(b.modseq(3)) + "))\r\nd OK Store completed.\r\n");
        // Nothing changes, nothing is reported.
        CHECK(s.cmd("e STORE 3 +FLAGS (\\Draft)") == "e OK Store completed.\r\n");
    }
    SUBCASE("another session's change") {
        b.flags(2, st::flag_answered);
        {
            const std::string got = s.cmd("b NOOP");
            CHECK(got ==
              "* 2 FETCH (UID 2 MODSEQ (" + ms(b.modseq(2)) + ") FLAGS (\\Answered))\r\nb OK NOOP completed.\r\n");
        }
        b.flags(3, st::flag_seen);
        {
            const std::string got = s.cmd("c UID FETCH 1 UID");
            CHECK(got == "* 1 FETCH (UID 1)\r\n* 3 FETCH (UID 3 MODSEQ (" + ms(b.modseq(3)) +
                                                ") FLAGS (\\Seen))\r\nc OK Fetch completed.\r\n");
        }
        CHECK(s.cmd("d ENABLE QRESYNC") == "* ENABLED QRESYNC\r\nd OK Enabled.\r\n");
        b.flags(1, st::flag_flagged);
        {
            const std::string got = s.cmd("e NOOP");
            CHECK(got ==
              "* 1 FETCH (UID 1 MODSEQ (" + ms(b.modseq(1)) + ") FLAGS (\\Flagged))\r\ne OK NOOP completed.\r\n");
        }
    }
    SUBCASE("the \\Seen a FETCH sets is reported with its modseq (RFC 7162 §3.1)") {
        auto out = s.cmd("b FETCH 2 (FLAGS BODY[TEXT])");
        CHECK(out == "* 2 FETCH (FLAGS (\\Seen) BODY[TEXT] {8}\r\nbody 2\r\n)\r\n* 2 FETCH (UID 2 MODSEQ (" +
                         ms(b.modseq(2)) + "))\r\nb OK Fetch completed.\r\n");
        // With MODSEQ asked for, the item has the modseq the data was read
        // at, and the \Seen change follows with its own (as Dovecot).
        const auto old1 = b.modseq(1);
        out = s.cmd("b2 FETCH 1 (MODSEQ BODY[TEXT])");
        CHECK(out == "* 1 FETCH (MODSEQ (" + ms(old1) + ") FLAGS (\\Seen) BODY[TEXT] {8}\r\nbody 1\r\n)\r\n* 1 FETCH (UID 1 MODSEQ (" +
                         ms(b.modseq(1)) + "))\r\nb2 OK Fetch completed.\r\n");
        CHECK(b.modseq(1) > old1);
        out = s.cmd("c UID FETCH 3 (BODY[TEXT])");
        CHECK(out == "* 3 FETCH (UID 3 FLAGS (\\Seen) BODY[TEXT] {8}\r\nbody 3\r\n)\r\n* 3 FETCH (UID 3 MODSEQ (" +
                         ms(b.modseq(3)) + "))\r\nc OK Fetch completed.\r\n");
    }
}

TEST_CASE("without CONDSTORE, changes carry no MODSEQ") {
    Box b(2);
    SessionHarness s(b.env);
    s.login();
    s.cmd("a SELECT INBOX");
    CHECK(s.cmd("b STORE 1 +FLAGS (\\Seen)") == "* 1 FETCH (FLAGS (\\Seen))\r\nb OK Store completed.\r\n");
    CHECK(s.cmd("c STORE 2 +FLAGS.SILENT (\\Seen)") == "c OK Store completed.\r\n");
    b.flags(2, st::flag_flagged);
    CHECK(s.cmd("d NOOP") == "* 2 FETCH (FLAGS (\\Flagged \\Seen))\r\nd OK NOOP completed.\r\n");
}

TEST_CASE("FETCH CHANGEDSINCE returns only messages changed since, with MODSEQ") {
    Box b(4);
    SessionHarness s(b.env);
    s.login();
    s.cmd("a SELECT INBOX (CONDSTORE)");
    const auto before = b.highest();
    b.flags(2, st::flag_seen);
    b.flags(4, st::flag_flagged);
    s.cmd("b NOOP");
    {
        const std::string got = s.cmd("c FETCH 1:* (FLAGS) (CHANGEDSINCE " + ms(before) + ")");
        CHECK(got ==
          "* 2 FETCH (FLAGS (\\Seen) MODSEQ (" + ms(b.modseq(2)) + "))\r\n* 4 FETCH (FLAGS (\\Flagged) MODSEQ (" +
              ms(b.modseq(4)) + "))\r\nc OK Fetch completed.\r\n");
    }
    {
        const std::string got = s.cmd("d UID FETCH 1:3 (FLAGS) (CHANGEDSINCE " + ms(before) + ")");
        CHECK(got ==
          "* 2 FETCH (UID 2 FLAGS (\\Seen) MODSEQ (" + ms(b.modseq(2)) + "))\r\nd OK Fetch completed.\r\n");
    }
    CHECK(s.cmd("e FETCH 1:* (FLAGS) (CHANGEDSINCE " + ms(b.highest()) + ")") == "e OK Fetch completed.\r\n");
    // Malformed modifiers.
    CHECK(s.cmd("f FETCH 1 FLAGS (CHANGEDSINCE)") ==
          "f BAD Error in IMAP command FETCH: Invalid CHANGEDSINCE modseq\r\n");
    CHECK(s.cmd("g FETCH 1 FLAGS (CHANGEDSINCE -1)") ==
          "g BAD Error in IMAP command FETCH: Invalid CHANGEDSINCE modseq\r\n");
    CHECK(s.cmd("h FETCH 1 FLAGS (CHANGEDSINCE 9223372036854775808)") ==
          "h BAD Error in IMAP command FETCH: Invalid CHANGEDSINCE modseq\r\n");
    CHECK(s.cmd("i FETCH 1 FLAGS (FOO 1)") == "i BAD Error in IMAP command FETCH: Unknown FETCH modifier\r\n");
    CHECK(s.cmd("j FETCH 1 FLAGS (CHANGEDSINCE 1 CHANGEDSINCE 2)") ==
          "j BAD Error in IMAP command FETCH: Unknown FETCH modifier\r\n");
}

TEST_CASE("UID FETCH (CHANGEDSINCE n VANISHED) (RFC 7162 §3.2.6)") {
    Box b(6);
    SessionHarness s(b.env);
    s.login();
    SUBCASE("BAD without QRESYNC, in FETCH, or without CHANGEDSINCE") {
        s.cmd("a SELECT INBOX (CONDSTORE)");
        CHECK(s.cmd("b UID FETCH 1:* FLAGS (CHANGEDSINCE 1 VANISHED)") ==
              "b BAD Error in IMAP command UID FETCH: QRESYNC not enabled\r\n");
        s.cmd("c ENABLE QRESYNC");
        CHECK(s.cmd("d FETCH 1:* FLAGS (CHANGEDSINCE 1 VANISHED)") ==
              "d BAD Error in IMAP command FETCH: VANISHED only allowed with UID FETCH\r\n");
        CHECK(s.cmd("e UID FETCH 1:* FLAGS (VANISHED)") ==
              "e BAD Error in IMAP command UID FETCH: VANISHED used without CHANGEDSINCE\r\n");
    }
    SUBCASE("the expunged UIDs of the set, then the changes") {
        s.cmd("a ENABLE QRESYNC");
        s.cmd("b SELECT INBOX");
        const auto before = b.highest();
        b.expunge(2, 3);
        b.flags(5, st::flag_seen);
        {
            const std::string got = s.cmd("c NOOP");
            CHECK(got == "* VANISHED 2:3\r\n* 3 FETCH (UID 5 MODSEQ (" + ms(b.modseq(5)) +
                                      ") FLAGS (\\Seen))\r\nc OK NOOP completed.\r\n");
        }
        {
            const std::string got = s.cmd("d UID FETCH 1:* FLAGS (CHANGEDSINCE " + ms(before) + " VANISHED)");
            CHECK(got ==
              "* VANISHED (EARLIER) 2:3\r\n* 3 FETCH (UID 5 FLAGS (\\Seen) MODSEQ (" + ms(b.modseq(5)) +
                  "))\r\nd OK Fetch completed.\r\n");
        }
        // Only the UIDs of the set; the modifiers in either order.
        CHECK(s.cmd("e UID FETCH 3:4 FLAGS (VANISHED CHANGEDSINCE " + ms(before) + ")") ==
              "* VANISHED (EARLIER) 3\r\ne OK Fetch completed.\r\n");
        CHECK(s.cmd("f UID FETCH 1:* FLAGS (CHANGEDSINCE " + ms(b.highest()) + " VANISHED)") ==
              "f OK Fetch completed.\r\n");
    }
    SUBCASE("without the expunge history: every UID of the set that is gone") {
        s.cmd("a ENABLE QRESYNC");
        s.cmd("b SELECT INBOX");
        b.expunge(4, 4);
        s.cmd("c LOGOUT");
        b.drop_index();
        SessionHarness t(b.env);
        t.login();
        t.cmd("d ENABLE QRESYNC");
        t.cmd("e SELECT INBOX");
        b.expunge(2, 2);
        t.cmd("f NOOP");
        CHECK(t.cmd("g UID FETCH 1:* FLAGS (CHANGEDSINCE 1 VANISHED)").rfind("* VANISHED (EARLIER) 2,4\r\n", 0) == 0);
        CHECK(t.cmd("h UID FETCH 3:5 (UID) (CHANGEDSINCE 1 VANISHED)").rfind("* VANISHED (EARLIER) 4\r\n", 0) == 0);
    }
}

TEST_CASE("STORE UNCHANGEDSINCE (RFC 7162 §3.1.3)") {
    Box b(5);
    SessionHarness s(b.env);
    s.login();
    s.cmd("a SELECT INBOX (CONDSTORE)");
    SUBCASE("UNCHANGEDSINCE 0 always fails; [MODIFIED] has sequence numbers, UIDs for UID STORE") {
        CHECK(s.cmd("b STORE 1:5 (UNCHANGEDSINCE 0) +FLAGS (\\Answered)") ==
              "b OK [MODIFIED 1:5] Conditional store failed.\r\n");
        b.expunge(1, 1);
        s.cmd("c NOOP");
        CHECK(s.cmd("d UID STORE 2,4 (UNCHANGEDSINCE 0) +FLAGS (\\Answered)") ==
              "d OK [MODIFIED 2,4] Conditional store failed.\r\n");
        CHECK(s.cmd("e STORE 1,3 (UNCHANGEDSINCE 0) +FLAGS (\\Answered)") ==
              "e OK [MODIFIED 1,3] Conditional store failed.\r\n");
    }
    SUBCASE("some pass, some fail: the passing ones are stored and reported") {
        const auto base = b.highest();
        b.flags(2, st::flag_seen);
        b.flags(4, st::flag_seen);
        // The session has not synced yet: the STORE still applies the test
        // to the stored modseqs.
        auto out = s.cmd("b STORE 1:5 (UNCHANGEDSINCE " + ms(base) + ") +FLAGS (\\Flagged)");
        CHECK(tagged_line(out, "b") == "b OK [MODIFIED 2,4] Conditional store failed.");
        CHECK(has_line(out, "* 1 FETCH (UID 1 MODSEQ (" + ms(b.modseq(1)) + ") FLAGS (\\Flagged))"));
        CHECK(has_line(out, "* 3 FETCH (UID 3 MODSEQ (" + ms(b.modseq(3)) + ") FLAGS (\\Flagged))"));
        CHECK(has_line(out, "* 5 FETCH (UID 5 MODSEQ (" + ms(b.modseq(5)) + ") FLAGS (\\Flagged))"));
        // The others' change is reported as such, and they were not stored.
        CHECK(has_line(out, "* 2 FETCH (UID 2 MODSEQ (" + ms(b.modseq(2)) + ") FLAGS (\\Seen))"));
        CHECK(has_line(out, "* 4 FETCH (UID 4 MODSEQ (" + ms(b.modseq(4)) + ") FLAGS (\\Seen))"));
    }
    SUBCASE("a value no modseq reaches: stored") {
        {
            const std::string got = s.cmd("b UID STORE 3 (UNCHANGEDSINCE 9223372036854775807) FLAGS (\\Deleted)");
            CHECK(got ==
              "* 3 FETCH (UID 3 MODSEQ (" + ms(b.modseq(3)) + ") FLAGS (\\Deleted))\r\nb OK Store completed.\r\n");
        }
    }
    SUBCASE("malformed") {
        CHECK(tagged_line(s.cmd("b STORE 1 (UNCHANGEDSINCE) +FLAGS (\\Seen)"), "b").rfind("b BAD", 0) == 0);
        CHECK(tagged_line(s.cmd("c STORE 1 (UNCHANGEDSINCE x) +FLAGS (\\Seen)"), "c").rfind("c BAD", 0) == 0);
        CHECK(tagged_line(s.cmd("d STORE 1 (FOO 1) +FLAGS (\\Seen)"), "d").rfind("d BAD", 0) == 0);
        CHECK(tagged_line(s.cmd("e STORE 1 (UNCHANGEDSINCE 9223372036854775808) +FLAGS (\\Seen)"), "e")
                  .rfind("e BAD", 0) == 0);
    }
}

TEST_CASE("SEARCH MODSEQ: (MODSEQ n) and the ESEARCH MODSEQ item (RFC 7162 §3.1.5, §3.1.6, §3.1.10)") {
    Box b(3);
    SessionHarness s(b.env);
    s.login();
    s.cmd("a SELECT INBOX (CONDSTORE)");
    const auto base = b.highest();
    s.cmd("b STORE 2 +FLAGS (\\Seen)");
    const auto m2 = b.modseq(2);
    CHECK(s.cmd("c SEARCH MODSEQ " + ms(base + 1)) == "* SEARCH 2 (MODSEQ " + ms(m2) + ")\r\nc OK Search completed.\r\n");
    CHECK(s.cmd("d UID SEARCH MODSEQ \"/flags/\\\\Seen\" all " + ms(base + 1)) ==
          "* SEARCH 2 (MODSEQ " + ms(m2) + ")\r\nd OK Search completed.\r\n");
    CHECK(s.cmd("e SEARCH RETURN (ALL COUNT) MODSEQ 1") ==
          "* ESEARCH (TAG \"e\") ALL 1:3 COUNT 3 MODSEQ " + ms(m2) + "\r\ne OK Search completed.\r\n");
    // No match: no MODSEQ.
    CHECK(s.cmd("f SEARCH MODSEQ " + ms(m2 + 1)) == "* SEARCH\r\nf OK Search completed.\r\n");
}

TEST_CASE("EXPUNGE and UID EXPUNGE: VANISHED and [HIGHESTMODSEQ] with QRESYNC (RFC 7162 §3.2.7, §3.2.9)") {
    Box b(5);
    SessionHarness s(b.env);
    s.login();
    SUBCASE("QRESYNC") {
        s.cmd("a ENABLE QRESYNC");
        s.cmd("b SELECT INBOX");
        s.cmd("c STORE 2,4 +FLAGS.SILENT (\\Deleted)");
        auto out = s.cmd("d EXPUNGE");
        CHECK(out == "* VANISHED 2,4\r\nd OK [HIGHESTMODSEQ " + ms(b.highest()) + "] Expunge completed.\r\n");
        // Nothing to expunge: no code (Dovecot).
        CHECK(s.cmd("e EXPUNGE") == "e OK Expunge completed.\r\n");
        s.cmd("f STORE 1:3 +FLAGS.SILENT (\\Deleted)");
        {
            const std::string got = s.cmd("g UID EXPUNGE 3:5");
            CHECK(got ==
              "* VANISHED 3,5\r\ng OK [HIGHESTMODSEQ " + ms(b.highest()) + "] Expunge completed.\r\n");
        }
        CHECK(s.cmd("h UID EXPUNGE 2") == "h OK Expunge completed.\r\n");
        // Another session's expunge arrives as VANISHED too.
        b.expunge(1, 1);
        CHECK(s.cmd("i NOOP") == "* VANISHED 1\r\ni OK NOOP completed.\r\n");
        // CLOSE: no code (Dovecot; after CLOSE the client never hears of
        // other sessions' changes, so a HIGHESTMODSEQ could hide them).
        CHECK(s.cmd("j CLOSE") == "j OK Close completed.\r\n");
    }
    SUBCASE("the \\Deleted another session set counts; its FETCH comes first") {
        s.cmd("a ENABLE QRESYNC");
        s.cmd("b SELECT INBOX");
        SessionHarness other(b.env);
        other.login();
        other.cmd("o1 SELECT INBOX");
        other.cmd("o2 STORE 1:2 +FLAGS.SILENT (\\Deleted)");
        const auto m = b.modseq(1);
        auto out = s.cmd("c UID EXPUNGE 2");
        CHECK(out == "* 1 FETCH (UID 1 MODSEQ (" + ms(m) + ") FLAGS (\\Deleted))\r\n* 2 FETCH (UID 2 MODSEQ (" + ms(m) +
                         ") FLAGS (\\Deleted))\r\n* VANISHED 2\r\nc OK [HIGHESTMODSEQ " + ms(b.highest()) +
                         "] Expunge completed.\r\n");
    }
    SUBCASE("CONDSTORE only: EXPUNGE responses, no code") {
        s.cmd("b SELECT INBOX (CONDSTORE)");
        s.cmd("c STORE 2,4 +FLAGS.SILENT (\\Deleted)");
        CHECK(s.cmd("d EXPUNGE") == "* 4 EXPUNGE\r\n* 2 EXPUNGE\r\nd OK Expunge completed.\r\n");
    }
    SUBCASE("the modseq of an expunge is above every other (RFC 7162 §3.2)") {
        s.cmd("a ENABLE QRESYNC");
        s.cmd("b SELECT INBOX");
        const auto before = b.highest();
        s.cmd("c STORE 3 +FLAGS.SILENT (\\Deleted)");
        const auto flagged = b.highest();
        CHECK(flagged > before);
        auto out = s.cmd("d EXPUNGE");
        CHECK(b.highest() > flagged);
        CHECK(s.cmd("e UID FETCH 1:* (UID) (CHANGEDSINCE " + ms(flagged) + " VANISHED)") ==
              "* VANISHED (EARLIER) 3\r\ne OK Fetch completed.\r\n");
    }
}

TEST_CASE("expunges held back by FETCH/STORE/SEARCH: a lower HIGHESTMODSEQ goes with newer MODSEQs (RFC 7162 §3.2)") {
    Box b(4);
    SessionHarness s(b.env);
    s.login();
    s.cmd("a ENABLE QRESYNC");
    s.cmd("b SELECT INBOX");
    const auto h0 = b.highest();
    b.expunge(2, 2);
    b.flags(3, st::flag_seen);
    // FETCH may not send VANISHED; the change to UID 3 has a modseq above
    // the expunge's, so the client is told h0 with it.
    {
        const std::string got = s.cmd("c FETCH 1 (UID)");
        CHECK(got == "* 1 FETCH (UID 1)\r\n* 3 FETCH (UID 3 MODSEQ (" + ms(b.modseq(3)) + ") FLAGS (\\Seen))\r\n" +
                         hms(h0) + "c OK Fetch completed.\r\n");
    }
    // Again on every command while the expunge is held back (Dovecot).
    CHECK(s.cmd("d SEARCH UID 1") == "* SEARCH 1\r\n" + hms(h0) + "d OK Search completed.\r\n");
    // A command that may expunge delivers it; nothing is held back then.
    CHECK(s.cmd("e NOOP") == "* VANISHED 2\r\ne OK NOOP completed.\r\n");
    CHECK(s.cmd("f FETCH 1 (UID)") == "* 1 FETCH (UID 1)\r\nf OK Fetch completed.\r\n");
    // Without QRESYNC the expunge comes as EXPUNGE later, no code.
    SessionHarness t(b.env);
    t.login();
    t.cmd("a SELECT INBOX (CONDSTORE)");
    b.expunge(1, 1);
    b.flags(4, st::flag_flagged);
    {
        const std::string got = t.cmd("b FETCH 1 (UID)");
        CHECK(got == "* 1 FETCH (UID 1)\r\n* 3 FETCH (UID 4 MODSEQ (" + ms(b.modseq(4)) +
                         ") FLAGS (\\Flagged))\r\nb OK Fetch completed.\r\n");
    }
}

TEST_CASE("SELECT (QRESYNC ...) needs ENABLE QRESYNC, which works after SELECT too") {
    Box b(3);
    SessionHarness s(b.env);
    s.login();
    CHECK(s.cmd("a SELECT INBOX (QRESYNC (1 1))") == "a BAD Error in IMAP command SELECT: QRESYNC not enabled\r\n");
    s.cmd("b SELECT INBOX");
    // A failed SELECT closes the old mailbox first (RFC 7162 §3.2.11).
    CHECK(s.cmd("c EXAMINE INBOX (QRESYNC (1 1))") ==
          "* OK [CLOSED] Previous mailbox closed.\r\nc BAD Error in IMAP command EXAMINE: QRESYNC not enabled\r\n");
    s.cmd("d SELECT INBOX");
    {
        const std::string got = s.cmd("e ENABLE QRESYNC");
        CHECK(got == hms(b.highest()) + "* ENABLED QRESYNC\r\ne OK Enabled.\r\n");
    }
    auto out = s.cmd("f SELECT INBOX (QRESYNC (" + std::to_string(b.uidvalidity()) + " " + ms(b.highest()) + "))");
    CHECK(lines(out)[0] == "* OK [CLOSED] Previous mailbox closed.");
    CHECK(tagged_line(out, "f") == "f OK [READ-WRITE] Select completed.");
    CHECK_FALSE(has_line(out, "* VANISHED"));
    CHECK_FALSE(has_line(out, "* 1 FETCH"));
}

TEST_CASE("SELECT (QRESYNC ...) parameter errors (Dovecot's texts)") {
    Box b(3);
    SessionHarness s(b.env);
    s.login();
    s.cmd("a ENABLE QRESYNC");
    const std::string uv = std::to_string(b.uidvalidity());
    auto bad = [&](const std::string& params) { return s.cmd("x SELECT INBOX (QRESYNC (" + params + "))"); };
    CHECK(bad(uv) == "x BAD Error in IMAP command SELECT: Invalid QRESYNC parameters\r\n");
    CHECK(bad(uv + " x") == "x BAD Error in IMAP command SELECT: Invalid QRESYNC parameters\r\n");
    CHECK(bad(uv + " 9223372036854775808") == "x BAD Error in IMAP command SELECT: Invalid QRESYNC parameters\r\n");
    CHECK(bad("4294967296 1") == "x BAD Error in IMAP command SELECT: Invalid QRESYNC parameters\r\n");
    CHECK(bad(uv + " 1 0") == "x BAD Error in IMAP command SELECT: Invalid QRESYNC known-uids\r\n");
    CHECK(bad(uv + " 1 1:*") == "x BAD Error in IMAP command SELECT: Invalid QRESYNC known-uids\r\n");
    CHECK(bad(uv + " 1 1:5 (1:2)") == "x BAD Error in IMAP command SELECT: Invalid QRESYNC known-uid-set\r\n");
    CHECK(bad(uv + " 1 1:5 (1:2 1:3)") == "x BAD Error in IMAP command SELECT: Invalid QRESYNC sets\r\n");
    CHECK(bad(uv + " 1 1:5 (1:2 1:2) x") == "x BAD Error in IMAP command SELECT: Invalid QRESYNC parameters\r\n");
    CHECK(bad(uv + " 1 (1:2 1:2)") == "x BAD Error in IMAP command SELECT: Invalid QRESYNC parameters\r\n");
    CHECK(bad(uv + " 1 1:5 (1:200000 1:200000)") == "x BAD Error in IMAP command SELECT: Invalid QRESYNC sets\r\n");
    // Zeros are taken (Dovecot): UIDVALIDITY 0 never matches, modseq 0
    // asks for everything.
    auto zero = bad("0 1");
    CHECK(tagged_line(zero, "x") == "x OK [READ-WRITE] Select completed.");
    CHECK_FALSE(has_line(zero, "* 1 FETCH"));
    auto all = bad(uv + " 0");
    CHECK(has_line(all, "* 1 FETCH (UID 1 FLAGS () MODSEQ ("));
    CHECK(has_line(all, "* 3 FETCH (UID 3 FLAGS () MODSEQ ("));
}

TEST_CASE("SELECT (QRESYNC ...) resync: VANISHED (EARLIER), changes, known-uids (RFC 7162 §3.2.5.1)") {
    Box b(6);
    const std::string uv = std::to_string(b.uidvalidity());
    const auto base = b.highest();
    b.expunge(2, 2);
    b.expunge(5, 5);
    b.flags(3, st::flag_seen);
    SessionHarness s(b.env);
    s.login();
    s.cmd("a ENABLE QRESYNC");
    auto out = without_mailboxid(s.cmd("b SELECT INBOX (QRESYNC (" + uv + " " + ms(base) + "))"));
    const std::string head = "* OK [UIDNEXT 7] Predicted next UID\r\n" + hms(b.highest());
    CHECK(out.find(head + "* VANISHED (EARLIER) 2,5\r\n* 2 FETCH (UID 3 FLAGS (\\Seen) MODSEQ (" + ms(b.modseq(3)) +
                   "))\r\nb OK [READ-WRITE] Select completed.\r\n") != std::string::npos);
    // known-uids limits both the VANISHED and the FETCH responses.
    out = without_mailboxid(s.cmd("c EXAMINE INBOX (QRESYNC (" + uv + " " + ms(base) + " 1:4))"));
    CHECK(out.find(hms(b.highest()) + "* VANISHED (EARLIER) 2\r\n* 2 FETCH (UID 3 FLAGS (\\Seen) MODSEQ (" +
                   ms(b.modseq(3)) + "))\r\nc OK [READ-ONLY] Examine completed.\r\n") != std::string::npos);
    out = without_mailboxid(s.cmd("d EXAMINE INBOX (QRESYNC (" + uv + " " + ms(base) + " 4:6))"));
    CHECK(out.find(hms(b.highest()) + "* VANISHED (EARLIER) 5\r\nd OK [READ-ONLY] Examine completed.\r\n") !=
          std::string::npos);
    // A stale UIDVALIDITY: a plain SELECT (the client must resync fully).
    out = s.cmd("e SELECT INBOX (QRESYNC (" + std::to_string(b.uidvalidity() + 1) + " " + ms(base) + "))");
    CHECK_FALSE(has_line(out, "* VANISHED"));
    CHECK_FALSE(has_line(out, "* 2 FETCH"));
    // Up to date: nothing.
    out = s.cmd("f SELECT INBOX (QRESYNC (" + uv + " " + ms(b.highest()) + " 1:6))");
    CHECK_FALSE(has_line(out, "* VANISHED"));
    CHECK_FALSE(has_line(out, "* 2 FETCH"));
}

TEST_CASE("SELECT (QRESYNC ...) after the expunge history was lost (RFC 7162 §3.2.5.2)") {
    Box b(8);
    const std::string uv = std::to_string(b.uidvalidity());
    const auto base = b.highest();
    b.expunge(3, 3);
    b.expunge(7, 7);
    b.drop_index();
    SessionHarness s(b.env);
    s.login();
    s.cmd("a ENABLE QRESYNC");
    // HIGHESTMODSEQ did not go back with the rebuild.
    auto out = s.cmd("b SELECT INBOX (QRESYNC (" + uv + " " + ms(base) + "))");
    CHECK(b.highest() >= base);
    // Every UID below UIDNEXT that is gone: never a wrong answer.
    CHECK(has_line(out, "* VANISHED (EARLIER) 3,7"));
    out = s.cmd("c SELECT INBOX (QRESYNC (" + uv + " " + ms(base) + " 1:5,8))");
    CHECK(out.find("* VANISHED (EARLIER) 3\r\n") != std::string::npos);
    // seq-match: the client's message 4 is UID 4, message 2 is UID 2.
    // UID 4 now is message 3, so only the pair (2, 2) still matches:
    // nothing at or below UID 2 needs reporting.
    out = s.cmd("d SELECT INBOX (QRESYNC (" + uv + " " + ms(base) + " 1:8 (2,4 2,4)))");
    CHECK(out.find("* VANISHED (EARLIER) 3,7\r\n") != std::string::npos);
    // The client's message 6 is UID 7 (it saw UID 3 go): pairs up to
    // (3, 4) match, so UID 3 is not reported again.
    out = s.cmd("e SELECT INBOX (QRESYNC (" + uv + " " + ms(base) + " 1:2,4:8 (1,3 1,4)))");
    CHECK(out.find("* VANISHED (EARLIER) 7\r\n") != std::string::npos);
    // Known UIDs that never existed are not reported (UIDNEXT is 9).
    out = s.cmd("f SELECT INBOX (QRESYNC (" + uv + " " + ms(base) + " 8:20))");
    CHECK_FALSE(has_line(out, "* VANISHED"));
}

TEST_CASE("modseqs survive a new session and only grow") {
    Box b(3);
    std::string m1;
    {
        SessionHarness s(b.env);
        s.login();
        s.cmd("a SELECT INBOX (CONDSTORE)");
        s.cmd("b STORE 1 +FLAGS (\\Seen)");
        m1 = ms(b.modseq(1));
        s.cmd("c LOGOUT");
    }
    SessionHarness t(b.env);
    t.login();
    CHECK(t.cmd("a FETCH 1 MODSEQ") == "a BAD No mailbox selected.\r\n");
    t.cmd("b SELECT INBOX (CONDSTORE)");
    CHECK(lines(t.cmd("c FETCH 1 (MODSEQ)"))[0] == "* 1 FETCH (MODSEQ (" + m1 + "))");
    t.cmd("d STORE 1 -FLAGS (\\Seen)");
    CHECK(b.modseq(1) > std::stoull(m1));
}
