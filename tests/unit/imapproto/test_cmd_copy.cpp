// COPY, UID COPY, MOVE and UID MOVE against a session over a real Maildir:
// COPYUID, TRYCREATE, MOVE's expunges in the session's numbering, copies
// into the selected mailbox, messages another session expunged, and the
// trashed= counter.
#include "session_harness.hpp"

#include <doctest/doctest.h>

#include <mailstore/storage/mailbox.hpp>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

using namespace imap_test;
namespace ms = mailstore::storage;

namespace {

// A \Trash mailbox named Bin, so the counter cannot rely on the name alone.
constexpr const char* kConfig = "namespace inbox {\n"
                                "  inbox = yes\n"
                                "  separator = .\n"
                                "  mailbox Bin {\n"
                                "    special_use = \\Trash\n"
                                "  }\n"
                                "}\n";

// INBOX with five messages, sequence numbers 1..5 and UIDs 2..6; an empty
// mailbox Dst.
struct Copy5 {
    MailEnv env{kConfig};
    std::unique_ptr<SessionHarness> s;

    Copy5() {
        REQUIRE(env.add_message("alice", "INBOX", "Subject: gone\r\n\r\ngone\r\n") == 1);
        auto u = env.open_user("alice");
        ms::OpenOptions options;
        options.claim_recent = false; // \Recent stays for the session
        auto box = ms::Mailbox::open(u, "INBOX", options);
        REQUIRE(box.is_ok());
        auto tx = box->begin();
        ms::UidSet one;
        one.add(1);
        REQUIRE(tx.expunge(one).is_ok());
        REQUIRE(tx.commit().is_ok());
        REQUIRE(u.create_mailbox("Dst").is_ok());
        tx = box->begin();
        std::vector<std::string> texts; // the requests point into these until commit
        texts.reserve(5);
        for (int i = 1; i <= 5; ++i) {
            texts.push_back("Subject: m" + std::to_string(i) + "\r\n\r\nbody " + std::to_string(i) + "\r\n");
            ms::SaveRequest req;
            req.data = texts.back();
            if (i == 2)
                req.flags = ms::flag_seen | ms::flag_flagged;
            if (i == 3)
                req.keywords = {"kw"};
            REQUIRE(tx.save(req).is_ok());
        }
        REQUIRE(tx.commit().is_ok());
        s = std::make_unique<SessionHarness>(env);
        s->login();
        REQUIRE(has_line(s->cmd("s SELECT INBOX"), "* 5 EXISTS"));
    }

    struct Stored {
        std::uint32_t uidvalidity = 0;
        std::vector<std::string> messages; // "uid subject-line flags | keywords"
    };

    Stored on_disk(const std::string& mailbox) {
        auto u = env.open_user("alice");
        ms::OpenOptions options;
        options.read_only = true;
        auto box = ms::Mailbox::open(u, mailbox, options);
        REQUIRE(box.is_ok());
        Stored stored;
        const auto& view = box->view();
        stored.uidvalidity = view.uidvalidity();
        for (ms::Seq seq = 1; seq <= view.count(); ++seq) {
            auto data = box->message(seq).open();
            REQUIRE(data.is_ok());
            std::string header(data->header());
            header = header.substr(0, header.find_first_of("\r\n")); // stored with LF or CRLF
            std::string text = std::to_string(view.uid(seq)) + " " + header + " " +
                               ms::format_flags(view.flags(seq)) + " |";
            for (const auto& kw : view.keywords(seq))
                text += " " + kw;
            stored.messages.push_back(text);
        }
        return stored;
    }
};

// Applies "* n EXPUNGE" lines one after the other to the UIDs the client
// knows, as a client does (RFC 3501 §7.4.1), and returns what is left.
std::vector<ms::Uid> apply_expunges(std::vector<ms::Uid> uids, const std::string& out) {
    for (const auto& line : lines(out)) {
        if (line.rfind("* ", 0) != 0 || line.size() < 10 || line.compare(line.size() - 8, 8, " EXPUNGE") != 0)
            continue;
        std::size_t n = std::stoul(line.substr(2));
        REQUIRE(n >= 1);
        REQUIRE(n <= uids.size());
        uids.erase(uids.begin() + static_cast<std::ptrdiff_t>(n - 1));
    }
    return uids;
}

std::size_t count_lines(const std::string& out, const std::string& prefix) {
    auto l = lines(out);
    return static_cast<std::size_t>(
        std::count_if(l.begin(), l.end(), [&](const std::string& x) { return x.rfind(prefix, 0) == 0; }));
}

} // namespace

