// TRANSACTION and UPDATE (RFC 1939 §5, §6): STAT, LIST, DELE, RSET, NOOP,
// LAST, QUIT; deletions only at QUIT; the snapshot taken at login; IMAP
// changes during a session; \Seen; pop3_lock_session; pop3_deleted_flag;
// pop3_logout_format.
#include "session_harness.hpp"

#include <filesystem>
#include <fstream>

using pop3_test::HarnessOptions;
using pop3_test::Pop3Env;
using pop3_test::Pop3Harness;
using pop3proto::SessionState;
using pop3proto::Step;
namespace st = mailstore::storage;

namespace {

// Three messages of 47, 34 and 17 octets: the sizes Dovecot 2.3.19 lists
// for the same files, but for the first, whose last line has no line end:
// Loft counts the CRLF RETR adds after it (Dovecot: 45; docs/pop3.md).
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
    CHECK(s.send("STAT") == "+OK 3 98\r\n");
    CHECK(s.send("LIST") == "+OK 3 messages:\r\n1 47\r\n2 34\r\n3 17\r\n.\r\n");
    CHECK(s.send("LIST 1") == "+OK 1 47\r\n");
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
    CHECK(s.send("STAT") == "+OK 3 98\r\n");
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
        CHECK(s.session().logout_line() == "top=0/0, retr=0/0, del=2/3, size=98");
    }
    CHECK(inbox_count(env) == 1);
    Pop3Harness again(env);
    again.login();
    CHECK(again.send("LIST") == "+OK 1 messages:\r\n1 47\r\n.\r\n");
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
    CHECK(s.send("STAT") == "+OK 3 98\r\n");
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
    CHECK(s.send("LIST") == "+OK 3 messages:\r\n1 47\r\n2 34\r\n3 17\r\n.\r\n");
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
    CHECK(s.send("RETR 1").starts_with("+OK 47 octets\r\n"));
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

TEST_CASE("pop3_delete_type: expunge even with pop3_deleted_flag, flag with it, flag without it refused") {
    {
        Pop3Env env("pop3_deleted_flag = \"$POP3Deleted\"\npop3_delete_type = expunge\n");
        add_three(env);
        Pop3Harness s(env);
        s.login();
        CHECK(s.send("DELE 1") == "+OK Marked to be deleted.\r\n");
        CHECK(s.send("QUIT") == "+OK Logging out, messages deleted.\r\n");
        CHECK(env.open_inbox("alice").view().count() == 2); // gone for IMAP too
    }
    {
        Pop3Env env("pop3_deleted_flag = \"$POP3Deleted\"\npop3_delete_type = flag\n");
        add_three(env);
        Pop3Harness s(env);
        s.login();
        CHECK(s.send("DELE 2") == "+OK Marked to be deleted.\r\n");
        CHECK(s.send("QUIT") == "+OK Logging out, messages deleted.\r\n");
        auto box = env.open_inbox("alice");
        REQUIRE(box.view().count() == 3);
        CHECK(box.view().keywords(2) == std::vector<std::string>{"$POP3Deleted"});
        CHECK(box.view().keywords(1).empty());
    }
    {
        // Dovecot refuses this configuration ("pop3_delete_type=flag, but
        // pop3_deleted_flag not set"); Loft refuses the login.
        Pop3Env env("pop3_delete_type = flag\n");
        add_three(env);
        Pop3Harness s(env);
        CHECK(s.send("USER alice") == "+OK\r\n");
        CHECK(s.send("PASS secret") ==
              "-ERR [SYS/TEMP] Couldn't open INBOX: Internal error occurred. Refer to server log for more "
              "information.\r\n");
        CHECK(env.open_inbox("alice").view().count() == 3);
    }
}

TEST_CASE("LIST/STAT/RETR sizes count the CRLF RETR adds after a last line without one (RFC 1939 §3)") {
    Pop3Env env;
    env.add_message("alice", "Subject: a\r\n\r\nno line end");
    env.add_message("alice", "Subject: b\r\n\r\nline end\r\n");
    for (int session = 0; session < 2; ++session) { // read from the file, then from the index cache
        CAPTURE(session);
        Pop3Harness s(env);
        s.login();
        // 25 octets + the added CRLF; 24 ending in their own CRLF.
        CHECK(s.send("LIST") == "+OK 2 messages:\r\n1 27\r\n2 24\r\n.\r\n");
        CHECK(s.send("STAT") == "+OK 2 51\r\n");
        const std::string retr = s.send("RETR 1");
        CHECK(retr == "+OK 27 octets\r\nSubject: a\r\n\r\nno line end\r\n.\r\n");
        CHECK(retr.size() - std::string("+OK 27 octets\r\n").size() - std::string(".\r\n").size() == 27);
        CHECK(s.send("RETR 2") == "+OK 24 octets\r\nSubject: b\r\n\r\nline end\r\n.\r\n");
        CHECK(s.send("QUIT") == "+OK Logging out.\r\n");
    }
}

