// NOTIFY (RFC 5465): syntax and the refusals of §3.1/§5, the STATUS
// indicator, and the notifications one session gets (after wake(), with no
// command, or at NOOP) for what another session on the same Maildir does:
// STATUS for other mailboxes, LIST for CREATE/DELETE/RENAME and
// subscriptions, EXISTS + FETCH for the selected mailbox.
#include "session_harness.hpp"
#include "session/notify.hpp"

#include <mailstore/storage/metadata.hpp>

#include <doctest/doctest.h>

using namespace imap_test;
using Kind = imapproto::Step::Kind;

namespace {

const std::string kMsg = "From: a@example.com\r\nSubject: hello\r\n\r\nbody\r\n";
const std::string kBadEvent =
    " NO [BADEVENT (MessageNew MessageExpunge FlagChange MailboxName SubscriptionChange)] Unsupported NOTIFY events.\r\n";

std::string append_cmd(const std::string& tag, const std::string& mailbox) {
    return tag + " APPEND " + mailbox + " {" + std::to_string(kMsg.size()) + "+}\r\n" + kMsg;
}

// The HIGHESTMODSEQ the storage has for `mailbox`.
std::string highest_modseq(MailEnv& env, const std::string& mailbox) {
    auto st = env.open_user("alice").status(mailbox, mailstore::storage::status_highest_modseq);
    REQUIRE(st.is_ok());
    return std::to_string(st->highest_modseq);
}

// The UIDVALIDITY the storage gave `mailbox`.
std::string uidvalidity(MailEnv& env, const std::string& mailbox) {
    auto st = env.open_user("alice").status(mailbox, mailstore::storage::status_uidvalidity);
    REQUIRE(st.is_ok());
    return std::to_string(st->uidvalidity);
}

} // namespace

TEST_CASE("NOTIFY: syntax errors and the event rules of §5 answer BAD") {
    MailEnv env;
    SessionHarness s(env);
    s.login();
    const std::string inv = " BAD Error in IMAP command NOTIFY: Invalid arguments\r\n";
    CHECK(s.cmd("a1 NOTIFY") == "a1" + inv);
    CHECK(s.cmd("a2 NOTIFY SET") == "a2" + inv);
    CHECK(s.cmd("a3 NOTIFY SET STATUS") == "a3" + inv);
    CHECK(s.cmd("a4 NOTIFY bogus") == "a4" + inv);
    CHECK(s.cmd("a5 NOTIFY NONE extra") == "a5" + inv);
    CHECK(s.cmd("a6 NOTIFY SET ()") == "a6" + inv);
    CHECK(s.cmd("a7 NOTIFY SET (personal ())") == "a7" + inv);
    CHECK(s.cmd("a8 NOTIFY SET (everything (MessageNew MessageExpunge))") == "a8" + inv);
    CHECK(s.cmd("a9 NOTIFY SET (subtree (MessageNew MessageExpunge))") == "a9" + inv);
    CHECK(s.cmd("a10 NOTIFY SET (mailboxes () (MessageNew MessageExpunge))") == "a10" + inv);
    CHECK(s.cmd("a11 NOTIFY SET personal (MessageNew MessageExpunge)") == "a11" + inv);
    const std::string pair =
        " BAD Error in IMAP command NOTIFY: MessageNew and MessageExpunge must be given together, and with "
        "FlagChange\r\n";
    CHECK(s.cmd("b1 NOTIFY SET (personal (MessageNew))") == "b1" + pair);
    CHECK(s.cmd("b2 NOTIFY SET (personal (MessageExpunge))") == "b2" + pair);
    CHECK(s.cmd("b3 NOTIFY SET (personal (FlagChange))") == "b3" + pair);
    CHECK(s.cmd("b4 NOTIFY SET (selected (FlagChange MessageNew))") == "b4" + pair);
    CHECK(s.cmd("c1 NOTIFY SET (selected (MailboxName))") ==
          "c1 BAD Error in IMAP command NOTIFY: Only message events are allowed with SELECTED and "
          "SELECTED-DELAYED\r\n");
    // fetch-att only with SELECTED / SELECTED-DELAYED.
    CHECK(s.cmd("c2 NOTIFY SET (personal (MessageNew (UID) MessageExpunge))") == "c2" + inv);
    CHECK(s.cmd("c3 NOTIFY SET (selected (MessageNew MessageExpunge)) (selected-delayed (MessageNew "
                "MessageExpunge))") == "c3 BAD Error in IMAP command NOTIFY: Duplicate selected filter\r\n");
    CHECK(s.cmd("c4 NOTIFY SET (selected (MessageNew (UID NOSUCH) MessageExpunge))") ==
          "c4 BAD Error in IMAP command NOTIFY: Unknown parameter: NOSUCH\r\n");
    // None of these turned NOTIFY on.
    CHECK_FALSE(s.session().notify_active());
    CHECK(s.session().notify_watch_paths().empty());
}

