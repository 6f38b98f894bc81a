// FETCH and UID FETCH: the index items, the macros, the order of items in
// the response, syntax errors, \Seen, read-only mailboxes, streaming many
// messages with backpressure, messages expunged by another process and the
// counters. The expected bytes are what Dovecot 2.3.19 answers for the same
// messages and commands (timings removed from the tagged lines).
#include "session_harness.hpp"

#include <doctest/doctest.h>

#include <mailstore/storage/mailbox.hpp>

#include <cstdlib>
#include <ctime>
#include <string>

using namespace imap_test;
namespace ms = mailstore::storage;

namespace {

// INTERNALDATE is sent in the server's zone: make it UTC for exact bytes.
void use_utc() {
    setenv("TZ", "UTC", 1);
    tzset();
}

constexpr std::int64_t kDate = 1000000000; // 09-Sep-2001 01:46:40 +0000

// A message stored with LF line ends, as Maildir files usually are.
constexpr std::string_view kSmall = "Subject: hi\nFrom: a@b.c\n\nline1\nline2\n";

constexpr const char* kEnvelope =
    "ENVELOPE (NIL \"hi\" ((NIL NIL \"a\" \"b.c\")) ((NIL NIL \"a\" \"b.c\")) ((NIL NIL \"a\" \"b.c\")) NIL NIL NIL NIL NIL)";

struct Fixture {
    Fixture() { use_utc(); }
    MailEnv env;
    std::unique_ptr<SessionHarness> s;

    // Saves through a mailbox opened without claiming \Recent, so every
    // message is \Recent for the session that selects INBOX first (as for
    // mail delivered before a client connects).
    void add(std::string_view data, std::int64_t date = kDate, ms::MailFlags flags = 0) {
        auto user = env.open_user("alice");
        ms::OpenOptions options;
        options.claim_recent = false;
        auto box = ms::Mailbox::open(user, "INBOX", options);
        REQUIRE_MESSAGE(box.is_ok(), box.status().message());
        auto tx = box->begin();
        ms::SaveRequest req;
        req.data = data;
        req.flags = flags;
        req.internal_date = date;
        REQUIRE(tx.save(req).is_ok());
        REQUIRE(tx.commit().is_ok());
    }
    void open(bool examine = false, HarnessOptions options = {}) {
        options.preauth_user = "alice";
        s = std::make_unique<SessionHarness>(env, options);
        std::string r = s->cmd(examine ? "s EXAMINE INBOX" : "s SELECT INBOX");
        REQUIRE(tagged_line(r, "s").rfind("s OK", 0) == 0);
    }
    // The stored flags of the message with `uid`, seen through a separate
    // storage session.
    ms::MailFlags stored_flags(ms::Uid uid) {
        auto user = env.open_user("alice");
        ms::OpenOptions options;
        options.read_only = true;
        options.claim_recent = false;
        auto box = ms::Mailbox::open(user, "INBOX", options);
        REQUIRE(box.is_ok());
        auto msg = box->message_by_uid(uid);
        REQUIRE(msg.is_ok());
        return msg->flags();
    }
};

} // namespace