TEST_CASE("COPY answers COPYUID and keeps flags and keywords") {
    Copy5 m;
    std::uint32_t uv = m.on_disk("Dst").uidvalidity;
    auto out = m.s->cmd("a1 COPY 2:3 Dst");
    CHECK(out == "a1 OK [COPYUID " + std::to_string(uv) + " 3:4 1:2] Copy completed.\r\n");
    auto dst = m.on_disk("Dst");
    REQUIRE(dst.messages.size() == 2);
    CHECK(dst.messages[0] == "1 Subject: m2 \\Flagged \\Seen |");
    CHECK(dst.messages[1] == "2 Subject: m3  | kw");
    // UID COPY; the lists pair up in UID order (RFC 4315 §3).
    out = m.s->cmd("a2 UID COPY 6,2,4 Dst");
    CHECK(out == "a2 OK [COPYUID " + std::to_string(uv) + " 2,4,6 3:5] Copy completed.\r\n");
    out = m.s->cmd("a3 COPY 5,1 Dst");
    CHECK(out == "a3 OK [COPYUID " + std::to_string(uv) + " 2,6 6:7] Copy completed.\r\n");
    dst = m.on_disk("Dst");
    REQUIRE(dst.messages.size() == 7);
    CHECK(dst.messages[2] == "3 Subject: m1  |");
    CHECK(dst.messages[3] == "4 Subject: m3  | kw");
    CHECK(dst.messages[4] == "5 Subject: m5  |");
    CHECK(dst.messages[5] == "6 Subject: m1  |");
    CHECK(dst.messages[6] == "7 Subject: m5  |");
    // The source is untouched.
    CHECK(m.on_disk("INBOX").messages.size() == 5);
    // "$" works as a set too.
    CHECK(m.s->cmd("a4 SEARCH RETURN (SAVE) FLAGGED") == "a4 OK Search completed.\r\n");
    out = m.s->cmd("a5 COPY $ Dst");
    CHECK(out == "a5 OK [COPYUID " + std::to_string(uv) + " 3 8] Copy completed.\r\n");
}

TEST_CASE("COPY errors") {
    Copy5 m;
    auto out = m.s->cmd("b1 COPY 1 Nope");
    CHECK(out == "b1 NO [TRYCREATE] Mailbox doesn't exist: Nope\r\n");
    out = m.s->cmd("b2 MOVE 1 Nope");
    CHECK(out == "b2 NO [TRYCREATE] Mailbox doesn't exist: Nope\r\n");
    out = m.s->cmd("b3 COPY 6 Dst");
    CHECK(out == "b3 BAD Error in IMAP command COPY: Invalid messageset\r\n");
    out = m.s->cmd("b4 COPY 0:1 Dst");
    CHECK(out == "b4 BAD Error in IMAP command COPY: Invalid messageset\r\n");
    out = m.s->cmd("b5 MOVE 1,,2 Dst");
    CHECK(out == "b5 BAD Error in IMAP command MOVE: Invalid messageset\r\n");
    out = m.s->cmd("b6 COPY 1");
    CHECK(out == "b6 BAD Error in IMAP command COPY: Missing arguments\r\n");
    out = m.s->cmd("b7 COPY 1 Dst extra");
    CHECK(out == "b7 BAD Error in IMAP command COPY: Invalid arguments\r\n");
    out = m.s->cmd("b8 COPY 1 (Dst)");
    CHECK(out == "b8 BAD Error in IMAP command COPY: Invalid arguments\r\n");
    // Nothing to copy is no error.
    out = m.s->cmd("b9 UID COPY 99 Dst");
    CHECK(out == "b9 OK No messages found.\r\n");
    out = m.s->cmd("b10 UID MOVE 99:100 Dst");
    CHECK(out == "b10 OK No messages found.\r\n");
    // A bad name.
    out = m.s->cmd("b11 COPY 1 \"\"");
    CHECK(tagged_line(out, "b11").rfind("b11 NO ", 0) == 0);
    out = m.s->cmd("b12 COPY 1 \"../x\"");
    CHECK(tagged_line(out, "b12").rfind("b12 NO ", 0) == 0);
    out = m.s->cmd("b13 COPY 1 \"Gr&APw-n\"");
    CHECK(out == "b13 NO [TRYCREATE] Mailbox doesn't exist: Gr&APw-n\r\n");
    out = m.s->cmd("b14 COPY 1 \"Gr&APw\"");
    CHECK(tagged_line(out, "b14").rfind("b14 BAD ", 0) == 0);
    CHECK(m.on_disk("Dst").messages.empty());
    CHECK(m.on_disk("INBOX").messages.size() == 5);
}

