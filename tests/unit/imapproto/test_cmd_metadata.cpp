// GETMETADATA / SETMETADATA (RFC 5464): the RFC's examples byte for byte,
// options, entry-name rules, limits, server entries, the capability and the
// refusals when METADATA is off, and what lands in the dict file.
#include "session_harness.hpp"

#include <doctest/doctest.h>

#include <mailstore/storage/metadata.hpp>

#include <fstream>
#include <sstream>

using namespace imap_test;
namespace st = mailstore::storage;

namespace {

constexpr std::string_view kOn = "imap_metadata = yes\nmail_attribute_dict = file:%h/dovecot-attributes\n";

std::string dict_path(MailEnv& env, const std::string& user = "alice") {
    return env.dir.str() + "/home/" + user + "/dovecot-attributes";
}

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

std::string guid_of(MailEnv& env, const std::string& mailbox) {
    auto user = env.open_user("alice");
    auto g = user.mailbox_guid(mailbox);
    REQUIRE(g.is_ok());
    return *g;
}

} // namespace

TEST_CASE("METADATA: the capability only with imap_metadata = yes") {
    MailEnv on(kOn);
    SessionHarness a(on);
    a.login();
    CHECK(a.cmd("c CAPABILITY").find(" METADATA METADATA-SERVER") != std::string::npos);
    MailEnv off;
    SessionHarness b(off);
    b.login();
    CHECK(b.cmd("c CAPABILITY").find("METADATA") == std::string::npos);
}

TEST_CASE("METADATA: refused as Dovecot refuses them when off") {
    MailEnv off;
    SessionHarness s(off);
    s.login();
    CHECK(s.cmd("a GETMETADATA INBOX /private/comment") ==
          "a NO [CANNOT] Generic mailbox attributes not enabled\r\n");
    CHECK(s.cmd("b SETMETADATA INBOX (/private/comment \"x\")") ==
          "b NO [CANNOT] Generic mailbox attributes not enabled\r\n");
    CHECK(s.cmd("c GETMETADATA \"\" /shared/comment") == "c NO [CANNOT] Generic mailbox attributes not enabled\r\n");
    // imap_metadata = yes without a dict: Dovecot's other text.
    MailEnv nodict("imap_metadata = yes\n");
    SessionHarness t(nodict);
    t.login();
    CHECK(t.cmd("a GETMETADATA INBOX /private/comment") == "a NO [CANNOT] Mailbox attributes not enabled\r\n");
    CHECK(t.cmd("b SETMETADATA INBOX (/private/comment \"x\")") == "b NO [CANNOT] Mailbox attributes not enabled\r\n");
    // Not before login.
    SessionHarness u(off);
    CHECK(u.cmd("a GETMETADATA INBOX /private/comment").starts_with("a BAD "));
}

