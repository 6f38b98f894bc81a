// The session core through the harness: greeting, CAPABILITY per state,
// wrong-state and unknown commands, pipelining, literals, LOGOUT, the BYE
// after too many invalid commands, and the order of untagged updates.
#include "session_harness.hpp"

#include <doctest/doctest.h>

#include <filesystem>

using namespace imap_test;
using Kind = imapproto::Step::Kind;

namespace {

const std::string kMsg = "From: a@example.com\r\nSubject: hello\r\n\r\nbody\r\n";

} // namespace

TEST_CASE("greeting carries the pre-login capabilities and login_greeting") {
    MailEnv env("auth_mechanisms = plain login\n");
    SessionHarness s(env);
    CHECK(s.greeting() == "* OK [CAPABILITY IMAP4rev1 IMAP4rev2 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ AUTH=PLAIN AUTH=LOGIN] "
                          "Loft ready.\r\n");
    CHECK(s.last_step() == imapproto::Step::Kind::read);
}

TEST_CASE("login_greeting and imap_capability from the config") {
    MailEnv env("login_greeting = Mail here.\nimap_capability = +XFOO XBAR\n");
    SessionHarness s(env);
    CHECK(s.greeting() == "* OK [CAPABILITY IMAP4rev1 IMAP4rev2 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ AUTH=PLAIN XFOO XBAR] "
                          "Mail here.\r\n");
    auto r = s.cmd("a0 LOGIN alice secret");
    CHECK(tagged_line(r, "a0").find(" APPENDLIMIT=268435456 XFOO XBAR] Logged in") != std::string::npos);
}

TEST_CASE("imap_capability without + replaces the list after login only") {
    MailEnv env("imap_capability = IMAP4rev1 IDLE\n");
    SessionHarness s(env);
    CHECK(s.greeting().find("AUTH=PLAIN") != std::string::npos);
    auto r = s.cmd("a0 LOGIN alice secret");
    CHECK(r == "a0 OK [CAPABILITY IMAP4rev1 IDLE] Logged in\r\n");
}

TEST_CASE("PREAUTH greeting logs the user in") {
    MailEnv env;
    HarnessOptions o;
    o.preauth_user = "bob";
    SessionHarness s(env, o);
    CHECK(s.greeting().rfind("* PREAUTH [CAPABILITY IMAP4rev1 ", 0) == 0);
    CHECK(s.greeting().find("] Logged in as bob\r\n") != std::string::npos);
    CHECK(s.session().state() == imapproto::SessionState::authenticated);
    CHECK(s.session().username() == "bob");
    auto r = s.cmd("a1 SELECT INBOX");
    CHECK(tagged_line(r, "a1") == "a1 OK [READ-WRITE] Select completed.");
}

TEST_CASE("CAPABILITY before and after login") {
    MailEnv env("imap_literal_minus = yes\n");
    SessionHarness s(env);
    auto r = s.cmd("a1 CAPABILITY");
    CHECK(r == "* CAPABILITY IMAP4rev1 IMAP4rev2 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL- AUTH=PLAIN\r\n"
               "a1 OK Pre-login capabilities listed, post-login capabilities have more.\r\n");
    s.login();
    r = s.cmd("a2 CAPABILITY");
    // Dovecot 2.3.19's order, then Loft's additions (capability.cpp).
    CHECK(r == "* CAPABILITY IMAP4rev1 IMAP4rev2 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE SORT SORT=DISPLAY THREAD=REFERENCES "
               "THREAD=REFS THREAD=ORDEREDSUBJECT MULTIAPPEND URL-PARTIAL CATENATE UNSELECT CHILDREN NAMESPACE UIDPLUS "
               "LIST-EXTENDED I18NLEVEL=1 CONDSTORE QRESYNC ESEARCH ESORT SEARCHRES WITHIN CONTEXT=SEARCH CONTEXT=SORT "
               "LIST-STATUS BINARY MOVE PREVIEW STATUS=SIZE SAVEDATE LITERAL- NOTIFY SPECIAL-USE CREATE-SPECIAL-USE "
               "COMPRESS=DEFLATE OBJECTID REPLACE UTF8=ACCEPT PARTIAL INPROGRESS UIDONLY APPENDLIMIT=268435456\r\n"
               "a2 OK Capability completed.\r\n");
}

