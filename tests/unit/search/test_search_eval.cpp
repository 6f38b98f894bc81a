// Evaluating SEARCH programs over real Maildirs: every key, charsets,
// RFC 2047 headers, transfer encodings, multipart, NOT/OR, dates around
// midnight, and messages whose files are gone.
#include "search_fixture.hpp"

#include <mailstore/mime/date.hpp>

#include <cstdlib>
#include <ctime>
#include <filesystem>

using namespace search_test;
namespace search = mailstore::search;

namespace {

// The sequence numbers `text` matches, as "1 3 4" (or "error: ...").
std::string run(SearchFixture& f, std::string_view text, search::EvaluateOptions options = {}) {
    auto program = search::parse(text);
    if (!program)
        return "parse error: " + program.status().message();
    auto result = search::evaluate(*f.box, *program, options);
    if (!result)
        return "error: " + result.status().message();
    std::string out;
    for (auto seq : *result)
        out += (out.empty() ? "" : " ") + std::to_string(seq);
    return out;
}

std::int64_t utc(std::string_view internaldate) {
    auto dt = mime::parse_internaldate(internaldate);
    REQUIRE_MESSAGE(dt.has_value(), internaldate);
    return dt->utc;
}

// Sets the process's time zone for the local-date keys, and restores it.
class ZoneGuard {
public:
    explicit ZoneGuard(const char* tz) {
        if (const char* old = std::getenv("TZ"))
            old_ = old;
        ::setenv("TZ", tz, 1);
        ::tzset();
    }
    ~ZoneGuard() {
        if (old_)
            ::setenv("TZ", old_->c_str(), 1);
        else
            ::unsetenv("TZ");
        ::tzset();
    }

private:
    std::optional<std::string> old_;
};

// The file of message `seq` in the Maildir (cur/ or new/).
std::filesystem::path file_of(SearchFixture& f, Seq seq) {
    auto guid = f.box->message(seq).guid();
    REQUIRE(guid.is_ok());
    for (const char* sub : {"cur", "new"}) {
        for (const auto& e : std::filesystem::directory_iterator(f.dir.path / "Maildir" / sub)) {
            if (e.path().filename().string().rfind(*guid, 0) == 0)
                return e.path();
        }
    }
    FAIL("no file for message " << seq);
    return {};
}

} // namespace

TEST_CASE("flags and keywords from the index") {
    SearchFixture f;
    f.add("Subject: a\r\n\r\nx\r\n", flag_seen | flag_answered, {"$Work"});
    f.add("Subject: b\r\n\r\nx\r\n", flag_flagged | flag_deleted);
    f.add("Subject: c\r\n\r\nx\r\n", flag_draft, {"$Work", "later"});
    f.add("Subject: d\r\n\r\nx\r\n");

    CHECK(run(f, "ALL") == "1 2 3 4");
    CHECK(run(f, "SEEN") == "1");
    CHECK(run(f, "UNSEEN") == "2 3 4");
    CHECK(run(f, "ANSWERED") == "1");
    CHECK(run(f, "UNANSWERED") == "2 3 4");
    CHECK(run(f, "FLAGGED") == "2");
    CHECK(run(f, "UNFLAGGED") == "1 3 4");
    CHECK(run(f, "DELETED") == "2");
    CHECK(run(f, "UNDELETED") == "1 3 4");
    CHECK(run(f, "DRAFT") == "3");
    CHECK(run(f, "UNDRAFT") == "1 2 4");
    CHECK(run(f, "KEYWORD $Work") == "1 3");
    CHECK(run(f, "KEYWORD $work") == "1 3"); // keywords compare case-insensitively
    CHECK(run(f, "KEYWORD later") == "3");
    CHECK(run(f, "KEYWORD nothing") == "");
    CHECK(run(f, "KEYWORD \\Seen") == "");
    CHECK(run(f, "UNKEYWORD $Work") == "2 4");
    CHECK(run(f, "NOT SEEN NOT DELETED") == "3 4");
    CHECK(run(f, "OR SEEN FLAGGED") == "1 2");
    CHECK(run(f, "OR (SEEN ANSWERED) OR DRAFT KEYWORD nothing") == "1 3");
    CHECK(run(f, "NOT (OR SEEN OR FLAGGED DRAFT)") == "4");
    CHECK(run(f, "NOT NOT SEEN") == "1");
}

