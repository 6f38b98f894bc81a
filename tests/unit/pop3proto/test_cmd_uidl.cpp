// UIDL (RFC 1939 §7): pop3_uidl_format, UIDLs preserved from a migration
// (dovecot-uidlist P fields), pop3_reuse_xuidl, pop3_save_uidl,
// pop3_uidl_duplicates.
#include "session_harness.hpp"

#include <filesystem>
#include <fstream>
#include <iterator>

#include <sys/stat.h>

using pop3_test::Pop3Env;
using pop3_test::Pop3Harness;

namespace {

std::string hex8(std::uint32_t v) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%08x", v);
    return buf;
}

std::uint32_t uidvalidity(Pop3Env& env) { return env.open_inbox("alice").view().uidvalidity(); }

} // namespace

TEST_CASE("default format %08Xu%08Xv, the same in every session") {
    Pop3Env env;
    env.add_message("alice", "Subject: a\r\n\r\nx\r\n");
    env.add_message("alice", "Subject: b\r\n\r\ny\r\n");
    const std::string v = hex8(uidvalidity(env));
    std::string first;
    {
        Pop3Harness s(env);
        s.login();
        first = s.send("UIDL");
        CHECK(first == "+OK\r\n1 00000001" + v + "\r\n2 00000002" + v + "\r\n.\r\n");
        CHECK(s.send("UIDL 2") == "+OK 2 00000002" + v + "\r\n");
        CHECK(s.send("DELE 1") == "+OK Marked to be deleted.\r\n");
        CHECK(s.send("UIDL") == "+OK\r\n2 00000002" + v + "\r\n.\r\n");
    }
    Pop3Harness s(env);
    s.login();
    CHECK(s.send("UIDL") == first);
}

TEST_CASE("a UIDL preserved by a migration (P field) wins over the format") {
    Pop3Env env;
    env.add_message("alice", "Subject: a\r\n\r\nx\r\n", 0, {}, "migrated-uidl-1");
    env.add_message("alice", "Subject: b\r\n\r\ny\r\n");
    const std::string v = hex8(uidvalidity(env));
    Pop3Harness s(env);
    s.login();
    CHECK(s.send("UIDL") == "+OK\r\n1 migrated-uidl-1\r\n2 00000002" + v + "\r\n.\r\n");
}

TEST_CASE("a Maildir with Dovecot's dovecot-uidlist P fields") {
    Pop3Env env;
    const std::string md = env.maildir("alice");
    for (const char* d : {"cur", "new", "tmp"})
        std::filesystem::create_directories(md + "/" + d);
    auto write = [](const std::string& path, std::string_view text) { std::ofstream(path, std::ios::binary) << text; };
    write(md + "/cur/1700000000.M1P1.host,S=18:2,S", "Subject: a\n\nbody\n");
    write(md + "/cur/1700000001.M2P1.host,S=18:2,", "Subject: b\n\nbody\n");
    write(md + "/cur/1700000002.M3P1.host,S=18:2,", "Subject: c\n\nbody\n");
    // Dovecot 2.3's uidlist version 3: header, then "uid [fields] :filename".
    write(md + "/dovecot-uidlist", "3 V1700000000 N4 G0123456789abcdef0123456789abcdef\n"
                                   "1 P+OK.old-1 :1700000000.M1P1.host,S=18\n"
                                   "2 Pold-two :1700000001.M2P1.host,S=18\n"
                                   "3 :1700000002.M3P1.host,S=18\n");
    Pop3Harness s(env);
    s.login();
    CHECK(s.send("UIDL") == "+OK\r\n1 +OK.old-1\r\n2 old-two\r\n3 00000003" + hex8(1700000000) + "\r\n.\r\n");
}