TEST_CASE("imap_max_append_size sets APPENDLIMIT") {
    MailEnv env("imap_max_append_size = 10M\n");
    SessionHarness s(env);
    s.login();
    auto r = s.cmd("a2 CAPABILITY");
    CHECK(r.find(" APPENDLIMIT=10485760\r\n") != std::string::npos);
}

TEST_CASE("STARTTLS is advertised only when available and not active") {
    MailEnv env;
    HarnessOptions o;
    o.starttls_available = true;
    o.secured = false;
    o.remote_ip = "192.0.2.10";
    SessionHarness s(env, o);
    CHECK(s.greeting().find(" LITERAL+ STARTTLS LOGINDISABLED]") != std::string::npos);
    HarnessOptions t;
    t.starttls_available = true;
    t.tls_active = true;
    SessionHarness s2(env, t);
    CHECK(s2.greeting().find("STARTTLS") == std::string::npos);
}

TEST_CASE("NOOP, unknown and wrong-state commands before login") {
    MailEnv env;
    SessionHarness s(env);
    CHECK(s.cmd("a1 NOOP") == "a1 OK NOOP completed.\r\n");
    CHECK(s.cmd("a2 FOO") == "a2 BAD Error in IMAP command received by server.\r\n");
    CHECK(s.cmd("a3 NOOP") == "a3 OK NOOP completed.\r\n");
    CHECK(s.cmd("a4 SELECT INBOX") == "a4 BAD Error in IMAP command received by server.\r\n");
    // The third BAD before login ends the connection (Dovecot's limit).
    auto r = s.send("a5 FETCH 1 FLAGS");
    CHECK(r == "* BYE Too many invalid IMAP commands.\r\n");
    CHECK(s.closed());
    CHECK(s.last().reason == "Too many invalid IMAP commands");
}

TEST_CASE("unknown and wrong-state commands after login") {
    MailEnv env;
    SessionHarness s(env);
    s.login();
    CHECK(s.cmd("b1 FOO") == "b1 BAD Error in IMAP command FOO: Unknown command.\r\n");
    CHECK(s.cmd("b2 UID FOO") == "b2 BAD Error in IMAP command UID FOO: Unknown command.\r\n");
    CHECK(s.cmd("b3 UID LOGIN") == "b3 BAD Error in IMAP command UID LOGIN: Unknown command.\r\n");
    CHECK(s.cmd("b4 LOGIN alice secret") == "b4 BAD Error in IMAP command LOGIN: Unknown command.\r\n");
    CHECK(s.cmd("b5 AUTHENTICATE PLAIN") == "b5 BAD Error in IMAP command AUTHENTICATE: Unknown command.\r\n");
    CHECK(s.cmd("b6 FETCH 1 FLAGS") == "b6 BAD No mailbox selected.\r\n");
    CHECK(s.cmd("b7 CHECK") == "b7 BAD No mailbox selected.\r\n");
    CHECK(s.cmd("b8 UNSELECT") == "b8 BAD No mailbox selected.\r\n");
    CHECK(s.session().state() == imapproto::SessionState::authenticated);
}

TEST_CASE("the 21st invalid command after login gets BYE") {
    MailEnv env;
    SessionHarness s(env);
    s.login();
    for (int i = 1; i <= 20; ++i) {
        auto r = s.cmd("x" + std::to_string(i) + " FOO");
        REQUIRE(r == "x" + std::to_string(i) + " BAD Error in IMAP command FOO: Unknown command.\r\n");
    }
    auto r = s.send("x21 FOO");
    CHECK(r == "* BYE Too many invalid IMAP commands.\r\n");
    CHECK(s.closed());
}

TEST_CASE("pipelined commands are answered in order") {
    MailEnv env;
    env.add_message("alice", "INBOX", kMsg);
    SessionHarness s(env);
    auto r = s.send_raw("a1 LOGIN alice secret\r\na2 NOOP\r\na3 SELECT INBOX\r\na4 NOOP\r\na5 LOGOUT\r\na6 NOOP\r\n");
    auto ls = lines(r);
    std::vector<std::string> tags;
    for (const auto& l : ls)
        if (l[0] == 'a')
            tags.push_back(l.substr(0, l.find(' ')));
    CHECK(tags == std::vector<std::string>{"a1", "a2", "a3", "a4", "a5"});
    CHECK(r.find("* 1 EXISTS\r\n") < r.find("a3 OK"));
    CHECK(r.find("a4 OK NOOP completed.\r\n* BYE Logging out\r\na5 OK Logout completed.\r\n") != std::string::npos);
    CHECK(s.closed());
    CHECK(s.last().reason == "Logged out");
}