TEST_CASE("RECENT, NEW and OLD follow the session's \\Recent") {
    SearchFixture f;
    f.add("Subject: a\r\n\r\nx\r\n", flag_seen);
    f.add("Subject: b\r\n\r\nx\r\n");
    // A new session claims both as \Recent; the one before it saw them first
    // only if it claimed them, so take the view as the reference.
    f.reopen();
    f.add("Subject: c\r\n\r\nx\r\n");
    std::string recent, unseen_recent, old;
    for (Seq s = 1; s <= f.view().count(); ++s) {
        std::string n = (std::to_string(s));
        if (f.view().recent(s)) {
            recent += (recent.empty() ? "" : " ") + n;
            if (!(f.view().flags(s) & flag_seen))
                unseen_recent += (unseen_recent.empty() ? "" : " ") + n;
        } else {
            old += (old.empty() ? "" : " ") + n;
        }
    }
    CHECK(run(f, "RECENT") == recent);
    CHECK(run(f, "NEW") == unseen_recent);
    CHECK(run(f, "OLD") == old);
    // A read-only session claims nothing: no message is recent there.
    f.reopen({.read_only = true, .claim_recent = false});
    CHECK(run(f, "RECENT") == "");
    CHECK(run(f, "NEW") == "");
    CHECK(run(f, "OLD") == "1 2 3");
}

TEST_CASE("sequence sets, UID and $ with UID gaps") {
    SearchFixture f;
    f.add_many(6);
    f.expunge(uids_of({{2, 2}, {5, 5}})); // UIDs 1 3 4 6 as 1..4
    CHECK(run(f, "2:3") == "2 3");
    CHECK(run(f, "*") == "4");
    CHECK(run(f, "*:3") == "3 4");
    CHECK(run(f, "UID 3:5") == "2 3");
    CHECK(run(f, "UID 100:*") == "4");
    CHECK(run(f, "UID 2,5") == "");
    CHECK(run(f, "NOT UID 1:3") == "3 4");
    CHECK(run(f, "5") == "error: Invalid messageset");
    CHECK(run(f, "OR 1 7") == "error: Invalid messageset");

    // SEARCH's leniency (Dovecot): numbers beyond the view are left out.
    search::EvaluateOptions lenient;
    lenient.clamp_sequence_numbers = true;
    CHECK(run(f, "5", lenient) == "");
    CHECK(run(f, "2:10", lenient) == "2 3 4");
    CHECK(run(f, "10:3", lenient) == "3 4");
    CHECK(run(f, "1,7,*", lenient) == "1 4");
    CHECK(run(f, "4294967295", lenient) == "4");
    CHECK(run(f, "NOT 3:100", lenient) == "1 2");
    CHECK(run(f, "OR 1 7", lenient) == "1");

    UidSet saved = uids_of({{3, 5}});
    search::EvaluateOptions with_saved;
    with_saved.saved_result = &saved;
    CHECK(run(f, "$", with_saved) == "2 3");
    CHECK(run(f, "UID $", with_saved) == "2 3");
    CHECK(run(f, "NOT $", with_saved) == "1 4");
    CHECK(run(f, "$") == "");

    // Slices of the view.
    search::EvaluateOptions slice;
    slice.first = 2;
    slice.last = 3;
    CHECK(run(f, "ALL", slice) == "2 3");
    slice.first = 3;
    slice.last = 100;
    CHECK(run(f, "ALL", slice) == "3 4");
}

TEST_CASE("an empty mailbox matches nothing") {
    SearchFixture f;
    CHECK(run(f, "ALL") == "");
    CHECK(run(f, "UID 1:*") == "");
    CHECK(run(f, "SUBJECT x") == "");
    CHECK(run(f, "1:*") == "error: Invalid messageset");
    search::EvaluateOptions lenient;
    lenient.clamp_sequence_numbers = true;
    CHECK(run(f, "1:*", lenient) == "");
    CHECK(run(f, "*", lenient) == "");
}

