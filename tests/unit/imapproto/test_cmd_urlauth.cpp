// URLAUTH (RFC 4467: GENURLAUTH, RESETKEY, URLFETCH), URL-PARTIAL (RFC
// 5550) and CATENATE (RFC 4469) through a Session: exact wire bytes of the
// RFC examples, access identifiers, revocation, expiry, and what APPEND
// CATENATE leaves on disk.
#include "session_harness.hpp"
#include "url/catenate_seam.hpp"

#include <doctest/doctest.h>

#include <mailstore/storage/metadata.hpp>

#include <csignal>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

using namespace imap_test;
namespace st = mailstore::storage;

namespace {

constexpr std::string_view kHostConfig = "imap_urlauth_host = mail.example.org\n";

// The RFC 4467 example's part 1.2 is "Si vis pacem, para bellum.".
const std::string kMessage = "From: joe@example.com\r\n"
                             "Subject: motto\r\n"
                             "MIME-Version: 1.0\r\n"
                             "Content-Type: multipart/mixed; boundary=\"outer\"\r\n"
                             "\r\n"
                             "--outer\r\n"
                             "Content-Type: multipart/alternative; boundary=\"inner\"\r\n"
                             "\r\n"
                             "--inner\r\n"
                             "Content-Type: text/plain\r\n"
                             "\r\n"
                             "Igitur qui desiderat pacem,\r\n"
                             "\r\n"
                             "--inner\r\n"
                             "Content-Type: text/plain\r\n"
                             "\r\n"
                             "Si vis pacem, para bellum.\r\n"
                             "\r\n"
                             "--inner--\r\n"
                             "\r\n"
                             "--outer\r\n"
                             "Content-Type: application/octet-stream\r\n"
                             "Content-Transfer-Encoding: base64\r\n"
                             "\r\n"
                             "AAECAwQ=\r\n"
                             "--outer--\r\n";

std::string lf(std::string_view text) {
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i)
        if (!(text[i] == '\r' && i + 1 < text.size() && text[i + 1] == '\n'))
            out += text[i];
    return out;
}

std::vector<std::string> bodies(MailEnv& env, const std::string& user, const std::string& mailbox) {
    auto u = env.open_user(user);
    st::OpenOptions options;
    options.read_only = true;
    options.claim_recent = false;
    auto box = st::Mailbox::open(u, mailbox, options);
    REQUIRE(box.is_ok());
    std::vector<std::string> out;
    for (st::Seq seq = 1; seq <= box->view().count(); ++seq) {
        auto data = box->message(seq).open();
        REQUIRE(data.is_ok());
        out.push_back(lf(data->bytes()));
    }
    return out;
}

std::uint32_t uidvalidity(MailEnv& env, const std::string& user, const std::string& mailbox) {
    auto u = env.open_user(user);
    st::OpenOptions options;
    options.read_only = true;
    options.claim_recent = false;
    auto box = st::Mailbox::open(u, mailbox, options);
    REQUIRE(box.is_ok());
    return box->view().uidvalidity();
}

// GENURLAUTH of one rump URL: the authorized URL from "* GENURLAUTH".
std::string genurlauth(SessionHarness& s, const std::string& rump) {
    auto r = s.cmd("g1 GENURLAUTH \"" + rump + "\" INTERNAL");
    const std::string prefix = "* GENURLAUTH \"";
    REQUIRE(r.rfind(prefix, 0) == 0);
    const auto end = r.find('"', prefix.size());
    REQUIRE(end != std::string::npos);
    CHECK(r.substr(end) == "\"\r\ng1 OK GENURLAUTH completed.\r\n");
    return r.substr(prefix.size(), end - prefix.size());
}

std::string urlfetch_nil(const std::string& tag, const std::string& url) {
    return "* URLFETCH \"" + url + "\" NIL\r\n" + tag + " OK URLFETCH completed.\r\n";
}

std::string urlfetch_data(const std::string& tag, const std::string& url, std::string_view data) {
    return "* URLFETCH \"" + url + "\" {" + std::to_string(data.size()) + "}\r\n" + std::string(data) + "\r\n" + tag +
           " OK URLFETCH completed.\r\n";
}

std::string read_file(const std::string& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

} // namespace

TEST_CASE("Without imap_urlauth_host the URLAUTH commands are unknown; CATENATE and URL-PARTIAL are listed") {
    MailEnv env;
    SessionHarness s(env);
    s.login();
    auto caps = s.cmd("a1 CAPABILITY");
    CHECK(caps.find(" URL-PARTIAL CATENATE") != std::string::npos);
    CHECK(caps.find("URLAUTH") == std::string::npos);
    CHECK(s.cmd("a2 GENURLAUTH \"imap://alice@h/INBOX/;UID=1;URLAUTH=anonymous\" INTERNAL") ==
          "a2 BAD Error in IMAP command GENURLAUTH: URLAUTH disabled\r\n");
    CHECK(s.cmd("a3 RESETKEY") == "a3 BAD Error in IMAP command RESETKEY: URLAUTH disabled\r\n");
    CHECK(s.cmd("a4 URLFETCH \"imap://alice@h/INBOX/;UID=1\"") ==
          "a4 BAD Error in IMAP command URLFETCH: URLAUTH disabled\r\n");
}