TEST_CASE("a command split over several feeds") {
    MailEnv env;
    SessionHarness s(env);
    CHECK(s.send_raw("a1 NO").empty());
    CHECK(s.last_step() == imapproto::Step::Kind::read);
    CHECK(s.send_raw("OP\r") == "");
    CHECK(s.send_raw("\n") == "a1 OK NOOP completed.\r\n");
}

TEST_CASE("synchronising literals get + OK through the session") {
    MailEnv env;
    SessionHarness s(env);
    auto r = s.send_raw("a1 LOGIN {5}\r\n");
    CHECK(r == "+ OK\r\n");
    r = s.send_raw("alice {6}\r\n");
    CHECK(r == "+ OK\r\n");
    r = s.send_raw("secret\r\n");
    CHECK(tagged_line(r, "a1").rfind("a1 OK [CAPABILITY ", 0) == 0);
    // LITERAL+: no continuation.
    SessionHarness s2(env);
    r = s2.send_raw("b1 LOGIN {5+}\r\nalice {6+}\r\nsecret\r\n");
    CHECK(r.rfind("b1 OK [CAPABILITY ", 0) == 0);
}

TEST_CASE("before login a literal is invited only for a command allowed now") {
    MailEnv env;
    const std::string generic = " BAD Error in IMAP command received by server.\r\n";
    {
        // RFC 3501 §7.5: a tagged BAD instead of "+"; the client then sends
        // no literal and the next line is a new command.
        SessionHarness s(env);
        CHECK(s.send_raw("a1 SELECT {5}\r\n") == "a1" + generic);
        CHECK(s.cmd("a2 NOOP") == "a2 OK NOOP completed.\r\n");
        CHECK(s.send_raw("a3 FOO {5}\r\n") == "a3" + generic);
        CHECK(s.cmd("a4 NOOP") == "a4 OK NOOP completed.\r\n");
        // Those count as invalid commands: the third ends the session.
        CHECK(s.send_raw("a5 UID FETCH {5}\r\n") == "* BYE Too many invalid IMAP commands.\r\n");
        CHECK(s.closed());
    }
    {
        // The report: a huge APPEND before login got "+ OK" and its data
        // went to /tmp. Now it is refused before the client sends it.
        SessionHarness s(env);
        CHECK(s.send_raw("a1 APPEND INBOX {200000000}\r\n") == "a1" + generic);
        // A command allowed before login still has the small budget.
        CHECK(s.send_raw("a2 LOGIN {8193}\r\n") == "a2" + generic);
        CHECK(s.send_raw("a3 LOGIN {5}\r\n") == "+ OK\r\n");
        CHECK(s.send_raw("alice {6}\r\n") == "+ OK\r\n");
        CHECK(tagged_line(s.send_raw("secret\r\n"), "a3").rfind("a3 OK [CAPABILITY ", 0) == 0);
        // After login APPEND may be big again (and spooled).
        const std::string big = "Subject: big\r\n\r\n" + std::string(200000, 'x') + "\r\n";
        CHECK(s.send_raw("b1 APPEND INBOX {" + std::to_string(big.size()) + "}\r\n") == "+ OK\r\n");
        CHECK(tagged_line(s.send_raw(big + "\r\n"), "b1").rfind("b1 OK [APPENDUID ", 0) == 0);
        std::size_t stored = 0;
        for (const char* sub : {"/new", "/cur"})
            for (const auto& e : std::filesystem::directory_iterator(env.maildir("alice") + sub))
                if (e.file_size() >= 200000)
                    ++stored;
        CHECK(stored == 1);
    }
    {
        // A non-synchronising literal cannot be refused: its octets follow.
        SessionHarness s(env);
        CHECK(s.send_raw("a1 LOGIN {8193+}\r\n") == "* BYE Literal size too large\r\n");
        CHECK(s.closed());
    }
    {
        SessionHarness s(env);
        CHECK(s.send_raw("a1 APPEND INBOX {100000+}\r\n") == "* BYE Literal size too large\r\n");
        CHECK(s.closed());
    }
}