TEST_CASE("NOTIFY: events Loft does not report answer NO [BADEVENT] with the supported ones") {
    MailEnv env;
    SessionHarness s(env);
    s.login();
    CHECK(s.cmd("a1 NOTIFY SET (personal (AnnotationChange MessageNew MessageExpunge))") == "a1" + kBadEvent);
    CHECK(s.cmd("a2 NOTIFY SET (personal (MailboxMetadataChange))") == "a2" + kBadEvent);
    CHECK(s.cmd("a3 NOTIFY SET (personal (ServerMetadataChange))") == "a3" + kBadEvent);
    CHECK(s.cmd("a4 NOTIFY SET (inboxes (MessageNew MessageExpunge)) (personal (FooBar))") == "a4" + kBadEvent);
    CHECK_FALSE(s.session().notify_active());
    // Before login NOTIFY is unknown.
    SessionHarness anon(env);
    CHECK(anon.cmd("x NOTIFY NONE") == "x BAD Error in IMAP command received by server.\r\n");
}

TEST_CASE("NOTIFY SET STATUS: a STATUS per watched mailbox before the OK, the selected one left out") {
    MailEnv env;
    env.add_message("alice", "INBOX", kMsg);
    env.add_message("alice", "Other", kMsg);
    env.add_message("alice", "Other", kMsg, mailstore::storage::flag_seen);
    SessionHarness s(env);
    s.login();
    s.cmd("a1 SELECT INBOX");
    CHECK(s.cmd("a2 NOTIFY SET STATUS (selected (MessageNew MessageExpunge)) (personal (MessageNew MessageExpunge))") ==
          "* STATUS Other (MESSAGES 2 UIDNEXT 3 UIDVALIDITY " + uidvalidity(env, "Other") +
              " UNSEEN 1)\r\na2 OK NOTIFY completed.\r\n");
    CHECK(s.session().notify_active());
    CHECK_FALSE(s.session().notify_watch_paths().empty());
    // Without STATUS nothing but the OK; mailboxes named twice count once.
    CHECK(s.cmd("a3 NOTIFY SET (mailboxes (Other Other nosuch) (MessageNew MessageExpunge))") ==
          "a3 OK NOTIFY completed.\r\n");
    CHECK(s.cmd("a4 NOTIFY SET STATUS (mailboxes (Other Other nosuch) (MessageNew MessageExpunge))") ==
          "* STATUS Other (MESSAGES 2 UIDNEXT 3 UIDVALIDITY " + uidvalidity(env, "Other") +
              " UNSEEN 1)\r\na4 OK NOTIFY completed.\r\n");
}