TEST_CASE("RFC 4467 examples: GENURLAUTH checks, then URLFETCH returns the part") {
    MailEnv env(kHostConfig);
    env.add_message("alice", "INBOX", kMessage);
    SessionHarness s(env);
    s.login();
    const std::string caps = s.cmd("a0 CAPABILITY");
    CHECK(caps.find(" URL-PARTIAL CATENATE ") != std::string::npos);
    CHECK(caps.find(" URLAUTH\r\n") != std::string::npos);

    // a775: no access identifier; a776: no owner.
    CHECK(s.cmd("a775 GENURLAUTH \"imap://alice@mail.example.org/INBOX/;uid=1/;section=1.2\" INTERNAL") ==
          "a775 BAD missing access identifier in supplied URL\r\n");
    CHECK(s.cmd("a776 GENURLAUTH \"imap://mail.example.org/INBOX/;uid=1/;section=1.2;urlauth=user+alice\" "
                "INTERNAL") == "a776 BAD missing owner username in supplied URL\r\n");

    // a777: the authorized URL is the rump + ":internal:" + a 160-bit token.
    const std::string rump = "imap://alice@mail.example.org/INBOX/;uid=1/;section=1.2;urlauth=user+alice";
    auto r = s.cmd("a777 GENURLAUTH \"" + rump + "\" INTERNAL");
    REQUIRE(r.rfind("* GENURLAUTH \"" + rump + ":internal:", 0) == 0);
    const std::string url = r.substr(14, r.find('"', 14) - 14);
    const std::string token = url.substr(url.rfind(':') + 1);
    CHECK(token.size() == 40);
    CHECK(token.find_first_not_of("0123456789abcdef") == std::string::npos);
    CHECK(r == "* GENURLAUTH \"" + url + "\"\r\na777 OK GENURLAUTH completed.\r\n");
    // Deterministic: the same rump gives the same URL while the key stays.
    CHECK(genurlauth(s, rump) == url);

    // a002: the data of section 1.2, 28 octets.
    CHECK(s.cmd("a002 URLFETCH \"" + url + "\"") == urlfetch_data("a002", url, "Si vis pacem, para bellum.\r\n"));

    // The key lives in a 0600 file in the home, one line per mailbox GUID.
    const std::string key_file = env.dir.str() + "/home/alice/loft-urlauth-keys";
    struct stat sb {};
    REQUIRE(::stat(key_file.c_str(), &sb) == 0);
    CHECK((sb.st_mode & 0777) == 0600);
    auto guid = env.open_user("alice").mailbox_guid("INBOX");
    REQUIRE(guid.is_ok());
    const std::string keys = read_file(key_file);
    CHECK(keys.rfind(*guid + " ", 0) == 0);
    CHECK(keys.size() == guid->size() + 1 + 64 + 1);
}

TEST_CASE("GENURLAUTH refuses URLs it cannot authorize") {
    MailEnv env(kHostConfig);
    env.add_message("alice", "INBOX", kMessage);
    SessionHarness s(env);
    s.login();
    const std::string ok = "imap://alice@mail.example.org/INBOX/;UID=1;URLAUTH=anonymous";
    CHECK(s.cmd("b1 GENURLAUTH \"" + ok + "\" XSAMPLE") == "b1 BAD Unsupported URLAUTH mechanism: XSAMPLE\r\n");
    CHECK(s.cmd("b2 GENURLAUTH \"" + ok + "\"") == "b2 BAD Invalid arguments.\r\n");
    CHECK(s.cmd("b3 GENURLAUTH") == "b3 BAD Invalid arguments.\r\n");
    CHECK(s.cmd("b4 GENURLAUTH \"imap://alice@mail.example.org/INBOX/;UID=0;URLAUTH=anonymous\" INTERNAL") ==
          "b4 BAD Invalid URL: Invalid UID\r\n");
    CHECK(s.cmd("b5 GENURLAUTH \"imap://alice@mail.example.org/INBOX;URLAUTH=anonymous\" INTERNAL") ==
          "b5 BAD Invalid URL: Misplaced ;URLAUTH=\r\n");
    CHECK(s.cmd("b6 GENURLAUTH \"imap://alice@mail.example.org/INBOX?ALL\" INTERNAL") ==
          "b6 BAD URL does not name a message or message part\r\n");
    CHECK(s.cmd("b7 GENURLAUTH \"imap://bob@mail.example.org/INBOX/;UID=1;URLAUTH=anonymous\" INTERNAL") ==
          "b7 BAD Owner username in supplied URL is not the logged in user\r\n");
    CHECK(s.cmd("b8 GENURLAUTH \"imap://alice@other.example.org/INBOX/;UID=1;URLAUTH=anonymous\" INTERNAL") ==
          "b8 BAD URL does not name this server\r\n");
    CHECK(s.cmd("b9 GENURLAUTH \"imap://alice@mail.example.org:993/INBOX/;UID=1;URLAUTH=anonymous\" INTERNAL") ==
          "b9 BAD URL does not name this server\r\n");
    CHECK(s.cmd("b10 GENURLAUTH \"imap://alice@mail.example.org/Nope/;UID=1;URLAUTH=anonymous\" INTERNAL") ==
          "b10 BAD Mailbox doesn't exist: Nope\r\n");
    CHECK(s.cmd("b11 GENURLAUTH \"" + ok + ":internal:91354a473744909de610943775f92038\" INTERNAL") ==
          "b11 BAD URL already has a URLAUTH token\r\n");
    // Several pairs: one response with every URL, in order.
    const std::string second = "imap://alice@MAIL.example.org:143/INBOX/;UID=1/;SECTION=2;URLAUTH=authuser";
    auto r = s.cmd("b12 GENURLAUTH \"" + ok + "\" INTERNAL \"" + second + "\" internal");
    CHECK(r.rfind("* GENURLAUTH \"" + ok + ":internal:", 0) == 0);
    CHECK(r.find("\" \"" + second + ":internal:") != std::string::npos);
    CHECK(tagged_line(r, "b12") == "b12 OK GENURLAUTH completed.");
}

