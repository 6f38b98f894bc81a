// Deliverer over real Maildirs: the stored bytes, the replies and log
// lines, every delivery setting, mailbox choice and hard-link sharing.
#include "delivery_fixture.hpp"

#include <mailstore/storage/mailbox.hpp>
#include <mailstore/storage/user.hpp>

#include <sys/stat.h>
#include <unistd.h>

using namespace loft_test;

namespace {

const std::string message = "Subject: hi\r\nMessage-ID: <m1@x>\r\n\r\nbody line\r\nbare\nlf\r\n";

ino_t inode(const std::filesystem::path& p) {
    struct stat st {};
    REQUIRE(::stat(p.c_str(), &st) == 0);
    return st.st_ino;
}

// S= and W= of a Maildir file name.
std::pair<std::string, std::string> sizes_of(const std::filesystem::path& p) {
    const std::string name = p.filename().string();
    auto s = name.find(",S="), w = name.find(",W=");
    REQUIRE(s != std::string::npos);
    auto s_end = name.find_first_of(",:", s + 3);
    const std::string psize = name.substr(s + 3, s_end - s - 3);
    if (w == std::string::npos)
        return {psize, psize}; // Dovecot leaves W= out when it equals S=
    auto end = name.find_first_of(",:", w + 3);
    return {psize, name.substr(w + 3, end - w - 3)};
}

void check_sizes(const std::filesystem::path& p) {
    const std::string bytes = slurp(p);
    auto [s, w] = sizes_of(p);
    CHECK(s == std::to_string(bytes.size()));
    CHECK(w == std::to_string(bytes.size() + std::size_t(std::count(bytes.begin(), bytes.end(), '\n'))));
}

} // namespace

TEST_CASE("one recipient: INBOX gets the message with Dovecot's headers, LF line ends, right sizes") {
    DeliveryFixture f;
    auto d = f.deliverer();
    Spool spool = f.spool(message);
    auto results = d.deliver(test_envelope(), {f.recipient("alice@example.com", "alice@example.com")}, spool);
    REQUIRE(results.size() == 1);
    CHECK(results[0].outcome == RecipientResult::Outcome::delivered);
    CHECK(results[0].smtp_code == 250);
    CHECK(results[0].enhanced_code == "2.0.0");
    CHECK(results[0].text == "2.0.0 <alice@example.com> 0S7/CULVC2vyMAAAg+zDdQ Saved");
    CHECK(results[0].saved_to == std::vector<std::string>{"INBOX"});
    auto files = f.files("alice@example.com");
    REQUIRE(files.size() == 1);
    CHECK(files[0].parent_path().filename() == "new");
    CHECK(without_date(slurp(files[0])) == "Return-Path: <sender@remote.org>\n"
                                           "Delivered-To: alice@example.com\n"
                                           "Received: from client.example.org ([127.0.0.1])\n"
                                           "\tby mx.example.net with LMTP\n"
                                           "\tid 0S7/CULVC2vyMAAAg+zDdQ\n"
                                           "\t(envelope-from <sender@remote.org>)\n"
                                           "\tfor <alice@example.com>; DATE\n"
                                           "Subject: hi\n"
                                           "Message-ID: <m1@x>\n"
                                           "\n"
                                           "body line\n"
                                           "bare\n"
                                           "lf\n");
    check_sizes(files[0]);
    CHECK(f.log_text().find("lmtp(alice@example.com)<" + std::to_string(::getpid()) +
                            "><0S7/CULVC2vyMAAAg+zDdQ>: Info: msgid=<m1@x>: saved mail to INBOX\n") !=
          std::string::npos);
}

