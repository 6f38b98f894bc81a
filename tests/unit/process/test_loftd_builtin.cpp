// The built-in default: its config text, the demo user and the certificate.
#include "builtin_default.hpp"
#include "builtin_setup.hpp"
#include "demo_user.hpp"

#include <mailstore/config.hpp>

#include <doctest/doctest.h>

#include <crypt.h>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sys/stat.h>
#include <unistd.h>

namespace {

struct TempDir {
    std::filesystem::path path;
    TempDir() {
        std::string templ = (std::filesystem::temp_directory_path() / "loft-builtin-XXXXXX").string();
        path = mkdtemp(templ.data());
        chmod(path.c_str(), 0755); // the mail user must reach it when the tests run as root
    }
    ~TempDir() { std::filesystem::remove_all(path); }
};

std::string slurp(const std::filesystem::path& p) {
    std::ifstream in(p);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

mode_t mode_of(const std::filesystem::path& p) {
    struct stat st {};
    stat(p.c_str(), &st);
    return st.st_mode & 07777;
}

} // namespace

TEST_CASE("generated passwords use the unambiguous alphabet") {
    std::string pw = loftd::generate_password(24);
    CHECK(pw.size() == 24);
    CHECK(pw.find_first_of("0O1lI") == std::string::npos);
    CHECK(pw != loftd::generate_password(24));
}

TEST_CASE("SHA512-CRYPT hashes verify with crypt()") {
    auto hashed = loftd::hash_password_sha512_crypt("secret");
    REQUIRE(hashed.is_ok());
    REQUIRE(hashed->rfind("{SHA512-CRYPT}$6$", 0) == 0);
    std::string crypted = hashed->substr(std::string("{SHA512-CRYPT}").size());
    auto data = std::make_unique<crypt_data>();
    CHECK(std::string(crypt_r("secret", crypted.c_str(), data.get())) == crypted);
    CHECK(std::string(crypt_r("wrong", crypted.c_str(), data.get())) != crypted);
}

TEST_CASE("passwd-file lines leave uid and gid to mail_uid") {
    CHECK(loftd::passwd_file_line("demo", "{PLAIN}x", "/var/mail/demo") == "demo:{PLAIN}x::::/var/mail/demo::\n");
}

TEST_CASE("the built-in default text names the loopback ports and the var dir") {
    loftd::BuiltinDefaultOptions o;
    o.var_dir = "/srv/x/var";
    std::string text = loftd::builtin_default_config(o);
    for (const char* needle : {"listen = 127.0.0.1, ::1", "port = 10143", "port = 10993", "port = 10110",
                               "port = 10995", "port = 10024", "port = 14190", "base_dir = /srv/x/var/run",
                               "maildir:/srv/x/var/mail/%u/Maildir", "ssl_cert = </srv/x/var/tls/cert.pem"})
        CHECK_MESSAGE(text.find(needle) != std::string::npos, needle);
    CHECK(text.find("mail_uid") == std::string::npos);
    o.ipv6 = false;
    o.mail_user = "nobody";
    o.mail_group = "65534";
    text = loftd::builtin_default_config(o);
    CHECK(text.find("listen = 127.0.0.1\n") != std::string::npos);
    CHECK(text.find("mail_uid = nobody\nmail_gid = 65534\n") != std::string::npos);
}

TEST_CASE("first start creates var; a second start reuses it") {
    TempDir dir;
    std::string var = (dir.path / "var").string();
    auto first = loftd::prepare_builtin_default(var);
    REQUIRE_MESSAGE(first.is_ok(), first.status().message());
    CHECK(first->users_created);
    CHECK(first->cert_created);
    CHECK(first->demo_password.size() == 16);
    CHECK(slurp(var + "/demo-password") == first->demo_password + "\n");
    CHECK(mode_of(var + "/demo-password") == 0600);
    CHECK(mode_of(var + "/tls/key.pem") == 0600);
    CHECK(slurp(var + "/users").rfind("demo:{SHA512-CRYPT}$6$", 0) == 0);
    if (geteuid() == 0) {
        REQUIRE(first->mail_credentials);
        CHECK(first->mail_credentials->uid != 0u);
        CHECK(first->config_text.find("mail_uid = ") != std::string::npos);
    }

    // The text goes through the real parser.
    auto config = mailstore::config::Config::load_string(first->config_text, "<built-in default>", var);
    REQUIRE_MESSAGE(config.is_ok(), config.status().message());
    CHECK(config->get("base_dir") == var + "/run");
    CHECK(config->sections("service").size() == 4);

    std::string cert = slurp(var + "/tls/cert.pem");
    auto second = loftd::prepare_builtin_default(var);
    REQUIRE(second.is_ok());
    CHECK_FALSE(second->users_created);
    CHECK_FALSE(second->cert_created);
    CHECK(second->demo_password == first->demo_password);
    CHECK(slurp(var + "/tls/cert.pem") == cert);
}

TEST_CASE("as root, a new ./var in a user's directory belongs to that user, and so do the workers") {
    if (geteuid() != 0) {
        MESSAGE("not root: ownership not testable");
        return;
    }
    TempDir dir;
    REQUIRE(chown(dir.path.c_str(), 4242, 4343) == 0); // an owner without a passwd entry works too
    std::string var = (dir.path / "var").string();
    auto setup = loftd::prepare_builtin_default(var);
    REQUIRE_MESSAGE(setup.is_ok(), setup.status().message());
    REQUIRE(setup->mail_credentials);
    CHECK(setup->mail_credentials->uid == 4242u);
    CHECK(setup->mail_credentials->gid == 4343u);
    CHECK(setup->mail_user_reason == "the owner of " + var);
    CHECK(setup->config_text.find("mail_uid = 4242\nmail_gid = 4343\n") != std::string::npos);
    for (const char* sub : {"", "/mail", "/run", "/tls", "/tls/key.pem", "/users", "/demo-password"}) {
        struct stat st {};
        REQUIRE(stat((var + sub).c_str(), &st) == 0);
        CHECK_MESSAGE(st.st_uid == 4242u, sub);
    }
    CHECK(setup->warning.empty());
}