TEST_CASE("FETCH index items and macros, in Dovecot's order") {
    Fixture f;
    f.add(kSmall);
    f.open();
    CHECK(f.s->cmd("f1 FETCH 1 (UID FLAGS INTERNALDATE RFC822.SIZE ENVELOPE)") ==
          std::string("* 1 FETCH (UID 1 FLAGS (\\Recent) INTERNALDATE \"09-Sep-2001 01:46:40 +0000\" RFC822.SIZE 42 ") +
              kEnvelope + ")\r\nf1 OK Fetch completed.\r\n");
    CHECK(f.s->cmd("f2 FETCH 1 ALL") ==
          std::string("* 1 FETCH (FLAGS (\\Recent) INTERNALDATE \"09-Sep-2001 01:46:40 +0000\" RFC822.SIZE 42 ") +
              kEnvelope + ")\r\nf2 OK Fetch completed.\r\n");
    CHECK(f.s->cmd("f3 fetch 1 fast") ==
          "* 1 FETCH (FLAGS (\\Recent) INTERNALDATE \"09-Sep-2001 01:46:40 +0000\" RFC822.SIZE 42)\r\n"
          "f3 OK Fetch completed.\r\n");
    CHECK(f.s->cmd("f4 FETCH 1 FULL") ==
          std::string("* 1 FETCH (FLAGS (\\Recent) INTERNALDATE \"09-Sep-2001 01:46:40 +0000\" RFC822.SIZE 42 ") +
              kEnvelope + " BODY (\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 14 2))\r\n"
                          "f4 OK Fetch completed.\r\n");
    CHECK(f.s->cmd("f5 FETCH 1 (BODY BODYSTRUCTURE)") ==
          "* 1 FETCH (BODY (\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 14 2) BODYSTRUCTURE "
          "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 14 2 NIL NIL NIL NIL))\r\n"
          "f5 OK Fetch completed.\r\n");
    // The second time ENVELOPE and BODYSTRUCTURE come from the cache: the
    // same bytes.
    CHECK(f.s->cmd("f6 FETCH 1 (BODYSTRUCTURE ENVELOPE)") ==
          std::string("* 1 FETCH (BODYSTRUCTURE (\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 14 2 NIL "
                      "NIL NIL NIL) ") +
              kEnvelope + ")\r\nf6 OK Fetch completed.\r\n");
    // Index items before the others; repeats of them, ENVELOPE, BODY and
    // BODYSTRUCTURE are sent once.
    CHECK(f.s->cmd("f7 FETCH 1 (RFC822.HEADER RFC822.SIZE)") ==
          "* 1 FETCH (RFC822.SIZE 42 RFC822.HEADER {28}\r\nSubject: hi\r\nFrom: a@b.c\r\n\r\n)\r\n"
          "f7 OK Fetch completed.\r\n");
    CHECK(f.s->cmd("f8 FETCH 1 (FLAGS FLAGS UID UID RFC822.SIZE BODY BODY)") ==
          "* 1 FETCH (FLAGS (\\Recent) UID 1 RFC822.SIZE 42 BODY (\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL "
          "\"7bit\" 14 2))\r\nf8 OK Fetch completed.\r\n");
    // RFC822.HEADER does not set \Seen.
    CHECK(f.stored_flags(1) == 0);
}

TEST_CASE("UID FETCH: UID first, missing UIDs left out, n:* names the last message") {
    Fixture f;
    f.add(kSmall);
    f.add(kSmall, kDate + 3600);
    f.add(kSmall, kDate + 7200);
    f.open();
    CHECK(f.s->cmd("u1 UID FETCH 1 (FLAGS)") == "* 1 FETCH (UID 1 FLAGS (\\Recent))\r\nu1 OK Fetch completed.\r\n");
    CHECK(f.s->cmd("u2 UID FETCH 2 (INTERNALDATE UID)") ==
          "* 2 FETCH (UID 2 INTERNALDATE \"09-Sep-2001 02:46:40 +0000\")\r\nu2 OK Fetch completed.\r\n");
    CHECK(f.s->cmd("u3 UID FETCH 5:7 FLAGS") == "u3 OK Fetch completed.\r\n");
    CHECK(f.s->cmd("u4 UID FETCH 100:* RFC822.SIZE") ==
          "* 3 FETCH (UID 3 RFC822.SIZE 42)\r\nu4 OK Fetch completed.\r\n");
    // Responses in ascending order whatever the order of the set.
    CHECK(f.s->cmd("u5 FETCH 3,1 UID") == "* 1 FETCH (UID 1)\r\n* 3 FETCH (UID 3)\r\nu5 OK Fetch completed.\r\n");
    CHECK(f.s->cmd("u6 FETCH 2:* UID") == "* 2 FETCH (UID 2)\r\n* 3 FETCH (UID 3)\r\nu6 OK Fetch completed.\r\n");
    CHECK(f.s->cmd("u7 UID FETCH 1:2 (BODY.PEEK[]<0.4> BODY.PEEK[]<1.2>)") ==
          "* 1 FETCH (UID 1 BODY[]<0> {4}\r\nSubj BODY[]<1> {2}\r\nub)\r\n"
          "* 2 FETCH (UID 2 BODY[]<0> {4}\r\nSubj BODY[]<1> {2}\r\nub)\r\nu7 OK Fetch completed.\r\n");
}