TEST_CASE("the message is visible through the storage with its UID") {
    DeliveryFixture f;
    auto d = f.deliverer();
    Spool spool = f.spool(message);
    Recipient r = f.recipient("alice@example.com", "alice@example.com");
    REQUIRE(d.deliver(test_envelope(), {r}, spool)[0].outcome == RecipientResult::Outcome::delivered);
    auto cfg = f.config();
    auto user = storage::User::open(*cfg, storage::user_settings_from_userdb(r.user, r.userdb_fields, "imap"));
    REQUIRE(user.is_ok());
    auto mb = storage::Mailbox::open(*user, "INBOX");
    REQUIRE(mb.is_ok());
    REQUIRE(mb->view().count() == 1);
    CHECK(mb->view().uid(1) == 1);
    auto data = mb->message(1).open();
    REQUIRE(data.is_ok());
    CHECK(std::string(data->bytes()).find("Subject: hi\n") != std::string::npos);
    CHECK(mb->message(1).virtual_size().value() == data->bytes().size() + 13);
}

TEST_CASE("several recipients: each copy is its own file naming only its recipient") {
    DeliveryFixture f;
    auto d = f.deliverer();
    Spool spool = f.spool(message);
    auto results = d.deliver(test_envelope(),
                             {f.recipient("alice@example.com", "alice@example.com"),
                              f.recipient("bob+tag@example.com", "bob@example.com")},
                             spool);
    REQUIRE(results.size() == 2);
    CHECK(results[0].text == "2.0.0 <alice@example.com> 0S7/CULVC2vyMAAAg+zDdQ Saved");
    CHECK(results[1].text == "2.0.0 <bob+tag@example.com> 0S7/CULVC2vyMAAAg+zDdQ:R2 Saved");
    auto a = f.files("alice@example.com");
    auto b = f.files("bob@example.com");
    REQUIRE(a.size() == 1);
    REQUIRE(b.size() == 1);
    CHECK(inode(a[0]) != inode(b[0]));
    const std::string bob = slurp(b[0]);
    CHECK(bob.find("alice") == std::string::npos);
    CHECK(slurp(a[0]).find("bob") == std::string::npos);
    CHECK(without_date(bob) == "Return-Path: <sender@remote.org>\n"
                               "Delivered-To: bob+tag@example.com\n"
                               "Received: from client.example.org ([127.0.0.1])\n"
                               "\tby mx.example.net with LMTP\n"
                               "\tid 0S7/CULVC2vyMAAAg+zDdQ\n"
                               "\t(envelope-from <sender@remote.org>); DATE\n"
                               "Subject: hi\n"
                               "Message-ID: <m1@x>\n"
                               "\n"
                               "body line\n"
                               "bare\n"
                               "lf\n");
    check_sizes(b[0]);
    CHECK(f.log_text().find("lmtp(bob@example.com)<" + std::to_string(::getpid()) +
                            "><0S7/CULVC2vyMAAAg+zDdQ:R2>: Info: msgid=<m1@x>: saved mail to INBOX\n") !=
          std::string::npos);
}

TEST_CASE("without per-recipient headers the recipients share one file by hard link") {
    DeliveryFixture f;
    auto d = f.deliverer("lmtp_hdr_delivery_address = none\n");
    Spool spool = f.spool(message);
    auto results = d.deliver(test_envelope(),
                             {f.recipient("alice@example.com", "alice@example.com"),
                              f.recipient("bob@example.com", "bob@example.com"),
                              f.recipient("carol@example.com", "carol@example.com")},
                             spool);
    for (const auto& r : results)
        CHECK(r.outcome == RecipientResult::Outcome::delivered);
    auto a = f.files("alice@example.com");
    auto b = f.files("bob@example.com");
    auto c = f.files("carol@example.com");
    REQUIRE(a.size() == 1);
    REQUIRE(b.size() == 1);
    REQUIRE(c.size() == 1);
    CHECK(inode(a[0]) == inode(b[0]));
    CHECK(inode(a[0]) == inode(c[0]));
    // Each mailbox has its own name for the file (its own uidlist line).
    CHECK(a[0].filename() != b[0].filename());
    const std::string text = slurp(b[0]);
    CHECK(text.find("Delivered-To") == std::string::npos);
    CHECK(text.find("\tfor <") == std::string::npos);
    check_sizes(b[0]);
    // With the default (final), the same three recipients get three files.
    auto named = f.deliverer();
    Spool again = f.spool(message);
    named.deliver(test_envelope(),
                  {f.recipient("alice@example.com", "alice@example.com"),
                   f.recipient("bob@example.com", "bob@example.com")},
                  again);
    auto a2 = f.files("alice@example.com");
    auto b2 = f.files("bob@example.com");
    REQUIRE(a2.size() == 2);
    REQUIRE(b2.size() == 2);
    const auto& a_new = a2[0] == a[0] ? a2[1] : a2[0];
    const auto& b_new = b2[0] == b[0] ? b2[1] : b2[0];
    CHECK(inode(a_new) != inode(b_new));
    CHECK(inode(a_new) != inode(a[0]));
}

