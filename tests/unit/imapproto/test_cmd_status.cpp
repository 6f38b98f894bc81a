// STATUS: every item, the fixed item order, errors, the selected mailbox.
#include "session_harness.hpp"

#include <doctest/doctest.h>

using namespace imap_test;
namespace st = mailstore::storage;

namespace {

constexpr std::string_view kMsg = "Subject: hi\r\n\r\nbody\r\n"; // 21 octets with CRLF

std::uint32_t uidvalidity_of(MailEnv& env, const std::string& mailbox) {
    auto user = env.open_user("alice");
    auto status = user.status(mailbox, st::status_uidvalidity);
    REQUIRE(status.is_ok());
    return status->uidvalidity;
}

// Saves a message without claiming \Recent (MailEnv::add_message's own
// Mailbox claims the earlier ones), so a session's SELECT owns them all.
void add_unclaimed(MailEnv& env, const std::string& mailbox, std::string_view data, st::MailFlags flags = 0) {
    auto user = env.open_user("alice");
    if (!user.exists(mailbox))
        REQUIRE(user.create_mailbox(mailbox).is_ok());
    st::OpenOptions options;
    options.claim_recent = false;
    auto box = st::Mailbox::open(user, mailbox, options);
    REQUIRE(box.is_ok());
    auto tx = box->begin();
    st::SaveRequest req;
    req.data = data;
    req.flags = flags;
    REQUIRE(tx.save(req).is_ok());
    REQUIRE(tx.commit().is_ok());
}

} // namespace

TEST_CASE("STATUS answers every RFC 3501 item plus SIZE and DELETED in Dovecot's order") {
    MailEnv env;
    add_unclaimed(env, "INBOX", kMsg, st::flag_seen);
    add_unclaimed(env, "INBOX", kMsg, st::flag_deleted);
    add_unclaimed(env, "INBOX", kMsg);
    SessionHarness s(env);
    s.login();
    auto out = s.cmd("a1 STATUS INBOX (DELETED SIZE UNSEEN UIDVALIDITY UIDNEXT MESSAGES)");
    std::string uv = std::to_string(uidvalidity_of(env, "INBOX"));
    INFO(out);
    CHECK(lines(out) == std::vector<std::string>{
        "* STATUS INBOX (MESSAGES 3 UIDNEXT 4 UIDVALIDITY " + uv + " UNSEEN 2 SIZE 63 DELETED 1)",
        "a1 OK Status completed."});
}

TEST_CASE("STATUS RECENT is answered") {
    MailEnv env;
    SessionHarness s(env);
    s.login();
    CHECK(lines(s.cmd("a1 STATUS INBOX (RECENT)")) ==
          std::vector<std::string>{"* STATUS INBOX (RECENT 0)", "a1 OK Status completed."});
}

TEST_CASE("STATUS RECENT and EXAMINE count what no session has claimed; SELECT claims it") {
    // Dovecot 2.3.19 answers so (RFC 3501 2.3.2: \Recent until a session
    // that may claim it is told about the message).
    MailEnv env;
    add_unclaimed(env, "INBOX", kMsg);
    add_unclaimed(env, "INBOX", kMsg);
    SessionHarness w(env);
    w.login();
    CHECK(lines(w.cmd("a1 STATUS INBOX (RECENT)")) ==
          std::vector<std::string>{"* STATUS INBOX (RECENT 2)", "a1 OK Status completed."});
    CHECK(has_line(w.cmd("a2 EXAMINE INBOX"), "* 2 RECENT"));
    CHECK(lines(w.cmd("a3 FETCH 1:* FLAGS")) ==
          std::vector<std::string>{"* 1 FETCH (FLAGS (\\Recent))", "* 2 FETCH (FLAGS (\\Recent))",
                                   "a3 OK Fetch completed."});
    w.cmd("a4 UNSELECT");
    CHECK(has_line(w.cmd("a5 STATUS INBOX (RECENT)"), "* STATUS INBOX (RECENT 2)"));
    SessionHarness other(env);
    other.login();
    CHECK(has_line(other.cmd("b1 SELECT INBOX"), "* 2 RECENT"));
    CHECK(has_line(w.cmd("a6 STATUS INBOX (RECENT)"), "* STATUS INBOX (RECENT 0)"));
    CHECK(has_line(w.cmd("a7 EXAMINE INBOX"), "* 0 RECENT"));
    CHECK(lines(w.cmd("a8 FETCH 1 FLAGS")) ==
          std::vector<std::string>{"* 1 FETCH (FLAGS ())", "a8 OK Fetch completed."});
}

TEST_CASE("STATUS HIGHESTMODSEQ turns CONDSTORE on") {
    MailEnv env;
    env.add_message("alice", "INBOX", kMsg);
    SessionHarness s(env);
    s.login();
    auto out = s.cmd("a1 STATUS inbox (HIGHESTMODSEQ)");
    REQUIRE(lines(out).size() == 2);
    CHECK(lines(out)[0].rfind("* STATUS INBOX (HIGHESTMODSEQ ", 0) == 0);
    CHECK(has_line(s.cmd("a2 SELECT INBOX"), "* OK [HIGHESTMODSEQ "));
}

TEST_CASE("STATUS errors") {
    MailEnv env;
    SessionHarness s(env);
    s.login();
    CHECK(tagged_line(s.cmd("a1 STATUS nope (MESSAGES)"), "a1") == "a1 NO [NONEXISTENT] Mailbox doesn't exist: nope");
    auto bogus = tagged_line(s.cmd("a2 STATUS INBOX (MESSAGES BOGUS)"), "a2");
    CHECK(bogus.rfind("a2 BAD", 0) == 0);
    CHECK(bogus.find("Invalid status item BOGUS") != std::string::npos);
    auto empty = tagged_line(s.cmd("a3 STATUS INBOX ()"), "a3");
    CHECK(empty.rfind("a3 BAD", 0) == 0);
    CHECK(empty.find("Empty status list") != std::string::npos);
    CHECK(tagged_line(s.cmd("a4 STATUS INBOX MESSAGES"), "a4").rfind("a4 BAD", 0) == 0);
    CHECK(tagged_line(s.cmd("a5 STATUS INBOX"), "a5").rfind("a5 BAD", 0) == 0);
    CHECK(tagged_line(s.cmd("a6 STATUS \"a/b\" (MESSAGES)"), "a6") ==
          "a6 NO [CANNOT] Invalid mailbox name: Name must not have '/' characters");
    s.cmd("a7 CREATE p.c");
    CHECK(tagged_line(s.cmd("a8 STATUS p (MESSAGES)"), "a8") == "a8 NO [NONEXISTENT] Mailbox doesn't exist: p");
}

TEST_CASE("STATUS of the selected mailbox and of one another session changed") {
    MailEnv env;
    env.add_message("alice", "INBOX", kMsg);
    env.add_message("alice", "Other", kMsg);
    SessionHarness s(env);
    s.login();
    s.cmd("a1 SELECT INBOX");
    auto out = s.cmd("a2 STATUS INBOX (MESSAGES UIDNEXT)");
    CHECK(has_line(out, "* STATUS INBOX (MESSAGES 1 UIDNEXT 2)"));
    env.add_message("alice", "Other", kMsg);
    CHECK(has_line(s.cmd("a3 STATUS Other (MESSAGES)"), "* STATUS Other (MESSAGES 2)"));
}