TEST_CASE("COPY to INBOX in any case and to names in modified UTF-7") {
    Copy5 m;
    REQUIRE(m.env.open_user("alice").create_mailbox("Gr\xc3\xbcn").is_ok());
    std::uint32_t uv = m.on_disk("Gr\xc3\xbcn").uidvalidity;
    auto out = m.s->cmd("n1 COPY 1 \"Gr&APw-n\"");
    CHECK(out == "n1 OK [COPYUID " + std::to_string(uv) + " 2 1] Copy completed.\r\n");
    CHECK(m.on_disk("Gr\xc3\xbcn").messages.size() == 1);
    uv = m.on_disk("INBOX").uidvalidity;
    out = m.s->cmd("n2 COPY 2 inbox");
    CHECK(tagged_line(out, "n2") == "n2 OK [COPYUID " + std::to_string(uv) + " 3 7] Copy completed.");
    CHECK(m.on_disk("INBOX").messages.size() == 6);
}

TEST_CASE("COPY into the selected mailbox shows up as EXISTS") {
    Copy5 m;
    std::uint32_t uv = m.on_disk("INBOX").uidvalidity;
    auto out = m.s->cmd("c1 COPY 1:2 INBOX");
    CHECK(tagged_line(out, "c1") == "c1 OK [COPYUID " + std::to_string(uv) + " 2:3 7:8] Copy completed.");
    out += m.s->cmd("c2 NOOP");
    CHECK(count_lines(out, "* 7 EXISTS") == 1);
    auto inbox = m.on_disk("INBOX");
    REQUIRE(inbox.messages.size() == 7);
    CHECK(inbox.messages[5] == "7 Subject: m1  |");
    CHECK(inbox.messages[6] == "8 Subject: m2 \\Flagged \\Seen |");
    out = m.s->cmd("c3 UID SEARCH ALL");
    CHECK(has_line(out, "* SEARCH 2 3 4 5 6 7 8"));
}

TEST_CASE("MOVE: untagged COPYUID, then the expunges, then OK") {
    Copy5 m;
    std::uint32_t uv = m.on_disk("Dst").uidvalidity;
    auto out = m.s->cmd("d1 MOVE 2,4 Dst");
    auto l = lines(out);
    REQUIRE(l.size() >= 4);
    CHECK(l[0] == "* OK [COPYUID " + std::to_string(uv) + " 3,5 1:2] Moved UIDs.");
    CHECK(l[1].find(" EXPUNGE") != std::string::npos);
    CHECK(l[2].find(" EXPUNGE") != std::string::npos);
    CHECK(count_lines(out, "* 2 EXPUNGE") + count_lines(out, "* 3 EXPUNGE") + count_lines(out, "* 4 EXPUNGE") == 2);
    CHECK(l.back() == "d1 OK Move completed.");
    CHECK(apply_expunges({2, 3, 4, 5, 6}, out) == std::vector<ms::Uid>{2, 4, 6});
    CHECK(m.on_disk("INBOX").messages.size() == 3);
    auto dst = m.on_disk("Dst");
    REQUIRE(dst.messages.size() == 2);
    CHECK(dst.messages[0] == "1 Subject: m2 \\Flagged \\Seen |");
    CHECK(dst.messages[1] == "2 Subject: m4  |");

    // UID MOVE: the expunges still use sequence numbers.
    out = m.s->cmd("d2 UID MOVE 4:* Dst");
    l = lines(out);
    REQUIRE(l.size() >= 4);
    CHECK(l[0] == "* OK [COPYUID " + std::to_string(uv) + " 4,6 3:4] Moved UIDs.");
    CHECK(l[1].find(" EXPUNGE") != std::string::npos);
    CHECK(l[2].find(" EXPUNGE") != std::string::npos);
    CHECK(l.back() == "d2 OK Move completed.");
    CHECK(apply_expunges({2, 4, 6}, out) == std::vector<ms::Uid>{2});
    out = m.s->cmd("d3 SEARCH ALL");
    CHECK(has_line(out, "* SEARCH 1"));
    CHECK(m.s->session().stats().expunged == 0);

    // MOVE into the selected mailbox: a new UID, the old one expunged.
    uv = m.on_disk("INBOX").uidvalidity;
    out = m.s->cmd("d4 MOVE 1 INBOX");
    l = lines(out);
    REQUIRE(l.size() >= 3);
    CHECK(l[0] == "* OK [COPYUID " + std::to_string(uv) + " 2 7] Moved UIDs.");
    CHECK(l.back() == "d4 OK Move completed.");
    out += m.s->cmd("d5 NOOP");
    CHECK(count_lines(out, "* 1 EXPUNGE") == 1);
    out = m.s->cmd("d6 UID SEARCH ALL");
    CHECK(has_line(out, "* SEARCH 7"));
}