TEST_CASE("FETCH syntax errors are BAD with the reason") {
    Fixture f;
    f.add(kSmall);
    f.open();
    struct Case {
        const char* command;
        const char* reply;
    };
    const Case cases[] = {
        {"e1 FETCH 2 FLAGS", "e1 BAD Error in IMAP command FETCH: Invalid messageset"},
        {"e2 FETCH 0 FLAGS", "e2 BAD Error in IMAP command FETCH: Invalid messageset"},
        {"e3 FETCH x FLAGS", "e3 BAD Error in IMAP command FETCH: Invalid messageset"},
        {"u1 UID FETCH 0 FLAGS", "u1 BAD Error in IMAP command UID FETCH: Invalid uidset"},
        {"u2 UID FETCH 1:x FLAGS", "u2 BAD Error in IMAP command UID FETCH: Invalid uidset"},
        {"e4 FETCH 1 FOO", "e4 BAD Error in IMAP command FETCH: Unknown parameter: FOO"},
        {"e5 fetch 1 (FLAGS foo)", "e5 BAD Error in IMAP command FETCH: Unknown parameter: FOO"},
        {"e6 FETCH 1", "e6 BAD Error in IMAP command FETCH: Invalid arguments"},
        {"e7 FETCH 1 ()", "e7 BAD Error in IMAP command FETCH: FETCH list is empty"},
        {"e8 FETCH 1 (ALL)", "e8 BAD Error in IMAP command FETCH: Unknown parameter: ALL"},
        {"e9 FETCH 1 (FAST UID)", "e9 BAD Error in IMAP command FETCH: Unknown parameter: FAST"},
        {"f1 FETCH 1 BODY[FOO]", "f1 BAD Error in IMAP command FETCH: Invalid BODY[..] section"},
        {"f2 FETCH 1 BODY[0]", "f2 BAD Error in IMAP command FETCH: Invalid BODY[..] section"},
        {"f3 FETCH 1 BODY[MIME]", "f3 BAD Error in IMAP command FETCH: Invalid BODY[..] section"},
        {"f4 FETCH 1 (BODY[HEADER.FIELDS ()])", "f4 BAD Error in IMAP command FETCH: Invalid BODY[..] section"},
        {"f5 FETCH 1 BODY[]<0.0.0>",
         "f5 BAD Error in IMAP command FETCH: Invalid BODY[..] parameter: Missing '>' in partial"},
        {"f6 FETCH 1 BODY[]<a.1>", "f6 BAD Error in IMAP command FETCH: Invalid BODY[..] parameter: Too big partial start"},
        {"f7 FETCH 1 BODY[]<1.>", "f7 BAD Error in IMAP command FETCH: Invalid BODY[..] parameter: Too big partial end"},
        {"f8 FETCH 1 BODY[]x", "f8 BAD Error in IMAP command FETCH: Invalid BODY[..] parameter: Unexpected data after ']'"},
        {"f9 FETCH 1 BODY.PEEK", "f9 BAD Error in IMAP command FETCH: Invalid BODY[..] parameter: Missing '['"},
        {"g1 FETCH 1 BINARY[FOO]", "g1 BAD Error in IMAP command FETCH: Invalid BINARY[..] section"},
        {"g2 FETCH 1 BINARY[1.MIME]", "g2 BAD Error in IMAP command FETCH: Invalid BINARY[..] section"},
        {"g3 FETCH 1 (FLAGS (UID))", "g3 BAD Error in IMAP command FETCH: FETCH list contains non-atoms"},
        {"g4 UID FETCH 1 FOO", "g4 BAD Error in IMAP command UID FETCH: Unknown parameter: FOO"},
        {"g5 FETCH 1 (FLAGS) (FOO 1)", "g5 BAD Error in IMAP command FETCH: Unknown FETCH modifier"},
        {"g6 FETCH 1 \"FLAGS\"", "g6 BAD Error in IMAP command FETCH: Invalid arguments"},
        {"g7 FETCH 1:2,* FLAGS", "g7 BAD Error in IMAP command FETCH: Invalid messageset"},
    };
    int count = 0;
    for (const Case& c : cases) {
        // The session disconnects after many invalid commands in a row.
        if (++count % 8 == 0)
            f.open();
        std::string out = f.s->cmd(c.command);
        INFO(c.command);
        CHECK(out == std::string(c.reply) + "\r\n");
    }
    // Nothing was touched.
    CHECK(f.stored_flags(1) == 0);
}