TEST_CASE("URLFETCH: access identifiers decide who may use a URL") {
    MailEnv env(kHostConfig);
    env.add_message("alice", "INBOX", kMessage);
    SessionHarness alice(env);
    alice.login("alice");
    const std::string base = "imap://alice@mail.example.org/INBOX/;UID=1/;SECTION=1.2;URLAUTH=";
    const std::string anon = genurlauth(alice, base + "anonymous");
    const std::string auth = genurlauth(alice, base + "authuser");
    const std::string for_alice = genurlauth(alice, base + "user+alice");
    const std::string for_bob = genurlauth(alice, base + "user+bob");
    const std::string submit = genurlauth(alice, base + "submit+fred");
    const std::string data = "Si vis pacem, para bellum.\r\n";

    SessionHarness bob(env);
    bob.login("bob");
    CHECK(bob.cmd("c1 URLFETCH \"" + anon + "\"") == urlfetch_data("c1", anon, data));
    CHECK(bob.cmd("c2 URLFETCH \"" + auth + "\"") == urlfetch_data("c2", auth, data));
    CHECK(bob.cmd("c3 URLFETCH \"" + for_bob + "\"") == urlfetch_data("c3", for_bob, data));
    // user+alice is for alice alone; Loft has no submission role.
    CHECK(bob.cmd("c4 URLFETCH \"" + for_alice + "\"") == urlfetch_nil("c4", for_alice));
    CHECK(bob.cmd("c5 URLFETCH \"" + submit + "\"") == urlfetch_nil("c5", submit));
    CHECK(alice.cmd("c6 URLFETCH \"" + for_alice + "\"") == urlfetch_data("c6", for_alice, data));
    CHECK(alice.cmd("c7 URLFETCH \"" + for_bob + "\"") == urlfetch_nil("c7", for_bob));
    // Several URLs: one response, in order, NIL where one fails.
    CHECK(bob.cmd("c8 URLFETCH \"" + anon + "\" \"" + for_alice + "\" " + auth) ==
          "* URLFETCH \"" + anon + "\" {28}\r\n" + data + " \"" + for_alice + "\" NIL \"" + auth + "\" {28}\r\n" +
              data + "\r\nc8 OK URLFETCH completed.\r\n");
}

TEST_CASE("URLFETCH is NIL for anything that does not validate, and never says why") {
    MailEnv env(kHostConfig);
    env.add_message("alice", "INBOX", kMessage);
    SessionHarness s(env);
    s.login();
    const std::string url = genurlauth(s, "imap://alice@mail.example.org/INBOX/;UID=1;URLAUTH=anonymous");
    const std::string token = url.substr(url.rfind(':') + 1);
    const std::string rump = url.substr(0, url.rfind(":internal:"));
    std::string flipped = url;
    flipped.back() = flipped.back() == '0' ? '1' : '0';
    for (const std::string& bad : {
             flipped,                                                   // wrong token
             rump + ":xsample:" + token,                                // other mechanism
             rump,                                                      // no token
             std::string("imap://alice@mail.example.org/INBOX/;UID=1"), // no URLAUTH
             std::string("imap://alice@mail.example.org/INBOX"),        // a whole mailbox
             std::string("not a url"),
             // The same token on another message, section, host or owner.
             "imap://alice@mail.example.org/INBOX/;UID=2;URLAUTH=anonymous:internal:" + token,
             "imap://alice@mail.example.org/INBOX/;UID=1/;SECTION=1;URLAUTH=anonymous:internal:" + token,
             "imap://alice@other.example.org/INBOX/;UID=1;URLAUTH=anonymous:internal:" + token,
             "imap://bob@mail.example.org/INBOX/;UID=1;URLAUTH=anonymous:internal:" + token,
             "imap://nobody@mail.example.org/INBOX/;UID=1;URLAUTH=anonymous:internal:" + token,
             "imap://alice@mail.example.org/Gone/;UID=1;URLAUTH=anonymous:internal:" + token,
         }) {
        CAPTURE(bad);
        CHECK(s.cmd("d1 URLFETCH \"" + bad + "\"") == urlfetch_nil("d1", bad));
    }
    // The token survives only the exact text: no case folding (RFC 4467 §6).
    std::string upper = url;
    upper.replace(0, 7, "IMAP://");
    CHECK(s.cmd("d2 URLFETCH \"" + upper + "\"") == urlfetch_nil("d2", upper));
    CHECK(s.cmd("d3 URLFETCH \"" + url + "\"") == urlfetch_data("d3", url, kMessage));
    CHECK(s.cmd("d4 URLFETCH") == "d4 BAD Invalid arguments.\r\n");
    CHECK(s.cmd("d5 URLFETCH (\"" + url + "\")") == "d5 BAD Invalid arguments.\r\n");
}

TEST_CASE("A section that does not exist is NIL; URL-PARTIAL ranges cut the data") {
    MailEnv env(kHostConfig);
    env.add_message("alice", "INBOX", kMessage);
    SessionHarness s(env);
    s.login();
    const std::string base = "imap://alice@mail.example.org/INBOX/;UID=1/;SECTION=1.2";
    auto fetch = [&](const std::string& rump) {
        const std::string url = genurlauth(s, rump);
        return std::make_pair(url, s.cmd("p1 URLFETCH \"" + url + "\""));
    };
    auto [u1, r1] = fetch(base + "/;PARTIAL=3.10;URLAUTH=anonymous");
    CHECK(r1 == urlfetch_data("p1", u1, "vis pacem,"));
    auto [u2, r2] = fetch(base + "/;PARTIAL=19;URLAUTH=anonymous");
    CHECK(r2 == urlfetch_data("p1", u2, "bellum.\r\n"));
    auto [u3, r3] = fetch(base + "/;PARTIAL=100.5;URLAUTH=anonymous");
    CHECK(r3 == urlfetch_data("p1", u3, ""));
    auto [u4, r4] = fetch("imap://alice@mail.example.org/INBOX/;UID=1/;SECTION=9;URLAUTH=anonymous");
    CHECK(r4 == urlfetch_nil("p1", u4));
    auto [u5, r5] = fetch("imap://alice@mail.example.org/INBOX/;UID=1/;SECTION=HEADER.FIELDS%20(Subject);"
                          "URLAUTH=anonymous");
    CHECK(r5 == urlfetch_data("p1", u5, "Subject: motto\r\n\r\n"));
    auto [u6, r6] = fetch("imap://alice@mail.example.org/INBOX/;UID=1/;SECTION=2.MIME;URLAUTH=anonymous");
    CHECK(r6 == urlfetch_data("p1", u6,
                              "Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n"));
}

