// LIST and LSUB against a tree with children, special-use mailboxes, a
// \Noselect level and subscriptions; every selection and return option.
#include "session_harness.hpp"

#include <doctest/doctest.h>

using namespace imap_test;

namespace {

constexpr std::string_view kMsg = "Subject: hi\r\n\r\nbody\r\n";

// INBOX (1 unseen message), Archive, Archive.2024, Archive.2025,
// Sent (\Sent), Trash (\Trash), lost.found (its parent "lost" does not
// exist); subscribed: Archive.2024, Sent, lost.found.
struct Tree {
    MailEnv env;
    SessionHarness s{env};
    Tree() {
        env.add_message("alice", "INBOX", kMsg);
        s.login();
        for (const char* c : {"t1 CREATE Archive", "t2 CREATE Archive.2024", "t3 CREATE Archive.2025",
                              "t4 CREATE Sent (USE (\\Sent))", "t5 CREATE Trash (USE (\\Trash))",
                              "t6 CREATE lost.found", "t7 SUBSCRIBE Archive.2024", "t8 SUBSCRIBE Sent",
                              "t9 SUBSCRIBE lost.found"}) {
            std::string line = c;
            std::string tag = line.substr(0, line.find(' '));
            REQUIRE(tagged_line(s.cmd(line), tag).rfind(tag + " OK", 0) == 0);
        }
    }
    // The untagged lines of a command.
    std::vector<std::string> run(const std::string& command) {
        auto out = s.cmd("l1 " + command);
        INFO(out);
        CHECK(tagged_line(out, "l1").rfind("l1 OK ", 0) == 0);
        std::vector<std::string> result;
        for (auto& l : lines(out))
            if (l.rfind("* ", 0) == 0)
                result.push_back(l);
        return result;
    }
};

using Lines = std::vector<std::string>;

} // namespace

TEST_CASE("LIST \"\" * shows children and special-use attributes") {
    Tree t;
    CHECK(t.run("LIST \"\" *") == Lines{
        "* LIST (\\HasNoChildren) \".\" INBOX",
        "* LIST (\\HasChildren) \".\" Archive",
        "* LIST (\\HasNoChildren) \".\" Archive.2024",
        "* LIST (\\HasNoChildren) \".\" Archive.2025",
        "* LIST (\\HasNoChildren \\Sent) \".\" Sent",
        "* LIST (\\HasNoChildren \\Trash) \".\" Trash",
        "* LIST (\\Noselect \\HasChildren) \".\" lost",
        "* LIST (\\HasNoChildren) \".\" lost.found",
    });
}

TEST_CASE("LIST with % stops at the separator; a reference is prepended") {
    Tree t;
    CHECK(t.run("LIST \"\" %") == Lines{
        "* LIST (\\HasNoChildren) \".\" INBOX",
        "* LIST (\\HasChildren) \".\" Archive",
        "* LIST (\\HasNoChildren \\Sent) \".\" Sent",
        "* LIST (\\HasNoChildren \\Trash) \".\" Trash",
        "* LIST (\\Noselect \\HasChildren) \".\" lost",
    });
    CHECK(t.run("LIST Archive. %") == Lines{
        "* LIST (\\HasNoChildren) \".\" Archive.2024",
        "* LIST (\\HasNoChildren) \".\" Archive.2025",
    });
    CHECK(t.run("LIST \"\" archive") == Lines{});
    CHECK(t.run("LIST \"\" inbox") == Lines{"* LIST (\\HasNoChildren) \".\" INBOX"});
}

TEST_CASE("LIST \"\" \"\" gives the hierarchy delimiter") {
    Tree t;
    CHECK(t.run("LIST \"\" \"\"") == Lines{"* LIST (\\Noselect) \".\" \"\""});
    CHECK(t.run("LIST Archive.2024 \"\"") == Lines{"* LIST (\\Noselect) \".\" Archive."});
    CHECK(t.run("LSUB \"\" \"\"") == Lines{"* LSUB (\\Noselect) \".\" \"\""});
}

TEST_CASE("LSUB lists subscriptions; unsubscribed parents of % matches are \\Noselect") {
    Tree t;
    CHECK(t.run("LSUB \"\" *") == Lines{
        "* LSUB () \".\" Archive.2024",
        "* LSUB (\\Sent) \".\" Sent",
        "* LSUB () \".\" lost.found",
    });
    CHECK(t.run("LSUB \"\" %") == Lines{
        "* LSUB (\\Noselect) \".\" Archive",
        "* LSUB (\\Sent) \".\" Sent",
        "* LSUB (\\Noselect) \".\" lost",
    });
}