TEST_CASE("FETCH of a body without PEEK sets \\Seen once and reports FLAGS") {
    Fixture f;
    f.add(kSmall);
    f.add(kSmall, kDate + 3600);
    f.open();
    // PEEK and RFC822.HEADER leave \Seen alone.
    CHECK(f.s->cmd("p1 FETCH 1 (BODY.PEEK[TEXT]<5.100>)") ==
          "* 1 FETCH (BODY[TEXT]<5> {9}\r\n\r\nline2\r\n)\r\np1 OK Fetch completed.\r\n");
    CHECK(f.stored_flags(1) == 0);
    // The FLAGS the change adds goes after the index items (Dovecot's
    // order) and is not sent again by the update after the command.
    CHECK(f.s->cmd("p2 FETCH 1 (RFC822.TEXT RFC822.SIZE)") ==
          "* 1 FETCH (RFC822.SIZE 42 FLAGS (\\Seen \\Recent) RFC822.TEXT {14}\r\nline1\r\nline2\r\n)\r\n"
          "p2 OK Fetch completed.\r\n");
    CHECK(f.stored_flags(1) == ms::flag_seen);
    // Already \Seen: no FLAGS.
    CHECK(f.s->cmd("p3 FETCH 1 (RFC822.SIZE BODY[TEXT])") ==
          "* 1 FETCH (RFC822.SIZE 42 BODY[TEXT] {14}\r\nline1\r\nline2\r\n)\r\np3 OK Fetch completed.\r\n");
    CHECK(f.s->cmd("p4 NOOP") == "p4 OK NOOP completed.\r\n");
    CHECK(f.s->cmd("p5 FETCH 1:2 FLAGS") ==
          "* 1 FETCH (FLAGS (\\Seen \\Recent))\r\n* 2 FETCH (FLAGS (\\Recent))\r\np5 OK Fetch completed.\r\n");
    // FLAGS asked for explicitly: in its place, with \Seen.
    CHECK(f.s->cmd("p6 UID FETCH 2 (BODY[HEADER] FLAGS)") ==
          "* 2 FETCH (UID 2 FLAGS (\\Seen \\Recent) BODY[HEADER] {28}\r\nSubject: hi\r\nFrom: a@b.c\r\n\r\n)\r\n"
          "p6 OK Fetch completed.\r\n");
    CHECK(f.stored_flags(2) == ms::flag_seen);
    CHECK(f.s->cmd("p7 NOOP") == "p7 OK NOOP completed.\r\n");
}