TEST_CASE("EXPIRE: a URL past its date is NIL, one before it works") {
    MailEnv env(kHostConfig);
    env.add_message("alice", "INBOX", kMessage);
    SessionHarness s(env);
    s.login();
    const std::string past =
        genurlauth(s, "imap://alice@mail.example.org/INBOX/;UID=1/;SECTION=1.2;EXPIRE=2001-01-01T00:00:00Z;"
                      "URLAUTH=anonymous");
    CHECK(s.cmd("e1 URLFETCH \"" + past + "\"") == urlfetch_nil("e1", past));
    const std::string future =
        genurlauth(s, "imap://alice@mail.example.org/INBOX/;UID=1/;SECTION=1.2;EXPIRE=2999-01-01T00:00:00+01:00;"
                      "URLAUTH=anonymous");
    CHECK(s.cmd("e2 URLFETCH \"" + future + "\"") == urlfetch_data("e2", future, "Si vis pacem, para bellum.\r\n"));
}

TEST_CASE("RESETKEY revokes a mailbox's URLs; without arguments every URL of the user") {
    MailEnv env(kHostConfig);
    env.add_message("alice", "INBOX", kMessage);
    env.add_message("alice", "Archive", kMessage);
    SessionHarness s(env);
    s.login();
    const std::string inbox = genurlauth(s, "imap://alice@mail.example.org/INBOX/;UID=1;URLAUTH=anonymous");
    const std::string archive = genurlauth(s, "imap://alice@mail.example.org/Archive/;UID=1;URLAUTH=anonymous");

    CHECK(s.cmd("r1 RESETKEY INBOX") == "r1 OK [URLMECH INTERNAL] Key reset.\r\n");
    CHECK(s.cmd("r2 URLFETCH \"" + inbox + "\"") == urlfetch_nil("r2", inbox));
    CHECK(s.cmd("r3 URLFETCH \"" + archive + "\"") == urlfetch_data("r3", archive, kMessage));
    // A new key gives a new token for the same rump.
    const std::string again = genurlauth(s, "imap://alice@mail.example.org/INBOX/;UID=1;URLAUTH=anonymous");
    CHECK(again != inbox);
    CHECK(s.cmd("r4 URLFETCH \"" + again + "\"") == urlfetch_data("r4", again, kMessage));

    CHECK(s.cmd("r5 RESETKEY") == "r5 OK All keys removed.\r\n");
    CHECK(s.cmd("r6 URLFETCH \"" + again + "\" \"" + archive + "\"") ==
          "* URLFETCH \"" + again + "\" NIL \"" + archive + "\" NIL\r\nr6 OK URLFETCH completed.\r\n");

    CHECK(s.cmd("r7 RESETKEY INBOX XSAMPLE") == "r7 BAD Unsupported URLAUTH mechanism: XSAMPLE\r\n");
    CHECK(s.cmd("r8 RESETKEY INBOX internal") == "r8 OK [URLMECH INTERNAL] Key reset.\r\n");
    CHECK(s.cmd("r9 RESETKEY Nope") == "r9 NO [NONEXISTENT] Mailbox doesn't exist: Nope\r\n");
}

TEST_CASE("RFC 4469 example 2: CATENATE replaces the text of a draft and keeps its attachment") {
    MailEnv env;
    const std::string original = "Subject: About our holiday trip\r\n"
                                 "Content-Type: multipart/mixed;\r\n"
                                 "              boundary=\"------------030308070208000400050907\"\r\n"
                                 "\r\n"
                                 "--------------030308070208000400050907\r\n"
                                 "Content-Type: text/plain; charset=us-ascii\r\n"
                                 "\r\n"
                                 "Old text.\r\n"
                                 "--------------030308070208000400050907\r\n"
                                 "Content-Type: application/x-zip-compressed; name=\"trip.zip\"\r\n"
                                 "Content-Transfer-Encoding: base64\r\n"
                                 "\r\n"
                                 "UEsDBAoAAAAAAA==\r\n"
                                 "--------------030308070208000400050907--\r\n";
    env.add_message("alice", "Drafts", original);
    const std::string v = std::to_string(uidvalidity(env, "alice", "Drafts"));
    SessionHarness s(env);
    s.login();
    const std::string head = "Return-Path: <bar@example.org>\r\n"
                             "Subject: About our holiday trip\r\n"
                             "Content-Type: multipart/mixed;\r\n"
                             "              boundary=\"------------030308070208000400050907\"\r\n"
                             "\r\n"
                             "--------------030308070208000400050907\r\n"
                             "Content-Type: text/plain; charset=us-ascii; format=flowed\r\n"
                             "Content-Transfer-Encoding: 7bit\r\n"
                             "\r\n"
                             "Our travel agent has sent the updated schedule.\r\n"
                             "\r\n"
                             "--------------030308070208000400050907\r\n";
    const std::string tail = "\r\n--------------030308070208000400050907--\r\n";
    auto r = s.send_raw("A003 APPEND Drafts (\\Seen \\Draft $MDNSent) CATENATE (TEXT {" + std::to_string(head.size()) +
                        "+}\r\n" + head + " URL \"/Drafts;UIDVALIDITY=" + v +
                        "/;UID=1/;Section=2.MIME\" URL \"/Drafts;UIDVALIDITY=" + v + "/;UID=1/;Section=2\" TEXT {" +
                        std::to_string(tail.size()) + "+}\r\n" + tail + ")\r\n");
    CHECK(r == "A003 OK [APPENDUID " + v + " 2] Append completed.\r\n");
    auto stored = bodies(env, "alice", "Drafts");
    REQUIRE(stored.size() == 2);
    CHECK(stored[1] == lf(head + "Content-Type: application/x-zip-compressed; name=\"trip.zip\"\r\n"
                                 "Content-Transfer-Encoding: base64\r\n\r\n"
                                 "UEsDBAoAAAAAAA==" +
                          tail));
    // The source message is untouched: no \Seen from the URL (RFC 4469 §3).
    s.cmd("A004 EXAMINE Drafts");
    CHECK(s.cmd("A005 FETCH 1 FLAGS") == "* 1 FETCH (FLAGS (\\Recent))\r\nA005 OK Fetch completed.\r\n");
    CHECK(s.cmd("A006 FETCH 2 FLAGS") ==
          "* 2 FETCH (FLAGS (\\Seen \\Draft \\Recent $MDNSent))\r\nA006 OK Fetch completed.\r\n");
}