TEST_CASE("METADATA: RFC 5464 §4.2 and §4.3 examples") {
    MailEnv env(std::string(kOn) + "mail_server_comment = Shared comment\n");
    SessionHarness s(env);
    s.login();
    // §4.2: a server entry.
    CHECK(s.cmd("a GETMETADATA \"\" /shared/comment") ==
          "* METADATA \"\" (/shared/comment \"Shared comment\")\r\na OK Getmetadata completed.\r\n");
    // §4.3: a multi-line value as a literal.
    CHECK(s.send("a SETMETADATA INBOX (/private/comment {33}") == "+ OK\r\n");
    CHECK(s.send("My new comment across\r\ntwo lines.)") == "a OK Setmetadata completed.\r\n");
    CHECK(s.cmd("a GETMETADATA \"INBOX\" /private/comment") ==
          "* METADATA INBOX (/private/comment {33}\r\nMy new comment across\r\ntwo lines.)\r\n"
          "a OK Getmetadata completed.\r\n");
    CHECK(s.cmd("a SETMETADATA INBOX (/private/comment NIL)") == "a OK Setmetadata completed.\r\n");
    CHECK(s.cmd("a GETMETADATA \"INBOX\" /private/comment") ==
          "* METADATA INBOX (/private/comment NIL)\r\na OK Getmetadata completed.\r\n");
    // §4.3: several entries at once; §4.2: several entries back.
    CHECK(s.cmd("a SETMETADATA INBOX (/private/comment \"My new comment\" /shared/comment \"This one is for you!\")") ==
          "a OK Setmetadata completed.\r\n");
    CHECK(s.cmd("a GETMETADATA \"INBOX\" (/shared/comment /private/comment)") ==
          "* METADATA INBOX (/shared/comment \"This one is for you!\" /private/comment \"My new comment\")\r\n"
          "a OK Getmetadata completed.\r\n");
    // §4.2.1 MAXSIZE: the longer value is left out, LONGENTRIES names its size.
    std::string big(2199, 'x');
    CHECK(s.send("a SETMETADATA INBOX (/shared/comment {2199}") == "+ OK\r\n");
    CHECK(s.send(big + ")") == "a OK Setmetadata completed.\r\n");
    CHECK(s.cmd("a GETMETADATA \"INBOX\" (MAXSIZE 1024) (/shared/comment /private/comment)") ==
          "* METADATA INBOX (/private/comment \"My new comment\")\r\n"
          "a OK [METADATA LONGENTRIES 2199] Getmetadata completed.\r\n");
    // Nothing fits: no METADATA response at all.
    CHECK(s.cmd("a GETMETADATA (MAXSIZE 3) INBOX (/shared/comment /private/comment)") ==
          "a OK [METADATA LONGENTRIES 2199] Getmetadata completed.\r\n");
    // §4.2.2 DEPTH 1.
    CHECK(s.cmd("a SETMETADATA INBOX (/private/filters/values/small \"SMALLER 5000\" "
                "/private/filters/values/boss \"FROM \\\"boss@example.com\\\"\" /private/filters/values/boss/x \"deep\")") ==
          "a OK Setmetadata completed.\r\n");
    CHECK(s.cmd("a GETMETADATA \"INBOX\" (DEPTH 1) (/private/filters/values)") ==
          "* METADATA INBOX (/private/filters/values/boss {23}\r\nFROM \"boss@example.com\" "
          "/private/filters/values/small \"SMALLER 5000\")\r\na OK Getmetadata completed.\r\n");
    CHECK(s.cmd("a GETMETADATA INBOX (DEPTH infinity) (/private/filters)") ==
          "* METADATA INBOX (/private/filters/values/boss {23}\r\nFROM \"boss@example.com\" "
          "/private/filters/values/boss/x \"deep\" /private/filters/values/small \"SMALLER 5000\")\r\n"
          "a OK Getmetadata completed.\r\n");
    CHECK(s.cmd("a GETMETADATA (DEPTH 1 MAXSIZE 10) INBOX /private/filters/values") ==
          "a OK [METADATA LONGENTRIES 23] Getmetadata completed.\r\n");
    // Every entry once, however many specifiers name it (a bounded answer).
    CHECK(s.cmd("a GETMETADATA (DEPTH infinity) INBOX (/private /private/comment /private /private/none /private/none)") ==
          "* METADATA INBOX (/private/comment \"My new comment\" /private/filters/values/boss {23}\r\n"
          "FROM \"boss@example.com\" /private/filters/values/boss/x \"deep\" /private/filters/values/small \"SMALLER 5000\")\r\n"
          "a OK Getmetadata completed.\r\n");
    CHECK(s.cmd("a GETMETADATA INBOX (/private/none /private/comment /private/none)") ==
          "* METADATA INBOX (/private/none NIL /private/comment \"My new comment\")\r\na OK Getmetadata completed.\r\n");
    // With a depth, a missing entry is not listed (DEPTH 0 says NIL).
    CHECK(s.cmd("a GETMETADATA (DEPTH 1) INBOX /private/none") == "a OK Getmetadata completed.\r\n");
}