TEST_CASE("MOVE in a read-only mailbox is refused") {
    Copy5 m;
    m.s->cmd("e0 EXAMINE INBOX");
    auto out = m.s->cmd("e1 MOVE 1 Dst");
    CHECK(out == "e1 NO Mailbox is read-only.\r\n");
    CHECK(m.on_disk("Dst").messages.empty());
    // COPY only reads the source.
    out = m.s->cmd("e2 COPY 1 Dst");
    CHECK(tagged_line(out, "e2").rfind("e2 OK [COPYUID ", 0) == 0);
    CHECK(m.on_disk("INBOX").messages.size() == 5);
}

TEST_CASE("COPY of a message another session expunged fails as a whole") {
    Copy5 m;
    SessionHarness other(m.env);
    other.login("alice");
    other.cmd("o SELECT INBOX");
    other.cmd("o1 STORE 2 +FLAGS.SILENT (\\Deleted)");
    auto out = other.cmd("o2 EXPUNGE");
    CHECK(has_line(out, "* 2 EXPUNGE"));
    // SEARCH may not report the expunge; the message stays in our view.
    out = m.s->cmd("f1 SEARCH ALL");
    CHECK(has_line(out, "* SEARCH 1 2 3 4 5"));
    out = m.s->cmd("f2 COPY 1:3 Dst");
    CHECK(tagged_line(out, "f2") == "f2 NO [EXPUNGEISSUED] Some of the requested messages no longer exist.");
    CHECK(m.on_disk("Dst").messages.empty());
    // Now that the client knows, the rest copies.
    out = m.s->cmd("f3 COPY 1:2 Dst");
    CHECK(tagged_line(out, "f3").rfind("f3 OK [COPYUID ", 0) == 0);
    CHECK(m.on_disk("Dst").messages.size() == 2);
}

TEST_CASE("COPY and MOVE to the \\Trash mailbox count as trashed") {
    Copy5 m;
    REQUIRE(m.env.open_user("alice").create_mailbox("Bin").is_ok());
    REQUIRE(m.env.open_user("alice").create_mailbox("Trash").is_ok());
    m.s->cmd("t1 COPY 1:2 Bin");
    CHECK(m.s->session().stats().trashed == 2);
    m.s->cmd("t2 COPY 1 Dst");
    CHECK(m.s->session().stats().trashed == 2);
    m.s->cmd("t3 MOVE 3 Bin");
    CHECK(m.s->session().stats().trashed == 3);
    // A mailbox named Trash counts too.
    m.s->cmd("t4 UID COPY 2 Trash");
    CHECK(m.s->session().stats().trashed == 4);
    CHECK(m.on_disk("Bin").messages.size() == 3);
}

TEST_CASE("COPY and MOVE of a message expunged since the last sync") {
    Copy5 m;
    SessionHarness other(m.env);
    other.login("alice");
    other.cmd("o SELECT INBOX");
    other.cmd("o1 STORE 2,4 +FLAGS.SILENT (\\Deleted)");
    other.cmd("o2 EXPUNGE");
    // Our view still has the messages: the storage finds them gone.
    auto out = m.s->cmd("f1 COPY 1:3 Dst");
    CHECK(tagged_line(out, "f1") == "f1 NO [EXPUNGEISSUED] Some of the requested messages no longer exist.");
    CHECK(apply_expunges({2, 3, 4, 5, 6}, out) == std::vector<ms::Uid>{2, 4, 6});
    // Nothing was copied (RFC 2180 §4.4.1).
    CHECK(m.on_disk("Dst").messages.empty());
    CHECK(m.s->session().stats().trashed == 0);

    other.cmd("o3 STORE 2 +FLAGS.SILENT (\\Deleted)");
    other.cmd("o4 EXPUNGE");
    std::uint32_t uv = m.on_disk("Dst").uidvalidity;
    // MOVE: what could be moved is moved and reported, then NO.
    out = m.s->cmd("f2 MOVE 1:2 Dst");
    auto l = lines(out);
    REQUIRE(!l.empty());
    CHECK(l[0] == "* OK [COPYUID " + std::to_string(uv) + " 2 3] Moved UIDs.");
    CHECK(l.back() == "f2 NO [EXPUNGEISSUED] Some of the requested messages no longer exist.");
    CHECK(apply_expunges({2, 4, 6}, out) == std::vector<ms::Uid>{6});
    auto dst = m.on_disk("Dst");
    REQUIRE(dst.messages.size() == 1);
    CHECK(dst.messages[0] == "3 Subject: m1  |");
}