TEST_CASE("after login a literal is invited only for a command allowed now") {
    MailEnv env;
    SessionHarness s(env);
    s.login();
    CHECK(s.send_raw("b1 FETCH 1 {5}\r\n") == "b1 BAD No mailbox selected.\r\n");
    CHECK(s.send_raw("b2 LOGIN {5}\r\n") == "b2 BAD Error in IMAP command LOGIN: Unknown command.\r\n");
    CHECK(s.send_raw("b3 UID FOO {5}\r\n") == "b3 BAD Error in IMAP command UID FOO: Unknown command.\r\n");
    CHECK(s.cmd("b4 NOOP") == "b4 OK NOOP completed.\r\n");
    CHECK(s.send_raw("b5 SELECT {5}\r\n") == "+ OK\r\n");
    CHECK(tagged_line(s.send_raw("INBOX\r\n"), "b5").rfind("b5 OK [READ-WRITE] ", 0) == 0);
    CHECK(s.send_raw("b6 UID FETCH 1:* {5}\r\n") == "+ OK\r\n");
}

TEST_CASE("LOGOUT before and after login") {
    MailEnv env;
    SessionHarness s(env);
    CHECK(s.cmd("a1 LOGOUT") == "* BYE Logging out\r\na1 OK Logout completed.\r\n");
    CHECK(s.closed());
    CHECK(s.session().state() == imapproto::SessionState::logout);
    SessionHarness s2(env);
    s2.login();
    s2.cmd("a1 SELECT INBOX");
    CHECK(s2.cmd("a2 LOGOUT") == "* BYE Logging out\r\na2 OK Logout completed.\r\n");
    CHECK(s2.closed());
}

TEST_CASE("shutdown sends BYE and closes") {
    MailEnv env;
    SessionHarness s(env);
    s.login();
    s.session().shutdown("Server shutting down.");
    auto r = s.send_raw("");
    CHECK(r == "* BYE Server shutting down.\r\n");
    CHECK(s.closed());
}

TEST_CASE("ID answers imap_id_send") {
    MailEnv env("imap_id_send = name * \"support-url\" \"http://x.example/\"\n");
    SessionHarness s(env);
    auto r = s.cmd("a1 ID (\"name\" \"client\" \"version\" NIL)");
    CHECK(r == "* ID (\"name\" \"Loft\" \"support-url\" \"http://x.example/\")\r\na1 OK ID completed.\r\n");
    CHECK(s.cmd("a2 ID NIL") == "* ID (\"name\" \"Loft\" \"support-url\" \"http://x.example/\")\r\n"
                                "a2 OK ID completed.\r\n");
    MailEnv env2("imap_id_send =\n");
    SessionHarness s2(env2);
    CHECK(s2.cmd("a1 ID NIL") == "* ID NIL\r\na1 OK ID completed.\r\n");
}

TEST_CASE("ENABLE turns on only advertised extensions it knows") {
    MailEnv env("imap_capability = +CONDSTORE\n");
    SessionHarness s(env);
    s.login();
    CHECK(s.cmd("a1 ENABLE FOO") == "* ENABLED\r\na1 OK Enabled.\r\n");
    CHECK(s.cmd("a2 ENABLE FOO condstore CONDSTORE") == "* ENABLED CONDSTORE\r\na2 OK Enabled.\r\n");
    // QRESYNC is advertised (RFC 7162); it implies CONDSTORE, on already.
    CHECK(s.cmd("a3 ENABLE QRESYNC") == "* ENABLED QRESYNC\r\na3 OK Enabled.\r\n");
    CHECK(s.cmd("a4 ENABLE (x)") == "a4 BAD Error in IMAP command ENABLE: Invalid arguments.\r\n");
    MailEnv env2;
    SessionHarness s2(env2);
    CHECK(s2.cmd("a0 ENABLE CONDSTORE") == "a0 BAD Error in IMAP command received by server.\r\n");
}