TEST_CASE("LARGER and SMALLER use RFC822.SIZE (line ends counted as CRLF)") {
    SearchFixture f;
    f.add("Subject: a\n\n0123456789\n"); // 23 bytes stored, 26 with CRLF
    f.add("Subject: b\r\n\r\n" + std::string(100, 'x') + "\r\n");
    REQUIRE(*f.box->message(1).virtual_size() == 26);
    CHECK(run(f, "LARGER 25") == "1 2");
    CHECK(run(f, "LARGER 26") == "2");
    CHECK(run(f, "SMALLER 26") == "");
    CHECK(run(f, "SMALLER 27") == "1");
    CHECK(run(f, "LARGER 0") == "1 2");
    CHECK(run(f, "SMALLER 0") == "");
    CHECK(run(f, "LARGER 9223372036854775807") == "");
    CHECK(run(f, "SMALLER 9223372036854775807") == "1 2");
}

TEST_CASE("BEFORE, ON, SINCE: the internal date's calendar day in the server's zone, around midnight") {
    ZoneGuard zone("EST5"); // UTC-5, no daylight saving
    SearchFixture f;
    // 2024-03-10 04:59:59 UTC is 23:59:59 on 9 March locally; a second later
    // it is 10 March.
    f.add("Subject: a\r\n\r\nx\r\n", 0, {}, utc("10-Mar-2024 04:59:59 +0000"));
    f.add("Subject: b\r\n\r\nx\r\n", 0, {}, utc("10-Mar-2024 05:00:00 +0000"));
    f.add("Subject: c\r\n\r\nx\r\n", 0, {}, utc("11-Mar-2024 04:59:59 +0000"));
    CHECK(run(f, "ON 9-Mar-2024") == "1");
    CHECK(run(f, "ON 10-Mar-2024") == "2 3");
    CHECK(run(f, "ON 11-Mar-2024") == "");
    CHECK(run(f, "BEFORE 10-Mar-2024") == "1");
    CHECK(run(f, "BEFORE 9-Mar-2024") == "");
    CHECK(run(f, "BEFORE 11-Mar-2024") == "1 2 3");
    CHECK(run(f, "SINCE 10-Mar-2024") == "2 3");
    CHECK(run(f, "SINCE 09-Mar-2024") == "1 2 3");
    CHECK(run(f, "SINCE 11-Mar-2024") == "");
    CHECK(run(f, "SINCE 1-Jan-2024 BEFORE 10-Mar-2024") == "1");
    {
        // The same messages in a zone east of UTC fall on other days.
        ZoneGuard east("CET-1");
        CHECK(run(f, "ON 10-Mar-2024") == "1 2");
        CHECK(run(f, "ON 11-Mar-2024") == "3");
    }
}

