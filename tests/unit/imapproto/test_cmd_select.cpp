// SELECT and EXAMINE: the exact untagged lines, \Recent ownership, failed
// selections, bad names.
#include "session_harness.hpp"

#include <doctest/doctest.h>

using namespace imap_test;
namespace st = mailstore::storage;

namespace {

constexpr std::string_view kMsg = "Subject: hi\r\n\r\nbody\r\n";

std::uint32_t uidvalidity_of(MailEnv& env, const std::string& mailbox) {
    auto user = env.open_user("alice");
    st::OpenOptions options;
    options.read_only = true;
    options.claim_recent = false;
    auto box = st::Mailbox::open(user, mailbox, options);
    REQUIRE(box.is_ok());
    return box->view().uidvalidity();
}

// The lines of `out` that do not start with `tag`.
std::vector<std::string> untagged_lines(std::string_view out) {
    std::vector<std::string> result;
    for (auto& l : lines(out))
        if (l.rfind("* ", 0) == 0)
            result.push_back(l);
    return result;
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

TEST_CASE("SELECT sends the untagged lines in Dovecot's order and READ-WRITE") {
    MailEnv env;
    add_unclaimed(env, "INBOX", kMsg, st::flag_seen);
    add_unclaimed(env, "INBOX", kMsg);
    add_unclaimed(env, "INBOX", kMsg);
    SessionHarness s(env);
    s.login();
    const auto raw = s.cmd("a1 SELECT INBOX");
    // RFC 8474 §4.2: an untagged OK [MAILBOXID] as well (its value is the
    // mailbox GUID: see tests/integration/test_imap_objectid.py).
    CHECK(has_line(raw, "* OK [MAILBOXID (F"));
    auto out = without_mailboxid(raw);
    std::string uv = std::to_string(uidvalidity_of(env, "INBOX"));
    std::vector<std::string> expected{
        "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)",
        "* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft \\*)] Flags permitted.",
        "* 3 EXISTS",
        "* 3 RECENT",
        "* OK [UNSEEN 2] First unseen.",
        "* OK [UIDVALIDITY " + uv + "] UIDs valid",
        "* OK [UIDNEXT 4] Predicted next UID",
    };
    // Last: HIGHESTMODSEQ, on every SELECT (RFC 7162 §3.1.2.1).
    auto got = untagged_lines(out);
    REQUIRE(!got.empty());
    CHECK(got.back().rfind("* OK [HIGHESTMODSEQ ", 0) == 0);
    CHECK(got.back().ends_with("] Highest"));
    got.pop_back();
    CHECK(got == expected);
    CHECK(tagged_line(out, "a1") == "a1 OK [READ-WRITE] Select completed.");
}

TEST_CASE("SELECT of a mailbox whose messages are all seen has no UNSEEN line") {
    MailEnv env;
    add_unclaimed(env, "INBOX", kMsg, st::flag_seen);
    SessionHarness s(env);
    s.login();
    auto out = s.cmd("a1 SELECT inbox");
    CHECK(has_line(out, "* 1 EXISTS"));
    CHECK_FALSE(has_line(out, "* OK [UNSEEN"));
    CHECK(tagged_line(out, "a1") == "a1 OK [READ-WRITE] Select completed.");
}

TEST_CASE("\\Recent belongs to the first session that selects; EXAMINE does not claim it") {
    MailEnv env;
    add_unclaimed(env, "INBOX", kMsg);
    add_unclaimed(env, "INBOX", kMsg);
    SessionHarness a(env), b(env), c(env);
    a.login();
    b.login();
    c.login();
    auto ex = a.cmd("e1 EXAMINE INBOX");
    // RFC 3501 §6.3.2: EXAMINE leaves \Recent alone (the count it shows
    // is the storage's business; the next SELECT must still get them).
    CHECK(has_line(ex, "* 2 EXISTS"));
    CHECK(has_line(ex, "* OK [PERMANENTFLAGS ()] Read-only mailbox."));
    CHECK(tagged_line(ex, "e1") == "e1 OK [READ-ONLY] Examine completed.");
    auto sel = b.cmd("s1 SELECT INBOX");
    CHECK(has_line(sel, "* 2 RECENT"));
    auto late = c.cmd("s2 SELECT INBOX");
    CHECK(has_line(late, "* 0 RECENT"));
    CHECK(has_line(late, "* 2 EXISTS"));
}

TEST_CASE("a failed SELECT leaves no mailbox selected") {
    MailEnv env;
    env.add_message("alice", "INBOX", kMsg);
    SessionHarness s(env);
    s.login();
    s.cmd("a1 SELECT INBOX");
    auto out = s.cmd("a2 SELECT Nope");
    CHECK(has_line(out, "* OK [CLOSED] Previous mailbox closed."));
    CHECK(tagged_line(out, "a2") == "a2 NO [NONEXISTENT] Mailbox doesn't exist: Nope");
    // CHECK needs the selected state.
    auto check = s.cmd("a3 CHECK");
    CHECK(tagged_line(check, "a3").rfind("a3 BAD", 0) == 0);
}

TEST_CASE("SELECT refuses bad names, \\Noselect levels and bad arguments") {
    MailEnv env;
    env.add_message("alice", "INBOX", kMsg);
    SessionHarness s(env);
    s.login();
    s.cmd("c1 CREATE parent.child");
    auto noselect = s.cmd("a1 SELECT parent");
    CHECK(tagged_line(noselect, "a1") == "a1 NO [NONEXISTENT] Mailbox doesn't exist: parent");
    CHECK(tagged_line(s.cmd("a2 SELECT \"a/b\""), "a2") ==
          "a2 NO [CANNOT] Invalid mailbox name: Name must not have '/' characters");
    CHECK(tagged_line(s.cmd("a3 SELECT \"../x\""), "a3") ==
          "a3 NO [CANNOT] Invalid mailbox name: Begins with hierarchy separator");
    CHECK(tagged_line(s.cmd("a4 SELECT \"Trash.\""), "a4") ==
          "a4 NO [CANNOT] Invalid mailbox name: Ends with hierarchy separator");
    CHECK(tagged_line(s.cmd("a5 SELECT \"&Jjo\""), "a5").rfind("a5 NO ", 0) == 0);
    CHECK(tagged_line(s.cmd("a6 SELECT"), "a6").rfind("a6 BAD", 0) == 0);
    CHECK(tagged_line(s.cmd("a7 SELECT INBOX (BOGUS)"), "a7").rfind("a7 BAD", 0) == 0);
    CHECK(tagged_line(s.cmd("a8 SELECT INBOX"), "a8") == "a8 OK [READ-WRITE] Select completed.");
}

TEST_CASE("SELECT (CONDSTORE) adds HIGHESTMODSEQ after UIDNEXT") {
    MailEnv env;
    env.add_message("alice", "INBOX", kMsg);
    SessionHarness s(env);
    s.login();
    auto out = without_mailboxid(s.cmd("a1 SELECT INBOX (CONDSTORE)"));
    auto got = untagged_lines(out);
    REQUIRE(got.size() == 8);
    CHECK(got[6] == "* OK [UIDNEXT 2] Predicted next UID");
    CHECK(got[7].rfind("* OK [HIGHESTMODSEQ ", 0) == 0);
    CHECK(got[7].find("] Highest") != std::string::npos);
    auto plain = s.cmd("a2 EXAMINE INBOX");
    // CONDSTORE stays on for the session once used (RFC 7162 §3.1).
    CHECK(has_line(plain, "* OK [HIGHESTMODSEQ "));
}

TEST_CASE("SELECT and EXAMINE are refused before login") {
    MailEnv env;
    SessionHarness s(env);
    CHECK(tagged_line(s.cmd("a1 SELECT INBOX"), "a1").rfind("a1 BAD", 0) == 0);
    CHECK(tagged_line(s.cmd("a2 EXAMINE INBOX"), "a2").rfind("a2 BAD", 0) == 0);
}

TEST_CASE("SELECT of another mailbox sends [CLOSED] first") {
    MailEnv env;
    env.add_message("alice", "INBOX", kMsg);
    env.add_message("alice", "Other", kMsg);
    SessionHarness s(env);
    s.login();
    s.cmd("a1 SELECT INBOX");
    auto out = s.cmd("a2 EXAMINE Other");
    auto got = lines(out);
    REQUIRE_FALSE(got.empty());
    CHECK(got[0] == "* OK [CLOSED] Previous mailbox closed.");
    CHECK(tagged_line(out, "a2") == "a2 OK [READ-ONLY] Examine completed.");
}

TEST_CASE("SELECT (QRESYNC ...) reports what vanished and changed since the client's modseq") {
    // QRESYNC is switched on through imap_capability until it is in the
    // default list.
    MailEnv env("imap_capability = +CONDSTORE QRESYNC\n");
    env.add_message("alice", "INBOX", kMsg);
    env.add_message("alice", "INBOX", kMsg);
    env.add_message("alice", "INBOX", kMsg);
    SessionHarness a(env);
    a.login();
    CHECK(tagged_line(a.cmd("q0 SELECT INBOX (QRESYNC (1 1))"), "q0").rfind("q0 BAD", 0) == 0);
    auto first = a.cmd("q1 SELECT INBOX (CONDSTORE)");
    std::string uv = std::to_string(uidvalidity_of(env, "INBOX"));
    std::string modseq;
    for (auto& l : lines(first))
        if (l.rfind("* OK [HIGHESTMODSEQ ", 0) == 0)
            modseq = l.substr(20, l.find(']') - 20);
    REQUIRE_FALSE(modseq.empty());
    a.cmd("q2 LOGOUT");
    {
        // Another client expunges UID 2 and marks UID 3 \Seen.
        auto user = env.open_user("alice");
        auto box = st::Mailbox::open(user, "INBOX");
        REQUIRE(box.is_ok());
        auto tx = box->begin();
        st::UidSet two, three;
        two.add(2);
        three.add(3);
        REQUIRE(tx.expunge(two).is_ok());
        st::FlagUpdate seen;
        seen.flags = st::flag_seen;
        REQUIRE(tx.update_flags(three, seen).is_ok());
        REQUIRE(tx.commit().is_ok());
    }
    SessionHarness b(env);
    b.login();
    REQUIRE(tagged_line(b.cmd("e1 ENABLE QRESYNC"), "e1").rfind("e1 OK", 0) == 0);
    auto out = b.cmd("q3 SELECT INBOX (QRESYNC (" + uv + " " + modseq + " 1:3))");
    CHECK(tagged_line(out, "q3") == "q3 OK [READ-WRITE] Select completed.");
    CHECK(has_line(out, "* VANISHED (EARLIER) 2"));
    std::string fetch;
    for (auto& l : lines(out))
        if (l.rfind("* 2 FETCH ", 0) == 0)
            fetch = l;
    CHECK(fetch.rfind("* 2 FETCH (UID 3 FLAGS (\\Seen) MODSEQ (", 0) == 0);
    CHECK_FALSE(has_line(out, "* 1 FETCH"));
    // A stale UIDVALIDITY gets the plain answer only.
    auto stale = b.cmd("q4 SELECT INBOX (QRESYNC (1 " + modseq + "))");
    CHECK_FALSE(has_line(stale, "* VANISHED"));
    CHECK_FALSE(has_line(stale, "* 2 FETCH"));
    CHECK(tagged_line(b.cmd("q5 SELECT INBOX (QRESYNC (x 1))"), "q5").rfind("q5 BAD", 0) == 0);
}