TEST_CASE("NOTIFY: another session's APPEND, flag change and expunge in another mailbox: STATUS without a "
          "command") {
    MailEnv env;
    env.add_message("alice", "Other", kMsg);
    SessionHarness s(env);
    s.login();
    CHECK(s.cmd("a1 NOTIFY SET (personal (MessageNew MessageExpunge))") == "a1 OK NOTIFY completed.\r\n");
    const auto gen = s.session().notify_generation();

    SessionHarness other(env);
    other.login();
    CHECK(tagged_line(other.send(append_cmd("b1", "Other")), "b1").find("b1 OK") == 0);
    // Nothing goes out before the session is woken...
    CHECK(s.send_raw("") == "");
    s.session().wake();
    CHECK(s.send_raw("") == "* STATUS Other (MESSAGES 2 UIDNEXT 3 UNSEEN 2)\r\n");
    CHECK(s.last_step() == Kind::read);
    // ... and once only.
    s.session().wake();
    CHECK(s.send_raw("") == "");

    // A flag change alone is not reported without FlagChange.
    other.cmd("b2 SELECT Other");
    other.cmd("b3 STORE 1 +FLAGS.SILENT (\\Seen)");
    s.session().wake();
    CHECK(s.send_raw("") == "");
    // ... but with it, UNSEEN tells.
    CHECK(s.cmd("a2 NOTIFY SET (personal (MessageNew MessageExpunge FlagChange))") == "a2 OK NOTIFY completed.\r\n");
    other.cmd("b4 STORE 2 +FLAGS.SILENT (\\Seen)");
    s.session().wake();
    CHECK(s.send_raw("") == "* STATUS Other (MESSAGES 2 UIDNEXT 3 UNSEEN 0)\r\n");

    // An expunge.
    other.cmd("b5 STORE 1 +FLAGS.SILENT (\\Deleted)");
    other.cmd("b6 EXPUNGE");
    // NOOP polls too, before its tagged line.
    CHECK(s.cmd("a3 NOOP") == "* STATUS Other (MESSAGES 1 UIDNEXT 3 UNSEEN 0)\r\na3 OK NOOP completed.\r\n");
    // The same mailboxes: the daemon need not register its watch again.
    CHECK(s.session().notify_generation() == gen);
}

TEST_CASE("NOTIFY: this session's own APPEND, CREATE and SUBSCRIBE are not reported back (§5)") {
    MailEnv env;
    env.add_message("alice", "Other", kMsg);
    SessionHarness s(env);
    s.login();
    CHECK(s.cmd("a1 NOTIFY SET (personal (MessageNew MessageExpunge MailboxName SubscriptionChange))") ==
          "a1 OK NOTIFY completed.\r\n");
    CHECK(tagged_line(s.send(append_cmd("a2", "Other")), "a2").find("a2 OK [APPENDUID") == 0);
    CHECK(without_mailboxid(s.cmd("a3 CREATE Mine")) == "a3 OK Create completed.\r\n");
    CHECK(s.cmd("a4 SUBSCRIBE Mine") == "a4 OK Subscribe completed.\r\n");
    CHECK(s.cmd("a5 RENAME Mine Yours") == "a5 OK Rename completed.\r\n");
    s.session().wake();
    CHECK(s.send_raw("") == "");
    CHECK(s.cmd("a6 NOOP") == "a6 OK NOOP completed.\r\n");
    // Others' changes still are.
    SessionHarness other(env);
    other.login();
    other.send(append_cmd("b1", "Other"));
    CHECK(s.cmd("a7 NOOP") == "* STATUS Other (MESSAGES 3 UIDNEXT 4 UNSEEN 3)\r\na7 OK NOOP completed.\r\n");
}

TEST_CASE("NOTIFY MailboxName: LIST for CREATE, RENAME (OLDNAME) and DELETE (\\NonExistent) by another session") {
    MailEnv env;
    SessionHarness s(env);
    s.login();
    CHECK(s.cmd("a1 NOTIFY SET (personal (MailboxName))") == "a1 OK NOTIFY completed.\r\n");
    SessionHarness other(env);
    other.login();
    other.cmd("b1 CREATE Fresh");
    s.session().wake();
    CHECK(s.send_raw("") == "* LIST (\\HasNoChildren) \".\" Fresh\r\n");
    other.cmd("b2 RENAME Fresh Renamed");
    s.session().wake();
    CHECK(s.send_raw("") == "* LIST (\\HasNoChildren) \".\" Renamed (\"OLDNAME\" (Fresh))\r\n");
    other.cmd("b3 DELETE Renamed");
    s.session().wake();
    CHECK(s.send_raw("") == "* LIST (\\NonExistent) \".\" Renamed\r\n");
    // A created child with a missing parent: both are affected (§5.4).
    CHECK(without_mailboxid(other.cmd("b4 CREATE Lone.Child")) == "b4 OK Create completed.\r\n");
    s.session().wake();
    CHECK(s.send_raw("") ==
          "* LIST (\\Noselect \\HasChildren) \".\" Lone\r\n* LIST (\\HasNoChildren) \".\" Lone.Child\r\n");
    // A renamed parent: one LIST, its children are not reported (§5.4).
    CHECK(without_mailboxid(other.cmd("b5 CREATE Top")) == "b5 OK Create completed.\r\n");
    CHECK(without_mailboxid(other.cmd("b6 CREATE Top.Child")) == "b6 OK Create completed.\r\n");
    s.session().wake();
    CHECK(s.send_raw("") == "* LIST (\\HasChildren) \".\" Top\r\n* LIST (\\HasNoChildren) \".\" Top.Child\r\n");
    CHECK(other.cmd("b7 RENAME Top Moved") == "b7 OK Rename completed.\r\n");
    s.session().wake();
    CHECK(s.send_raw("") == "* LIST (\\HasChildren) \".\" Moved (\"OLDNAME\" (Top))\r\n");
    // Only the mailboxes the filter covers.
    CHECK(s.cmd("a2 NOTIFY SET (subtree Moved (MailboxName))") == "a2 OK NOTIFY completed.\r\n");
    other.cmd("b8 CREATE Elsewhere");
    other.cmd("b9 CREATE Moved.Two");
    s.session().wake();
    CHECK(s.send_raw("") == "* LIST (\\HasNoChildren) \".\" Moved.Two\r\n");
}

