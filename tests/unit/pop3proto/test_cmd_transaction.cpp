// TRANSACTION and UPDATE (RFC 1939 §5, §6): STAT, LIST, DELE, RSET, NOOP,
// LAST, QUIT; deletions only at QUIT; the snapshot taken at login; IMAP
// changes during a session; \Seen; pop3_lock_session; pop3_deleted_flag;
// pop3_logout_format.
#include "session_harness.hpp"

#include <filesystem>

using pop3_test::HarnessOptions;
using pop3_test::Pop3Env;
using pop3_test::Pop3Harness;
using pop3proto::SessionState;
using pop3proto::Step;
namespace st = mailstore::storage;

namespace {

// Three messages of 45, 34 and 17 octets (the sizes Dovecot 2.3.19 lists
// for the same files).
void add_three(Pop3Env& env, const std::string& user = "alice") {
    env.add_message(user, "From: a@b\nSubject: one\n\nline1\n.dot\nline3");
    env.add_message(user, "From: a@b\r\nSubject: two\r\n\r\nbody2\r\n");
    env.add_message(user, "Subject: nobody\n");
}

std::uint32_t inbox_count(Pop3Env& env, const std::string& user = "alice") {
    return env.open_inbox(user).view().count();
}

} // namespace

TEST_CASE("STAT, LIST, LIST n") {
    Pop3Env env;
    add_three(env);
    Pop3Harness s(env);
    s.login();
    CHECK(s.send("STAT") == "+OK 3 96\r\n");
    CHECK(s.send("LIST") == "+OK 3 messages:\r\n1 45\r\n2 34\r\n3 17\r\n.\r\n");
    CHECK(s.send("LIST 1") == "+OK 1 45\r\n");
    CHECK(s.send("LIST 3") == "+OK 3 17\r\n");
    CHECK(s.send("LIST  2") == "+OK 2 34\r\n");
}

TEST_CASE("message number errors (Dovecot's texts)") {
    Pop3Env env;
    add_three(env);
    Pop3Harness s(env);
    s.login();
    CHECK(s.send("LIST 9") == "-ERR There's no message 9.\r\n");
    CHECK(s.send("LIST 0") == "-ERR There's no message 0.\r\n");
    CHECK(s.send("LIST x") == "-ERR Invalid message number: x\r\n");
    CHECK(s.send("RETR -1") == "-ERR Invalid message number: -1\r\n");
    CHECK(s.send("RETR 1x") == "-ERR Invalid message number: 1x\r\n");
    CHECK(s.send("RETR 99999999999") == "-ERR Message number too large: 99999999999\r\n");
    CHECK(s.send("LIST 1 2") == "-ERR Noise after message number:  2\r\n");
    CHECK(s.send("DELE") == "-ERR Invalid message number: \r\n");
    CHECK(s.send("TOP 1") == "-ERR Noise after message number: \r\n");
    CHECK(s.send("TOP 1 -1") == "-ERR Invalid size: -1\r\n");
    CHECK(s.send("TOP 1 x") == "-ERR Invalid size: x\r\n");
    CHECK(s.send("UIDL 4294967296") == "-ERR Message number too large: 4294967296\r\n");
}

TEST_CASE("DELE marks; a marked message is gone for LIST/STAT/RETR; RSET brings it back") {
    Pop3Env env;
    add_three(env);
    Pop3Harness s(env);
    s.login();
    CHECK(s.send("DELE 1") == "+OK Marked to be deleted.\r\n");
    CHECK(s.send("DELE 1") == "-ERR Message is deleted.\r\n");
    CHECK(s.send("RETR 1") == "-ERR Message is deleted.\r\n");
    CHECK(s.send("TOP 1 0") == "-ERR Message is deleted.\r\n");
    CHECK(s.send("LIST 1") == "-ERR Message is deleted.\r\n");
    CHECK(s.send("UIDL 1") == "-ERR Message is deleted.\r\n");
    CHECK(s.send("STAT") == "+OK 2 51\r\n");
    CHECK(s.send("LIST") == "+OK 2 messages:\r\n2 34\r\n3 17\r\n.\r\n");
    CHECK(s.send("DELE 9") == "-ERR There's no message 9.\r\n");
    CHECK(s.send("RSET") == "+OK\r\n");
    CHECK(s.send("STAT") == "+OK 3 96\r\n");
    CHECK(s.send("NOOP") == "+OK\r\n");
    CHECK(s.send("QUIT") == "+OK Logging out.\r\n");
    CHECK(s.closed());
    CHECK(s.last().reason == "Logged out");
    CHECK(inbox_count(env) == 3);
}

