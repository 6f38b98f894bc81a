// EXPUNGE, UID EXPUNGE, CLOSE and UNSELECT, and two sessions on one
// mailbox seeing each other's APPEND and EXPUNGE.
#include "session_harness.hpp"

#include <doctest/doctest.h>

#include <algorithm>

using namespace imap_test;
namespace st = mailstore::storage;

namespace {

constexpr std::string_view kMsg = "Subject: hi\r\n\r\nbody\r\n";

std::vector<st::Uid> uids(MailEnv& env, const std::string& mailbox) {
    auto user = env.open_user("alice");
    st::OpenOptions options;
    options.read_only = true;
    options.claim_recent = false;
    auto box = st::Mailbox::open(user, mailbox, options);
    REQUIRE(box.is_ok());
    std::vector<st::Uid> result;
    for (st::Seq seq = 1; seq <= box->view().count(); ++seq)
        result.push_back(box->view().uid(seq));
    return result;
}

// Applies the "* n EXPUNGE" lines of `out` one by one to `view` (UIDs by
// sequence number), as a client must (RFC 3501 §7.4.1).
std::vector<st::Uid> apply_expunges(std::vector<st::Uid> view, std::string_view out) {
    for (auto& l : lines(out)) {
        if (l.size() < 10 || l.compare(l.size() - 8, 8, " EXPUNGE") != 0 || l.rfind("* ", 0) != 0)
            continue;
        auto seq = std::stoul(l.substr(2, l.size() - 10));
        REQUIRE(seq >= 1);
        REQUIRE(seq <= view.size());
        view.erase(view.begin() + static_cast<long>(seq - 1));
    }
    return view;
}

std::size_t count_expunge_lines(std::string_view out) {
    std::size_t n = 0;
    for (auto& l : lines(out))
        if (l.rfind("* ", 0) == 0 && l.size() > 8 && l.compare(l.size() - 8, 8, " EXPUNGE") == 0)
            ++n;
    return n;
}

// Five messages; 2, 3 and 5 have \Deleted.
void five(MailEnv& env) {
    for (int i = 1; i <= 5; ++i)
        env.add_message("alice", "INBOX", kMsg, (i == 2 || i == 3 || i == 5) ? st::flag_deleted : 0);
}

} // namespace

TEST_CASE("EXPUNGE sends one EXPUNGE per message, each numbered after the previous ones") {
    MailEnv env;
    five(env);
    SessionHarness s(env);
    s.login();
    s.cmd("a1 SELECT INBOX");
    auto out = s.cmd("a2 EXPUNGE");
    CHECK(tagged_line(out, "a2") == "a2 OK Expunge completed.");
    CHECK(count_expunge_lines(out) == 3);
    CHECK(apply_expunges({1, 2, 3, 4, 5}, out) == std::vector<st::Uid>{1, 4});
    CHECK(uids(env, "INBOX") == std::vector<st::Uid>{1, 4});
    CHECK(s.session().stats().expunged == 3);
    // Nothing left to expunge.
    auto again = s.cmd("a3 EXPUNGE");
    CHECK(lines(again) == std::vector<std::string>{"a3 OK Expunge completed."});
    CHECK(tagged_line(s.cmd("a4 EXPUNGE 1"), "a4").rfind("a4 BAD", 0) == 0);
}

TEST_CASE("UID EXPUNGE removes only the given UIDs that are \\Deleted") {
    MailEnv env;
    five(env);
    SessionHarness s(env);
    s.login();
    s.cmd("a1 SELECT INBOX");
    auto out = s.cmd("a2 UID EXPUNGE 1:3");
    CHECK(tagged_line(out, "a2") == "a2 OK Expunge completed.");
    CHECK(apply_expunges({1, 2, 3, 4, 5}, out) == std::vector<st::Uid>{1, 4, 5});
    CHECK(uids(env, "INBOX") == std::vector<st::Uid>{1, 4, 5});
    auto star = s.cmd("a3 UID EXPUNGE 5:*");
    CHECK(apply_expunges({1, 4, 5}, star) == std::vector<st::Uid>{1, 4});
    CHECK(tagged_line(s.cmd("a4 UID EXPUNGE"), "a4").rfind("a4 BAD", 0) == 0);
    CHECK(tagged_line(s.cmd("a5 UID EXPUNGE 0:x"), "a5").rfind("a5 BAD", 0) == 0);
    CHECK(uids(env, "INBOX") == std::vector<st::Uid>{1, 4});
}

