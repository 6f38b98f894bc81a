// PREVIEW (RFC 8970), SAVEDATE (RFC 8514) and LOGIN-REFERRALS (RFC 2221):
// the preview algorithm, FETCH PREVIEW / PREVIEW (LAZY) and its cache,
// FETCH SAVEDATE and the SAVED* search keys, and the login referrals a
// passdb's nologin + host fields produce.
#include "session_harness.hpp"

#include <mailstore/mime/charset.hpp>
#include <mailstore/mime/message.hpp>
#include <mailstore/mime/preview.hpp>

#include <doctest/doctest.h>

#include <ctime>

using namespace imap_test;
namespace st = mailstore::storage;
namespace mime = mailstore::mime;

namespace {

std::string preview_of(std::string_view raw) { return mime::message_preview(mime::ParsedMessage::parse(raw)); }

std::string words(int n) {
    std::string s;
    for (int i = 0; i < n; ++i) {
        char buf[16];
        std::snprintf(buf, sizeof buf, "word%03d", i);
        if (i > 0)
            s += ' ';
        s += buf;
    }
    return s;
}

std::size_t utf8_chars(std::string_view s) {
    std::size_t n = 0;
    for (char c : s)
        if ((static_cast<unsigned char>(c) & 0xC0) != 0x80)
            ++n;
    return n;
}

// "29-Nov-2026" for a Unix time, in the local zone (what SAVEDON takes).
std::string day_text(std::int64_t t) {
    std::time_t tt = static_cast<std::time_t>(t);
    std::tm tm{};
    localtime_r(&tt, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%d-%b-%Y", &tm);
    return buf;
}

std::int64_t save_date_of(MailEnv& env, const std::string& mailbox, st::Seq seq) {
    auto user = env.open_user("alice");
    auto box = st::Mailbox::open(user, mailbox);
    REQUIRE(box.is_ok());
    auto d = box->message(seq).save_date();
    REQUIRE(d.is_ok());
    return *d;
}

} // namespace

// --- the preview algorithm -------------------------------------------------

TEST_CASE("preview: whitespace runs fold into one space, ends trimmed") {
    CHECK(preview_of("Subject: s\r\n\r\nHello   world,\r\n\r\n  this is\ta test.\r\n") ==
          "Hello world, this is a test.");
    CHECK(preview_of("Subject: s\n\nLF only\nline two\n") == "LF only line two");
    CHECK(preview_of("Subject: s\r\n\r\n\r\n\r\n   \r\nleading blank lines\r\n") == "leading blank lines");
}

TEST_CASE("preview: quoted lines are left out, a signature is kept") {
    CHECK(preview_of("Subject: s\r\n\r\nOn Monday Bob wrote:\r\n> quoted line\r\n>> more\r\nMy reply here.\r\n"
                     "> again\r\nend\r\n") == "On Monday Bob wrote: My reply here. end");
    CHECK(preview_of("Subject: s\r\n\r\nBody text\r\n-- \r\nSignature here\r\n") == "Body text -- Signature here");
    CHECK(preview_of("Subject: s\r\n\r\n> only quoted\r\n> text\r\n") == "");
}

TEST_CASE("preview: at most 200 characters, never a split UTF-8 character") {
    std::string p = preview_of("Subject: s\r\n\r\n" + words(80) + "\r\n");
    CHECK(p == words(25)); // 199 characters: the 200th was a space
    std::string jp;
    for (int i = 0; i < 40; ++i)
        jp += "日本語のテキスト";
    std::string q = preview_of("Subject: s\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + jp + "\r\n");
    CHECK(utf8_chars(q) == mime::kPreviewMaxChars);
    CHECK(q.size() == 600);
    CHECK(mime::is_valid_utf8(q));
    CHECK(jp.substr(0, 600) == q);
}

TEST_CASE("preview: transfer encodings and charsets are decoded to UTF-8") {
    std::string alt = "Subject: s\r\nMIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary=BB\r\n\r\n"
                      "--BB\r\nContent-Type: text/plain; charset=iso-8859-1\r\n"
                      "Content-Transfer-Encoding: quoted-printable\r\n\r\nCaf=E9 na=EFve =\r\nsoft break\r\n"
                      "--BB\r\nContent-Type: text/html\r\n\r\n<p>HTML version</p>\r\n--BB--\r\n";
    CHECK(preview_of(alt) == "Caf\xc3\xa9 na\xc3\xafve soft break");
    std::string b64 = "Subject: s\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n"
                      "\r\nR3LDvMOfZSBhdXMgS8O2bG4=\r\n";
    CHECK(preview_of(b64) == "Gr\xc3\xbc\xc3\x9f" "e aus K\xc3\xb6ln");
    std::string unknown = "Subject: s\r\nContent-Transfer-Encoding: x-uuencode\r\n\r\nbegin 644 x\r\n";
    CHECK(preview_of(unknown) == "");
}

TEST_CASE("preview: the first text/plain part wins, then text/html; other types give an empty string") {
    CHECK(preview_of("Subject: s\r\nMIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary=BB\r\n\r\n"
                     "--BB\r\nContent-Type: text/html\r\n\r\n<p>HTML first</p>\r\n--BB\r\n"
                     "Content-Type: text/plain\r\n\r\nplain second\r\n--BB--\r\n") == "plain second");
    CHECK(preview_of("Subject: s\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=XX\r\n\r\n"
                     "--XX\r\nContent-Type: application/pdf\r\n\r\nPDFDATA\r\n--XX\r\nContent-Type: text/plain\r\n\r\n"
                     "Second part text\r\n--XX--\r\n") == "Second part text");
    CHECK(preview_of("Subject: s\r\nContent-Type: image/png\r\nContent-Transfer-Encoding: base64\r\n\r\n"
                     "iVBORw0KGgo=\r\n") == "");
    CHECK(preview_of("Subject: s\r\n\r\n") == "");
    // An attached message is not the message's own text.
    CHECK(preview_of("Subject: s\r\nMIME-Version: 1.0\r\nContent-Type: message/rfc822\r\n\r\nSubject: inner\r\n\r\n"
                     "Inner body\r\n") == "");
    // Nor is a text part marked as an attachment.
    CHECK(preview_of("Subject: s\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=XX\r\n\r\n"
                     "--XX\r\nContent-Type: text/plain\r\nContent-Disposition: attachment; filename=a.txt\r\n\r\n"
                     "attached\r\n--XX\r\nContent-Type: text/plain\r\n\r\ninline text\r\n--XX--\r\n") ==
          "inline text");
}

TEST_CASE("preview: HTML loses its markup, scripts, styles and quotes; references are decoded") {
    CHECK(mime::text_preview("<html><head><title>T</title><style>p{color:red}</style><script>var x=1;</script>"
                             "</head><body><p>Hello&nbsp;<b>bold</b> &amp; &lt;tag&gt; &eacute; &#233; &#x263A;</p>"
                             "<blockquote>quoted html</blockquote><br>next line</body></html>\r\n",
                             true) == "T Hello\xc2\xa0 bold & <tag> \xc3\xa9 \xc3\xa9 \xe2\x98\xba next line");
    CHECK(mime::text_preview("<!-- hidden --><div>Vis<span>ible</span></div><p>para</p>text &unknown; &#0; end",
                             true) == "Vis ible para text end");
    CHECK(mime::text_preview("a & b &#xD800; c <unclosed", true) == "a & b c");
    CHECK(mime::text_preview("A&NBSP;B&#160;C<br/>D&Amp;E", true) == "AB\xc2\xa0" "C DE");
    CHECK(preview_of("Subject: s\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>Hi <i>there</i></p>\r\n") ==
          "Hi there");
}

TEST_CASE("preview: NUL bytes are dropped, other control characters kept, non-ASCII spaces kept") {
    CHECK(mime::text_preview(std::string_view("a\0b\x01" "c", 5), false) == "ab\x01" "c");
    CHECK(mime::text_preview("A\xc2\xa0" "B\xe2\x80\x83" "C", false) == "A\xc2\xa0" "B\xe2\x80\x83" "C");
}

TEST_CASE("preview: a huge part is read only up to the input bound") {
    std::string big = "Subject: s\r\n\r\n" + std::string(4 * 1024 * 1024, ' ') + "late text\r\n";
    CHECK(preview_of(big) == "");
    std::string early = "Subject: s\r\n\r\nearly " + std::string(4 * 1024 * 1024, 'x') + "\r\n";
    std::string p = preview_of(early);
    CHECK(p.size() == mime::kPreviewMaxChars);
    CHECK(p.substr(0, 6) == "early ");
}

// --- FETCH PREVIEW ---------------------------------------------------------

TEST_CASE("FETCH PREVIEW: RFC 8970 §3.2 example form, quoted when ASCII, a literal otherwise") {
    MailEnv env;
    env.add_message("alice", "INBOX", "Subject: s\r\n\r\nPreview text!\r\n");
    env.add_message("alice", "INBOX", "Subject: s\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nA\xc2\xa0" "B\r\n");
    env.add_message("alice", "INBOX", "Subject: s\r\n\r\nHe said \"hi\" and back\\slash\r\n");
    env.add_message("alice", "INBOX", "Subject: s\r\nContent-Type: image/png\r\n\r\nxx\r\n");
    SessionHarness s(env);
    s.login();
    s.cmd("a1 SELECT INBOX");
    CHECK(s.cmd("A1 FETCH 1 (PREVIEW)") == "* 1 FETCH (PREVIEW \"Preview text!\")\r\nA1 OK Fetch completed.\r\n");
    CHECK(s.cmd("a2 FETCH 2 PREVIEW") == "* 2 FETCH (PREVIEW {4}\r\nA\xc2\xa0" "B)\r\na2 OK Fetch completed.\r\n");
    CHECK(s.cmd("a3 FETCH 3 (PREVIEW)") ==
          "* 3 FETCH (PREVIEW \"He said \\\"hi\\\" and back\\\\slash\")\r\na3 OK Fetch completed.\r\n");
    // §3.2: no meaningful text is a zero-length string, not NIL.
    CHECK(s.cmd("a4 FETCH 4 (PREVIEW)") == "* 4 FETCH (PREVIEW \"\")\r\na4 OK Fetch completed.\r\n");
    // PREVIEW does not set \Seen.
    CHECK(s.cmd("a5 FETCH 1 (FLAGS)") == "* 1 FETCH (FLAGS ())\r\na5 OK Fetch completed.\r\n");
}

TEST_CASE("FETCH PREVIEW and SAVEDATE come with the index items, in request order, as Dovecot orders them") {
    MailEnv env;
    env.add_message("alice", "INBOX", "Subject: s\r\n\r\nbody\r\n");
    SessionHarness s(env);
    s.login();
    s.cmd("a1 SELECT INBOX");
    auto out = s.cmd("a2 FETCH 1 (BODY.PEEK[1] PREVIEW ENVELOPE SAVEDATE UID)");
    INFO(out);
    CHECK(out.rfind("* 1 FETCH (PREVIEW \"body\" SAVEDATE \"", 0) == 0);
    CHECK(out.find("\" UID 1 BODY[1] {6}\r\nbody\r\n ENVELOPE (") != std::string::npos);
    auto uid = s.cmd("a3 UID FETCH 1 (PREVIEW (LAZY))");
    CHECK(uid.rfind("* 1 FETCH (UID 1 PREVIEW ", 0) == 0);
}

TEST_CASE("FETCH PREVIEW (LAZY): NIL until the preview is cached, then the text (RFC 8970 §4)") {
    MailEnv env;
    env.add_message("alice", "INBOX", "Subject: s\r\n\r\nfirst message\r\n");
    env.add_message("alice", "INBOX", "Subject: s\r\n\r\nsecond message\r\n");
    SessionHarness s(env);
    s.login();
    s.cmd("a1 SELECT INBOX");
    CHECK(s.cmd("A1 FETCH 1:2 (PREVIEW (LAZY))") ==
          "* 1 FETCH (PREVIEW NIL)\r\n* 2 FETCH (PREVIEW NIL)\r\nA1 OK Fetch completed.\r\n");
    // The NIL ones were generated after the answers: now they are cached.
    CHECK(s.cmd("A2 FETCH 1:2 (PREVIEW (lazy))") ==
          "* 1 FETCH (PREVIEW \"first message\")\r\n* 2 FETCH (PREVIEW \"second message\")\r\n"
          "A2 OK Fetch completed.\r\n");
    CHECK(s.cmd("A3 FETCH 2 (PREVIEW)") == "* 2 FETCH (PREVIEW \"second message\")\r\nA3 OK Fetch completed.\r\n");
}

TEST_CASE("FETCH PREVIEW stores the preview in the index cache and answers from it") {
    MailEnv env;
    env.add_message("alice", "INBOX", "Subject: s\r\n\r\ncached text\r\n");
    {
        SessionHarness s(env);
        s.login();
        s.cmd("a1 SELECT INBOX");
        CHECK(s.cmd("a2 FETCH 1 (PREVIEW)") == "* 1 FETCH (PREVIEW \"cached text\")\r\na2 OK Fetch completed.\r\n");
        s.cmd("a3 LOGOUT");
    }
    {
        auto user = env.open_user("alice");
        auto box = st::Mailbox::open(user, "INBOX");
        REQUIRE(box.is_ok());
        auto cached = box->message(1).cached("imap.preview");
        REQUIRE(cached.has_value());
        CHECK(*cached == "cached text");
        // What the cache says is what FETCH answers: the message is not
        // read again.
        box->message(1).cache("imap.preview", "from the cache");
        REQUIRE(box->sync().is_ok());
    }
    SessionHarness s(env);
    s.login();
    s.cmd("a1 SELECT INBOX");
    CHECK(s.cmd("a2 FETCH 1 (PREVIEW (LAZY))") ==
          "* 1 FETCH (PREVIEW \"from the cache\")\r\na2 OK Fetch completed.\r\n");
}

TEST_CASE("FETCH PREVIEW: malformed modifiers get Dovecot's BAD texts") {
    MailEnv env;
    env.add_message("alice", "INBOX", "Subject: s\r\n\r\nbody\r\n");
    SessionHarness s(env);
    s.login();
    s.cmd("a1 SELECT INBOX");
    CHECK(s.cmd("c FETCH 1 (PREVIEW (FOO))") ==
          "c BAD Error in IMAP command FETCH: 'FOO' is not a supported PREVIEW modifier\r\n");
    CHECK(s.cmd("c2 FETCH 1 (PREVIEW (foo))") ==
          "c2 BAD Error in IMAP command FETCH: 'foo' is not a supported PREVIEW modifier\r\n");
    // Repeated LAZY is still LAZY (Dovecot 2.3.19 drops the connection).
    CHECK(s.cmd("c3 FETCH 1 (PREVIEW (LAZY LAZY) FLAGS)").find("c3 OK") != std::string::npos);
    CHECK(s.cmd("d FETCH 1 (PREVIEW ())") == "d BAD Error in IMAP command FETCH: FETCH list contains non-atoms\r\n");
    CHECK(s.cmd("e FETCH 1 (PREVIEW (LAZY (X)))") == "e BAD Error in IMAP command FETCH: Invalid PREVIEW modifier\r\n");
    CHECK(s.cmd("f FETCH 1 (PREVIEW LAZY)") == "f BAD Error in IMAP command FETCH: Unknown parameter: LAZY\r\n");
    CHECK(s.cmd("g FETCH 1 (PREVIEW (LAZY)") == "g BAD Error in IMAP command FETCH: Missing ')'\r\n");
}

// --- SAVEDATE --------------------------------------------------------------

TEST_CASE("FETCH SAVEDATE is when the message was saved here, not its internal date") {
    MailEnv env;
    std::int64_t before = std::time(nullptr);
    env.add_message("alice", "INBOX", "Subject: s\r\n\r\nbody\r\n", 0, {}, 1000000000); // 2001
    SessionHarness s(env);
    s.login();
    s.cmd("a1 SELECT INBOX");
    auto out = s.cmd("a2 FETCH 1 (INTERNALDATE SAVEDATE)");
    INFO(out);
    std::int64_t saved = save_date_of(env, "INBOX", 1);
    CHECK(saved >= before);
    CHECK(out.find("INTERNALDATE \"09-Sep-2001 ") != std::string::npos);
    CHECK(out.find(" SAVEDATE \"" + day_text(saved) + " ") != std::string::npos);
}

TEST_CASE("SEARCH SAVEDBEFORE / SAVEDON / SAVEDSINCE / SAVEDATESUPPORTED (RFC 8514 §4)") {
    MailEnv env;
    env.add_message("alice", "INBOX", "Subject: s\r\n\r\nbody\r\n", 0, {}, 1000000000);
    env.add_message("alice", "INBOX", "Subject: s\r\n\r\nbody\r\n", 0, {}, 1000000000);
    SessionHarness s(env);
    s.login();
    s.cmd("a1 SELECT INBOX");
    std::int64_t saved = save_date_of(env, "INBOX", 1);
    std::string today = day_text(saved);
    std::string tomorrow = day_text(saved + 86400);
    CHECK(s.cmd("b1 SEARCH SAVEDATESUPPORTED") == "* SEARCH 1 2\r\nb1 OK Search completed.\r\n");
    CHECK(s.cmd("b2 SEARCH SAVEDON " + today) == "* SEARCH 1 2\r\nb2 OK Search completed.\r\n");
    CHECK(s.cmd("b3 SEARCH SAVEDSINCE " + today) == "* SEARCH 1 2\r\nb3 OK Search completed.\r\n");
    CHECK(s.cmd("b4 SEARCH SAVEDSINCE " + tomorrow) == "* SEARCH\r\nb4 OK Search completed.\r\n");
    CHECK(s.cmd("b5 SEARCH SAVEDBEFORE " + tomorrow) == "* SEARCH 1 2\r\nb5 OK Search completed.\r\n");
    CHECK(s.cmd("b6 SEARCH SAVEDBEFORE " + today) == "* SEARCH\r\nb6 OK Search completed.\r\n");
    // The internal date (2001) is not what these keys look at.
    CHECK(s.cmd("b7 SEARCH SAVEDBEFORE 1-Jan-2002") == "* SEARCH\r\nb7 OK Search completed.\r\n");
    CHECK(s.cmd("b8 SEARCH BEFORE 1-Jan-2002") == "* SEARCH 1 2\r\nb8 OK Search completed.\r\n");
    CHECK(s.cmd("b9 SEARCH NOT SAVEDATESUPPORTED") == "* SEARCH\r\nb9 OK Search completed.\r\n");
    CHECK(s.cmd("c1 SEARCH SAVEDON foo").find("c1 BAD") != std::string::npos);
    CHECK(s.cmd("c2 SEARCH SAVEDSINCE").find("c2 BAD") != std::string::npos);
}

TEST_CASE("COPY and MOVE: the copy's save date is the time of the copy") {
    MailEnv env;
    env.add_message("alice", "INBOX", "Subject: s\r\n\r\nbody\r\n", 0, {}, 1000000000);
    env.add_message("alice", "INBOX", "Subject: t\r\n\r\nbody\r\n", 0, {}, 1000000000);
    SessionHarness s(env);
    s.login();
    s.cmd("a0 CREATE Dest");
    s.cmd("a1 SELECT INBOX");
    std::int64_t before = std::time(nullptr);
    CHECK(tagged_line(s.cmd("a2 COPY 1 Dest"), "a2").rfind("a2 OK", 0) == 0);
    CHECK(tagged_line(s.cmd("a3 MOVE 2 Dest"), "a3").rfind("a3 OK", 0) == 0);
    std::int64_t copied = save_date_of(env, "Dest", 1);
    std::int64_t moved = save_date_of(env, "Dest", 2);
    CHECK(copied >= before);
    CHECK(moved >= before);
    s.cmd("a4 SELECT Dest");
    auto out = s.cmd("a5 FETCH 1:2 (SAVEDATE INTERNALDATE)");
    INFO(out);
    CHECK(out.find("* 1 FETCH (SAVEDATE \"" + day_text(copied) + " ") != std::string::npos);
    CHECK(out.find("* 2 FETCH (SAVEDATE \"" + day_text(moved) + " ") != std::string::npos);
    CHECK(out.find("INTERNALDATE \"09-Sep-2001 ") != std::string::npos);
    CHECK(s.cmd("a6 SEARCH SAVEDSINCE " + day_text(before)) == "* SEARCH 1 2\r\na6 OK Search completed.\r\n");
}

// --- LOGIN-REFERRALS -------------------------------------------------------

namespace {

// Users whose passdb entry carries referral fields, in a second passdb
// after the harness's own.
std::string referral_config(loft_test::TempDir& dir) {
    std::string path = dir.write(
        "referral-users",
        "ref1:{PLAIN}secret::::::nologin=y host=mail2.example.com\n"
        "ref2:{PLAIN}secret::::::nologin=y host=mail2.example.com port=1143 reason=Moved_away\n"
        "ref3:{PLAIN}secret::::::nologin=y referral=imap://ref3@other.example.com/\n"
        "ref4:{PLAIN}secret::::::host=mail2.example.com\n"
        "ref5:{PLAIN}secret::::::nologin=y host=mail2.example.com destuser=bob@example.com\n"
        "ref6:{PLAIN}secret::::::nologin=y host=::1 port=993\n"
        "ref7:{PLAIN}secret::::::nologin=y host=mail2.example.com port=143 destuser=a;b/c?d&e=f+g~h!i*j,k[l]m\n"
        "ref8:{PLAIN}secret::::::nologin=y reason=Go_away\n"
        "ref9:{PLAIN}secret::::::proxy=y nologin=y host=mail2.example.com\n"
        "ref10:{PLAIN}secret::::::nologin=y\n");
    return "auth_mechanisms = plain login\npassdb {\n  driver = passwd-file\n  args = " + path + "\n}\n";
}

std::string b64(std::string_view s) {
    static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    std::size_t i = 0;
    for (; i + 2 < s.size(); i += 3) {
        unsigned v = (static_cast<unsigned char>(s[i]) << 16) | (static_cast<unsigned char>(s[i + 1]) << 8) |
                     static_cast<unsigned char>(s[i + 2]);
        out += kAlphabet[v >> 18];
        out += kAlphabet[(v >> 12) & 63];
        out += kAlphabet[(v >> 6) & 63];
        out += kAlphabet[v & 63];
    }
    if (i < s.size()) {
        unsigned v = static_cast<unsigned char>(s[i]) << 16;
        if (i + 1 < s.size())
            v |= static_cast<unsigned char>(s[i + 1]) << 8;
        out += kAlphabet[v >> 18];
        out += kAlphabet[(v >> 12) & 63];
        out += i + 1 < s.size() ? kAlphabet[(v >> 6) & 63] : '=';
        out += '=';
    }
    return out;
}

} // namespace

// Each login in a session of its own: a session is closed after three
// failed logins, and a referral counts as a failure (as in Dovecot).
namespace {

std::string login_answer(MailEnv& env, const std::string& command) {
    SessionHarness s(env);
    return s.cmd(command);
}

} // namespace

TEST_CASE("LOGIN-REFERRALS: nologin + host answers NO [REFERRAL imap://...] as Dovecot 2.3 does") {
    loft_test::TempDir dir{"loft-referral"};
    MailEnv env(referral_config(dir));
    {
        SessionHarness s(env);
        CHECK(s.greeting().find("LOGIN-REFERRALS") != std::string::npos);
    }
    CHECK(login_answer(env, "b LOGIN ref1 secret") ==
          "b NO [REFERRAL imap://ref1;AUTH=PLAIN@mail2.example.com/] Try this server instead.\r\n");
    CHECK(login_answer(env, "c LOGIN ref2 secret") ==
          "c NO [REFERRAL imap://ref2;AUTH=PLAIN@mail2.example.com:1143/] Moved_away\r\n");
    CHECK(login_answer(env, "d LOGIN ref5 secret") ==
          "d NO [REFERRAL imap://bob%40example.com;AUTH=PLAIN@mail2.example.com/] Try this server instead.\r\n");
    CHECK(login_answer(env, "e LOGIN ref6 secret") ==
          "e NO [REFERRAL imap://ref6;AUTH=PLAIN@%3a%3a1:993/] Try this server instead.\r\n");
    CHECK(login_answer(env, "f LOGIN ref7 secret") ==
          "f NO [REFERRAL imap://a%3bb%2fc%3fd&e=f+g~h!i*j,k%5bl%5dm;AUTH=PLAIN@mail2.example.com/] "
          "Try this server instead.\r\n");
    // AUTHENTICATE names its mechanism.
    CHECK(login_answer(env, "g AUTHENTICATE PLAIN " + b64(std::string("\0ref1\0secret", 12))) ==
          "g NO [REFERRAL imap://ref1;AUTH=PLAIN@mail2.example.com/] Try this server instead.\r\n");
    SessionHarness s(env);
    CHECK(s.send("h AUTHENTICATE LOGIN") == "+ VXNlcm5hbWU6\r\n");
    CHECK(s.send(b64("ref2")) == "+ UGFzc3dvcmQ6\r\n");
    CHECK(tagged_line(s.send(b64("secret")), "h") ==
          "h NO [REFERRAL imap://ref2;AUTH=LOGIN@mail2.example.com:1143/] Moved_away");
    CHECK_FALSE(s.closed());
    // The session goes on: a local user logs in.
    s.login("alice");
}

TEST_CASE("LOGIN-REFERRALS: no referral without nologin + host, nor for a wrong password or a proxy") {
    loft_test::TempDir dir{"loft-referral"};
    MailEnv env(referral_config(dir));
    CHECK(login_answer(env, "a LOGIN ref1 wrong") == "a NO [AUTHENTICATIONFAILED] Authentication failed.\r\n");
    CHECK(login_answer(env, "b LOGIN ref8 secret") == "b NO [CONTACTADMIN] Go_away\r\n");
    CHECK(login_answer(env, "b2 LOGIN ref10 secret") == "b2 NO [CONTACTADMIN] Login disabled for this user\r\n");
    CHECK(login_answer(env, "b3 LOGIN ref10 wrong") == "b3 NO [AUTHENTICATIONFAILED] Authentication failed.\r\n");
    // A referral= field means nothing to Dovecot 2.3 either.
    CHECK(tagged_line(login_answer(env, "c LOGIN ref3 secret"), "c").find("[REFERRAL") == std::string::npos);
    CHECK(tagged_line(login_answer(env, "d LOGIN ref9 secret"), "d").find("[REFERRAL") == std::string::npos);
    // host without nologin: logged in here (Dovecot 2.3.19 sends no OK [REFERRAL]).
    auto out = login_answer(env, "e LOGIN ref4 secret");
    CHECK(tagged_line(out, "e").rfind("e OK [CAPABILITY ", 0) == 0);
    CHECK(tagged_line(out, "e").find("LOGIN-REFERRALS") != std::string::npos);
    CHECK(tagged_line(out, "e").find("] Logged in") != std::string::npos);
}

TEST_CASE("CAPABILITY lists PREVIEW and SAVEDATE after login, LOGIN-REFERRALS before and after") {
    MailEnv env;
    SessionHarness s(env);
    auto pre = s.cmd("a CAPABILITY");
    CHECK(pre.find(" LOGIN-REFERRALS") != std::string::npos);
    s.login();
    auto post = s.cmd("b CAPABILITY");
    CHECK(post.find(" LOGIN-REFERRALS") != std::string::npos);
    CHECK(post.find(" PREVIEW") != std::string::npos);
    CHECK(post.find(" SAVEDATE") != std::string::npos);
    CHECK(post.find(" STATUS=SIZE") != std::string::npos);
}
