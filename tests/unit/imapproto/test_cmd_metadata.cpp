// GETMETADATA / SETMETADATA (RFC 5464): the RFC's examples byte for byte,
// options, entry-name rules, limits, server entries, the capability and the
// refusals when METADATA is off, and what lands in the dict file.
#include "session_harness.hpp"

#include <doctest/doctest.h>

#include <mailstore/log.hpp>
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
    // The store's own check (a quoted value is not seen by the parser's).
    CHECK(s.cmd("a SETMETADATA INBOX (/private/ok \"fine\" /private/big \"" + std::string(max + 1, 'x') + "\")") ==
          "a NO [METADATA MAXSIZE " + max_text + "] Metadata entry value too large\r\n");
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
    CHECK(without_mailboxid(s.cmd("a CREATE Other")) == "a OK Create completed.\r\n");
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
    CHECK(without_mailboxid(s.cmd("a CREATE Work")) == "a OK Create completed.\r\n");
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
    CHECK(without_mailboxid(s.cmd("a CREATE Done")) == "a OK Create completed.\r\n");
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

namespace {

constexpr std::string_view kMaxSize = "NO [METADATA MAXSIZE 32768] Metadata entry value too large\r\n";

} // namespace

TEST_CASE("METADATA: a value literal above the limit gets [METADATA MAXSIZE] without being read (RFC 5464 §4.3)") {
    MailEnv env(kOn);
    SessionHarness s(env);
    s.login();
    REQUIRE(st::MetadataLimits{}.max_value_size == 32768);
    // Synchronising: no "+ OK", the tagged NO at once, and the client sends
    // nothing more for the command. 100 KiB and 10 MB exceed the parser's
    // 64 KiB literal limit too; 32769 only the store's.
    CHECK(s.send("a SETMETADATA INBOX (/private/big {102400}") == "a " + std::string(kMaxSize));
    CHECK(s.send("b SETMETADATA INBOX (/private/ok \"x\" /private/big {10485760}") == "b " + std::string(kMaxSize));
    CHECK(s.send("c SETMETADATA INBOX (/private/big ~{32769}") == "c " + std::string(kMaxSize));
    CHECK(s.cmd("d GETMETADATA INBOX (/private/ok /private/big)") ==
          "* METADATA INBOX (/private/ok NIL /private/big NIL)\r\nd OK Getmetadata completed.\r\n");
    // At the limit the literal is invited and stored.
    CHECK(s.send("e SETMETADATA INBOX (/private/big {32768}") == "+ OK\r\n");
    CHECK(s.send(std::string(32768, 'v') + ")") == "e OK Setmetadata completed.\r\n");
    // Non-synchronising (LITERAL+): the octets arrive anyway; they are read,
    // discarded (never kept in memory) with the rest of the command, and the
    // command is answered NO. The next command is parsed normally.
    CHECK(s.send_raw("f SETMETADATA INBOX (/private/big {102400+}\r\n" + std::string(102400, 'x') +
                     " /private/other \"y\")\r\ng NOOP\r\n") ==
          "f " + std::string(kMaxSize) + "g OK NOOP completed.\r\n");
    CHECK(s.send_raw("h SETMETADATA INBOX (/private/big {10485760+}\r\n" + std::string(10485760, 'x') + ")\r\n") ==
          "h " + std::string(kMaxSize));
    CHECK(s.send_raw("i SETMETADATA INBOX (/private/big {32769+}\r\n" + std::string(32769, 'x') + ")\r\n") ==
          "i " + std::string(kMaxSize));
    CHECK(s.cmd("j GETMETADATA INBOX (/private/other)") ==
          "* METADATA INBOX (/private/other NIL)\r\nj OK Getmetadata completed.\r\n");
    CHECK(read_file(dict_path(env)).find(std::string(32768, 'v')) != std::string::npos);
    CHECK(read_file(dict_path(env)).find("xxxx") == std::string::npos);
    // Only values: an entry name or the mailbox as a big literal keeps the
    // generic literal rules (read, then refused by the command).
    CHECK(s.send("k SETMETADATA INBOX ({40000}") == "+ OK\r\n");
    CHECK(s.send(std::string(40000, 'n') + " \"x\")").starts_with("k BAD "));
    CHECK(s.send("l SETMETADATA {40000}") == "+ OK\r\n");
    CHECK(s.send(std::string(40000, 'm') + " (/private/x \"x\")").starts_with("l "));
    CHECK(s.send("m SETMETADATA INBOX ({70000}") == "m BAD Error in IMAP command SETMETADATA: Literal too large\r\n");
    CHECK_FALSE(s.closed());
}

