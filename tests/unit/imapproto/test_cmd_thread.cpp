// THREAD and UID THREAD against a session over a real Maildir: the wire
// format of RFC 5256 §4, each algorithm, search keys and charsets, the
// error answers (in Dovecot's words), and a big mailbox's long line.
#include "session_harness.hpp"

#include <doctest/doctest.h>

#include <mailstore/log.hpp>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

using namespace imap_test;

namespace {

std::string msg(const std::string& id, const std::string& refs, const std::string& subject, int day) {
    std::string m;
    if (!id.empty())
        m += "Message-ID: " + id + "\r\n";
    if (!refs.empty())
        m += "References: " + refs + "\r\n";
    return m + "Subject: " + subject + "\r\nDate: " + std::to_string(day) + " Jan 2020 10:00:00 +0000\r\n\r\nbody " +
           subject + "\r\n";
}

// The thread mailbox of the REFS example (observed with Dovecot 2.3.19).
void add_threads(MailEnv& env) {
    env.add_message("alice", "INBOX", msg("<a@x>", "", "A", 1));
    env.add_message("alice", "INBOX", msg("<b@x>", "", "B", 5));
    env.add_message("alice", "INBOX", msg("<a1@x>", "<a@x>", "Re: A", 10));
    env.add_message("alice", "INBOX", msg("<c@x>", "", "C", 3));
    env.add_message("alice", "INBOX", msg("<c1@x>", "<c@x>", "Re: C", 4));
    env.add_message("alice", "INBOX", msg("<d1@x>", "<dd@x>", "D", 2));
    env.add_message("alice", "INBOX", msg("<d2@x>", "<dd@x>", "D", 7));
    env.add_message("alice", "INBOX", msg("<e@x>", "", "A", 6));
}

struct Selected {
    MailEnv env;
    SessionHarness s{[this]() -> MailEnv& {
        add_threads(env);
        return env;
    }()};
    Selected() {
        s.login();
        REQUIRE(tagged_line(s.cmd("s SELECT INBOX"), "s").rfind("s OK", 0) == 0);
    }
};

} // namespace

TEST_CASE("THREAD REFERENCES, REFS and ORDEREDSUBJECT: exact responses") {
    Selected t;
    CHECK(t.s.cmd("a THREAD REFERENCES UTF-8 ALL") ==
          "* THREAD ((1 3)(8))((6)(7))(4 5)(2)\r\na OK Thread completed.\r\n");
    CHECK(t.s.cmd("b THREAD REFS UTF-8 ALL") == "* THREAD (4 5)(2)(8)((6)(7))(1 3)\r\nb OK Thread completed.\r\n");
    CHECK(t.s.cmd("c THREAD ORDEREDSUBJECT UTF-8 ALL") ==
          "* THREAD (1 (8)(3))(6 7)(4 5)(2)\r\nc OK Thread completed.\r\n");
    // Case-insensitive algorithm and charset, a quoted algorithm.
    CHECK(t.s.cmd("d thread references us-ascii all") ==
          "* THREAD ((1 3)(8))((6)(7))(4 5)(2)\r\nd OK Thread completed.\r\n");
    CHECK(t.s.cmd("e THREAD \"REFS\" \"UTF-8\" 4:5") == "* THREAD (4 5)\r\ne OK Thread completed.\r\n");
}

TEST_CASE("THREAD threads only the matching messages; nothing matched is a bare THREAD") {
    Selected t;
    // Message 3 (the reply) excluded: 1 stands alone, merged with 8 by subject.
    CHECK(t.s.cmd("a THREAD REFERENCES UTF-8 NOT 3") ==
          "* THREAD ((1)(8))((6)(7))(4 5)(2)\r\na OK Thread completed.\r\n");
    CHECK(t.s.cmd("b THREAD REFERENCES UTF-8 SUBJECT \"C\"") == "* THREAD (4 5)\r\nb OK Thread completed.\r\n");
    // RFC 5256 §5: thread-data = "THREAD" [SP 1*thread-list].
    CHECK(t.s.cmd("c THREAD REFERENCES UTF-8 SUBJECT nothing-like-this") == "* THREAD\r\nc OK Thread completed.\r\n");
    CHECK(t.s.cmd("d THREAD ORDEREDSUBJECT UTF-8 BODY \"body D\"") == "* THREAD (6 7)\r\nd OK Thread completed.\r\n");
    // A literal charset argument and a literal search string.
    CHECK(t.s.send_raw("e THREAD REFS {5+}\r\nUTF-8 SUBJECT {1+}\r\nB\r\n") == "* THREAD (2)\r\ne OK Thread completed.\r\n");
}