TEST_CASE("METADATA: entry-name and syntax errors are BAD (RFC 5464 §3.2), in Dovecot's words") {
    MailEnv env(kOn);
    SessionHarness s(env);
    s.login();
    CHECK(s.cmd("a SETMETADATA INBOX (/foo \"x\")") ==
          "a BAD Error in IMAP command SETMETADATA: Entry name must begin with /private or /shared\r\n");
    CHECK(s.cmd("a SETMETADATA INBOX (/private//x \"x\")") ==
          "a BAD Error in IMAP command SETMETADATA: Entry name can't contain consecutive '/'\r\n");
    CHECK(s.cmd("a SETMETADATA INBOX (/private/x/ \"x\")") ==
          "a BAD Error in IMAP command SETMETADATA: Entry name can't end with '/'\r\n");
    CHECK(s.cmd("a SETMETADATA INBOX (/private/x* \"x\")") ==
          "a BAD Error in IMAP command SETMETADATA: Entry name can't contain '*'\r\n");
    CHECK(s.cmd("a SETMETADATA INBOX (/private/x% \"x\")") ==
          "a BAD Error in IMAP command SETMETADATA: Entry name can't contain '%'\r\n");
    CHECK(s.cmd("a SETMETADATA INBOX (\"/private/\xc3\xa9\" \"x\")") ==
          "a BAD Error in IMAP command SETMETADATA: Entry name can't contain control or 8bit characters\r\n");
    CHECK(s.cmd("a SETMETADATA INBOX (/private \"x\")") ==
          "a BAD Error in IMAP command SETMETADATA: Entry name must have a name below /private\r\n");
    CHECK(s.cmd("a SETMETADATA INBOX (/private/a)") == "a BAD Error in IMAP command SETMETADATA: Entry value missing\r\n");
    CHECK(s.cmd("a SETMETADATA INBOX /private/comment \"x\"") ==
          "a BAD Error in IMAP command SETMETADATA: Invalid arguments.\r\n");
    CHECK(s.cmd("a SETMETADATA INBOX (/private/a (x))") ==
          "a BAD Error in IMAP command SETMETADATA: Invalid value for /private/a\r\n");
    CHECK(s.cmd("a GETMETADATA INBOX /foo") ==
          "a BAD Error in IMAP command GETMETADATA: Entry name must begin with /private or /shared\r\n");
    CHECK(s.cmd("a GETMETADATA INBOX (/private/x/)") ==
          "a BAD Error in IMAP command GETMETADATA: Entry name can't end with '/'\r\n");
    CHECK(s.cmd("a GETMETADATA (DEPTH 2) INBOX /private") ==
          "a BAD Error in IMAP command GETMETADATA: Invalid value for DEPTH option\r\n");
    CHECK(s.cmd("a GETMETADATA (MAXSIZE x) INBOX /private") ==
          "a BAD Error in IMAP command GETMETADATA: Invalid value for MAXSIZE option\r\n");
    CHECK(s.cmd("a GETMETADATA (FOO 1) INBOX /private") == "a BAD Error in IMAP command GETMETADATA: Unknown option\r\n");
    CHECK(s.cmd("a GETMETADATA (DEPTH 1 DEPTH 0) INBOX /private") ==
          "a BAD Error in IMAP command GETMETADATA: Unknown option\r\n");
    // RFC 5464's §4.4.1 example lists entries without parentheses; its
    // grammar (§5) does not allow that, and neither does Dovecot.
    CHECK(s.cmd("a GETMETADATA INBOX /private/comment /shared/comment") ==
          "a BAD Error in IMAP command GETMETADATA: Invalid arguments.\r\n");
    CHECK(s.cmd("a GETMETADATA INBOX") == "a BAD Error in IMAP command GETMETADATA: Invalid arguments.\r\n");
    CHECK(s.cmd("a GETMETADATA INBOX ()") == "a BAD Error in IMAP command GETMETADATA: Invalid arguments.\r\n");
    // Nothing was stored by any of these.
    CHECK(read_file(dict_path(env)).empty());
}