TEST_CASE("update ordering: EXISTS before the tagged OK, no EXPUNGE after FETCH/STORE/SEARCH") {
    MailEnv env;
    env.add_message("alice", "INBOX", kMsg);
    env.add_message("alice", "INBOX", kMsg);
    SessionHarness s(env);
    s.login();
    s.cmd("a1 SELECT INBOX");
    SessionHarness other(env);
    other.login();
    other.cmd("b1 SELECT INBOX");
    other.cmd("b2 STORE 1 +FLAGS.SILENT (\\Deleted)");
    other.cmd("b3 EXPUNGE");
    env.add_message("alice", "INBOX", kMsg);

    // FETCH may report the new message but never the expunge.
    auto r = s.cmd("a2 FETCH 1 (UID)");
    CHECK(r.find("EXPUNGE") == std::string::npos);
    CHECK(r.find("* 3 EXISTS\r\n") != std::string::npos);
    CHECK(r.find("* 3 EXISTS\r\n") < r.find("a2 OK"));
    r = s.cmd("a3 SEARCH ALL");
    CHECK(r.find("EXPUNGE") == std::string::npos);
    r = s.cmd("a4 STORE 2 +FLAGS (\\Seen)");
    CHECK(r.find("EXPUNGE") == std::string::npos);
    // NOOP sends it, before the tagged OK.
    r = s.cmd("a5 NOOP");
    CHECK(r == "* 1 EXPUNGE\r\na5 OK NOOP completed.\r\n");
    CHECK(s.cmd("a6 NOOP") == "a6 OK NOOP completed.\r\n");
}

TEST_CASE("UID FETCH may send EXPUNGE; flag changes of others come as FETCH") {
    MailEnv env;
    env.add_message("alice", "INBOX", kMsg);
    env.add_message("alice", "INBOX", kMsg);
    SessionHarness s(env);
    s.login();
    s.cmd("a1 SELECT INBOX");
    SessionHarness other(env);
    other.login();
    other.cmd("b1 SELECT INBOX");
    other.cmd("b2 STORE 2 +FLAGS.SILENT (\\Flagged)");
    auto r = s.cmd("a2 NOOP");
    // \Recent belongs to this session (it selected first) and stays.
    CHECK(r == "* 2 FETCH (FLAGS (\\Flagged \\Recent))\r\na2 OK NOOP completed.\r\n");
    other.cmd("b3 STORE 1 +FLAGS.SILENT (\\Deleted)");
    other.cmd("b4 EXPUNGE");
    r = s.cmd("a3 UID FETCH 2 (FLAGS)");
    CHECK(r.find("* 1 EXPUNGE\r\n") != std::string::npos);
    CHECK(r.find("* 1 EXPUNGE\r\n") < r.find("a3 OK"));
}

TEST_CASE("RECENT only when it changed; UID commands' flag updates carry the UID") {
    MailEnv env;
    env.add_message("alice", "INBOX", kMsg);
    SessionHarness a(env);
    a.login();
    a.cmd("a1 SELECT INBOX");
    SessionHarness b(env);
    b.login();
    b.cmd("b1 SELECT INBOX");
    env.add_message("alice", "INBOX", kMsg);
    // b syncs first and claims \Recent for the new message.
    CHECK(b.cmd("b2 NOOP") == "* 2 EXISTS\r\n* 1 RECENT\r\nb2 OK NOOP completed.\r\n");
    CHECK(a.cmd("a2 NOOP") == "* 2 EXISTS\r\na2 OK NOOP completed.\r\n");
    b.cmd("b3 STORE 2 +FLAGS.SILENT (\\Seen)");
    auto r = a.cmd("a3 UID SEARCH ALL");
    CHECK(r.find("* 2 FETCH (UID 2 FLAGS (\\Seen))\r\n") != std::string::npos);
    CHECK(r.find("* 2 FETCH") < r.find("a3 OK"));
    // Expunging b's \Recent message changes b's RECENT count.
    a.cmd("a4 STORE 2 +FLAGS.SILENT (\\Deleted)");
    CHECK(a.cmd("a5 EXPUNGE").find("* 2 EXPUNGE\r\n") != std::string::npos);
    CHECK(b.cmd("b4 NOOP") == "* 2 EXPUNGE\r\n* 0 RECENT\r\nb4 OK NOOP completed.\r\n");
}