TEST_CASE("SENTBEFORE, SENTON, SENTSINCE: the Date: header's day in its own zone; none counts as 1-Jan-1970") {
    ZoneGuard zone("UTC0");
    SearchFixture f;
    // 23:30 -0800 on 10 March is 07:30 UTC on 11 March: still sent on the 10th.
    f.add("Date: Sun, 10 Mar 2024 23:30:00 -0800\r\nSubject: a\r\n\r\nx\r\n", 0, {},
          utc("20-Mar-2024 12:00:00 +0000"));
    // 00:30 +1400 on 11 March is 10:30 UTC on 10 March: sent on the 11th.
    f.add("Date: Mon, 11 Mar 2024 00:30:00 +1400\r\nSubject: b\r\n\r\nx\r\n", 0, {},
          utc("20-Mar-2024 12:00:00 +0000"));
    // No Date: and an unreadable one: sent on 1 January 1970, as Dovecot 2.3
    // answers (not the internal date).
    f.add("Subject: c\r\n\r\nx\r\n", 0, {}, utc("12-Mar-2024 10:00:00 +0000"));
    f.add("Date: sometime soon\r\nSubject: d\r\n\r\nx\r\n", 0, {}, utc("12-Mar-2024 23:00:00 +0000"));
    // Folded Date: value.
    f.add("Date: Wed, 13 Mar 2024\r\n 08:00:00 +0000\r\nSubject: e\r\n\r\nx\r\n", 0, {},
          utc("20-Mar-2024 12:00:00 +0000"));

    CHECK(run(f, "SENTON 10-Mar-2024") == "1");
    CHECK(run(f, "SENTON 11-Mar-2024") == "2");
    CHECK(run(f, "SENTON 12-Mar-2024") == "");
    CHECK(run(f, "SENTON 1-Jan-1970") == "3 4");
    CHECK(run(f, "SENTON 13-Mar-2024") == "5");
    CHECK(run(f, "SENTBEFORE 11-Mar-2024") == "1 3 4");
    CHECK(run(f, "SENTBEFORE 12-Mar-2024") == "1 2 3 4");
    CHECK(run(f, "SENTBEFORE 1-Jan-1970") == "");
    CHECK(run(f, "SENTSINCE 11-Mar-2024") == "2 5");
    CHECK(run(f, "SENTSINCE 14-Mar-2024") == "");
    CHECK(run(f, "SENTSINCE 1-Jan-1970") == "1 2 3 4 5");
    CHECK(run(f, "NOT SENTON 1-Jan-1970") == "1 2 5");
    CHECK(run(f, "ON 12-Mar-2024") == "3 4");
    CHECK(run(f, "ON 20-Mar-2024") == "1 2 5");
}

TEST_CASE("OLDER and YOUNGER count seconds back from now") {
    SearchFixture f;
    const std::int64_t now = 1'700'000'000;
    f.add("Subject: a\r\n\r\nx\r\n", 0, {}, now - 3600);
    f.add("Subject: b\r\n\r\nx\r\n", 0, {}, now - 60);
    f.add("Subject: c\r\n\r\nx\r\n", 0, {}, now - 86400 * 30);
    search::EvaluateOptions at;
    at.now = now;
    CHECK(run(f, "YOUNGER 60", at) == "2");
    CHECK(run(f, "YOUNGER 59", at) == "");
    CHECK(run(f, "YOUNGER 3600", at) == "1 2");
    CHECK(run(f, "OLDER 60", at) == "1 3");
    CHECK(run(f, "OLDER 3600", at) == "3");
    CHECK(run(f, "OLDER 3599 YOUNGER 3600", at) == "1");
    // Without a `now`, the clock: all three are older than a second.
    CHECK(run(f, "OLDER 1") == "1 2 3");
}

TEST_CASE("MODSEQ: messages changed at or after a mod-sequence") {
    SearchFixture f;
    f.add_many(3);
    auto t = f.box->begin();
    storage::FlagUpdate up;
    up.flags = flag_seen;
    REQUIRE(t.update_flags(uids_of({{2, 2}}), up).is_ok());
    auto done = t.commit();
    REQUIRE(done.is_ok());
    f.sync();
    const ModSeq changed = f.view().modseq(2);
    REQUIRE(changed > f.view().modseq(1));
    REQUIRE(changed > f.view().modseq(3));
    CHECK(run(f, "MODSEQ " + std::to_string(changed)) == "2");
    CHECK(run(f, "MODSEQ " + std::to_string(changed + 1)) == "");
    CHECK(run(f, "MODSEQ 0") == "1 2 3");
    CHECK(run(f, "MODSEQ \"/flags/\\\\Seen\" all " + std::to_string(changed)) == "2");
}