TEST_CASE("FETCH setting \\Seen: another session's flag changes are still reported") {
    Fixture f;
    f.add(kSmall);
    f.add(kSmall, kDate + 3600);
    f.open();
    SessionHarness other(f.env);
    other.login("alice");
    REQUIRE(tagged_line(other.cmd("o SELECT INBOX"), "o").rfind("o OK", 0) == 0);
    // \Flagged set before the FETCH: the FETCH answers with what this
    // session knew plus \Seen, the update after it with the real flags
    // (RFC 3501 §7.4.1); nothing is left for NOOP.
    other.cmd("o1 STORE 1 +FLAGS (\\Flagged)");
    CHECK(f.s->cmd("p1 FETCH 1 (BODY[TEXT])") ==
          "* 1 FETCH (FLAGS (\\Seen \\Recent) BODY[TEXT] {14}\r\nline1\r\nline2\r\n)\r\n"
          "* 1 FETCH (FLAGS (\\Flagged \\Seen \\Recent))\r\n"
          "p1 OK Fetch completed.\r\n");
    CHECK(f.s->cmd("p2 NOOP") == "p2 OK NOOP completed.\r\n");
    // \Flagged set after the FETCH set \Seen: reported at the next NOOP.
    CHECK(f.s->cmd("p3 FETCH 2 (BODY[TEXT])") ==
          "* 2 FETCH (FLAGS (\\Seen \\Recent) BODY[TEXT] {14}\r\nline1\r\nline2\r\n)\r\np3 OK Fetch completed.\r\n");
    other.cmd("o2 STORE 2 +FLAGS (\\Flagged)");
    CHECK(f.s->cmd("p4 NOOP") == "* 2 FETCH (FLAGS (\\Flagged \\Seen \\Recent))\r\np4 OK NOOP completed.\r\n");
}

TEST_CASE("FETCH BINARY without PEEK sets \\Seen; in EXAMINE nothing does") {
    Fixture f;
    f.add(kSmall);
    f.add(kSmall, kDate + 3600);
    f.open(true);
    CHECK(f.s->cmd("x1 FETCH 1 (BODY[] BINARY[1])") ==
          "* 1 FETCH (BODY[] {42}\r\nSubject: hi\r\nFrom: a@b.c\r\n\r\nline1\r\nline2\r\n BINARY[1] {14}\r\n"
          "line1\r\nline2\r\n)\r\nx1 OK Fetch completed.\r\n");
    CHECK(f.s->cmd("x2 FETCH 1 RFC822") ==
          "* 1 FETCH (RFC822 {42}\r\nSubject: hi\r\nFrom: a@b.c\r\n\r\nline1\r\nline2\r\n)\r\nx2 OK Fetch completed.\r\n");
    CHECK(f.stored_flags(1) == 0);
    f.s->cmd("x3 CLOSE");
    CHECK(tagged_line(f.s->cmd("x4 SELECT INBOX"), "x4").rfind("x4 OK", 0) == 0);
    CHECK(f.s->cmd("x5 FETCH 2 (BINARY[1])") ==
          "* 2 FETCH (FLAGS (\\Seen \\Recent) BINARY[1] {14}\r\nline1\r\nline2\r\n)\r\nx5 OK Fetch completed.\r\n");
    CHECK(f.stored_flags(2) == ms::flag_seen);
    CHECK(f.stored_flags(1) == 0);
}

TEST_CASE("FETCH 1:* of 2,000 messages comes out whole and in order across many flushes") {
    Fixture f;
    {
        auto user = f.env.open_user("alice");
        auto box = ms::Mailbox::open(user, "INBOX");
        REQUIRE(box.is_ok());
        auto tx = box->begin();
        std::vector<std::string> texts;
        for (int i = 1; i <= 2000; ++i) {
            std::string text = "Subject: message " + std::to_string(i) + "\r\n\r\nbody " + std::to_string(i) + "\r\n";
            ms::SaveRequest req;
            req.data = text;
            req.internal_date = kDate;
            REQUIRE(tx.save(req).is_ok());
        }
        REQUIRE(tx.commit().is_ok());
    }
    HarnessOptions options;
    options.output_high_water = 4096;
    f.open(false, options);
    imapproto::Session& session = f.s->session();
    session.feed("big FETCH 1:* (UID BODY.PEEK[HEADER.FIELDS (SUBJECT)] RFC822.SIZE)\r\n");
    std::string out;
    int flushes = 0;
    for (int guard = 0; guard < 100000; ++guard) {
        imapproto::Step step = session.run();
        while (session.has_output()) {
            auto front = session.output_front();
            // Backpressure: never much more than the high-water mark waits.
            CHECK(session.output_pending() < 64 * 1024);
            out.append(front);
            session.output_consume(front.size());
        }
        if (step.kind == imapproto::Step::Kind::flush) {
            ++flushes;
            continue;
        }
        break;
    }
    CHECK(flushes > 20);
    std::string expected;
    for (int i = 1; i <= 2000; ++i) {
        std::string subject = "Subject: message " + std::to_string(i) + "\r\n\r\n";
        std::string size = std::to_string(subject.size() + 7 + std::to_string(i).size());
        expected += "* " + std::to_string(i) + " FETCH (UID " + std::to_string(i) + " RFC822.SIZE " + size +
                    " BODY[HEADER.FIELDS (SUBJECT)] {" + std::to_string(subject.size()) + "}\r\n" + subject + ")\r\n";
    }
    expected += "big OK Fetch completed.\r\n";
    CHECK(out.size() == expected.size());
    CHECK(out == expected);
}