TEST_CASE("lmtp_hdr_delivery_address = original names ORCPT, or lda_original_recipient_header's address") {
    DeliveryFixture f;
    auto d = f.deliverer("lmtp_hdr_delivery_address = original\nlda_original_recipient_header = X-Original-To\n");
    Recipient orcpt = f.recipient("alice+x@example.com", "alice@example.com");
    orcpt.original_address = "orig@example.com";
    Spool s1 = f.spool(message);
    d.deliver(test_envelope(), {orcpt}, s1);
    Spool s2 = f.spool("X-Original-To: <hdr@example.com>\r\nSubject: 2\r\n\r\nx\r\n");
    d.deliver(test_envelope(), {f.recipient("alice@example.com", "alice@example.com")}, s2);
    Spool s3 = f.spool("Subject: 3\r\n\r\nx\r\n");
    d.deliver(test_envelope(), {f.recipient("alice@example.com", "alice@example.com")}, s3);
    auto files = f.files("alice@example.com");
    REQUIRE(files.size() == 3);
    std::vector<std::string> texts;
    for (auto& p : files)
        texts.push_back(slurp(p));
    auto find = [&](const std::string& subject) {
        for (auto& t : texts)
            if (t.find(subject) != std::string::npos)
                return t;
        FAIL("no message " << subject);
        return std::string();
    };
    const std::string t1 = find("Subject: hi"), t2 = find("Subject: 2"), t3 = find("Subject: 3");
    CHECK(t1.find("Delivered-To: orig@example.com\n") != std::string::npos);
    CHECK(t1.find("\tfor <orig@example.com>; ") != std::string::npos);
    CHECK(t2.find("Delivered-To: hdr@example.com\n") != std::string::npos);
    CHECK(t3.find("Delivered-To:") == std::string::npos);
    CHECK(t3.find("\tfor <alice@example.com>; ") != std::string::npos);
}

TEST_CASE("lmtp_add_received_header = no, and the protocol lmtp { } block applies") {
    DeliveryFixture f;
    auto d = f.deliverer("protocol lmtp {\n  lmtp_add_received_header = no\n}\n");
    Spool spool = f.spool(message);
    d.deliver(test_envelope(), {f.recipient("alice@example.com", "alice@example.com")}, spool);
    auto files = f.files("alice@example.com");
    REQUIRE(files.size() == 1);
    CHECK(slurp(files[0]) == "Return-Path: <sender@remote.org>\n"
                             "Delivered-To: alice@example.com\n"
                             "Subject: hi\nMessage-ID: <m1@x>\n\nbody line\nbare\nlf\n");
}