TEST_CASE("header keys: decoded RFC 2047 words, addresses, any charset of the search string") {
    SearchFixture f;
    f.add("From: =?UTF-8?Q?Ren=C3=A9_Dupont?= <rene@example.org>\r\n"
          "To: Alice <alice@example.com>, bob@example.net\r\n"
          "Cc: =?ISO-8859-1?B?Suxy9G1l?= <j@example.org>\r\n"
          "Subject: =?UTF-8?Q?caf=C3=A9?= au lait\r\n"
          "X-Spam: yes\r\n\r\nbody\r\n");
    f.add("From: Zo\xc3\xab <zoe@example.com>\r\n" // raw 8-bit UTF-8 header
          "To: carol@example.com\r\n"
          "Bcc: secret@example.org\r\n"
          "Subject: CAF\xc3\x89 NOIR\r\n"
          "X-Spam:\r\n\r\nbody\r\n");
    f.add("Subject: =?utf-8?b?Zm9s?=\r\n =?utf-8?b?ZGVk?= subject\r\n\r\nbody\r\n");

    CHECK(run(f, "FROM rene") == "1");
    CHECK(run(f, "FROM \"ren\xc3\xa9 dup\"") == "1");
    CHECK(run(f, "FROM example.org") == "1");
    CHECK(run(f, "FROM EXAMPLE.COM") == "2");
    CHECK(run(f, "FROM zo\xc3\xab") == "2");
    CHECK(run(f, "TO bob@example.net") == "1");
    CHECK(run(f, "TO alice") == "1");
    CHECK(run(f, "TO carol") == "2");
    CHECK(run(f, "CC \"j\xc3\xacr\xc3\xb4me\"") == "1");
    CHECK(run(f, "BCC secret") == "2");
    CHECK(run(f, "BCC example") == "2");
    CHECK(run(f, "SUBJECT caf\xc3\xa9") == "1 2"); // i;unicode-casemap: É matches é
    CHECK(run(f, "SUBJECT \"au lait\"") == "1");
    CHECK(run(f, "SUBJECT \"folded subject\"") == "3");
    CHECK(run(f, "SUBJECT noir") == "2");
    CHECK(run(f, "SUBJECT \"\"") == "1 2 3");
    // CHARSET ISO-8859-1 "caf\xe9" finds the UTF-8 encoded-word "café".
    CHECK(run(f, "CHARSET ISO-8859-1 SUBJECT caf\xe9") == "1 2");
    CHECK(run(f, "CHARSET ISO-8859-1 CC J\xccR\xd4ME") == "1");
    // HEADER: a substring of the named field; "" matches when it is present.
    CHECK(run(f, "HEADER X-Spam yes") == "1");
    CHECK(run(f, "HEADER x-spam \"\"") == "1 2");
    CHECK(run(f, "HEADER X-Missing \"\"") == "");
    CHECK(run(f, "HEADER Subject lait") == "1");
    CHECK(run(f, "NOT HEADER X-Spam \"\"") == "3");
    CHECK(run(f, "OR FROM rene TO carol") == "1 2");
    CHECK(run(f, "FROM rene NOT SUBJECT noir SEEN") == "");
    CHECK(run(f, "FROM rene NOT SUBJECT noir UNSEEN") == "1");
}