TEST_CASE("other formats: %v.%u, %u, %f, %g, %m") {
    {
        Pop3Env env("pop3_uidl_format = %v.%u\n");
        env.add_message("alice", "Subject: a\r\n\r\nx\r\n");
        const auto v = uidvalidity(env);
        Pop3Harness s(env);
        s.login();
        CHECK(s.send("UIDL 1") == "+OK 1 " + std::to_string(v) + ".1\r\n");
    }
    {
        Pop3Env env("pop3_uidl_format = %f\n");
        env.add_message("alice", "Subject: a\r\n\r\nx\r\n");
        Pop3Harness s(env);
        s.login();
        const std::string reply = s.send("UIDL 1");
        // The Maildir base name: the file name without ":2,<flags>" (as
        // dovecot-uidlist records it).
        std::string base;
        for (auto& e : std::filesystem::directory_iterator(env.maildir("alice") + "/cur"))
            base = e.path().filename().string();
        for (auto& e : std::filesystem::directory_iterator(env.maildir("alice") + "/new"))
            base = e.path().filename().string();
        base = base.substr(0, base.find(':'));
        CHECK(reply == "+OK 1 " + base + "\r\n");
    }
    {
        Pop3Env env("pop3_uidl_format = %m\n");
        env.add_message("alice", "Subject: a\r\n\r\nx\r\n");
        Pop3Harness s(env);
        s.login();
        // MD5 of the header as stored (LF line ends: mail_save_crlf = no),
        // up to and including the empty line.
        CHECK(s.send("UIDL 1") == "+OK 1 bb4099e32bc0e86146e2ba3b14a8c411\r\n");
    }
}

TEST_CASE("pop3_reuse_xuidl takes the X-UIDL: header") {
    Pop3Env env("pop3_reuse_xuidl = yes\n");
    env.add_message("alice", "X-UIDL: fromheader7\r\nSubject: a\r\n\r\nx\r\n");
    env.add_message("alice", "Subject: b\r\n\r\nX-UIDL: inbody\r\n");
    const std::string v = hex8(uidvalidity(env));
    Pop3Harness s(env);
    s.login();
    CHECK(s.send("UIDL") == "+OK\r\n1 fromheader7\r\n2 00000002" + v + "\r\n.\r\n");
}

TEST_CASE("pop3_save_uidl keeps UIDLs across a change of pop3_uidl_format") {
    loft_test::TempDir keep{"loft-pop3-saved"};
    std::string first_config = "pop3_save_uidl = yes\npop3_uidl_format = first-%u\n";
    Pop3Env env(first_config);
    env.add_message("alice", "Subject: a\r\n\r\nx\r\n");
    {
        Pop3Harness s(env);
        s.login();
        CHECK(s.send("UIDL 1") == "+OK 1 first-1\r\n");
        CHECK(s.send("QUIT") == "+OK Logging out.\r\n");
    }
    // Same mail, new format: the saved UIDL is read back first.
    auto changed = mailstore::config::Config::load_string(
        "mail_location = maildir:" + env.dir.str() + "/mail/%u/Maildir\nmail_fsync = never\n"
        "pop3_save_uidl = yes\npop3_uidl_format = second-%u\n"
        "passdb {\n  driver = passwd-file\n  args = " + env.dir.str() + "/users\n}\n"
        "userdb {\n  driver = static\n  args = home=" + env.dir.str() + "/home/%u\n}\n");
    REQUIRE(changed.is_ok());
    env.config = std::make_shared<const mailstore::config::Config>(std::move(*changed));
    env.add_message("alice", "Subject: b\r\n\r\ny\r\n");
    Pop3Harness s(env);
    s.login();
    CHECK(s.send("UIDL") == "+OK\r\n1 first-1\r\n2 second-2\r\n.\r\n");
}

TEST_CASE("pop3_uidl_duplicates: allow keeps them, rename makes them unique") {
    {
        Pop3Env env("pop3_reuse_xuidl = yes\n");
        env.add_message("alice", "X-UIDL: same\r\n\r\nx\r\n");
        env.add_message("alice", "X-UIDL: same\r\n\r\ny\r\n");
        Pop3Harness s(env);
        s.login();
        CHECK(s.send("UIDL") == "+OK\r\n1 same\r\n2 same\r\n.\r\n");
    }
    Pop3Env env("pop3_reuse_xuidl = yes\npop3_uidl_duplicates = rename\n");
    env.add_message("alice", "X-UIDL: same\r\n\r\nx\r\n");
    env.add_message("alice", "X-UIDL: same\r\n\r\ny\r\n");
    Pop3Harness s(env);
    s.login();
    CHECK(s.send("UIDL") == "+OK\r\n1 same\r\n2 same-2\r\n.\r\n");
}