TEST_CASE("the LDA adds no header, as Dovecot's LDA; -m picks the mailbox") {
    DeliveryFixture f;
    auto d = f.deliverer("lda_mailbox_autocreate = yes\n", "lda");
    Spool spool = f.spool("Subject: lda\n\nbody\n");
    Envelope e;
    e.mail_from = "from@x.org";
    e.session_id = "sid";
    Recipient r = f.recipient("alice@example.com", "alice@example.com");
    r.mailbox = "Box";
    auto results = d.deliver(e, {r}, spool);
    REQUIRE(results.size() == 1);
    CHECK(results[0].saved_to == std::vector<std::string>{"Box"});
    auto files = f.files("alice@example.com", "Box");
    REQUIRE(files.size() == 1);
    CHECK(slurp(files[0]) == "Subject: lda\n\nbody\n");
    CHECK(f.log_text().find("lda(alice@example.com)<" + std::to_string(::getpid()) +
                            "><sid>: Info: msgid=unspecified: saved mail to Box\n") != std::string::npos);
}

TEST_CASE("a missing -m mailbox without autocreate, or a bad name, falls back to INBOX") {
    DeliveryFixture f;
    auto d = f.deliverer("", "lda");
    for (const char* name : {"Missing", "a/../b", "bad\x01name"}) {
        CAPTURE(name);
        Spool spool = f.spool("Subject: m\n\nx\n");
        Recipient r = f.recipient("alice@example.com", "alice@example.com");
        r.mailbox = name;
        auto results = d.deliver(test_envelope(), {r}, spool);
        CHECK(results[0].outcome == RecipientResult::Outcome::delivered);
        CHECK(results[0].saved_to == std::vector<std::string>{"INBOX"});
    }
    CHECK(f.files("alice@example.com").size() == 3);
    CHECK_FALSE(std::filesystem::exists(std::filesystem::path(f.home("alice@example.com")) / "Maildir/.Missing"));
    CHECK(f.log_text().find("Info: msgid=unspecified: save failed to open mailbox Missing: Mailbox doesn't exist: "
                            "Missing\n") != std::string::npos);
}

TEST_CASE("a save that fails in an opened -m mailbox is not tried again in INBOX") {
    // The INBOX fallback is for a mailbox that cannot be opened; an empty
    // message (or one over the size limit) fails the same way everywhere.
    DeliveryFixture f;
    auto d = f.deliverer("lda_mailbox_autocreate = yes\n", "lda");
    Spool spool = f.spool("");
    Recipient r = f.recipient("alice@example.com", "alice@example.com");
    r.mailbox = "Box";
    auto results = d.deliver(test_envelope(), {r}, spool);
    REQUIRE(results.size() == 1);
    CHECK(results[0].outcome != RecipientResult::Outcome::delivered);
    CHECK(results[0].saved_to.empty());
    CHECK(f.files("alice@example.com").empty());
    CHECK(f.log_text().find("save failed to open mailbox Box") == std::string::npos);
}