TEST_CASE("FETCH of a message another process expunged: NIL data, OK [EXPUNGEISSUED]") {
    Fixture f;
    f.add(kSmall);
    f.add(kSmall, kDate + 3600);
    f.add(kSmall, kDate + 7200);
    f.open();
    // ENVELOPE of message 2 is now in the cache.
    CHECK(f.s->cmd("x0 FETCH 2 ENVELOPE") ==
          std::string("* 2 FETCH (") + kEnvelope + ")\r\nx0 OK Fetch completed.\r\n");
    {
        auto user = f.env.open_user("alice");
        ms::OpenOptions options;
        options.claim_recent = false;
        auto box = ms::Mailbox::open(user, "INBOX", options);
        REQUIRE(box.is_ok());
        auto tx = box->begin();
        ms::UidSet gone;
        gone.add(2);
        REQUIRE(tx.expunge(gone).is_ok());
        REQUIRE(tx.commit().is_ok());
    }
    const std::string body = "{42}\r\nSubject: hi\r\nFrom: a@b.c\r\n\r\nline1\r\nline2\r\n";
    // RFC 3501 §7.4.1: no EXPUNGE during FETCH, so message 2 is still
    // there; like Dovecot, its \Seen is set (harmlessly) with the others.
    CHECK(f.s->cmd("x1 FETCH 1:3 (UID BODY.PEEK[] RFC822.TEXT BINARY.SIZE[1])") ==
          "* 1 FETCH (UID 1 FLAGS (\\Seen \\Recent) BODY[] " + body + " RFC822.TEXT {14}\r\nline1\r\nline2\r\n" +
              " BINARY.SIZE[1] 14)\r\n"
              "* 2 FETCH (UID 2 FLAGS (\\Seen \\Recent) BODY[] NIL RFC822.TEXT NIL BINARY.SIZE[1] 0)\r\n"
              "* 3 FETCH (UID 3 FLAGS (\\Seen \\Recent) BODY[] " +
              body + " RFC822.TEXT {14}\r\nline1\r\nline2\r\n BINARY.SIZE[1] 14)\r\n" +
              "x1 OK [EXPUNGEISSUED] Some messages were already expunged.\r\n");
    // The cached ENVELOPE is still known; BODY needs the file: an empty
    // text/plain part, as Dovecot answers.
    CHECK(f.s->cmd("x5 FETCH 2 (ENVELOPE BODY)") ==
          std::string("* 2 FETCH (") + kEnvelope +
              " BODY (\"text\" \"plain\" NIL NIL NIL \"7bit\" 0 0))\r\n"
              "x5 OK [EXPUNGEISSUED] Some messages were already expunged.\r\n");
    CHECK(f.s->cmd("x6 FETCH 2 BODYSTRUCTURE") ==
          "* 2 FETCH (BODYSTRUCTURE (\"text\" \"plain\" NIL NIL NIL \"7bit\" 0 0 NIL NIL NIL NIL))\r\n"
          "x6 OK [EXPUNGEISSUED] Some messages were already expunged.\r\n");
    // Items from the index are still answered, and plainly.
    CHECK(f.s->cmd("x2 FETCH 2 (UID INTERNALDATE)") ==
          "* 2 FETCH (UID 2 INTERNALDATE \"09-Sep-2001 02:46:40 +0000\")\r\nx2 OK Fetch completed.\r\n");
    // A command that may report expunges does.
    std::string noop = f.s->cmd("x3 NOOP");
    CHECK(has_line(noop, "* 2 EXPUNGE"));
    CHECK(f.s->cmd("x4 FETCH 2 UID") == "* 2 FETCH (UID 3)\r\nx4 OK Fetch completed.\r\n");
}