TEST_CASE("DELE then QUIT: gone at the next login") {
    Pop3Env env;
    add_three(env);
    {
        Pop3Harness s(env);
        s.login();
        CHECK(s.send("DELE 2") == "+OK Marked to be deleted.\r\n");
        CHECK(s.send("DELE 3") == "+OK Marked to be deleted.\r\n");
        CHECK(inbox_count(env) == 3); // nothing before UPDATE
        CHECK(s.send("QUIT") == "+OK Logging out, messages deleted.\r\n");
        CHECK(s.session().stats().deleted_count == 2);
        CHECK(s.session().logout_line() == "top=0/0, retr=0/0, del=2/3, size=96");
    }
    CHECK(inbox_count(env) == 1);
    Pop3Harness again(env);
    again.login();
    CHECK(again.send("LIST") == "+OK 1 messages:\r\n1 45\r\n.\r\n");
}

TEST_CASE("DELE then a dropped connection deletes nothing") {
    Pop3Env env;
    add_three(env);
    {
        Pop3Harness s(env);
        s.login();
        CHECK(s.send("DELE 1") == "+OK Marked to be deleted.\r\n");
        CHECK(s.send("DELE 2") == "+OK Marked to be deleted.\r\n");
    } // the session is destroyed without QUIT
    CHECK(inbox_count(env) == 3);
}

TEST_CASE("new mail stays invisible until the next login (RFC 1939 §5)") {
    Pop3Env env;
    add_three(env);
    Pop3Harness s(env);
    s.login();
    env.add_message("alice", "Subject: later\r\n\r\nnew\r\n");
    CHECK(s.send("STAT") == "+OK 3 96\r\n");
    CHECK(s.send("LIST 4") == "-ERR There's no message 4.\r\n");
    CHECK(s.send("DELE 1") == "+OK Marked to be deleted.\r\n");
    CHECK(s.send("QUIT") == "+OK Logging out, messages deleted.\r\n");
    Pop3Harness again(env);
    again.login();
    CHECK(again.send("LIST") == "+OK 3 messages:\r\n1 34\r\n2 17\r\n3 23\r\n.\r\n");
}

TEST_CASE("a message expunged by IMAP during the session: -ERR, no renumbering") {
    Pop3Env env;
    add_three(env);
    Pop3Harness s(env);
    s.login();
    {
        auto box = env.open_inbox("alice");
        auto tx = box.begin();
        st::UidSet uids;
        uids.add(box.view().uid(2));
        REQUIRE(tx.expunge(uids).is_ok());
        REQUIRE(tx.commit().is_ok());
    }
    CHECK(s.send("RETR 2") == "-ERR Message 2 expunged.\r\n");
    CHECK(s.send("TOP 2 0") == "-ERR Message 2 expunged.\r\n");
    CHECK(s.send("LIST") == "+OK 3 messages:\r\n1 45\r\n2 34\r\n3 17\r\n.\r\n");
    CHECK(s.send("RETR 3") == "+OK 17 octets\r\nSubject: nobody\r\n.\r\n");
    // DELE of it is accepted; QUIT expunges what is still there.
    CHECK(s.send("DELE 2") == "+OK Marked to be deleted.\r\n");
    CHECK(s.send("DELE 3") == "+OK Marked to be deleted.\r\n");
    CHECK(s.send("QUIT") == "+OK Logging out, messages deleted.\r\n");
    CHECK(s.session().stats().deleted_count == 1);
    CHECK(inbox_count(env) == 1);
}

