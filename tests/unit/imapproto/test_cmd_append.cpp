// APPEND: flags, internal date, APPENDUID, MULTIAPPEND all-or-nothing, a
// spooled literal, errors; the result read back through the storage API.
#include "session_harness.hpp"

#include <doctest/doctest.h>

using namespace imap_test;
namespace st = mailstore::storage;

namespace {

// The storage keeps messages with LF line ends (as Dovecot's Maildir does)
// and gives CRLF back to IMAP; compare in that form.
std::string lf(std::string_view text) {
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i)
        if (!(text[i] == '\r' && i + 1 < text.size() && text[i + 1] == '\n'))
            out += text[i];
    return out;
}

struct Stored {
    std::uint32_t uidvalidity = 0;
    std::vector<std::string> bodies;
    std::vector<st::MailFlags> flags;
    std::vector<std::vector<std::string>> keywords;
    std::vector<std::int64_t> dates;
};

Stored stored(MailEnv& env, const std::string& mailbox) {
    auto user = env.open_user("alice");
    st::OpenOptions options;
    options.read_only = true;
    options.claim_recent = false;
    auto box = st::Mailbox::open(user, mailbox, options);
    REQUIRE(box.is_ok());
    Stored result;
    result.uidvalidity = box->view().uidvalidity();
    for (st::Seq seq = 1; seq <= box->view().count(); ++seq) {
        auto msg = box->message(seq);
        auto data = msg.open();
        REQUIRE(data.is_ok());
        result.bodies.push_back(lf(data->bytes()));
        result.flags.push_back(msg.flags());
        result.keywords.push_back(msg.keywords());
        auto date = msg.internal_date();
        REQUIRE(date.is_ok());
        result.dates.push_back(*date);
    }
    return result;
}

} // namespace

TEST_CASE("APPEND stores flags, keywords and the internal date; APPENDUID names the UID") {
    MailEnv env;
    SessionHarness s(env);
    s.login();
    auto out = s.send_raw("a1 APPEND INBOX (\\Seen $Forwarded) \"05-Jan-2020 10:00:00 +0100\" {6+}\r\nHi\r\n\r\n\r\n");
    auto box = stored(env, "INBOX");
    REQUIRE(box.bodies.size() == 1);
    CHECK(tagged_line(out, "a1") == "a1 OK [APPENDUID " + std::to_string(box.uidvalidity) + " 1] Append completed.");
    CHECK(box.bodies[0] == "Hi\n\n");
    CHECK(box.flags[0] == st::flag_seen);
    CHECK(box.keywords[0] == std::vector<std::string>{"$Forwarded"});
    CHECK(box.dates[0] == 1578214800); // 2020-01-05 09:00:00 UTC
}

TEST_CASE("APPEND date-time forms: space-padded day and a negative zone") {
    MailEnv env;
    SessionHarness s(env);
    s.login();
    auto out = s.send_raw("a1 APPEND INBOX \" 1-Feb-2021 23:30:00 -0230\" {3+}\r\nx\r\n\r\n");
    CHECK(tagged_line(out, "a1").rfind("a1 OK [APPENDUID ", 0) == 0);
    auto box = stored(env, "INBOX");
    REQUIRE(box.dates.size() == 1);
    CHECK(box.dates[0] == 1612231200); // 2021-02-02 02:00:00 UTC
    auto leap = s.send_raw("a2 APPEND INBOX \"29-feb-2024 00:00:00 +0000\" {3+}\r\ny\r\n\r\n");
    CHECK(tagged_line(leap, "a2").rfind("a2 OK [APPENDUID ", 0) == 0);
    REQUIRE(stored(env, "INBOX").dates.size() == 2);
    CHECK(stored(env, "INBOX").dates[1] == 1709164800);
    for (const char* bad : {"29-Feb-2023 10:00:00 +0000", "31-Feb-2021 10:00:00 +0000", "01-Foo-2021 10:00:00 +0000", "01-Feb-2021 24:00:00 +0000",
                            "01-Feb-2021 10:00:00 0000", "01-Feb-2021 10:00 +0000", "1-Feb-2021 10:00:00 +0060"}) {
        INFO(bad);
        auto r = s.send_raw(std::string("b1 APPEND INBOX \"") + bad + "\" {3+}\r\nx\r\n\r\n");
        CHECK(tagged_line(r, "b1").rfind("b1 BAD", 0) == 0);
        CHECK(tagged_line(r, "b1").find("Invalid internal date") != std::string::npos);
    }
    CHECK(stored(env, "INBOX").bodies.size() == 2);
}

TEST_CASE("MULTIAPPEND saves every message in one transaction and answers a uid-set") {
    MailEnv env;
    SessionHarness s(env);
    s.login();
    auto out = s.send_raw("a1 APPEND INBOX {3+}\r\nx\r\n (\\Flagged) {3+}\r\ny\r\n {3+}\r\nz\r\n\r\n");
    auto box = stored(env, "INBOX");
    REQUIRE(box.bodies.size() == 3);
    CHECK(tagged_line(out, "a1") == "a1 OK [APPENDUID " + std::to_string(box.uidvalidity) + " 1:3] Append completed.");
    CHECK(box.bodies == std::vector<std::string>{"x\n", "y\n", "z\n"});
    CHECK(box.flags == std::vector<st::MailFlags>{0, st::flag_flagged, 0});
}