TEST_CASE("UID THREAD answers UIDs, the tree is the same") {
    Selected t;
    // Expunge message 2 so that UIDs and sequence numbers differ.
    t.s.cmd("x STORE 2 +FLAGS (\\Deleted)");
    t.s.cmd("y EXPUNGE");
    CHECK(t.s.cmd("a THREAD REFERENCES UTF-8 ALL") == "* THREAD ((1 2)(7))((5)(6))(3 4)\r\na OK Thread completed.\r\n");
    CHECK(t.s.cmd("b UID THREAD REFERENCES UTF-8 ALL") ==
          "* THREAD ((1 3)(8))((6)(7))(4 5)\r\nb OK Thread completed.\r\n");
    // The search keys of UID THREAD still speak sequence numbers (RFC 5256).
    CHECK(t.s.cmd("c UID THREAD REFS UTF-8 3:4") == "* THREAD (4 5)\r\nc OK Thread completed.\r\n");
    CHECK(t.s.cmd("d UID THREAD ORDEREDSUBJECT UTF-8 UID 6:7") == "* THREAD (6 7)\r\nd OK Thread completed.\r\n");
}

TEST_CASE("THREAD errors, worded as Dovecot words them") {
    Selected t;
    CHECK(t.s.cmd("a THREAD") == "a BAD Error in IMAP command THREAD: Invalid arguments\r\n");
    CHECK(t.s.cmd("b THREAD REFERENCES") == "b BAD Error in IMAP command THREAD: Invalid arguments\r\n");
    CHECK(t.s.cmd("c THREAD FOO UTF-8 ALL") == "c BAD Error in IMAP command THREAD: Unknown thread algorithm\r\n");
    CHECK(t.s.cmd("d THREAD FOO UTF-8") == "d BAD Error in IMAP command THREAD: Unknown thread algorithm\r\n");
    // The charset is mandatory: "ALL" taken as the charset leaves no keys.
    CHECK(t.s.cmd("e THREAD REFERENCES UTF-8") == "e BAD Error in IMAP command THREAD: Missing search parameters\r\n");
    CHECK(t.s.cmd("f THREAD (REFERENCES) UTF-8 ALL") == "f BAD Error in IMAP command THREAD: Invalid arguments\r\n");
    CHECK(t.s.cmd("g THREAD REFERENCES (UTF-8) ALL") == "g BAD Error in IMAP command THREAD: Invalid arguments\r\n");
    // The search parser's own words (shared with SEARCH).
    CHECK(t.s.cmd("h UID THREAD REFS UTF-8 FOO").rfind("h BAD Error in IMAP command UID THREAD: Unknown ", 0) == 0);
    auto bad_charset = t.s.cmd("i THREAD REFERENCES X-UNKNOWN-CHARSET ALL");
    CHECK(bad_charset.rfind("i NO [BADCHARSET (", 0) == 0);
    CHECK(bad_charset.find("UTF-8") != std::string::npos);
    // The session goes on normally.
    CHECK(t.s.cmd("j THREAD REFS UTF-8 2") == "* THREAD (2)\r\nj OK Thread completed.\r\n");
}

TEST_CASE("THREAD needs a selected mailbox") {
    MailEnv env;
    SessionHarness s(env);
    s.login();
    CHECK(tagged_line(s.cmd("a THREAD REFERENCES UTF-8 ALL"), "a").rfind("a BAD", 0) == 0);
}