TEST_CASE("RETR sets \\Seen at QUIT (as Dovecot 2.3), TOP does not") {
    Pop3Env env;
    add_three(env);
    auto seen = [&](st::Seq seq) { return (env.open_inbox("alice").view().flags(seq) & st::flag_seen) != 0; };
    Pop3Harness s(env);
    s.login();
    CHECK(s.send("TOP 1 0").starts_with("+OK\r\n"));
    CHECK(s.send("RETR 2").starts_with("+OK 34 octets\r\n"));
    CHECK(s.send("RETR 3").starts_with("+OK 17 octets\r\n"));
    CHECK(s.send("TOP 3 0").starts_with("+OK\r\n")); // TOP after RETR keeps the change
    CHECK_FALSE(seen(2)); // nothing before UPDATE
    CHECK(s.send("QUIT") == "+OK Logging out.\r\n");
    CHECK_FALSE(seen(1));
    CHECK(seen(2));
    CHECK(seen(3));
}

TEST_CASE("\\Seen: a dropped connection sets nothing; RSET forgets the RETRs before it") {
    Pop3Env env;
    add_three(env);
    auto seen = [&](st::Seq seq) { return (env.open_inbox("alice").view().flags(seq) & st::flag_seen) != 0; };
    {
        Pop3Harness s(env);
        s.login();
        CHECK(s.send("RETR 1").starts_with("+OK"));
    }
    CHECK_FALSE(seen(1));
    Pop3Harness s(env);
    s.login();
    CHECK(s.send("RETR 1").starts_with("+OK"));
    CHECK(s.send("RSET") == "+OK\r\n");
    CHECK(s.send("RETR 2").starts_with("+OK"));
    CHECK(s.send("DELE 3") == "+OK Marked to be deleted.\r\n");
    CHECK(s.send("QUIT") == "+OK Logging out, messages deleted.\r\n");
    auto box = env.open_inbox("alice");
    REQUIRE(box.view().count() == 2);
    CHECK((box.view().flags(1) & st::flag_seen) == 0);
    CHECK((box.view().flags(2) & st::flag_seen) != 0);
}

TEST_CASE("\\Seen already set stays set; RETR of a seen message changes nothing") {
    Pop3Env env;
    env.add_message("alice", "Subject: a\r\n\r\nx\r\n", st::flag_seen | st::flag_flagged);
    Pop3Harness s(env);
    s.login();
    CHECK(s.send("RETR 1").starts_with("+OK"));
    CHECK(s.send("QUIT") == "+OK Logging out.\r\n");
    CHECK(env.open_inbox("alice").view().flags(1) == (st::flag_seen | st::flag_flagged));
}

TEST_CASE("pop3_no_flag_updates: RETR leaves \\Seen alone") {
    Pop3Env env("pop3_no_flag_updates = yes\n");
    add_three(env);
    Pop3Harness s(env);
    s.login();
    CHECK(s.send("RETR 1").starts_with("+OK 45 octets\r\n"));
    CHECK(s.send("QUIT") == "+OK Logging out.\r\n");
    auto box = env.open_inbox("alice");
    CHECK((box.view().flags(1) & st::flag_seen) == 0);
}

TEST_CASE("LAST only with pop3_enable_last") {
    {
        Pop3Env env;
        add_three(env);
        Pop3Harness s(env);
        s.login();
        CHECK(s.send("LAST") == "-ERR Unknown command: LAST\r\n");
    }
    Pop3Env env("pop3_enable_last = yes\n");
    add_three(env);
    Pop3Harness s(env);
    s.login();
    CHECK(s.send("LAST") == "+OK 0\r\n");
    CHECK(s.send("RETR 2").starts_with("+OK"));
    CHECK(s.send("LAST") == "+OK 2\r\n");
    CHECK(s.send("TOP 3 0").starts_with("+OK"));
    CHECK(s.send("RETR 1").starts_with("+OK"));
    CHECK(s.send("LAST") == "+OK 3\r\n");
    CHECK(s.send("RSET") == "+OK\r\n");
    CHECK(s.send("LAST") == "+OK 0\r\n");
}