TEST_CASE("METADATA: unknown mailboxes, server entries, internal entries") {
    MailEnv env(std::string(kOn) + "mail_server_admin = mailto:postmaster@example.com\n");
    SessionHarness s(env);
    s.login();
    CHECK(s.cmd("a GETMETADATA Nope (/private/x)") == "a NO [NONEXISTENT] Mailbox doesn't exist: Nope\r\n");
    CHECK(s.cmd("a SETMETADATA Nope (/private/x \"x\")") == "a NO [TRYCREATE] Mailbox doesn't exist: Nope\r\n");
    // /shared/admin (RFC 5464 §3.2.1.1) is read-only, from mail_server_admin;
    // /shared/comment from mail_server_comment (unset here).
    CHECK(s.cmd("a GETMETADATA \"\" (/shared/admin /shared/comment /private/comment)") ==
          "* METADATA \"\" (/shared/admin \"mailto:postmaster@example.com\" /shared/comment NIL /private/comment NIL)\r\n"
          "a OK Getmetadata completed.\r\n");
    CHECK(s.cmd("a SETMETADATA \"\" (/shared/admin \"mailto:x@y\")") ==
          "a NO [CANNOT] The /shared/admin attribute cannot be changed\r\n");
    CHECK(s.cmd("a SETMETADATA \"\" (/private/comment \"x\" /shared/comment \"y\")") ==
          "a NO [CANNOT] The /shared/comment attribute cannot be changed\r\n");
    CHECK(s.cmd("a SETMETADATA \"\" (/private/comment \"srv priv\" /shared/vendor/acme/x \"srv shared\")") ==
          "a OK Setmetadata completed.\r\n");
    CHECK(s.cmd("a GETMETADATA \"\" (DEPTH infinity) (/shared /private)") ==
          "* METADATA \"\" (/shared/admin \"mailto:postmaster@example.com\" /shared/vendor/acme/x \"srv shared\" "
          "/private/comment \"srv priv\")\r\na OK Getmetadata completed.\r\n");
    // Server entries are kept where Dovecot keeps them: under INBOX's GUID.
    const std::string inbox = guid_of(env, "INBOX");
    CHECK(read_file(dict_path(env)) == "priv/" + inbox + "/vendor/vendor.dovecot/pvt/server/comment\nsrv priv\n" +
                                           "shared/" + inbox + "/vendor/vendor.dovecot/pvt/server/vendor/acme/x\nsrv shared\n");
    // ... and are not INBOX's entries, nor can a client reach them there.
    CHECK(s.cmd("a GETMETADATA INBOX (DEPTH infinity) (/private /shared)") == "a OK Getmetadata completed.\r\n");
    CHECK(s.cmd("a GETMETADATA INBOX /private/vendor/vendor.dovecot/pvt/server/comment") ==
          "* METADATA INBOX (/private/vendor/vendor.dovecot/pvt/server/comment NIL)\r\na OK Getmetadata completed.\r\n");
    CHECK(s.cmd("a SETMETADATA INBOX (/private/vendor/vendor.dovecot/pvt/server/comment \"x\")") ==
          "a NO [CANNOT] The /private/vendor/vendor.dovecot/pvt/server/comment attribute cannot be changed\r\n");
}