TEST_CASE("FETCH MODSEQ and CHANGEDSINCE (RFC 7162)") {
    Fixture f;
    f.add(kSmall);
    f.add(kSmall, kDate + 3600);
    f.open();
    std::string out = f.s->cmd("m1 FETCH 1:2 (MODSEQ)");
    auto l = lines(out);
    REQUIRE(l.size() >= 3);
    // The update after the command may add HIGHESTMODSEQ now that
    // CONDSTORE is on; the FETCH lines come first.
    CHECK(l[0].rfind("* 1 FETCH (MODSEQ (", 0) == 0);
    CHECK(l[1].rfind("* 2 FETCH (MODSEQ (", 0) == 0);
    CHECK(tagged_line(out, "m1") == "m1 OK Fetch completed.");
    // A change to message 2 only: CHANGEDSINCE the old modseq finds it alone.
    std::string m2 = l[1].substr(std::string("* 2 FETCH (MODSEQ (").size());
    m2 = m2.substr(0, m2.find(')'));
    std::string m1 = l[0].substr(std::string("* 1 FETCH (MODSEQ (").size());
    m1 = m1.substr(0, m1.find(')'));
    std::string since = std::to_string(std::max(std::stoull(m1), std::stoull(m2)));
    f.s->cmd("m2 FETCH 2 BODY[TEXT]");
    out = f.s->cmd("m3 FETCH 1:* (FLAGS) (CHANGEDSINCE " + since + ")");
    l = lines(out);
    REQUIRE(!l.empty());
    CHECK(l[0].rfind("* 2 FETCH (FLAGS (\\Seen \\Recent) MODSEQ (", 0) == 0);
    CHECK(!has_line(out, "* 1 FETCH"));
    CHECK(tagged_line(out, "m3") == "m3 OK Fetch completed.");
}

TEST_CASE("FETCH counts header and body data for the logout line") {
    Fixture f;
    f.add(kSmall);
    f.add(kSmall, kDate + 3600);
    f.open();
    f.s->cmd("c1 FETCH 1:2 (BODY.PEEK[HEADER] RFC822.HEADER)");
    f.s->cmd("c2 FETCH 1 (BODY.PEEK[TEXT] BODY.PEEK[]<0.10> FLAGS)");
    const auto& stats = f.s->session().stats();
    CHECK(stats.fetch_hdr_count == 2);
    CHECK(stats.fetch_hdr_bytes == 4 * 28);
    CHECK(stats.fetch_body_count == 1);
    CHECK(stats.fetch_body_bytes == 14 + 10);
}

TEST_CASE("FETCH in an empty mailbox: * names no message, UID FETCH and $ find none") {
    Fixture f;
    f.env.open_user("alice"); // INBOX exists without messages
    f.open();
    CHECK(f.s->cmd("e1 FETCH 1:* FLAGS") == "e1 BAD Error in IMAP command FETCH: Invalid messageset\r\n");
    CHECK(f.s->cmd("e2 FETCH * FLAGS") == "e2 BAD Error in IMAP command FETCH: Invalid messageset\r\n");
    CHECK(f.s->cmd("e3 UID FETCH 1:* FLAGS") == "e3 OK Fetch completed.\r\n");
    CHECK(f.s->cmd("e4 FETCH $ FLAGS") == "e4 OK Fetch completed.\r\n");
}