TEST_CASE("lmtp_save_to_detail_mailbox: an existing detail mailbox, a missing one, autocreate and autosubscribe") {
    DeliveryFixture f;
    Recipient r = f.recipient("alice+lists@example.com", "alice@example.com");
    r.detail = "lists";
    {
        // Off: INBOX.
        auto d = f.deliverer();
        Spool s = f.spool(message);
        CHECK(d.deliver(test_envelope(), {r}, s)[0].saved_to == std::vector<std::string>{"INBOX"});
    }
    auto d = f.deliverer("lmtp_save_to_detail_mailbox = yes\n");
    {
        // On, but the mailbox does not exist: INBOX, logged as Dovecot does.
        Spool s = f.spool(message);
        CHECK(d.deliver(test_envelope(), {r}, s)[0].saved_to == std::vector<std::string>{"INBOX"});
        CHECK(f.log_text().find("msgid=<m1@x>: save failed to open mailbox lists: Mailbox doesn't exist: lists\n") !=
              std::string::npos);
    }
    {
        // The mailbox exists: saved there.
        auto cfg = f.config();
        auto user = storage::User::open(*cfg, storage::user_settings_from_userdb(r.user, r.userdb_fields, "lmtp"));
        REQUIRE(user.is_ok());
        REQUIRE(user->create_mailbox("lists").is_ok());
        Spool s = f.spool(message);
        CHECK(d.deliver(test_envelope(), {r}, s)[0].saved_to == std::vector<std::string>{"lists"});
        CHECK(f.files("alice@example.com", "lists").size() == 1);
    }
    CHECK(f.files("alice@example.com").size() == 2);
    {
        // The detail from the address when the caller left Recipient::detail empty;
        // autocreate and autosubscribe.
        auto auto_d = f.deliverer("lmtp_save_to_detail_mailbox = yes\nlda_mailbox_autocreate = yes\n"
                                  "lda_mailbox_autosubscribe = yes\n");
        Recipient r2 = f.recipient("alice+news@example.com", "alice@example.com");
        Spool s = f.spool(message);
        CHECK(auto_d.deliver(test_envelope(), {r2}, s)[0].saved_to == std::vector<std::string>{"news"});
        CHECK(f.files("alice@example.com", "news").size() == 1);
        CHECK(slurp(std::filesystem::path(f.home("alice@example.com")) / "Maildir/subscriptions").find("news\n") !=
              std::string::npos);
    }
    {
        // Autocreate without autosubscribe.
        auto auto_d = f.deliverer("lmtp_save_to_detail_mailbox = yes\nlda_mailbox_autocreate = yes\n");
        Recipient r3 = f.recipient("alice+quiet@example.com", "alice@example.com");
        Spool s = f.spool(message);
        CHECK(auto_d.deliver(test_envelope(), {r3}, s)[0].saved_to == std::vector<std::string>{"quiet"});
        CHECK(slurp(std::filesystem::path(f.home("alice@example.com")) / "Maildir/subscriptions").find("quiet") ==
              std::string::npos);
    }
    {
        // The LDA does not use the detail (Dovecot: -m does that).
        auto lda = f.deliverer("lmtp_save_to_detail_mailbox = yes\n", "lda");
        Spool s = f.spool(message);
        CHECK(lda.deliver(test_envelope(), {r}, s)[0].saved_to == std::vector<std::string>{"INBOX"});
    }
}

TEST_CASE("NUL, bare LF, bare CR and 8-bit bytes are stored as received (line ends as LF)") {
    DeliveryFixture f;
    auto d = f.deliverer("lmtp_add_received_header = no\nlmtp_hdr_delivery_address = none\n");
    const std::string body = "Subject: raw\r\n\r\nnul:\0:end\r\nbare\nlf\r\ncr\ronly\r\n8bit:\xc3\xa9\xff\r\n"s;
    Spool spool = f.spool(body);
    CHECK(spool.has_nul());
    CHECK(spool.has_8bit());
    CHECK(spool.has_bare_lf());
    d.deliver(test_envelope(), {f.recipient("alice@example.com", "alice@example.com")}, spool);
    auto files = f.files("alice@example.com");
    REQUIRE(files.size() == 1);
    CHECK(slurp(files[0]) ==
          "Return-Path: <sender@remote.org>\nSubject: raw\n\nnul:\0:end\nbare\nlf\ncr\ronly\n8bit:\xc3\xa9\xff\n"s);
    check_sizes(files[0]);
}

TEST_CASE("mail_save_crlf = yes stores CRLF line ends, the sizes follow") {
    DeliveryFixture f;
    auto d = f.deliverer("mail_save_crlf = yes\n");
    Spool spool = f.spool(message);
    d.deliver(test_envelope(), {f.recipient("alice@example.com", "alice@example.com")}, spool);
    auto files = f.files("alice@example.com");
    REQUIRE(files.size() == 1);
    const std::string text = slurp(files[0]);
    CHECK(text.find("bare\r\nlf\r\n") != std::string::npos);
    auto [s, w] = sizes_of(files[0]);
    CHECK(s == std::to_string(text.size()));
    CHECK(w == s);
}