TEST_CASE("NOTIFY SubscriptionChange: LIST with \\Subscribed when subscribed, without when not") {
    MailEnv env;
    env.add_message("alice", "Other", kMsg);
    SessionHarness s(env);
    s.login();
    CHECK(s.cmd("a1 NOTIFY SET (personal (SubscriptionChange))") == "a1 OK NOTIFY completed.\r\n");
    SessionHarness other(env);
    other.login();
    other.cmd("b1 SUBSCRIBE Other");
    s.session().wake();
    CHECK(s.send_raw("") == "* LIST (\\Subscribed \\HasNoChildren) \".\" Other\r\n");
    other.cmd("b2 UNSUBSCRIBE Other");
    s.session().wake();
    CHECK(s.send_raw("") == "* LIST (\\HasNoChildren) \".\" Other\r\n");
    // SUBSCRIBED filter: the watched set follows the subscriptions (§6.4).
    CHECK(s.cmd("a2 NOTIFY SET (subscribed (MessageNew MessageExpunge))") == "a2 OK NOTIFY completed.\r\n");
    other.send(append_cmd("b3", "Other"));
    s.session().wake();
    CHECK(s.send_raw("") == "");
    other.cmd("b4 SUBSCRIBE Other");
    other.send(append_cmd("b5", "Other"));
    s.session().wake();
    // Subscribing starts the watch from that moment's STATUS.
    auto r = s.send_raw("");
    CHECK((r == "" || r == "* STATUS Other (MESSAGES 3 UIDNEXT 4 UNSEEN 3)\r\n"));
    other.send(append_cmd("b6", "Other"));
    s.session().wake();
    CHECK(s.send_raw("") == "* STATUS Other (MESSAGES 4 UIDNEXT 5 UNSEEN 4)\r\n");
}

TEST_CASE("NOTIFY SELECTED: EXISTS and the MessageNew FETCH without a command; own APPEND gets no FETCH") {
    MailEnv env;
    env.add_message("alice", "INBOX", kMsg);
    SessionHarness s(env);
    s.login();
    s.cmd("a1 SELECT INBOX");
    CHECK(s.cmd("a2 NOTIFY SET (selected (MessageNew (UID BODY.PEEK[HEADER.FIELDS (Subject)]) MessageExpunge "
                "FlagChange))") == "a2 OK NOTIFY completed.\r\n");
    CHECK_FALSE(s.session().notify_watch_paths().empty());
    env.add_message("alice", "INBOX", kMsg);
    s.session().wake();
    CHECK(s.send_raw("") == "* 2 EXISTS\r\n* 2 RECENT\r\n* 2 FETCH (UID 2 BODY[HEADER.FIELDS (SUBJECT)] {18}\r\n"
                            "Subject: hello\r\n\r\n)\r\n");
    CHECK(s.last_step() == Kind::read);
    // Another session's flag change and expunge: FETCH with UID (§5.1), EXPUNGE.
    SessionHarness other(env);
    other.login();
    other.cmd("b1 SELECT INBOX");
    other.cmd("b2 STORE 1 +FLAGS.SILENT (\\Flagged)");
    s.session().wake();
    CHECK(s.send_raw("") == "* 1 FETCH (UID 1 FLAGS (\\Flagged \\Recent))\r\n");
    other.cmd("b3 STORE 2 +FLAGS.SILENT (\\Deleted)");
    s.session().wake();
    CHECK(s.send_raw("") == "* 2 FETCH (UID 2 FLAGS (\\Deleted \\Recent))\r\n");
    other.cmd("b4 EXPUNGE");
    s.session().wake();
    CHECK(s.send_raw("") == "* 2 EXPUNGE\r\n* 1 RECENT\r\n");
    // The session's own APPEND to the selected mailbox: EXISTS, no FETCH.
    auto r = s.send(append_cmd("a3", "INBOX"));
    CHECK(r.find("FETCH") == std::string::npos);
    CHECK(r.find("* 2 EXISTS\r\n") != std::string::npos);
}