TEST_CASE("MULTIAPPEND with a bad later message saves nothing") {
    MailEnv env;
    SessionHarness s(env);
    s.login();
    auto empty = s.send_raw("a1 APPEND INBOX {3+}\r\nx\r\n {0+}\r\n\r\n");
    CHECK(tagged_line(empty, "a1") == "a1 NO Can't save a zero byte message");
    auto flag = s.send_raw("a2 APPEND INBOX {3+}\r\nx\r\n (\\Recent) {3+}\r\ny\r\n\r\n");
    CHECK(tagged_line(flag, "a2").rfind("a2 BAD", 0) == 0);
    auto date = s.send_raw("a3 APPEND INBOX {3+}\r\nx\r\n \"bad date\" {3+}\r\ny\r\n\r\n");
    CHECK(tagged_line(date, "a3").rfind("a3 BAD", 0) == 0);
    auto junk = s.send_raw("a4 APPEND INBOX {3+}\r\nx\r\n FOO\r\n");
    CHECK(tagged_line(junk, "a4").rfind("a4 BAD", 0) == 0);
    CHECK(stored(env, "INBOX").bodies.empty());
}

TEST_CASE("APPEND of a big literal goes through a spool file and arrives intact") {
    MailEnv env;
    SessionHarness s(env);
    s.login();
    std::string body = "Subject: big\r\n\r\n";
    for (int i = 0; body.size() < 200 * 1024; ++i)
        body += "line " + std::to_string(i) + " of a message bigger than the spool threshold\r\n";
    auto cont = s.send("a1 APPEND INBOX {" + std::to_string(body.size()) + "}");
    CHECK(cont.rfind("+ ", 0) == 0);
    auto out = s.send_raw(body + "\r\n");
    CHECK(tagged_line(out, "a1").rfind("a1 OK [APPENDUID ", 0) == 0);
    auto box = stored(env, "INBOX");
    REQUIRE(box.bodies.size() == 1);
    CHECK(box.bodies[0].size() == lf(body).size());
    CHECK(box.bodies[0] == lf(body));
}

TEST_CASE("APPEND errors: missing mailbox, empty message, bad arguments") {
    MailEnv env;
    SessionHarness s(env);
    s.login();
    CHECK(tagged_line(s.send_raw("a1 APPEND nope {3+}\r\nx\r\n\r\n"), "a1") ==
          "a1 NO [TRYCREATE] Mailbox doesn't exist: nope");
    CHECK(tagged_line(s.send_raw("a2 APPEND INBOX {0+}\r\n\r\n"), "a2") == "a2 NO Can't save a zero byte message");
    CHECK(tagged_line(s.cmd("a3 APPEND INBOX"), "a3").rfind("a3 BAD", 0) == 0);
    CHECK(tagged_line(s.cmd("a4 APPEND INBOX (\\Seen)"), "a4").rfind("a4 BAD", 0) == 0);
    CHECK(tagged_line(s.cmd("a5 APPEND INBOX notaliteral"), "a5").rfind("a5 BAD", 0) == 0);
    CHECK(tagged_line(s.send_raw("a6 APPEND \"../x\" {3+}\r\nx\r\n\r\n"), "a6") ==
          "a6 NO [CANNOT] Invalid mailbox name: Begins with hierarchy separator");
    s.cmd("a7 CREATE p.c");
    CHECK(tagged_line(s.send_raw("a8 APPEND p {3+}\r\nx\r\n\r\n"), "a8") ==
          "a8 NO [TRYCREATE] Mailbox doesn't exist: p");
    CHECK(stored(env, "INBOX").bodies.empty());
}

TEST_CASE("APPEND of a literal8 stores the bytes as given") {
    MailEnv env;
    SessionHarness s(env);
    s.login();
    static const char raw[] = "a1 APPEND INBOX ~{7+}\r\nA\r\n\r\nb\0\r\n";
    auto out = s.send_raw(std::string_view(raw, sizeof raw - 1));
    CHECK(tagged_line(out, "a1").rfind("a1 OK [APPENDUID ", 0) == 0);
    auto box = stored(env, "INBOX");
    REQUIRE(box.bodies.size() == 1);
    CHECK(box.bodies[0] == std::string("A\n\nb\0", 5));
}

TEST_CASE("APPEND to the selected mailbox: EXISTS and RECENT before the tagged OK") {
    MailEnv env;
    SessionHarness s(env);
    s.login();
    s.cmd("a1 SELECT INBOX");
    auto out = s.send_raw("a2 APPEND INBOX {3+}\r\nx\r\n\r\n");
    auto got = lines(out);
    REQUIRE(got.size() >= 2);
    CHECK(got[0] == "* 1 EXISTS");
    CHECK(got[1] == "* 1 RECENT");
    CHECK(tagged_line(out, "a2").rfind("a2 OK [APPENDUID ", 0) == 0);
}

TEST_CASE("APPEND over imap_max_append_size is NO [TOOBIG]") {
    MailEnv env("imap_max_append_size = 10\n");
    SessionHarness s(env);
    s.login();
    auto out = s.send("a1 APPEND INBOX {20}");
    CHECK(tagged_line(out, "a1").rfind("a1 NO [TOOBIG]", 0) == 0);
    CHECK(tagged_line(s.send_raw("a2 APPEND INBOX {5+}\r\nx\r\n\r\n\r\n"), "a2").rfind("a2 OK [APPENDUID ", 0) == 0);
    CHECK(stored(env, "INBOX").bodies.size() == 1);
}