TEST_CASE("a mailbox deleted under the session ends it") {
    MailEnv env;
    env.add_message("alice", "Work", kMsg);
    SessionHarness a(env);
    a.login();
    a.cmd("a1 SELECT Work");
    SessionHarness b(env);
    b.login();
    CHECK(tagged_line(b.cmd("b1 DELETE Work"), "b1") == "b1 OK Delete completed.");
    auto r = a.send("a2 NOOP");
    CHECK(r.rfind("* BYE ", 0) == 0);
    CHECK(a.closed());
}

TEST_CASE("output backpressure: a big FETCH is handed out in Step::flush slices") {
    MailEnv env;
    std::string big = "Subject: big\r\n\r\n";
    for (int i = 0; i < 20000; ++i)
        big += "line " + std::to_string(i) + " of a long body\r\n";
    env.add_message("alice", "INBOX", big);
    HarnessOptions o;
    o.output_high_water = 4096;
    SessionHarness s(env, o);
    s.login();
    s.cmd("a1 SELECT INBOX");
    auto& session = s.session();
    session.feed("a2 FETCH 1 BODY.PEEK[]\r\na3 NOOP\r\n");
    std::string out;
    int flushes = 0;
    for (int i = 0; i < 100000; ++i) {
        auto step = session.run();
        // Never much more than the high-water mark waits at a flush.
        if (step.kind == Kind::flush) {
            ++flushes;
            CHECK(session.output_pending() <= 4096 + big.size());
        }
        while (session.has_output()) {
            auto f = session.output_front();
            out.append(f);
            session.output_consume(f.size());
        }
        if (step.kind == Kind::read)
            break;
    }
    CHECK(flushes >= 1);
    const std::string head = "* 1 FETCH (BODY[] {" + std::to_string(big.size()) + "}\r\n";
    REQUIRE(out.rfind(head, 0) == 0);
    CHECK(out.substr(head.size(), big.size()) == big);
    CHECK(out.substr(head.size() + big.size()) == ")\r\na2 OK Fetch completed.\r\na3 OK NOOP completed.\r\n");
    CHECK(session.stats().bytes_out >= out.size());
}

TEST_CASE("logout_stats expands imap_logout_format") {
    MailEnv env("imap_logout_format = in=%i out=%o del=%{deleted} exp=%{expunged} x=%{nope} %%\n");
    env.add_message("alice", "INBOX", kMsg);
    SessionHarness s(env);
    s.login();
    s.cmd("a1 SELECT INBOX");
    s.cmd("a2 LOGOUT");
    const auto& st = s.session().stats();
    CHECK(st.bytes_in == std::string("a0 LOGIN alice secret\r\na1 SELECT INBOX\r\na2 LOGOUT\r\n").size());
    CHECK(st.bytes_out > 0);
    CHECK(s.session().logout_stats() == "in=" + std::to_string(st.bytes_in) + " out=" + std::to_string(st.bytes_out) +
                                            " del=0 exp=0 x=%{nope} %");
    MailEnv def;
    SessionHarness d(def);
    CHECK(d.session().logout_stats() == "in=0 out=" + std::to_string(d.greeting().size()) +
                                            " deleted=0 expunged=0 trashed=0 hdr_count=0 hdr_bytes=0 body_count=0 "
                                            "body_bytes=0");
}

namespace {

// Knows nobody: every userdb lookup says not found.
class NobodyBackend final : public imapproto::LoginBackend {
public:
    std::vector<mailstore::auth::MechanismInfo> mechanisms() const override { return {}; }
    mailstore::Result<std::unique_ptr<imapproto::SaslExchange>> begin(std::string_view,
                                                                      const mailstore::auth::ClientInfo&) override {
        return mailstore::Status::not_found("no");
    }
    mailstore::auth::AuthReply verify_plain(std::string_view, std::string_view,
                                            const mailstore::auth::ClientInfo&) override {
        return {};
    }
    mailstore::auth::LookupResult lookup_user(std::string_view, const mailstore::auth::ClientInfo&) override {
        return {};
    }
};

} // namespace