TEST_CASE("NOTIFY SELECTED-DELAYED: expunges wait for a command that allows them") {
    MailEnv env;
    env.add_message("alice", "INBOX", kMsg);
    env.add_message("alice", "INBOX", kMsg);
    SessionHarness s(env);
    s.login();
    s.cmd("a1 SELECT INBOX");
    CHECK(s.cmd("a2 NOTIFY SET (selected-delayed (MessageNew MessageExpunge))") == "a2 OK NOTIFY completed.\r\n");
    SessionHarness other(env);
    other.login();
    other.cmd("b1 SELECT INBOX");
    other.cmd("b2 STORE 1 +FLAGS.SILENT (\\Deleted)");
    other.cmd("b3 EXPUNGE");
    env.add_message("alice", "INBOX", kMsg);
    s.session().wake();
    // The new message counts on top of the one not expunged yet here
    // (the expunged one no longer counts as \Recent).
    CHECK(s.send_raw("") == "* 3 EXISTS\r\n* 2 RECENT\r\n");
    s.session().wake();
    CHECK(s.send_raw("") == "");
    CHECK(s.cmd("a3 NOOP") == "* 1 EXPUNGE\r\na3 OK NOOP completed.\r\n");
}

TEST_CASE("NOTIFY without SELECTED: no unsolicited updates of the selected mailbox; NONE stops everything") {
    MailEnv env;
    env.add_message("alice", "INBOX", kMsg);
    SessionHarness s(env);
    s.login();
    s.cmd("a1 SELECT INBOX");
    CHECK(s.cmd("a2 NOTIFY SET (personal (MessageNew MessageExpunge))") == "a2 OK NOTIFY completed.\r\n");
    env.add_message("alice", "INBOX", kMsg);
    s.session().wake();
    // INBOX is selected: SELECTED governs it (§3.1), and it is absent.
    CHECK(s.send_raw("") == "");
    // A command still gets the updates RFC 3501 requires.
    CHECK(s.cmd("a3 NOOP") == "* 2 EXISTS\r\n* 2 RECENT\r\na3 OK NOOP completed.\r\n");

    env.add_message("alice", "Other", kMsg);
    CHECK(s.cmd("a4 NOTIFY NONE") == "a4 OK NOTIFY completed.\r\n");
    CHECK_FALSE(s.session().notify_active());
    CHECK(s.session().notify_watch_paths().empty());
    env.add_message("alice", "Other", kMsg);
    s.session().wake();
    CHECK(s.send_raw("") == "");
    CHECK(s.cmd("a5 NOOP") == "a5 OK NOOP completed.\r\n");
}

TEST_CASE("NOTIFY in IDLE: the same events (§4)") {
    MailEnv env;
    env.add_message("alice", "Other", kMsg);
    SessionHarness s(env);
    s.login();
    CHECK(s.cmd("a1 NOTIFY SET (personal (MessageNew MessageExpunge))") == "a1 OK NOTIFY completed.\r\n");
    CHECK(s.send("a2 IDLE") == "+ idling\r\n");
    env.add_message("alice", "Other", kMsg);
    s.session().wake();
    CHECK(s.send_raw("") == "* STATUS Other (MESSAGES 2 UIDNEXT 3 UNSEEN 2)\r\n");
    CHECK(s.last_step() == Kind::idle);
    CHECK(s.send("DONE") == "a2 OK Idle completed.\r\n");
}

