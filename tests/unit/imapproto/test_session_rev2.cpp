// IMAP4rev2 (RFC 9051): the session switches on ENABLE IMAP4rev2 and only
// then; rev1 sessions keep RFC 3501's answers.
#include "session_harness.hpp"

#include <doctest/doctest.h>

using namespace imap_test;
namespace st = mailstore::storage;

namespace {

constexpr std::string_view kMsg = "Subject: hi\r\n\r\nbody\r\n";

// A message saved without claiming \Recent, so the next SELECT owns it.
void add_recent(MailEnv& env, const std::string& mailbox) {
    auto user = env.open_user("alice");
    if (!user.exists(mailbox))
        REQUIRE(user.create_mailbox(mailbox).is_ok());
    st::OpenOptions options;
    options.claim_recent = false;
    auto box = st::Mailbox::open(user, mailbox, options);
    REQUIRE(box.is_ok());
    auto tx = box->begin();
    st::SaveRequest req;
    req.data = kMsg;
    REQUIRE(tx.save(req).is_ok());
    REQUIRE(tx.commit().is_ok());
}

void enable_rev2(SessionHarness& s) {
    auto out = s.cmd("e1 ENABLE IMAP4rev2");
    REQUIRE(out == "* ENABLED IMAP4rev2\r\ne1 OK Enabled.\r\n");
}

} // namespace

TEST_CASE("CAPABILITY lists IMAP4rev1 and IMAP4rev2 before and after login") {
    MailEnv env;
    SessionHarness s(env);
    CHECK(s.greeting().rfind("* OK [CAPABILITY IMAP4rev1 IMAP4rev2 ", 0) == 0);
    s.login();
    CHECK(s.cmd("a1 CAPABILITY").rfind("* CAPABILITY IMAP4rev1 IMAP4rev2 ", 0) == 0);
}

TEST_CASE("ENABLE IMAP4rev2 answers ENABLED once, in any case, and ignores unknown names") {
    MailEnv env;
    SessionHarness s(env);
    s.login();
    CHECK(s.cmd("e1 ENABLE imap4REV2 XUNKNOWN") == "* ENABLED IMAP4rev2\r\ne1 OK Enabled.\r\n");
    CHECK(s.cmd("e2 ENABLE IMAP4rev2") == "* ENABLED\r\ne2 OK Enabled.\r\n");
    CHECK(s.cmd("e3 ENABLE XFOO") == "* ENABLED\r\ne3 OK Enabled.\r\n");
    CHECK(tagged_line(s.cmd("e4 ENABLE (IMAP4rev2)"), "e4").rfind("e4 BAD ", 0) == 0);
}

TEST_CASE("ENABLE IMAP4rev2 is refused before login") {
    MailEnv env;
    SessionHarness s(env);
    CHECK(tagged_line(s.cmd("e1 ENABLE IMAP4rev2"), "e1").rfind("e1 BAD ", 0) == 0);
}

TEST_CASE("rev1 SELECT keeps RECENT and UNSEEN; rev2 SELECT sends LIST instead") {
    MailEnv env;
    add_recent(env, "INBOX");
    add_recent(env, "INBOX");
    SessionHarness rev1(env);
    rev1.login();
    auto out1 = rev1.cmd("a1 EXAMINE INBOX");
    CHECK(has_line(out1, "* 2 RECENT"));
    CHECK(has_line(out1, "* OK [UNSEEN 1]"));
    CHECK_FALSE(has_line(out1, "* LIST "));

    SessionHarness rev2(env);
    rev2.login();
    enable_rev2(rev2);
    auto out2 = rev2.cmd("a1 SELECT INBOX");
    CHECK(has_line(out2, "* 2 EXISTS"));
    CHECK_FALSE(has_line(out2, "* 2 RECENT"));
    CHECK(out2.find("RECENT") == std::string::npos);
    CHECK(out2.find("UNSEEN") == std::string::npos);
    CHECK(has_line(out2, "* LIST (\\HasNoChildren) \".\" INBOX"));
    CHECK(has_line(out2, "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)"));
    CHECK(tagged_line(out2, "a1") == "a1 OK [READ-WRITE] Select completed.");
    // The messages are \Recent for this session, but rev2 never says so.
    CHECK(rev2.cmd("a2 FETCH 1:* FLAGS").find("\\Recent") == std::string::npos);
}