TEST_CASE("a PREAUTH user the userdb does not know gets BYE") {
    MailEnv env;
    env.backend = std::make_shared<NobodyBackend>();
    HarnessOptions o;
    o.preauth_user = "nosuch";
    SessionHarness s(env, o);
    CHECK(s.greeting() == "* BYE Temporary authentication failure.\r\n");
    CHECK(s.closed());
    CHECK(s.session().state() == imapproto::SessionState::logout);
}

TEST_CASE("a new keyword from another session: FLAGS and PERMANENTFLAGS before the FETCH") {
    MailEnv env;
    env.add_message("alice", "INBOX", kMsg);
    SessionHarness a(env);
    a.login();
    a.cmd("a1 SELECT INBOX");
    SessionHarness b(env);
    b.login();
    b.cmd("b1 SELECT INBOX");
    b.cmd("b2 STORE 1 +FLAGS.SILENT ($Label1)");
    CHECK(a.cmd("a2 NOOP") == "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Label1)\r\n"
                              "* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Label1 \\*)] "
                              "Flags permitted.\r\n"
                              "* 1 FETCH (FLAGS (\\Recent $Label1))\r\n"
                              "a2 OK NOOP completed.\r\n");
    // A read-only session is told it may store nothing.
    SessionHarness c(env);
    c.login();
    c.cmd("c1 EXAMINE INBOX");
    b.cmd("b3 STORE 1 +FLAGS.SILENT ($Label2)");
    auto r = c.cmd("c2 NOOP");
    CHECK(r.find("* OK [PERMANENTFLAGS ()] Read-only mailbox.\r\n") != std::string::npos);
}

TEST_CASE("with QRESYNC enabled, expunges are reported as VANISHED") {
    // RFC 7162 §3.2.10: after ENABLE QRESYNC, VANISHED replaces EXPUNGE,
    // for other sessions' expunges and for the session's own EXPUNGE.
    MailEnv env("imap_capability = +CONDSTORE QRESYNC\n");
    for (int i = 0; i < 4; ++i)
        env.add_message("alice", "INBOX", kMsg);
    SessionHarness a(env);
    a.login();
    REQUIRE(a.cmd("e1 ENABLE QRESYNC") == "* ENABLED QRESYNC\r\ne1 OK Enabled.\r\n");
    // Only the last message is \Recent (each add claimed the ones before).
    REQUIRE(has_line(a.cmd("a1 SELECT INBOX"), "* 1 RECENT"));
    SessionHarness b(env);
    b.login();
    b.cmd("b1 SELECT INBOX");
    b.cmd("b2 STORE 1,3 +FLAGS.SILENT (\\Deleted)");
    CHECK(b.cmd("b3 EXPUNGE") == "* 3 EXPUNGE\r\n* 1 EXPUNGE\r\nb3 OK Expunge completed.\r\n");
    // FETCH may not report expunges (RFC 3501 §7.4.1), VANISHED neither.
    // RFC 7162 §3.2: the held-back expunges' modseq is not announced; the
    // HIGHESTMODSEQ the client may rely on is the one before them.
    const std::string fetched = a.cmd("a2 FETCH 1 (UID)");
    CHECK(fetched.rfind("* 1 FETCH (UID 1)\r\n* OK [HIGHESTMODSEQ ", 0) == 0);
    CHECK(fetched.find("VANISHED") == std::string::npos);
    CHECK(fetched.find("EXPUNGE") == std::string::npos);
    CHECK(fetched.ends_with("] Highest\r\na2 OK Fetch completed.\r\n"));
    CHECK(a.cmd("a3 NOOP") == "* VANISHED 1,3\r\na3 OK NOOP completed.\r\n");
    a.cmd("a4 STORE 2 +FLAGS.SILENT (\\Deleted)");
    // With QRESYNC the tagged OK carries the new HIGHESTMODSEQ (RFC 7162 §3.2.10).
    const std::string expunged = a.cmd("a5 EXPUNGE");
    CHECK(expunged.rfind("* VANISHED 4\r\n* 0 RECENT\r\na5 OK [HIGHESTMODSEQ ", 0) == 0);
    CHECK(expunged.find("] Expunge completed.\r\n") != std::string::npos);
    CHECK(a.cmd("a6 NOOP") == "a6 OK NOOP completed.\r\n");
}