TEST_CASE("NOTIFY: too many mailboxes: NO [NOTIFICATIONOVERFLOW], or * OK [NOTIFICATIONOVERFLOW] when the set "
          "grows past the limit later (§5.8)") {
    MailEnv env;
    env.add_message("alice", "INBOX", kMsg);
    auto user = env.open_user("alice");
    // INBOX and 499 more: kMaxWatchedMailboxes (session/notify.hpp) is 500.
    for (int i = 1; i < 500; ++i)
        REQUIRE(user.create_mailbox("box" + std::to_string(i)).is_ok());
    SessionHarness s(env);
    s.login();
    CHECK(s.cmd("a1 NOTIFY SET (personal (MessageNew MessageExpunge))") == "a1 OK NOTIFY completed.\r\n");
    CHECK(s.session().notify_active());
    // One more: the watched set is too big now, NOTIFY goes off.
    REQUIRE(user.create_mailbox("box500").is_ok());
    s.session().wake();
    CHECK(s.send_raw("") == "* OK [NOTIFICATIONOVERFLOW] Too many notifications, NOTIFY is off now\r\n");
    CHECK_FALSE(s.session().notify_active());
    CHECK(s.session().notify_watch_paths().empty());
    env.add_message("alice", "box1", kMsg);
    CHECK(s.cmd("a2 NOOP") == "a2 OK NOOP completed.\r\n");
    // Asking again is refused; a named few still work.
    CHECK(s.cmd("a3 NOTIFY SET (personal (MessageNew MessageExpunge))") ==
          "a3 NO [NOTIFICATIONOVERFLOW] Too many mailboxes to watch.\r\n");
    CHECK_FALSE(s.session().notify_active());
    CHECK(s.cmd("a4 NOTIFY SET (mailboxes (box1 box2) (MessageNew MessageExpunge)) (personal (MailboxName))") ==
          "a4 OK NOTIFY completed.\r\n");
    env.add_message("alice", "box2", kMsg);
    CHECK(s.cmd("a5 NOOP") == "* STATUS box2 (MESSAGES 1 UIDNEXT 2 UNSEEN 1)\r\na5 OK NOOP completed.\r\n");
}

TEST_CASE("NOTIFY with METADATA on: MailboxMetadataChange and ServerMetadataChange (§5.6, §5.7)") {
    MailEnv env("imap_metadata = yes\nmail_attribute_dict = file:%h/dovecot-attributes\n");
    env.add_message("alice", "Other", kMsg);
    SessionHarness s(env);
    s.login();
    CHECK(s.cmd("a1 NOTIFY SET (selected (MailboxMetadataChange))") ==
          "a1 BAD Error in IMAP command NOTIFY: Only message events are allowed with SELECTED and "
          "SELECTED-DELAYED\r\n");
    CHECK(s.cmd("a2 NOTIFY SET (personal (AnnotationChange))") ==
          "a2 NO [BADEVENT (MessageNew MessageExpunge FlagChange MailboxName SubscriptionChange "
          "MailboxMetadataChange ServerMetadataChange)] Unsupported NOTIFY events.\r\n");
    CHECK(s.cmd("a3 NOTIFY SET (mailboxes Other (MailboxMetadataChange ServerMetadataChange))") ==
          "a3 OK NOTIFY completed.\r\n");
    SessionHarness other(env);
    other.login();
    CHECK(other.cmd("b1 SETMETADATA Other (/private/comment \"hello\" /shared/comment \"x\")") ==
          "b1 OK Setmetadata completed.\r\n");
    s.session().wake();
    CHECK(s.send_raw("") == "* METADATA Other /private/comment /shared/comment\r\n");
    CHECK(other.cmd("b2 SETMETADATA Other (/private/comment NIL)") == "b2 OK Setmetadata completed.\r\n");
    CHECK(s.cmd("a4 NOOP") == "* METADATA Other /private/comment\r\na4 OK NOOP completed.\r\n");
    // INBOX is not covered; the server's entries are.
    other.cmd("b3 SETMETADATA INBOX (/private/comment \"in\")");
    other.cmd("b4 SETMETADATA \"\" (/private/note \"srv\")");
    s.session().wake();
    CHECK(s.send_raw("") == "* METADATA \"\" /private/note\r\n");
    // The session's own SETMETADATA is not reported back.
    CHECK(s.cmd("a5 SETMETADATA Other (/private/comment \"mine\")") == "a5 OK Setmetadata completed.\r\n");
    s.session().wake();
    CHECK(s.send_raw("") == "");
}