TEST_CASE("pop3_deleted_flag: QUIT sets the keyword; later POP3 sessions do not see the message") {
    Pop3Env env("pop3_deleted_flag = $POP3Deleted\n");
    add_three(env);
    {
        Pop3Harness s(env);
        s.login();
        CHECK(s.send("DELE 1") == "+OK Marked to be deleted.\r\n");
        CHECK(s.send("QUIT") == "+OK Logging out, messages deleted.\r\n");
    }
    {
        auto box = env.open_inbox("alice");
        REQUIRE(box.view().count() == 3); // still there for IMAP
        CHECK(box.view().keywords(1) == std::vector<std::string>{"$POP3Deleted"});
    }
    Pop3Harness s(env);
    s.login();
    CHECK(s.send("LIST") == "+OK 2 messages:\r\n1 34\r\n2 17\r\n.\r\n");
}

TEST_CASE("pop3_logout_format counters (Dovecot's arithmetic)") {
    Pop3Env env;
    add_three(env);
    Pop3Harness s(env);
    s.login();
    // The same commands as a Dovecot 2.3.19 session that logged
    // "top=4/146, retr=3/144, del=0/3, size=96".
    for (const char* c : {"RETR 1", "RETR 2", "RETR 3", "TOP 1 0", "TOP 1 1", "TOP 1 99", "TOP 3 1"})
        CHECK(s.send(c).starts_with("+OK"));
    CHECK(s.send("QUIT") == "+OK Logging out.\r\n");
    CHECK(s.session().logout_line() == "top=4/146, retr=3/144, del=0/3, size=96");
    const auto& stats = s.session().stats();
    CHECK(stats.bytes_in > 0);
    CHECK(stats.bytes_out > 0);
}

TEST_CASE("pop3_logout_format with other variables") {
    Pop3Env env("pop3_logout_format = in=%i out=%o msgs=%m\n");
    add_three(env);
    Pop3Harness s(env);
    s.login();
    CHECK(s.send("QUIT") == "+OK Logging out.\r\n");
    const auto& stats = s.session().stats();
    CHECK(s.session().logout_line() ==
          "in=" + std::to_string(stats.bytes_in) + " out=" + std::to_string(stats.bytes_out) + " msgs=3");
}

TEST_CASE("pop3_lock_session: a second session waits, then [IN-USE]; free again after the first ends") {
    Pop3Env env("pop3_lock_session = yes\n");
    add_three(env);
    auto first = std::make_unique<Pop3Harness>(env);
    first->login();
    {
        Pop3Harness second(env);
        CHECK(second.send("USER alice") == "+OK\r\n");
        second.steps.clear();
        CHECK(second.send("PASS secret") == "-ERR [IN-USE] Mailbox is locked by another POP3 session.\r\n");
        CHECK(std::count(second.steps.begin(), second.steps.end(), Step::Kind::sleep) == 19);
        CHECK(second.session().state() == SessionState::authorization);
    }
    // Another user is not affected.
    Pop3Harness bob(env);
    bob.login("bob");
    first.reset(); // the first session ends without QUIT: the lock goes with it
    Pop3Harness third(env);
    third.login();
    CHECK(third.send("STAT") == "+OK 3 96\r\n");
}

TEST_CASE("pop3_lock_session: a stale lock file does not block") {
    Pop3Env env("pop3_lock_session = yes\n");
    add_three(env);
    Pop3Harness s(env);
    s.login();
    CHECK(s.send("QUIT") == "+OK Logging out.\r\n");
    // The file stays behind (as after a crash); nobody holds the lock.
    bool found = false;
    for (auto& e : std::filesystem::recursive_directory_iterator(env.dir.path))
        if (e.path().filename() == "loft-pop3-session.lock")
            found = true;
    CHECK(found);
    Pop3Harness again(env);
    again.login();
}