TEST_CASE("EXPUNGE after EXAMINE removes nothing") {
    MailEnv env;
    five(env);
    SessionHarness s(env);
    s.login();
    s.cmd("a1 EXAMINE INBOX");
    CHECK(lines(s.cmd("a2 EXPUNGE")) == std::vector<std::string>{"a2 OK Expunge completed."});
    CHECK(lines(s.cmd("a3 UID EXPUNGE 1:*")) == std::vector<std::string>{"a3 OK Expunge completed."});
    CHECK(uids(env, "INBOX").size() == 5);
}

TEST_CASE("CLOSE expunges silently; after EXAMINE it does not; UNSELECT never does") {
    MailEnv env;
    five(env);
    SessionHarness s(env);
    s.login();

    s.cmd("a1 EXAMINE INBOX");
    CHECK(lines(s.cmd("a2 CLOSE")) == std::vector<std::string>{"a2 OK Close completed."});
    CHECK(uids(env, "INBOX").size() == 5);

    s.cmd("a3 SELECT INBOX");
    CHECK(lines(s.cmd("a4 UNSELECT")) == std::vector<std::string>{"a4 OK Unselect completed."});
    CHECK(uids(env, "INBOX").size() == 5);
    CHECK(tagged_line(s.cmd("a5 UNSELECT"), "a5").rfind("a5 BAD", 0) == 0);

    s.cmd("a6 SELECT INBOX");
    CHECK(lines(s.cmd("a7 CLOSE")) == std::vector<std::string>{"a7 OK Close completed."});
    CHECK(uids(env, "INBOX") == std::vector<st::Uid>{1, 4});
    CHECK(s.session().stats().expunged == 3);
    CHECK(tagged_line(s.cmd("a8 CLOSE"), "a8").rfind("a8 BAD", 0) == 0);
    CHECK(tagged_line(s.cmd("a9 EXPUNGE"), "a9").rfind("a9 BAD", 0) == 0);
}

TEST_CASE("two sessions see each other's APPEND and EXPUNGE through NOOP") {
    MailEnv env;
    env.add_message("alice", "INBOX", kMsg);
    env.add_message("alice", "INBOX", kMsg, st::flag_deleted);
    SessionHarness a(env), b(env);
    a.login();
    b.login();
    a.cmd("a1 SELECT INBOX");
    b.cmd("b1 SELECT INBOX");
    auto appended = b.send_raw("b2 APPEND INBOX {3+}\r\nx\r\n\r\n");
    CHECK(has_line(appended, "* 3 EXISTS"));
    auto seen = a.cmd("a2 NOOP");
    CHECK(has_line(seen, "* 3 EXISTS"));
    auto expunged = b.cmd("b3 EXPUNGE");
    CHECK(lines(expunged) == std::vector<std::string>{"* 2 EXPUNGE", "b3 OK Expunge completed."});
    auto noop = a.cmd("a3 NOOP");
    CHECK(has_line(noop, "* 2 EXPUNGE"));
    CHECK(uids(env, "INBOX") == std::vector<st::Uid>{1, 3});
}

TEST_CASE("EXPUNGE and UID EXPUNGE leave a message another session undeleted after our last sync") {
    MailEnv env;
    env.add_message("alice", "INBOX", kMsg);
    env.add_message("alice", "INBOX", kMsg);
    SessionHarness a(env), b(env);
    a.login();
    b.login();
    a.cmd("a1 SELECT INBOX");
    b.cmd("b1 SELECT INBOX");
    a.cmd("a2 STORE 1:2 +FLAGS.SILENT (\\Deleted)");
    CHECK(has_line(b.cmd("b2 NOOP"), "* 1 FETCH (FLAGS (\\Deleted))"));
    a.cmd("a3 STORE 1 -FLAGS.SILENT (\\Deleted)");
    // B's view still says 1 is \Deleted; storage checks again at commit.
    auto out = b.cmd("b3 EXPUNGE");
    CHECK_MESSAGE(!has_line(out, "* 1 EXPUNGE"), out);
    CHECK(count_expunge_lines(out) == 1);
    CHECK(has_line(out, "* 2 EXPUNGE"));
    CHECK(has_line(out, "* 1 FETCH (FLAGS ())"));
    CHECK(tagged_line(out, "b3") == "b3 OK Expunge completed.");
    CHECK(uids(env, "INBOX") == std::vector<st::Uid>{1});
    CHECK(b.session().stats().expunged == 1);

    a.cmd("a4 STORE 1 +FLAGS.SILENT (\\Deleted)");
    b.cmd("b4 NOOP");
    a.cmd("a5 STORE 1 -FLAGS.SILENT (\\Deleted)");
    auto uid_out = b.cmd("b5 UID EXPUNGE 1:*");
    CHECK(count_expunge_lines(uid_out) == 0);
    CHECK(tagged_line(uid_out, "b5") == "b5 OK Expunge completed.");
    CHECK(uids(env, "INBOX") == std::vector<st::Uid>{1});
}