TEST_CASE("THREAD over many messages: one long line, bounded pieces, same on a second (cached) run") {
    MailEnv env;
    // 1500 messages: 500 threads of a root and two replies.
    for (int i = 0; i < 500; ++i) {
        std::string root = "<r" + std::to_string(i) + "@x>";
        env.add_message("alice", "INBOX", msg(root, "", "topic " + std::to_string(i), 1 + i % 28));
        env.add_message("alice", "INBOX", msg("<q" + std::to_string(i) + "@x>", root, "Re: topic", 1 + i % 28));
        env.add_message("alice", "INBOX", msg("", root, "Re: topic " + std::to_string(i), 1 + i % 28));
    }
    HarnessOptions options;
    options.output_high_water = 4096;
    SessionHarness s(env, options);
    s.login();
    s.cmd("s SELECT INBOX");
    auto first = s.cmd("a THREAD REFERENCES UTF-8 ALL");
    auto ls = lines(first);
    REQUIRE(ls.size() == 2);
    CHECK(ls[1] == "a OK Thread completed.");
    // Same day: ties by sequence number, so thread i is "(3i+1 (3i+2)(3i+3))"
    // in the order of days 1..28.
    CHECK(ls[0].rfind("* THREAD (1 (2)(3))(85 (86)(87))", 0) == 0);
    CHECK(ls[0].find("(1498 (1499)(1500))") != std::string::npos);
    auto second = s.cmd("b THREAD REFERENCES UTF-8 ALL");
    CHECK(lines(second)[0] == ls[0]);
}

TEST_CASE("THREAD over more messages than one slice loads them over several resumes, same answer") {
    MailEnv env;
    // 2500 messages (two and a half slices of 1000): 1250 threads of a
    // root and a reply.
    for (int i = 0; i < 1250; ++i) {
        std::string root = "<r" + std::to_string(i) + "@x>";
        env.add_message("alice", "INBOX", msg(root, "", "topic " + std::to_string(i), 1 + i % 28));
        env.add_message("alice", "INBOX", msg("<q" + std::to_string(i) + "@x>", root, "Re: topic", 1 + i % 28));
    }
    // Each resume that hands control back (Progress::more_output) logs a
    // debug line: the seam that shows the slices.
    const std::string log_path = env.dir.str() + "/debug.log";
    mailstore::log::LogSettings ls;
    ls.set_log_path(log_path).set_log_timestamp("").set_mail_debug(true);
    REQUIRE(mailstore::log::configure(ls).is_ok());
    std::string cold, warm, refs, small;
    {
        SessionHarness s(env);
        s.login();
        s.cmd("s SELECT INBOX");
        cold = s.cmd("a THREAD REFERENCES UTF-8 ALL");
        warm = s.cmd("b THREAD REFERENCES UTF-8 ALL");
        refs = s.cmd("d THREAD REFS UTF-8 ALL");
        small = s.cmd("c THREAD REFERENCES UTF-8 1:4");
    }
    mailstore::log::flush();
    std::ifstream in(log_path, std::ios::binary);
    std::stringstream logged;
    logged << in.rdbuf();
    (void)mailstore::log::configure(mailstore::log::LogSettings());
    std::vector<std::string> slices;
    for (std::string line; std::getline(logged, line);)
        if (line.find("THREAD: ") != std::string::npos)
            slices.push_back(line.substr(line.find("THREAD: ")));
    // Cold (headers read) and REFS (thread data from the memo) alike: two
    // resumes came back before the third slice finished. REFERENCES again
    // (the same messages: the last tree is kept) and the 4-message THREAD
    // took one.
    CHECK(slices == std::vector<std::string>{"THREAD: 1000 of 2500 messages of INBOX loaded",
                                             "THREAD: 2000 of 2500 messages of INBOX loaded",
                                             "THREAD: 1000 of 2500 messages of INBOX loaded",
                                             "THREAD: 2000 of 2500 messages of INBOX loaded"});
    auto ls_cold = lines(cold);
    REQUIRE(ls_cold.size() == 2);
    CHECK(ls_cold[1] == "a OK Thread completed.");
    // Same day, ties by sequence number: thread i is (2i+1 2i+2), in the
    // order of days 1..28.
    CHECK(ls_cold[0].rfind("* THREAD (1 2)(57 58)", 0) == 0);
    CHECK(ls_cold[0].find("(2499 2500)") != std::string::npos);
    CHECK(ls_cold[0].size() == std::string("* THREAD ").size() + 1250 * 2 + [] {
              std::size_t digits = 0;
              for (int n = 1; n <= 2500; ++n)
                  digits += std::to_string(n).size();
              return digits + 1250; // the space inside each pair
          }());
    CHECK(warm == ls_cold[0] + "\r\nb OK Thread completed.\r\n");
    // No subject merging in REFS, the same threads here; ordered by their
    // latest message, on the same days.
    CHECK(refs == "* THREAD " + ls_cold[0].substr(9) + "\r\nd OK Thread completed.\r\n");
    CHECK(small == "* THREAD (1 2)(3 4)\r\nc OK Thread completed.\r\n");
}