TEST_CASE("CATENATE: relative URLs in the selected state, absolute URLs of this server") {
    MailEnv env(kHostConfig);
    env.add_message("alice", "INBOX", kMessage);
    SessionHarness s(env);
    s.login();
    s.cmd("s1 SELECT INBOX");
    auto r = s.send_raw("s2 APPEND INBOX CATENATE (TEXT {20+}\r\nSubject: forward\r\n\r\n URL \";UID=1/;SECTION=1.2\" "
                        "URL \"imap://alice@mail.example.org/INBOX/;UID=1/;SECTION=1.2/;PARTIAL=0.13\")\r\n");
    CHECK(tagged_line(r, "s2").rfind("s2 OK [APPENDUID ", 0) == 0);
    CHECK(has_line(r, "* 2 EXISTS"));
    auto stored = bodies(env, "alice", "INBOX");
    REQUIRE(stored.size() == 2);
    CHECK(stored[1] == "Subject: forward\n\nSi vis pacem, para bellum.\nSi vis pacem,");
    // Another user's message, or another host, is a BADURL.
    env.add_message("bob", "INBOX", kMessage);
    auto b = s.send_raw("s3 APPEND INBOX CATENATE (URL \"imap://bob@mail.example.org/INBOX/;UID=1\")\r\n");
    CHECK(b == "s3 NO [BADURL imap://bob@mail.example.org/INBOX/;UID=1] Invalid IMAP URL: Relative URL required\r\n");
    auto h = s.send_raw("s4 APPEND INBOX CATENATE (URL \"imap://alice@elsewhere.example/INBOX/;UID=1\")\r\n");
    CHECK(h == "s4 NO [BADURL imap://alice@elsewhere.example/INBOX/;UID=1] Invalid IMAP URL: Relative URL "
                "required\r\n");
}

TEST_CASE("RFC 4469 example 4: a BADURL fails the APPEND and stores nothing") {
    MailEnv env;
    env.add_message("alice", "Sent", kMessage);
    const std::string v = std::to_string(uidvalidity(env, "alice", "Sent"));
    SessionHarness s(env);
    s.login();
    const std::string url = "/Sent;UIDVALIDITY=" + v + "/;UID=99";
    auto r = s.send_raw("A003 APPEND Sent (\\Seen $MDNSent) CATENATE (TEXT {12+}\r\nSubject: x\r\n URL \"" + url +
                        "\")\r\n");
    CHECK(r == "A003 NO [BADURL " + url + "] Message not found\r\n");
    // Dovecot's BADURL texts where it has them.
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"/Sent;UIDVALIDITY=1/;UID=1", "Invalid UIDVALIDITY"},
        {"/Sent/;UID=1/;SECTION=7", "Body part not found"},
        {"/Nope/;UID=1", "Mailbox doesn't exist: Nope"},
        {"/Sent/;UID=1/;SECTION=BOGUS", "Invalid IMAP URL: Invalid section"},
        {"/Sent", "Invalid IMAP URL: Message UID is missing"},
        {"/Sent/;UID=0", "Invalid IMAP URL: Invalid UID"},
        {"/Sent/;UID=1;EXPIRE=2999-01-01T00:00:00Z;URLAUTH=anonymous",
         "Invalid IMAP URL: `;EXPIRE=' is not allowed in this context"},
        {"/Sent/;UID=1;URLAUTH=anonymous", "Invalid IMAP URL: `;URLAUTH=' is not allowed in this context"},
        {"http://example.org/", "Invalid IMAP URL: Invalid URL scheme"},
    };
    for (const auto& c : cases) {
        // Not a structured binding: clang 14 cannot capture one (CAPTURE).
        const std::string& bad = c.first;
        const std::string& why = c.second;
        CAPTURE(bad);
        auto b = s.send_raw("A004 APPEND Sent CATENATE (URL \"" + bad + "\")\r\n");
        CHECK(b == "A004 NO [BADURL " + bad + "] " + why + "\r\n");
    }
    // ']' cannot appear inside the response code.
    CHECK(tagged_line(s.send_raw("A005 APPEND Sent CATENATE (URL \"x]y\")\r\n"), "A005") ==
          "A005 NO [BADURL x%5Dy] Invalid IMAP URL: Invalid mailbox name");
    // MULTIAPPEND: a failing second message leaves nothing behind.
    auto m = s.send_raw("A006 APPEND Sent {3+}\r\nx\r\n CATENATE (URL \"" + url + "\")\r\n");
    CHECK(m == "A006 NO [BADURL " + url + "] Message not found\r\n");
    CHECK(bodies(env, "alice", "Sent").size() == 1);
}