TEST_CASE("BODY and TEXT: transfer encodings, charsets, multipart, attachments") {
    SearchFixture f;
    // 1: base64 UTF-8 text.
    f.add("Subject: b64\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
          "Content-Transfer-Encoding: base64\r\n\r\n"
          "VGhlIGNhZsOpIGlzIG9wZW4gdG9kYXku\r\n"); // "The café is open today."
    // 2: quoted-printable ISO-8859-1 with a soft line break.
    f.add("Subject: qp\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=iso-8859-1\r\n"
          "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
          "Le caf=E9 est fer=\r\nm=E9 aujourd'hui.\r\n");
    // 3: multipart: text in the second part, a base64 attachment whose bytes
    //    spell the same word (not text: not searched).
    f.add("Subject: multi\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=XX\r\n\r\n"
          "preamble zebra\r\n"
          "--XX\r\nContent-Type: text/plain\r\n\r\nfirst part\r\n"
          "--XX\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>second PART giraffe</p>\r\n"
          "--XX\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n"
          "b2thcGkgb2thcGk=\r\n" // "okapi okapi"
          "--XX--\r\n");
    // 4: an encapsulated message.
    f.add("Subject: fwd\r\nMIME-Version: 1.0\r\nContent-Type: message/rfc822\r\n\r\n"
          "Subject: inner wombat\r\nFrom: x@example.org\r\n\r\ninner body koala\r\n");
    // 5: plain, LF line ends.
    f.add("Subject: plain\nFrom: someone@example.com\n\nJust some text.\n");

    CHECK(run(f, "BODY caf\xc3\xa9") == "1 2");
    CHECK(run(f, "BODY CAF\xc3\x89") == "1 2");
    CHECK(run(f, "BODY \"open today\"") == "1");
    CHECK(run(f, "BODY VGhl") == ""); // the encoded form is not what is searched
    CHECK(run(f, "BODY ferm\xc3\xa9") == "2"); // across the soft line break
    CHECK(run(f, "BODY fer=") == "");
    CHECK(run(f, "CHARSET ISO-8859-1 BODY \"caf\xe9 est\"") == "2");
    CHECK(run(f, "BODY giraffe") == "3");
    CHECK(run(f, "BODY \"second part\"") == "3");
    CHECK(run(f, "BODY okapi") == "");   // an attachment is not text
    CHECK(run(f, "TEXT okapi") == "");
    CHECK(run(f, "BODY zebra") == "");   // nor is a multipart's preamble (as in Dovecot)
    CHECK(run(f, "BODY koala") == "4");  // text inside message/rfc822 is
    CHECK(run(f, "BODY \"some text\"") == "5");
    CHECK(run(f, "BODY multi") == "");   // the header is not the body
    CHECK(run(f, "TEXT multi") == "3");  // ... but TEXT searches it
    CHECK(run(f, "TEXT giraffe") == "3");
    CHECK(run(f, "TEXT wombat") == "4"); // the encapsulated header too
    CHECK(run(f, "TEXT someone@example.com") == "5");
    CHECK(run(f, "TEXT \"subject: plain\"") == "5");
    CHECK(run(f, "TEXT zzzz") == "");
    CHECK(run(f, "BODY \"\"") == "1 2 3 4 5");
    CHECK(run(f, "OR BODY giraffe SUBJECT b64") == "1 3");
    CHECK(run(f, "NOT BODY caf\xc3\xa9") == "3 4 5");
    CHECK(run(f, "(BODY caf\xc3\xa9 NOT SUBJECT qp) OR 1 5") == "1");
}

TEST_CASE("a message whose file is gone does not match, and index keys never open a message") {
    SearchFixture f;
    f.add("Subject: one\r\n\r\nhello\r\n", flag_seen);
    f.add("Subject: two\r\n\r\nhello\r\n");
    f.add("Subject: three\r\n\r\nhello\r\n", flag_seen);
    // Another process expunged message 2 behind this view's back.
    REQUIRE(std::filesystem::remove(file_of(f, 2)));
    CHECK(run(f, "BODY hello") == "1 3");
    CHECK(run(f, "NOT BODY hello") == "");
    CHECK(run(f, "SUBJECT two") == "");
    CHECK(run(f, "NOT SUBJECT one") == "3");
    CHECK(run(f, "SENTSINCE 1-Jan-1970") == "1 3");
    // Keys answered from the index still see it (nothing is opened) ...
    CHECK(run(f, "UNSEEN") == "2");
    CHECK(run(f, "ALL") == "1 2 3");
    // ... and index keys run first: OR's SEEN answers for 1 and 3 without
    // opening anything, so removing their files changes nothing.
    REQUIRE(std::filesystem::remove(file_of(f, 1)));
    CHECK(run(f, "OR BODY nothing SEEN") == "1 3");
    CHECK(run(f, "BODY nothing UNSEEN") == "");
    CHECK(run(f, "BODY hello") == "3");

    auto program = search::parse("BODY hello");
    REQUIRE(program.is_ok());
    auto m1 = search::matches(*f.box, 1, *program);
    REQUIRE(m1.is_ok());
    CHECK_FALSE(*m1);
    auto m3 = search::matches(*f.box, 3, *program);
    REQUIRE(m3.is_ok());
    CHECK(*m3);
    auto bad = search::matches(*f.box, 4, *program);
    REQUIRE_FALSE(bad.is_ok());
    CHECK(bad.status().message() == "Invalid messageset");
}