TEST_CASE("mail_temp_dir and hostname are read for the protocol") {
    DeliveryFixture f;
    auto d = f.deliverer("mail_temp_dir = /var/tmp\nprotocol lmtp {\n  hostname = lmtp.example.net\n}\n");
    CHECK(d.temp_dir() == "/var/tmp");
    CHECK(d.hostname() == "lmtp.example.net");
    auto lda = f.deliverer("mail_temp_dir = /var/tmp\nprotocol lmtp {\n  hostname = lmtp.example.net\n}\n", "lda");
    CHECK(lda.hostname() == "mx.example.net");
    CHECK(f.deliverer().temp_dir() == "/tmp");
    Spool spool = f.spool(message);
    d.deliver(test_envelope(), {f.recipient("alice@example.com", "alice@example.com")}, spool);
    auto files = f.files("alice@example.com");
    REQUIRE(files.size() == 1);
    CHECK(slurp(files[0]).find("\tby lmtp.example.net with LMTP\n") != std::string::npos);
}

TEST_CASE("bad delivery settings are refused when the configuration loads or the Deliverer is made") {
    auto bad = config::Config::load_string("lmtp_hdr_delivery_address = sometimes\n");
    CHECK_FALSE(bad.is_ok());
    DeliveryFixture f;
    auto made = Deliverer::create(f.config("lda_original_recipient_header = X Bad\n"), "lmtp", log::Logger("lmtp"));
    REQUIRE_FALSE(made.is_ok());
    CHECK(made.status().message().find("lda_original_recipient_header") == 0);
    CHECK_FALSE(Deliverer::create(nullptr, "lmtp", log::Logger()).is_ok());
}

TEST_CASE("deliver_log_format shapes the per-message lines; an unknown variable is refused") {
    DeliveryFixture f;
    auto d = f.deliverer("deliver_log_format = from=%f subject=%s size=%p vsize=%w env=%e to=%{to_envelope} "
                         "id=%{msgid}: %$\n");
    Spool spool = f.spool("From: Someone <someone@example.org>\r\nSubject: =?utf-8?q?caf=C3=A9?=\r\n"
                          "Message-ID: <fmt@x>\r\n\r\nbare\nline\r\n");
    d.deliver(test_envelope(), {f.recipient("alice+x@example.com", "alice@example.com")}, spool);
    CHECK(f.log_text().find("Info: from=someone@example.org subject=caf\xc3\xa9 size=" + std::to_string(spool.size()) +
                            " vsize=" + std::to_string(spool.size() + 1) +
                            " env=sender@remote.org to=alice+x@example.com id=<fmt@x>: saved mail to INBOX\n") !=
          std::string::npos);
    CHECK(spool.bare_lf_count() == 1);
    auto bad = Deliverer::create(f.config("deliver_log_format = %q %$\n"), "lmtp", log::Logger("lmtp"));
    REQUIRE_FALSE(bad.is_ok());
    CHECK(bad.status().message().find("deliver_log_format: ") == 0);
}

TEST_CASE("Recipient::session_id overrides the derived id in the reply and the log") {
    DeliveryFixture f;
    auto d = f.deliverer();
    Spool spool = f.spool(message);
    Recipient a = f.recipient("alice@example.com", "alice@example.com");
    Recipient b = f.recipient("bob@example.com", "bob@example.com");
    b.session_id = "custom:R9";
    auto results = d.deliver(test_envelope(), {a, b}, spool);
    REQUIRE(results.size() == 2);
    CHECK(results[0].text == "2.0.0 <alice@example.com> 0S7/CULVC2vyMAAAg+zDdQ Saved");
    CHECK(results[1].text == "2.0.0 <bob@example.com> custom:R9 Saved");
    CHECK(f.log_text().find("lmtp(bob@example.com)<" + std::to_string(::getpid()) +
                            "><custom:R9>: Info: msgid=<m1@x>: saved mail to INBOX\n") != std::string::npos);
}