TEST_CASE("CATENATE over imap_max_append_size is NO [TOOBIG]; a big result is spooled and arrives intact") {
    std::string big = "Subject: big\r\n\r\n";
    for (int i = 0; big.size() < 150 * 1024; ++i)
        big += "line " + std::to_string(i) + " of a message bigger than the in-memory assembly\r\n";
    MailEnv env("imap_max_append_size = 400k\n");
    env.add_message("alice", "INBOX", big);
    SessionHarness s(env);
    s.login();
    auto ok = s.send_raw("t1 APPEND INBOX CATENATE (URL \"/INBOX/;UID=1\" TEXT {2+}\r\n\r\n URL \"/INBOX/;UID=1/;SECTION=TEXT\")\r\n");
    CHECK(tagged_line(ok, "t1").rfind("t1 OK [APPENDUID ", 0) == 0);
    auto stored = bodies(env, "alice", "INBOX");
    REQUIRE(stored.size() == 2);
    CHECK(stored[1] == lf(big + "\r\n" + big.substr(big.find("\r\n\r\n") + 4)));
    auto r = s.send_raw("t2 APPEND INBOX CATENATE (URL \"/INBOX/;UID=1\" URL \"/INBOX/;UID=1\" URL \"/INBOX/;UID=1\")\r\n");
    CHECK(r == "t2 NO [TOOBIG] Mail size is too large\r\n");
    CHECK(bodies(env, "alice", "INBOX").size() == 2);
}

TEST_CASE("CATENATE syntax: parts, literal8 TEXT, empty results") {
    MailEnv env;
    env.add_message("alice", "INBOX", kMessage);
    SessionHarness s(env);
    s.login();
    CHECK(s.send_raw("x1 APPEND INBOX CATENATE ()\r\n") == "x1 BAD Empty CATENATE list\r\n");
    CHECK(s.send_raw("x2 APPEND INBOX CATENATE (TEXT \"quoted\")\r\n") == "x2 BAD Invalid arguments.\r\n");
    CHECK(s.send_raw("x3 APPEND INBOX CATENATE (FOO {1+}\r\nx)\r\n") == "x3 BAD Invalid arguments.\r\n");
    CHECK(s.send_raw("x4 APPEND INBOX CATENATE (URL)\r\n") == "x4 BAD Invalid arguments.\r\n");
    CHECK(s.send_raw("x5 APPEND INBOX CATENATE (URL (\"/INBOX/;UID=1\"))\r\n") == "x5 BAD Invalid arguments.\r\n");
    CHECK(s.send_raw("x6 APPEND INBOX CATENATE\r\n") == "x6 BAD Invalid arguments.\r\n");
    CHECK(s.send_raw("x7 APPEND INBOX CATENATE (TEXT {0+}\r\n)\r\n") == "x7 NO Can't save a zero byte message\r\n");
    CHECK(s.send_raw("x8 APPEND Nope CATENATE (URL \"/INBOX/;UID=1\")\r\n") ==
          "x8 NO [TRYCREATE] Mailbox doesn't exist: Nope\r\n");
    // literal8 (RFC 3516 with RFC 4469): the bytes as given, NUL included.
    auto r = s.send_raw("x9 APPEND INBOX CATENATE (TEXT ~{16+}\r\n" + std::string("Subject: a\0b\r\n\r\n", 16) + ")\r\n");
    CHECK(tagged_line(r, "x9").rfind("x9 OK [APPENDUID ", 0) == 0);
    auto stored = bodies(env, "alice", "INBOX");
    REQUIRE(stored.size() == 2);
    CHECK(stored[1] == std::string("Subject: a\0b\n\n", 14));
    // Flags and date apply to the catenated message as to a plain one.
    auto d = s.send_raw("x10 APPEND INBOX (\\Flagged) \"05-Jan-2020 10:00:00 +0100\" CATENATE (URL \"/INBOX/;UID=1\")\r\n");
    CHECK(tagged_line(d, "x10").rfind("x10 OK [APPENDUID ", 0) == 0);
    s.cmd("x11 SELECT INBOX");
    CHECK(s.cmd("x12 FETCH 3 (FLAGS INTERNALDATE RFC822.SIZE)").find("FLAGS (\\Flagged \\Recent)") != std::string::npos);
}

TEST_CASE("With mail_attribute_dict the keys are private metadata entries of each mailbox") {
    MailEnv env(std::string(kHostConfig) + "mail_attribute_dict = file:%h/dovecot-attributes\n");
    env.add_message("alice", "INBOX", kMessage);
    env.add_message("alice", "Archive", kMessage);
    SessionHarness s(env);
    s.login();
    const std::string inbox = genurlauth(s, "imap://alice@mail.example.org/INBOX/;UID=1;URLAUTH=authuser");
    const std::string archive = genurlauth(s, "imap://alice@mail.example.org/Archive/;UID=1;URLAUTH=authuser");
    auto user = env.open_user("alice");
    auto store = st::MetadataStore::open(user);
    REQUIRE(store.is_ok());
    auto guid = user.mailbox_guid("INBOX");
    REQUIRE(guid.is_ok());
    auto key = store->get(*guid, "/private/vendor/vendor.loft/urlauth-key");
    REQUIRE(key.is_ok());
    REQUIRE(key->has_value());
    CHECK((*key)->size() == 64);
    struct stat sb {};
    CHECK(::stat((env.dir.str() + "/home/alice/loft-urlauth-keys").c_str(), &sb) != 0);

    SessionHarness bob(env);
    bob.login("bob");
    CHECK(bob.cmd("m1 URLFETCH \"" + inbox + "\"") == urlfetch_data("m1", inbox, kMessage));
    CHECK(s.cmd("m2 RESETKEY INBOX") == "m2 OK [URLMECH INTERNAL] Key reset.\r\n");
    CHECK(bob.cmd("m3 URLFETCH \"" + inbox + "\"") == urlfetch_nil("m3", inbox));
    CHECK(bob.cmd("m4 URLFETCH \"" + archive + "\"") == urlfetch_data("m4", archive, kMessage));
    CHECK(s.cmd("m5 RESETKEY") == "m5 OK All keys removed.\r\n");
    CHECK(bob.cmd("m6 URLFETCH \"" + archive + "\"") == urlfetch_nil("m6", archive));
    auto gone = store->get(*guid, "/private/vendor/vendor.loft/urlauth-key");
    REQUIRE(gone.is_ok());
    CHECK_FALSE(gone->has_value());
}