TEST_CASE("METADATA: limits give [METADATA MAXSIZE] and [METADATA TOOMANY], all or nothing") {
    MailEnv env(kOn);
    SessionHarness s(env);
    s.login();
    const std::size_t max = st::MetadataLimits{}.max_value_size;
    const std::string max_text = std::to_string(max);
    CHECK(s.send("a SETMETADATA INBOX (/private/ok \"fine\" /private/big {" + std::to_string(max + 1) + "}") == "+ OK\r\n");
    CHECK(s.send(std::string(max + 1, 'x') + ")") == "a NO [METADATA MAXSIZE " + max_text + "] Metadata entry value too large\r\n");
    CHECK(s.cmd("a GETMETADATA INBOX (/private/ok /private/big)") ==
          "* METADATA INBOX (/private/ok NIL /private/big NIL)\r\na OK Getmetadata completed.\r\n");
    CHECK(s.send("a SETMETADATA INBOX (/private/big {" + max_text + "}") == "+ OK\r\n");
    CHECK(s.send(std::string(max, 'x') + ")") == "a OK Setmetadata completed.\r\n");
    // Entries per mailbox.
    const std::size_t limit = st::MetadataLimits{}.max_entries;
    std::string cmd = "a SETMETADATA INBOX (";
    for (std::size_t i = 1; i < limit; ++i)
        cmd += "/shared/e" + std::to_string(i) + " \"v\" ";
    cmd.pop_back();
    cmd += ")";
    CHECK(s.cmd(cmd) == "a OK Setmetadata completed.\r\n");
    CHECK(s.cmd("a SETMETADATA INBOX (/private/ok \"x\" /private/one-too-many \"v\")") ==
          "a NO [METADATA TOOMANY] Too many metadata entries\r\n");
    CHECK(s.cmd("a GETMETADATA INBOX (/private/ok)") ==
          "* METADATA INBOX (/private/ok NIL)\r\na OK Getmetadata completed.\r\n");
    // Replacing and deleting still work at the limit; other mailboxes have their own.
    CHECK(s.cmd("a SETMETADATA INBOX (/shared/e1 \"changed\")") == "a OK Setmetadata completed.\r\n");
    CHECK(s.cmd("a CREATE Other") == "a OK Create completed.\r\n");
    CHECK(s.cmd("a SETMETADATA Other (/private/ok \"x\")") == "a OK Setmetadata completed.\r\n");
    CHECK(s.cmd("a SETMETADATA INBOX (/shared/e1 NIL)") == "a OK Setmetadata completed.\r\n");
    CHECK(s.cmd("a SETMETADATA INBOX (/private/ok \"x\")") == "a OK Setmetadata completed.\r\n");
}

TEST_CASE("METADATA: binary values round-trip; literals for 8-bit, CR/LF and NUL (literal8)") {
    MailEnv env(kOn);
    SessionHarness s(env);
    s.login();
    const std::string bin("a\0b\r\n\xff\x01\t\"\\", 10);
    CHECK(s.send("a SETMETADATA INBOX (/private/bin ~{10}") == "+ OK\r\n");
    CHECK(s.send_raw(bin + ")\r\n") == "a OK Setmetadata completed.\r\n");
    CHECK(s.cmd("a GETMETADATA INBOX /private/bin") ==
          "* METADATA INBOX (/private/bin ~{10}\r\n" + bin + ")\r\na OK Getmetadata completed.\r\n");
    CHECK(s.cmd("a SETMETADATA INBOX (/private/q \"with \\\"quotes\\\"\" /private/u {4+}\r\n\xc3\xa9\xc3\xa9)") ==
          "a OK Setmetadata completed.\r\n");
    CHECK(s.cmd("a GETMETADATA INBOX (/private/q /private/u)") ==
          "* METADATA INBOX (/private/q {13}\r\nwith \"quotes\" /private/u {4}\r\n\xc3\xa9\xc3\xa9)\r\n"
          "a OK Getmetadata completed.\r\n");
    // Names are case-insensitive and come back in lower case (as Dovecot).
    CHECK(s.cmd("a SETMETADATA INBOX (/Private/Mixed \"M\")") == "a OK Setmetadata completed.\r\n");
    CHECK(s.cmd("a GETMETADATA INBOX /PRIVATE/MIXED") ==
          "* METADATA INBOX (/private/mixed \"M\")\r\na OK Getmetadata completed.\r\n");
    // An empty value is a value, not NIL.
    CHECK(s.cmd("a SETMETADATA INBOX (/private/empty \"\")") == "a OK Setmetadata completed.\r\n");
    CHECK(s.cmd("a GETMETADATA INBOX /private/empty") ==
          "* METADATA INBOX (/private/empty \"\")\r\na OK Getmetadata completed.\r\n");
    // The dict holds the value with Dovecot's escapes.
    const std::string inbox = guid_of(env, "INBOX");
    CHECK(read_file(dict_path(env)).find("priv/" + inbox + "/bin\n" + std::string("a\0b\001r\001n\xff\0011\001t\"\\\n", 15)) !=
          std::string::npos);
}