TEST_CASE("LIST (SUBSCRIBED) and RECURSIVEMATCH with CHILDINFO") {
    Tree t;
    CHECK(t.run("LIST (SUBSCRIBED) \"\" *") == Lines{
        "* LIST (\\Subscribed) \".\" Archive.2024",
        "* LIST (\\Subscribed) \".\" Sent",
        "* LIST (\\Subscribed) \".\" lost.found",
    });
    CHECK(t.run("LIST (SUBSCRIBED RECURSIVEMATCH) \"\" %") == Lines{
        "* LIST () \".\" Archive (CHILDINFO (\"SUBSCRIBED\"))",
        "* LIST (\\Subscribed) \".\" Sent",
        "* LIST (\\NonExistent) \".\" lost (CHILDINFO (\"SUBSCRIBED\"))",
    });
}

TEST_CASE("LIST return options: CHILDREN, SUBSCRIBED, SPECIAL-USE, STATUS") {
    Tree t;
    CHECK(t.run("LIST \"\" % RETURN (CHILDREN)") == Lines{
        "* LIST (\\HasNoChildren) \".\" INBOX",
        "* LIST (\\HasChildren) \".\" Archive",
        "* LIST (\\HasNoChildren) \".\" Sent",
        "* LIST (\\HasNoChildren) \".\" Trash",
        "* LIST (\\NonExistent \\HasChildren) \".\" lost",
    });
    CHECK(t.run("LIST \"\" Archive* RETURN (SUBSCRIBED)") == Lines{
        "* LIST () \".\" Archive",
        "* LIST (\\Subscribed) \".\" Archive.2024",
        "* LIST () \".\" Archive.2025",
    });
    CHECK(t.run("LIST \"\" (Sent Trash INBOX) RETURN (SPECIAL-USE)") == Lines{
        "* LIST () \".\" INBOX",
        "* LIST (\\Sent) \".\" Sent",
        "* LIST (\\Trash) \".\" Trash",
    });
    CHECK(t.run("LIST (SPECIAL-USE) \"\" *") == Lines{
        "* LIST (\\Sent) \".\" Sent",
        "* LIST (\\Trash) \".\" Trash",
    });
    CHECK(t.run("LIST \"\" % RETURN (STATUS (MESSAGES UNSEEN))") == Lines{
        "* LIST () \".\" INBOX",
        "* STATUS INBOX (MESSAGES 1 UNSEEN 1)",
        "* LIST () \".\" Archive",
        "* STATUS Archive (MESSAGES 0 UNSEEN 0)",
        "* LIST () \".\" Sent",
        "* STATUS Sent (MESSAGES 0 UNSEEN 0)",
        "* LIST () \".\" Trash",
        "* STATUS Trash (MESSAGES 0 UNSEEN 0)",
        "* LIST (\\NonExistent) \".\" lost",
    });
}

TEST_CASE("LIST option errors are BAD") {
    Tree t;
    auto bad = [&t](const std::string& command, const std::string& answer) {
        auto out = t.s.cmd("b1 " + command);
        CHECK(tagged_line(out, "b1").rfind("b1 BAD", 0) == 0);
        CHECK(tagged_line(out, "b1").find(answer) != std::string::npos);
        CHECK_FALSE(has_line(out, "* LIST"));
    };
    bad("LIST (BOGUS) \"\" *", "Unknown select options");
    bad("LIST (RECURSIVEMATCH) \"\" *", "RECURSIVEMATCH");
    bad("LIST \"\" * RETURN (BOGUS)", "Unknown return options");
    bad("LIST \"\" * RETURN (STATUS (BOGUS))", "Invalid status item");
    bad("LIST \"\" * RETURN", "Invalid arguments");
    bad("LIST \"\"", "Invalid arguments");
    bad("LSUB (SUBSCRIBED) \"\" *", "Invalid arguments");
}

TEST_CASE("LIST shows names in modified UTF-7") {
    Tree t;
    REQUIRE(tagged_line(without_mailboxid(t.s.cmd("c1 CREATE \"&Jjo-\"")), "c1") ==
            "c1 OK Create completed.");
    CHECK(t.run("LIST \"\" \"&Jjo-\"") == Lines{"* LIST (\\HasNoChildren) \".\" &Jjo-"});
    CHECK(t.run("LIST \"\" \"with space\"") == Lines{});
    REQUIRE(tagged_line(without_mailboxid(t.s.cmd("c2 CREATE \"with space\"")), "c2") ==
            "c2 OK Create completed.");
    CHECK(t.run("LIST \"\" \"with space\"") == Lines{"* LIST (\\HasNoChildren) \".\" \"with space\""});
}

TEST_CASE("LIST patterns and references that point outside the Maildir match nothing") {
    Tree t;
    for (const char* command : {"LIST \"\" \"../*\"", "LIST \"../\" \"*\"", "LIST \"/\" \"*\"", "LIST \"\" \"/etc/*\"",
                                "LIST \"~/\" \"*\"", "LSUB \"../\" \"*\""}) {
        INFO(command);
        CHECK(t.run(command) == Lines{});
    }
}