TEST_CASE("Big messages stream in pieces: URLFETCH over several flushes, CATENATE through the spool") {
    MailEnv env(std::string(kHostConfig) + "imap_max_append_size = 10M\n");
    std::string big = "Subject: big\r\n\r\n";
    for (int i = 0; big.size() < 2600 * 1024; ++i)
        big += "line " + std::to_string(i) + " of a message that spans several URLFETCH pieces\r\n";
    env.add_message("alice", "INBOX", big);
    SessionHarness s(env);
    s.login();
    const std::string whole = genurlauth(s, "imap://alice@mail.example.org/INBOX/;UID=1;URLAUTH=anonymous");
    CHECK(s.cmd("g2 URLFETCH \"" + whole + "\"") == urlfetch_data("g2", whole, big));
    // A range across a piece boundary, starting mid-line.
    const std::string range =
        genurlauth(s, "imap://alice@mail.example.org/INBOX/;UID=1/;PARTIAL=1048000.100000;URLAUTH=anonymous");
    CHECK(s.cmd("g3 URLFETCH \"" + range + "\"") == urlfetch_data("g3", range, big.substr(1048000, 100000)));
    auto r = s.send_raw("g4 APPEND INBOX CATENATE (URL \"/INBOX/;UID=1/;SECTION=TEXT\" URL \"/INBOX/;UID=1\")\r\n");
    CHECK(tagged_line(r, "g4").rfind("g4 OK [APPENDUID ", 0) == 0);
    auto stored = bodies(env, "alice", "INBOX");
    REQUIRE(stored.size() == 2);
    CHECK(stored[1] == lf(big.substr(big.find("\r\n\r\n") + 4) + big));
}

TEST_CASE("The key file: a failed write leaves no temporary file and the old keys; the file stays 0600") {
    MailEnv env(kHostConfig);
    env.add_message("alice", "INBOX", kMessage);
    SessionHarness s(env);
    s.login();
    const std::string url = genurlauth(s, "imap://alice@mail.example.org/INBOX/;UID=1;URLAUTH=anonymous");
    const std::string key_file = env.dir.str() + "/home/alice/loft-urlauth-keys";
    const std::string tmp = key_file + ".tmp";
    const std::string keys = read_file(key_file);
    REQUIRE(keys.size() > 64);
    struct stat sb {};

    // A write that fails half way (a file size limit below one key line,
    // as a full disk would): RESETKEY is NO, no temporary file remains,
    // the old key still signs the URL.
    {
        struct rlimit old {};
        REQUIRE(::getrlimit(RLIMIT_FSIZE, &old) == 0);
        auto* old_handler = std::signal(SIGXFSZ, SIG_IGN);
        struct rlimit small = old;
        small.rlim_cur = 40;
        REQUIRE(::setrlimit(RLIMIT_FSIZE, &small) == 0);
        const std::string r = s.cmd("k1 RESETKEY INBOX");
        ::setrlimit(RLIMIT_FSIZE, &old);
        std::signal(SIGXFSZ, old_handler);
        CHECK(r.rfind("k1 NO [SERVERBUG] ", 0) == 0);
    }
    CHECK(::stat(tmp.c_str(), &sb) != 0);
    CHECK(read_file(key_file) == keys);
    CHECK(s.cmd("k2 URLFETCH \"" + url + "\"") == urlfetch_data("k2", url, kMessage));

    // A temporary file a crashed writer left behind, readable by others, is
    // not reused: the new key file is 0600 whatever was in the way.
    {
        std::ofstream stale(tmp);
        stale << "left over\n";
    }
    REQUIRE(::chmod(tmp.c_str(), 0644) == 0);
    REQUIRE(::chmod(key_file.c_str(), 0644) == 0);
    const mode_t old_umask = ::umask(0);
    const std::string r = s.cmd("k3 RESETKEY INBOX");
    ::umask(old_umask);
    CHECK(r == "k3 OK [URLMECH INTERNAL] Key reset.\r\n");
    CHECK(::stat(tmp.c_str(), &sb) != 0);
    REQUIRE(::stat(key_file.c_str(), &sb) == 0);
    CHECK((sb.st_mode & 07777) == 0600);
    CHECK(read_file(key_file) != keys);
    CHECK(s.cmd("k4 URLFETCH \"" + url + "\"") == urlfetch_nil("k4", url));
}