TEST_CASE("a message expunged by another session, kept in the view, does not match") {
    SearchFixture f;
    f.add_many(3);
    auto other = Mailbox::open(*f.user, "INBOX");
    REQUIRE(other.is_ok());
    auto t = other->begin();
    REQUIRE(t.expunge(uids_of({{2, 2}})).is_ok());
    REQUIRE(t.commit().is_ok());
    auto synced = f.box->sync(sync_no_expunges);
    REQUIRE(synced.is_ok());
    REQUIRE(f.view().count() == 3);
    REQUIRE(f.box->message(2).expunged());
    CHECK(run(f, "ALL") == "1 3");
    CHECK(run(f, "BODY body") == "1 3");
    CHECK(run(f, "NOT SUBJECT m1") == "3");
}

TEST_CASE("a program built by hand is held to the nesting bound") {
    SearchFixture f;
    f.add_many(1);
    search::Program program;
    program.root.key = search::Key::and_;
    search::Node* at = &program.root;
    for (int i = 0; i < 200; ++i) {
        at->children.emplace_back();
        at = &at->children.back();
        at->key = search::Key::not_;
    }
    at->children.emplace_back(); // ALL
    auto r = search::evaluate(*f.box, program);
    REQUIRE_FALSE(r.is_ok());
    CHECK(r.status().message() == "Too deeply nested");
}

TEST_CASE("an empty string matches messages that have the field (Dovecot), every message for BODY and TEXT") {
    SearchFixture f;
    f.add("Subject: a\r\nFrom: x@example.org\r\n\r\nbody\r\n");
    f.add("X-A: b\r\n\r\nno subject here\r\n");
    CHECK(run(f, "SUBJECT \"\"") == "1");
    CHECK(run(f, "FROM \"\"") == "1");
    CHECK(run(f, "HEADER X-A \"\"") == "2");
    CHECK(run(f, "BODY \"\"") == "1 2");
    CHECK(run(f, "TEXT \"\"") == "1 2");
    CHECK(run(f, "TEXT \"x-a: b\"") == "2");
}

TEST_CASE("SAVEDBEFORE, SAVEDON, SAVEDSINCE: the save date's day, not the internal date's; SAVEDATESUPPORTED") {
    SearchFixture f;
    f.add("Subject: a\r\n\r\nx\r\n", 0, {}, utc("10-Mar-2001 12:00:00 +0000"));
    f.add("Subject: b\r\n\r\nx\r\n", 0, {}, utc("10-Mar-2001 12:00:00 +0000"));
    auto saved = f.box->message(1).save_date();
    REQUIRE(saved.is_ok());
    auto day = [](std::int64_t t) {
        std::time_t tt = static_cast<std::time_t>(t);
        std::tm tm{};
        localtime_r(&tt, &tm);
        char buf[32];
        std::strftime(buf, sizeof buf, "%d-%b-%Y", &tm);
        return std::string(buf);
    };
    const std::string today = day(*saved);
    const std::string tomorrow = day(*saved + 86400);
    CHECK(run(f, "SAVEDATESUPPORTED") == "1 2");
    CHECK(run(f, "NOT SAVEDATESUPPORTED") == "");
    CHECK(run(f, "SAVEDON " + today) == "1 2");
    CHECK(run(f, "SAVEDSINCE " + today) == "1 2");
    CHECK(run(f, "SAVEDSINCE " + tomorrow) == "");
    CHECK(run(f, "SAVEDBEFORE " + today) == "");
    CHECK(run(f, "SAVEDBEFORE " + tomorrow) == "1 2");
    CHECK(run(f, "SAVEDON 10-Mar-2001") == "");
    CHECK(run(f, "ON 10-Mar-2001") == "1 2");
    CHECK(run(f, "OR SAVEDON 10-Mar-2001 UID 2") == "2");
}