TEST_CASE("rev2 SEARCH answers with ESEARCH, rev1 with SEARCH") {
    MailEnv env;
    env.add_message("alice", "INBOX", kMsg, st::flag_seen);
    env.add_message("alice", "INBOX", kMsg);
    env.add_message("alice", "INBOX", kMsg);
    SessionHarness rev1(env);
    rev1.login();
    rev1.cmd("a1 SELECT INBOX");
    CHECK(has_line(rev1.cmd("a2 SEARCH UNSEEN"), "* SEARCH 2 3"));

    SessionHarness rev2(env);
    rev2.login();
    enable_rev2(rev2);
    rev2.cmd("a1 SELECT INBOX");
    CHECK(rev2.cmd("a2 SEARCH UNSEEN") ==
          "* ESEARCH (TAG \"a2\") ALL 2:3\r\na2 OK Search completed.\r\n");
    CHECK(rev2.cmd("a3 UID SEARCH ALL") ==
          "* ESEARCH (TAG \"a3\") UID ALL 1:3\r\na3 OK Search completed.\r\n");
    // Nothing found: ESEARCH with the tag and no ALL (RFC 4731 §3.1).
    CHECK(rev2.cmd("a4 SEARCH DELETED") == "* ESEARCH (TAG \"a4\")\r\na4 OK Search completed.\r\n");
    // RETURN works as before.
    CHECK(has_line(rev2.cmd("a5 SEARCH RETURN (COUNT) ALL"), "* ESEARCH (TAG \"a5\") COUNT 3"));
}

TEST_CASE("rev2 still answers the deprecated LSUB and STATUS RECENT") {
    // RFC 9051 Appendix E deprecates both (LIST (SUBSCRIBED), \Recent) but
    // does not forbid them: a client that asks gets the rev1 answer.
    MailEnv env;
    env.add_message("alice", "INBOX", kMsg);
    SessionHarness rev1(env);
    rev1.login();
    CHECK(tagged_line(rev1.cmd("a1 LSUB \"\" *"), "a1") == "a1 OK Lsub completed.");
    CHECK(has_line(rev1.cmd("a2 STATUS INBOX (RECENT)"), "* STATUS INBOX (RECENT "));

    SessionHarness rev2(env);
    rev2.login();
    enable_rev2(rev2);
    CHECK(tagged_line(rev2.cmd("a1 LSUB \"\" *"), "a1") == "a1 OK Lsub completed.");
    CHECK(has_line(rev2.cmd("a2 STATUS INBOX (MESSAGES RECENT)"),
                   "* STATUS INBOX (MESSAGES 1 RECENT "));
    CHECK(has_line(rev2.cmd("a3 STATUS INBOX (MESSAGES DELETED SIZE)"),
                   "* STATUS INBOX (MESSAGES 1 "));
    CHECK(tagged_line(rev2.cmd("a4 LIST \"\" * RETURN (STATUS (RECENT))"), "a4") ==
          "a4 OK List completed.");
}

TEST_CASE("rev2 mailbox names are UTF-8 on the wire, rev1 names modified UTF-7") {
    MailEnv env;
    {
        auto user = env.open_user("alice");
        REQUIRE(user.create_mailbox("Entwürfe").is_ok());
    }
    SessionHarness rev1(env);
    rev1.login();
    CHECK(has_line(rev1.cmd("a1 LIST \"\" Entw*"), "* LIST (\\HasNoChildren) \".\" Entw&APw-rfe"));

    SessionHarness rev2(env);
    rev2.login();
    enable_rev2(rev2);
    // UTF-8 as it is (a literal: valid in rev1 and rev2 alike), never mUTF-7.
    CHECK(rev2.cmd("a1 LIST \"\" Entw*") ==
          "* LIST (\\HasNoChildren) \".\" {9}\r\nEntwürfe\r\na1 OK List completed.\r\n");
    CHECK(tagged_line(without_mailboxid(rev2.cmd("a2 CREATE \"Größe\"")), "a2") ==
          "a2 OK Create completed.");
    CHECK(env.open_user("alice").exists("Größe"));
}

TEST_CASE("rev2 DELETE of a \\Noselect parent answers HASCHILDREN") {
    MailEnv env;
    SessionHarness s(env);
    s.login();
    REQUIRE(tagged_line(without_mailboxid(s.cmd("a1 CREATE a.b")), "a1") ==
            "a1 OK Create completed.");
    // In Maildir++ "a" is only a level above a.b: rev1 calls it \\Noselect,
    // rev2 \\NonExistent (RFC 9051 §7.3.1), and DELETE of it is refused.
    REQUIRE(has_line(s.cmd("a2 LIST \"\" a"), "* LIST (\\Noselect \\HasChildren) \".\" a"));
    CHECK(tagged_line(s.cmd("a3 DELETE a"), "a3").rfind("a3 NO [NONEXISTENT] ", 0) == 0);
    enable_rev2(s);
    CHECK(has_line(s.cmd("a4 LIST \"\" a"), "* LIST (\\NonExistent \\HasChildren) \".\" a"));
    CHECK(tagged_line(s.cmd("a5 DELETE a"), "a5").rfind("a5 NO [HASCHILDREN] ", 0) == 0);
    CHECK(env.open_user("alice").exists("a.b"));
}