TEST_CASE("METADATA: with METADATA off a big value literal gets the generic refusal") {
    MailEnv off;
    SessionHarness s(off);
    s.login();
    CHECK(s.send("a SETMETADATA INBOX (/private/big {102400}") ==
          "a BAD Error in IMAP command SETMETADATA: Literal too large\r\n");
    CHECK(s.send("b SETMETADATA INBOX (/private/big {40000}") == "+ OK\r\n");
    CHECK(s.send(std::string(40000, 'x') + ")") == "b NO [CANNOT] Generic mailbox attributes not enabled\r\n");
}

TEST_CASE("METADATA: LITERAL- keeps its rule for non-synchronising values above 4096 octets") {
    MailEnv env(std::string(kOn) + "imap_literal_minus = yes\n");
    SessionHarness s(env);
    s.login();
    CHECK(s.send("a SETMETADATA INBOX (/private/big {40000}") == "a " + std::string(kMaxSize));
    const std::string out = s.send("b SETMETADATA INBOX (/private/big {40000+}");
    CHECK(out.starts_with("* BYE [TOOBIG] "));
    CHECK(s.closed());
}

TEST_CASE("METADATA: metadata_changed() runs after a successful SETMETADATA only") {
    MailEnv env(kOn);
    const std::string log_path = env.dir.str() + "/debug.log";
    mailstore::log::LogSettings ls;
    ls.set_log_path(log_path).set_log_timestamp("").set_mail_debug(true);
    REQUIRE(mailstore::log::configure(ls).is_ok());
    {
        SessionHarness s(env);
        s.login();
        CHECK(without_mailboxid(s.cmd("a CREATE Work")) == "a OK Create completed.\r\n");
        CHECK(s.cmd("a SETMETADATA Work (/private/Comment \"x\" /shared/comment NIL /private/comment \"y\")") ==
              "a OK Setmetadata completed.\r\n");
        CHECK(s.cmd("b SETMETADATA \"\" (/private/comment \"srv\")") == "b OK Setmetadata completed.\r\n");
        // Refused ones change nothing and are not reported.
        CHECK(s.cmd("c SETMETADATA Work (/private/refused \"" + std::string(40000, 'x') + "\")").starts_with("c NO "));
        CHECK(s.cmd("d SETMETADATA Work (/private/vendor/vendor.loft/k \"x\")").starts_with("d NO [CANNOT]"));
        CHECK(s.cmd("e SETMETADATA Work (/bad \"x\")").starts_with("e BAD "));
        CHECK(s.send("f SETMETADATA Work (/private/refused {40000}") == "f " + std::string(kMaxSize));
    }
    mailstore::log::flush();
    const std::string logged = read_file(log_path);
    (void)mailstore::log::configure(mailstore::log::LogSettings());
    std::vector<std::string> changed;
    std::istringstream in(logged);
    for (std::string l; std::getline(in, l);)
        if (l.find("Metadata changed: ") != std::string::npos)
            changed.push_back(l.substr(l.find("Metadata changed: ")));
    CHECK(changed == std::vector<std::string>{"Metadata changed: Work /shared/comment /private/comment",
                                              "Metadata changed: \"\" /private/comment"});
}