TEST_CASE("URLFETCH takes at most 1,000 URLs; beyond that the whole command is NO [LIMIT]") {
    MailEnv env(kHostConfig);
    env.add_message("alice", "INBOX", kMessage);
    SessionHarness alice(env);
    alice.login("alice");
    const std::string url =
        genurlauth(alice, "imap://alice@mail.example.org/INBOX/;UID=1/;SECTION=1.2;URLAUTH=authuser");
    const std::string data = "Si vis pacem, para bellum.\r\n";
    SessionHarness bob(env);
    bob.login("bob");
    // 1,000 URLs of another user's mailbox (one owner lookup for them all),
    // sent as literals: the command line itself stays short (1,000 quoted
    // URLs would exceed imap_max_line_length).
    std::string args;
    std::string expected = "* URLFETCH";
    for (int i = 0; i < 1000; ++i) {
        args += " {" + std::to_string(url.size()) + "+}\r\n" + url;
        expected += " \"" + url + "\" {28}\r\n" + data;
    }
    expected += "\r\nu1 OK URLFETCH completed.\r\n";
    const std::string all = bob.send_raw("u1 URLFETCH" + args + "\r\n");
    CHECK(all.size() == expected.size());
    CHECK(tagged_line(all, "u1") == "u1 OK URLFETCH completed.");
    CHECK_MESSAGE(all == expected, "1,000 URLs: the response differs");
    // One more is refused as a whole, before any URL is resolved.
    const std::string over = " {" + std::to_string(url.size()) + "+}\r\n" + url;
    CHECK(bob.send_raw("u2 URLFETCH" + args + over + "\r\n") ==
          "u2 NO [LIMIT] Too many URLs in one URLFETCH (at most 1000)\r\n");
    CHECK(bob.cmd("u3 NOOP") == "u3 OK NOOP completed.\r\n");
}

TEST_CASE("CATENATE: a URL source that ends before its size fails the APPEND and saves nothing") {
    MailEnv env;
    env.add_message("alice", "INBOX", kMessage);
    SessionHarness s(env);
    s.login();
    // The source stops after 10 octets, as when its mail file shrank
    // between resolving the URL and copying it.
    imapproto::detail::set_catenate_source_limit_for_tests(10);
    auto r = s.send_raw("t1 APPEND INBOX CATENATE (TEXT {20+}\r\nSubject: forward\r\n\r\n URL \"/INBOX/;UID=1\")\r\n");
    // MULTIAPPEND: the first message is fine, the second one's URL ends early.
    auto m = s.send_raw("t2 APPEND INBOX {6+}\r\nA: b\r\n CATENATE (URL \"/INBOX/;UID=1\")\r\n");
    imapproto::detail::set_catenate_source_limit_for_tests(std::nullopt);
    CHECK(r.rfind("t1 NO [SERVERBUG] Internal error occurred.", 0) == 0);
    CHECK(m.rfind("t2 NO [SERVERBUG] Internal error occurred.", 0) == 0);
    CHECK(bodies(env, "alice", "INBOX").size() == 1);
    // Without the limit the same command saves the whole message.
    auto ok = s.send_raw("t3 APPEND INBOX CATENATE (TEXT {20+}\r\nSubject: forward\r\n\r\n URL \"/INBOX/;UID=1\")\r\n");
    CHECK(tagged_line(ok, "t3").rfind("t3 OK [APPENDUID ", 0) == 0);
    auto stored = bodies(env, "alice", "INBOX");
    REQUIRE(stored.size() == 2);
    CHECK(stored[1] == lf("Subject: forward\r\n\r\n" + kMessage));
}

TEST_CASE("CATENATE: the host of an absolute URL is case-insensitive, the user name is not") {
    SUBCASE("imap_urlauth_host set") {
        MailEnv env(kHostConfig);
        env.add_message("alice", "INBOX", kMessage);
        SessionHarness s(env);
        s.login();
        auto r = s.send_raw("h1 APPEND INBOX CATENATE (URL \"imap://alice@MAIL.Example.ORG/INBOX/;UID=1/;SECTION=1.2\")\r\n");
        CHECK(tagged_line(r, "h1").rfind("h1 OK [APPENDUID ", 0) == 0);
        auto u = s.send_raw("h2 APPEND INBOX CATENATE (URL \"imap://ALICE@mail.example.org/INBOX/;UID=1\")\r\n");
        CHECK(u == "h2 NO [BADURL imap://ALICE@mail.example.org/INBOX/;UID=1] Invalid IMAP URL: Relative URL "
                   "required\r\n");
        auto stored = bodies(env, "alice", "INBOX");
        REQUIRE(stored.size() == 2);
        CHECK(stored[1] == "Si vis pacem, para bellum.\n");
    }
    SUBCASE("no imap_urlauth_host: localhost") {
        MailEnv env;
        env.add_message("alice", "INBOX", kMessage);
        SessionHarness s(env);
        s.login();
        auto r = s.send_raw("h3 APPEND INBOX CATENATE (URL \"IMAP://alice@LOCALHOST/INBOX/;UID=1/;SECTION=1.2\")\r\n");
        CHECK(tagged_line(r, "h3").rfind("h3 OK [APPENDUID ", 0) == 0);
        CHECK(bodies(env, "alice", "INBOX").size() == 2);
    }
}

TEST_CASE("SELECT and EXAMINE send the URLAUTH mechanisms while URLAUTH is on (RFC 4467 BASE.7.1.URLMECH)") {
    {
        MailEnv env(kHostConfig);
        SessionHarness s(env);
        s.login();
        auto r = s.cmd("s1 SELECT INBOX");
        CHECK(has_line(r, "* OK [URLMECH INTERNAL] URLAUTH mechanisms"));
        CHECK(r.find("* OK [UIDNEXT 1] Predicted next UID\r\n* OK [URLMECH INTERNAL] URLAUTH mechanisms\r\n") !=
              std::string::npos);
        CHECK(has_line(s.cmd("s2 EXAMINE INBOX"), "* OK [URLMECH INTERNAL] URLAUTH mechanisms"));
    }
    {
        MailEnv env;
        SessionHarness s(env);
        s.login();
        CHECK(s.cmd("s3 SELECT INBOX").find("URLMECH") == std::string::npos);
        CHECK(s.cmd("s4 EXAMINE INBOX").find("URLMECH") == std::string::npos);
    }
}