TEST_CASE("pop3_fast_size_lookups: the file name's S= when no CRLF size is known (as Dovecot 2.3.19)") {
    for (bool fast : {false, true}) {
        Pop3Env env(fast ? "pop3_fast_size_lookups = yes\n" : "");
        const std::string md = env.maildir("alice");
        for (const char* d : {"cur", "new", "tmp"})
            std::filesystem::create_directories(md + "/" + d);
        // LF line ends, a name with S= and no W=: the CRLF size needs a read.
        std::ofstream(md + "/cur/1700000000.M1P1.host,S=17:2,S", std::ios::binary) << "Subject: a\n\nbody\n";
        Pop3Harness s(env);
        s.login();
        CHECK(s.send("LIST") == (fast ? "+OK 1 messages:\r\n1 17\r\n.\r\n" : "+OK 1 messages:\r\n1 20\r\n.\r\n"));
        CHECK(s.send("STAT") == (fast ? "+OK 1 17\r\n" : "+OK 1 20\r\n"));
        // RETR says the listed size and sends CRLF line ends either way.
        CHECK(s.send("RETR 1") ==
              (fast ? "+OK 17 octets\r\n" : "+OK 20 octets\r\n") + std::string("Subject: a\r\n\r\nbody\r\n.\r\n"));
    }
}

TEST_CASE("pop3_logout_format %u: the UIDL hashes Dovecot 2.3.19 logs") {
    // Six messages whose UIDLs (P fields) are those of a Dovecot session
    // that logged "u=6/acc6d81c -> 5/65ea43d7" after UIDL, DELE 1, QUIT.
    const char* uidls[] = {"migrated+one", "000000026553f100", "UIDL:3#kept",
                           "000000046553f100", "000000056553f100", "000000066553f100"};
    Pop3Env env("pop3_logout_format = u=%u uc=%{uidl_change} d=%d\n");
    for (const char* u : uidls)
        env.add_message("alice", "Subject: x\r\n\r\nbody\r\n", 0, {}, u);
    {
        Pop3Harness s(env);
        s.login();
        CHECK(s.send("QUIT") == "+OK Logging out.\r\n");
        CHECK(s.session().logout_line() == "u= uc= d=0"); // no UIDL command: empty
    }
    {
        Pop3Harness s(env);
        s.login();
        CHECK(s.send("UIDL 1") == "+OK 1 migrated+one\r\n");
        CHECK(s.send("QUIT") == "+OK Logging out.\r\n");
        CHECK(s.session().logout_line() == "u=6/acc6d81c uc=6/acc6d81c d=0");
    }
    Pop3Harness s(env);
    s.login();
    CHECK(s.send("UIDL").starts_with("+OK\r\n1 migrated+one\r\n"));
    CHECK(s.send("DELE 1") == "+OK Marked to be deleted.\r\n");
    CHECK(s.send("QUIT") == "+OK Logging out, messages deleted.\r\n");
    CHECK(s.session().logout_line() == "u=6/acc6d81c -> 5/65ea43d7 uc=6/acc6d81c -> 5/65ea43d7 d=1");
}

TEST_CASE("pop3_logout_format counters (Dovecot's arithmetic)") {
    Pop3Env env;
    add_three(env);
    Pop3Harness s(env);
    s.login();
    // The same commands as a Dovecot 2.3.19 session that logged
    // "top=4/146, retr=3/144, del=0/3, size=96" (size: 2 more here, the
    // CRLF after message 1's last line).
    for (const char* c : {"RETR 1", "RETR 2", "RETR 3", "TOP 1 0", "TOP 1 1", "TOP 1 99", "TOP 3 1"})
        CHECK(s.send(c).starts_with("+OK"));
    CHECK(s.send("QUIT") == "+OK Logging out.\r\n");
    CHECK(s.session().logout_line() == "top=4/146, retr=3/144, del=0/3, size=98");
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
    CHECK(third.send("STAT") == "+OK 3 98\r\n");
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