TEST_CASE("METADATA: entries follow RENAME and go with DELETE; another session sees them") {
    MailEnv env(kOn);
    SessionHarness s(env);
    s.login();
    CHECK(s.cmd("a CREATE Work") == "a OK Create completed.\r\n");
    CHECK(s.cmd("a SETMETADATA Work (/private/comment \"mine\" /shared/comment \"ours\")") ==
          "a OK Setmetadata completed.\r\n");
    SessionHarness other(env);
    other.login();
    CHECK(other.cmd("b GETMETADATA Work (/private/comment /shared/comment)") ==
          "* METADATA Work (/private/comment \"mine\" /shared/comment \"ours\")\r\nb OK Getmetadata completed.\r\n");
    CHECK(s.cmd("a RENAME Work Done") == "a OK Rename completed.\r\n");
    CHECK(s.cmd("a GETMETADATA Done (/private/comment /shared/comment)") ==
          "* METADATA Done (/private/comment \"mine\" /shared/comment \"ours\")\r\na OK Getmetadata completed.\r\n");
    const std::string guid = guid_of(env, "Done");
    CHECK(s.cmd("a DELETE Done") == "a OK Delete completed.\r\n");
    CHECK(read_file(dict_path(env)).find(guid) == std::string::npos);
    // A new mailbox of the same name starts without entries.
    CHECK(s.cmd("a CREATE Done") == "a OK Create completed.\r\n");
    CHECK(s.cmd("a GETMETADATA Done (/private/comment)") ==
          "* METADATA Done (/private/comment NIL)\r\na OK Getmetadata completed.\r\n");
    // The selected state works too; entries of other users are their own.
    CHECK(s.cmd("a SELECT INBOX").find("a OK") != std::string::npos);
    CHECK(s.cmd("a SETMETADATA INBOX (/private/comment \"alice\")") == "a OK Setmetadata completed.\r\n");
    SessionHarness bob(env);
    bob.login("bob");
    CHECK(bob.cmd("b GETMETADATA INBOX (/private/comment)") ==
          "* METADATA INBOX (/private/comment NIL)\r\nb OK Getmetadata completed.\r\n");
}

TEST_CASE("METADATA: Loft's internal entries (URLAUTH keys) are neither shown nor changed") {
    MailEnv env(kOn);
    {
        auto user = env.open_user("alice");
        auto store = st::MetadataStore::open(user);
        REQUIRE(store.is_ok());
        auto guid = user.mailbox_guid("INBOX");
        REQUIRE(guid.is_ok());
        std::vector<st::MetadataChange> c{{"/private/vendor/vendor.loft/urlauth-key", "secret-key"},
                                          {"/private/comment", "visible"}};
        REQUIRE(*store->set(*guid, c) == st::MetadataRefusal::none);
    }
    SessionHarness s(env);
    s.login();
    CHECK(s.cmd("a GETMETADATA INBOX (DEPTH infinity) (/private)") ==
          "* METADATA INBOX (/private/comment \"visible\")\r\na OK Getmetadata completed.\r\n");
    CHECK(s.cmd("a GETMETADATA INBOX (/private/vendor/vendor.loft/urlauth-key)") ==
          "* METADATA INBOX (/private/vendor/vendor.loft/urlauth-key NIL)\r\na OK Getmetadata completed.\r\n");
    CHECK(s.cmd("a SETMETADATA INBOX (/private/vendor/vendor.loft/urlauth-key NIL)") ==
          "a NO [CANNOT] The /private/vendor/vendor.loft/urlauth-key attribute cannot be changed\r\n");
    CHECK(read_file(dict_path(env)).find("secret-key") != std::string::npos);
}

TEST_CASE("METADATA: a %h dict for a user without a home is refused, never a file in /") {
    MailEnv env(kOn);
    st::UserSettings settings;
    settings.username = "alice";
    auto user = st::User::open(*env.config, settings);
    REQUIRE(user.is_ok());
    auto store = st::MetadataStore::open(*user);
    REQUIRE_FALSE(store.is_ok());
    CHECK(store.status().code() == mailstore::Status::Code::invalid_argument);
    CHECK(store.status().message() ==
          "mail_attribute_dict: 'file:%h/dovecot-attributes' uses the home directory, but user alice has none");
}