TEST_CASE("a bad pop3_uidl_format falls back to the default") {
    Pop3Env env("pop3_uidl_format = %q\n");
    env.add_message("alice", "Subject: a\r\n\r\nx\r\n");
    const std::string v = hex8(uidvalidity(env));
    Pop3Harness s(env);
    s.login();
    CHECK(s.send("UIDL 1") == "+OK 1 00000001" + v + "\r\n");
}

namespace {

// The path of alice's mail file whose content holds `contains`.
std::string mail_file(Pop3Env& env, const std::string& contains) {
    for (const char* d : {"/cur", "/new"})
        for (auto& e : std::filesystem::directory_iterator(env.maildir("alice") + d)) {
            std::ifstream in(e.path(), std::ios::binary);
            std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
            if (text.find(contains) != std::string::npos)
                return e.path().string();
        }
    return {};
}

} // namespace

TEST_CASE("%m of a message that cannot be read: [SYS/TEMP], nothing cached, the same UIDL later") {
    Pop3Env env("pop3_uidl_format = %m\npop3_save_uidl = yes\n");
    env.add_message("alice", "Subject: a\r\n\r\nx\r\n");
    env.add_message("alice", "Subject: unreadable\r\n\r\ny\r\n");
    std::string good;
    {
        Pop3Env probe("pop3_uidl_format = %m\n");
        probe.add_message("alice", "Subject: unreadable\r\n\r\ny\r\n");
        Pop3Harness s(probe);
        s.login();
        good = s.send("UIDL 1").substr(6);
    }
    const std::string path = mail_file(env, "unreadable");
    REQUIRE(!path.empty());
    // Kept outside the Maildir, where a sync would take it for a new message.
    const std::string saved = env.dir.str() + "/saved-message";
    std::filesystem::rename(path, saved);
    // A FIFO in its place: not a regular file, an I/O error (not "expunged").
    REQUIRE(::mkfifo(path.c_str(), 0600) == 0);
    {
        Pop3Harness s(env);
        s.login();
        CHECK(s.send("UIDL") == "-ERR [SYS/TEMP] Couldn't get UIDLs. Refer to server log for more information.\r\n");
        CHECK(s.send("UIDL 2") == "-ERR [SYS/TEMP] Couldn't get UIDLs. Refer to server log for more information.\r\n");
        CHECK(s.send("QUIT") == "+OK Logging out.\r\n");
    }
    std::filesystem::remove(path);
    std::filesystem::rename(saved, path);
    Pop3Harness s(env);
    s.login();
    CHECK(s.send("UIDL 2") == "+OK 2 " + good);
}

TEST_CASE("%f is the Maildir base name also when dovecot-uidlist gives a different GUID (G field)") {
    for (const char* format : {"%f", "%g"}) {
        Pop3Env env(std::string("pop3_uidl_format = ") + format + "\n");
        const std::string md = env.maildir("alice");
        for (const char* d : {"cur", "new", "tmp"})
            std::filesystem::create_directories(md + "/" + d);
        std::ofstream(md + "/cur/1700000000.M1P1.host,S=18:2,S", std::ios::binary) << "Subject: a\n\nbody\n";
        std::ofstream(md + "/dovecot-uidlist", std::ios::binary)
            << "3 V1700000000 N2 G0123456789abcdef0123456789abcdef\n"
               "1 Gfedcba9876543210fedcba9876543210 :1700000000.M1P1.host,S=18\n";
        Pop3Harness s(env);
        s.login();
        CHECK(s.send("UIDL 1") == (std::string(format) == "%f" ? "+OK 1 1700000000.M1P1.host,S=18\r\n"
                                                                : "+OK 1 fedcba9876543210fedcba9876543210\r\n"));
    }
}