TEST_CASE("NOTIFY FlagChange with CONDSTORE enabled: another mailbox's STATUS has HIGHESTMODSEQ and UIDVALIDITY "
          "(§5.1)") {
    MailEnv env;
    env.add_message("alice", "Other", kMsg);
    SessionHarness s(env);
    s.login();
    CHECK(s.cmd("a0 ENABLE CONDSTORE") == "* ENABLED CONDSTORE\r\na0 OK Enabled.\r\n");
    CHECK(s.cmd("a1 NOTIFY SET (personal (MessageNew MessageExpunge FlagChange))") == "a1 OK NOTIFY completed.\r\n");
    SessionHarness other(env);
    other.login();
    other.cmd("b1 SELECT Other");
    other.cmd("b2 STORE 1 +FLAGS.SILENT ($Junk)");
    // The RFC's example: "* STATUS Lists/Lemonade (HIGHESTMODSEQ 65666665
    // UIDVALIDITY 101)": both items although UIDVALIDITY did not change.
    s.session().wake();
    CHECK(s.send_raw("") == "* STATUS Other (MESSAGES 1 UIDNEXT 2 UIDVALIDITY " + uidvalidity(env, "Other") +
                                " UNSEEN 1 HIGHESTMODSEQ " + highest_modseq(env, "Other") + ")\r\n");
    // Without FlagChange (MessageNew/MessageExpunge only), a new message
    // gets HIGHESTMODSEQ (§5.2) but UIDVALIDITY only when it changed.
    CHECK(s.cmd("a2 NOTIFY SET (personal (MessageNew MessageExpunge))") == "a2 OK NOTIFY completed.\r\n");
    CHECK(tagged_line(other.send(append_cmd("b3", "Other")), "b3").find("b3 OK") == 0);
    s.session().wake();
    CHECK(s.send_raw("") == "* STATUS Other (MESSAGES 2 UIDNEXT 3 UNSEEN 2 HIGHESTMODSEQ " +
                                highest_modseq(env, "Other") + ")\r\n");
}

TEST_CASE("NOTIFY SET STATUS with FlagChange: HIGHESTMODSEQ although CONDSTORE is not enabled (§3.1)") {
    MailEnv env;
    env.add_message("alice", "Other", kMsg);
    SessionHarness s(env);
    s.login();
    CHECK(s.cmd("a1 NOTIFY SET STATUS (mailboxes Other (MessageNew MessageExpunge FlagChange))") ==
          "* STATUS Other (MESSAGES 1 UIDNEXT 2 UIDVALIDITY " + uidvalidity(env, "Other") +
              " UNSEEN 1 HIGHESTMODSEQ " + highest_modseq(env, "Other") + ")\r\na1 OK NOTIFY completed.\r\n");
    // Without FlagChange and without CONDSTORE: no HIGHESTMODSEQ.
    CHECK(s.cmd("a2 NOTIFY SET STATUS (mailboxes Other (MessageNew MessageExpunge))") ==
          "* STATUS Other (MESSAGES 1 UIDNEXT 2 UIDVALIDITY " + uidvalidity(env, "Other") +
              " UNSEEN 1)\r\na2 OK NOTIFY completed.\r\n");
}