TEST_CASE("METADATA: internal entries never show, whatever the path and depth") {
    MailEnv env(std::string(kOn) + "mail_server_comment = srv\n");
    {
        auto user = env.open_user("alice");
        auto store = st::MetadataStore::open(user);
        REQUIRE(store.is_ok());
        auto guid = user.mailbox_guid("INBOX");
        REQUIRE(guid.is_ok());
        std::vector<st::MetadataChange> mbox{{"/private/vendor/vendor.loft/urlauth-key", "secret-key"},
                                             {"/shared/vendor/vendor.loft/x", "secret-shared"},
                                             {"/private/vendor/vendor.dovecot/pvt/state", "dovecot-state"},
                                             {"/shared/vendor/vendor.dovecot/pvt/y", "dovecot-shared"},
                                             {"/private/vendor/vendor.loftish", "visible-1"},
                                             {"/private/vendor/acme", "visible-2"}};
        REQUIRE(*store->set(*guid, mbox) == st::MetadataRefusal::none);
        std::vector<st::MetadataChange> server{{"/private/vendor/vendor.loft/urlauth-key", "secret-server"},
                                               {"/private/comment", "visible-3"}};
        REQUIRE(*store->set("", server) == st::MetadataRefusal::none);
    }
    SessionHarness s(env);
    s.login();
    const std::string mbox_all = "* METADATA INBOX (/private/vendor/acme \"visible-2\" "
                                 "/private/vendor/vendor.loftish \"visible-1\")\r\n";
    for (const char* spec : {"(/private /shared)", "/private", "(/private/vendor)", "(/private/vendor /shared/vendor)"}) {
        CAPTURE(spec);
        CHECK(s.cmd(std::string("a GETMETADATA (DEPTH infinity) INBOX ") + spec) == mbox_all + "a OK Getmetadata completed.\r\n");
    }
    CHECK(s.cmd("a GETMETADATA (DEPTH 1) INBOX (/private/vendor /shared/vendor)") ==
          mbox_all + "a OK Getmetadata completed.\r\n");
    CHECK(s.cmd("a GETMETADATA (DEPTH infinity) INBOX (/private/vendor/vendor.loft /shared/vendor/vendor.dovecot)") ==
          "a OK Getmetadata completed.\r\n");
    CHECK(s.cmd("a GETMETADATA (DEPTH infinity) INBOX (/private/vendor/vendor.dovecot/pvt)") ==
          "a OK Getmetadata completed.\r\n");
    // The server's entries, in every scope and depth.
    const std::string server_all = "* METADATA \"\" (/private/comment \"visible-3\" /shared/comment \"srv\")\r\n";
    CHECK(s.cmd("a GETMETADATA (DEPTH infinity) \"\" (/private /shared)") ==
          server_all + "a OK Getmetadata completed.\r\n");
    CHECK(s.cmd("a GETMETADATA (DEPTH infinity) \"\" (/private/vendor)") == "a OK Getmetadata completed.\r\n");
    CHECK(s.cmd("a GETMETADATA \"\" (/private/vendor/vendor.loft/urlauth-key)") ==
          "* METADATA \"\" (/private/vendor/vendor.loft/urlauth-key NIL)\r\na OK Getmetadata completed.\r\n");
    // Mixed case reaches the same (lower-case) names and is refused the same way.
    CHECK(s.cmd("a GETMETADATA INBOX (/Private/Vendor/Vendor.Loft/URLAUTH-key /SHARED/vendor/VENDOR.DOVECOT/pvt/y)") ==
          "* METADATA INBOX (/private/vendor/vendor.loft/urlauth-key NIL /shared/vendor/vendor.dovecot/pvt/y NIL)\r\n"
          "a OK Getmetadata completed.\r\n");
    CHECK(s.cmd("a SETMETADATA INBOX (/Private/Vendor/Vendor.Loft/URLAUTH-key \"x\")") ==
          "a NO [CANNOT] The /private/vendor/vendor.loft/urlauth-key attribute cannot be changed\r\n");
    // Nothing secret went out on any of these.
    const std::string all = s.cmd("z GETMETADATA (DEPTH infinity) INBOX (/private /shared)");
    for (const char* secret : {"secret", "dovecot-state", "dovecot-shared"})
        CHECK(all.find(secret) == std::string::npos);
}