TEST_CASE("NOTIFY metadata events leave out Loft's internal entries: another session's GENURLAUTH and RESETKEY "
          "are not reported") {
    MailEnv env("imap_metadata = yes\nmail_attribute_dict = file:%h/dovecot-attributes\n"
                "imap_urlauth_host = mail.example.org\n");
    env.add_message("alice", "INBOX", kMsg);
    SessionHarness s(env);
    s.login();
    CHECK(s.cmd("a1 NOTIFY SET (personal (MailboxMetadataChange ServerMetadataChange))") ==
          "a1 OK NOTIFY completed.\r\n");
    SessionHarness other(env);
    other.login();
    const std::string rump = "imap://alice@mail.example.org/INBOX/;uid=1;urlauth=anonymous";
    CHECK(tagged_line(other.cmd("b1 GENURLAUTH \"" + rump + "\" INTERNAL"), "b1") == "b1 OK GENURLAUTH completed.");
    // The key is in the dict file (the store's layout), yet not reported.
    auto store = mailstore::storage::MetadataStore::open(env.open_user("alice"));
    REQUIRE(store.is_ok());
    auto guid = env.open_user("alice").mailbox_guid("INBOX");
    REQUIRE(guid.is_ok());
    auto key = store->get(*guid, "/private/vendor/vendor.loft/urlauth-key");
    REQUIRE(key.is_ok());
    CHECK(key->has_value());
    s.session().wake();
    CHECK(s.send_raw("") == "");
    CHECK(other.cmd("b2 RESETKEY") == "b2 OK All keys removed.\r\n");
    CHECK(s.cmd("a2 NOOP") == "a2 OK NOOP completed.\r\n");
    // A visible entry next to it is reported, and only it.
    other.cmd("b3 SETMETADATA INBOX (/private/comment \"c\")");
    CHECK(other.cmd("b4 RESETKEY INBOX") == "b4 OK [URLMECH INTERNAL] Key reset.\r\n");
    CHECK(s.cmd("a3 NOOP") == "* METADATA INBOX /private/comment\r\na3 OK NOOP completed.\r\n");
    // The session's own GENURLAUTH / RESETKEY are not reported either.
    CHECK(tagged_line(s.cmd("a4 GENURLAUTH \"" + rump + "\" INTERNAL"), "a4") == "a4 OK GENURLAUTH completed.");
    CHECK(s.cmd("a5 RESETKEY") == "a5 OK All keys removed.\r\n");
    CHECK(s.cmd("a6 NOOP") == "a6 OK NOOP completed.\r\n");
}

TEST_CASE("NOTIFY metadata events read the dict file once per change, not per mailbox or per poll") {
    MailEnv env("imap_metadata = yes\nmail_attribute_dict = file:%h/dovecot-attributes\n");
    for (const char* box : {"A", "B", "C", "D"})
        env.add_message("alice", box, kMsg);
    SessionHarness other(env);
    other.login();
    other.cmd("b0 SETMETADATA \"\" (/private/note \"before\")");
    SessionHarness s(env);
    s.login();
    CHECK(s.cmd("a1 NOTIFY SET (personal (MailboxMetadataChange ServerMetadataChange))") ==
          "a1 OK NOTIFY completed.\r\n");
    const auto base = imapproto::detail::notify_metadata_reads();
    // Polls with the file unchanged: no read at all.
    for (int i = 0; i < 3; ++i) {
        CHECK(s.cmd("n" + std::to_string(i) + " NOOP") == "n" + std::to_string(i) + " OK NOOP completed.\r\n");
        s.session().wake();
        CHECK(s.send_raw("") == "");
    }
    CHECK(imapproto::detail::notify_metadata_reads() == base);
    // One change to several mailboxes and the server: one read, every slice right.
    other.cmd("b1 SETMETADATA A (/private/comment \"a\" /shared/comment \"s\")");
    other.cmd("b2 SETMETADATA D (/shared/x \"d\")");
    other.cmd("b3 SETMETADATA \"\" (/private/note \"after\")");
    CHECK(s.cmd("a2 NOOP") == "* METADATA \"\" /private/note\r\n* METADATA A /private/comment /shared/comment\r\n"
                              "* METADATA D /shared/x\r\na2 OK NOOP completed.\r\n");
    CHECK(imapproto::detail::notify_metadata_reads() == base + 1);
    CHECK(s.cmd("a3 NOOP") == "a3 OK NOOP completed.\r\n");
    CHECK(imapproto::detail::notify_metadata_reads() == base + 1);
    // A new mailbox is covered: read again (its entries are its start).
    other.cmd("b4 CREATE E");
    other.cmd("b5 SETMETADATA E (/private/comment \"e\")");
    s.session().wake();
    CHECK(s.send_raw("") == "");
    CHECK(imapproto::detail::notify_metadata_reads() == base + 2);
    other.cmd("b6 SETMETADATA E (/private/comment \"e2\")");
    s.session().wake();
    CHECK(s.send_raw("") == "* METADATA E /private/comment\r\n");
    CHECK(imapproto::detail::notify_metadata_reads() == base + 3);
}
