// Resolving worker users and the rules that refuse root and system uids.
#include "privileges.hpp"

#include <doctest/doctest.h>

#include <sys/wait.h>
#include <unistd.h>

TEST_CASE("lookup_user resolves names and numbers") {
    auto root = loft::lookup_user("root");
    REQUIRE(root.is_ok());
    CHECK(root->uid == 0);
    auto by_number = loft::lookup_user("0");
    REQUIRE(by_number.is_ok());
    CHECK(by_number->name == "root");
    // A numeric uid without a passwd entry is accepted, as Dovecot does.
    auto unnamed = loft::lookup_user("4242424");
    REQUIRE(unnamed.is_ok());
    CHECK(unnamed->uid == 4242424u);
    auto unknown = loft::lookup_user("no-such-user-loft");
    REQUIRE_FALSE(unknown.is_ok());
    CHECK(unknown.status().message() == "unknown user 'no-such-user-loft'");
}

TEST_CASE("lookup_group resolves names and numbers") {
    auto root = loft::lookup_group("root");
    REQUIRE(root.is_ok());
    CHECK(*root == 0u);
    CHECK(*loft::lookup_group("1234") == 1234u);
    CHECK_FALSE(loft::lookup_group("no-such-group-loft").is_ok());
}

TEST_CASE("resolve_credentials names the setting in its errors") {
    auto bad = loft::resolve_credentials("no-such-user-loft", "", "mail_uid");
    REQUIRE_FALSE(bad.is_ok());
    CHECK(bad.status().message() == "mail_uid: unknown user 'no-such-user-loft'");
    auto group = loft::resolve_credentials("4242", "4343", "mail_uid");
    REQUIRE(group.is_ok());
    CHECK(group->uid == 4242u);
    CHECK(group->gid == 4343u);
}

TEST_CASE("workers never run as root or as a system uid") {
    loft::Credentials root{"root", 0, 0, true};
    auto refused = loft::check_worker_credentials(root, "mail_uid = root", 500);
    REQUIRE_FALSE(refused.is_ok());
    CHECK(refused.message().find("mail_uid = root: refusing to run workers as root") == 0);

    loft::Credentials gid0{"alice", 1000, 0, true};
    CHECK_FALSE(loft::check_worker_credentials(gid0, "mail_uid", 500).is_ok());

    loft::Credentials daemon{"daemon", 1, 1, true};
    auto low = loft::check_worker_credentials(daemon, "mail_uid = daemon", 500);
    REQUIRE_FALSE(low.is_ok());
    CHECK(low.message().find("below first_valid_uid = 500") != std::string::npos);

    loft::Credentials vmail{"vmail", 5000, 5000, true};
    CHECK(loft::check_worker_credentials(vmail, "mail_uid", 500).is_ok());
    CHECK_FALSE(loft::check_worker_credentials(vmail, "mail_uid", 500, 4000).is_ok());
    CHECK(loft::check_worker_credentials(vmail, "mail_uid", 500, 6000).is_ok());
}

TEST_CASE("drop_privileges makes root a user for good") {
    if (geteuid() != 0) {
        MESSAGE("not root: privilege drop not testable");
        return;
    }
    auto creds = loft::resolve_credentials("nobody", "", "test");
    REQUIRE(creds.is_ok());
    pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        if (!loft::drop_privileges(*creds))
            _exit(1);
        bool dropped = getuid() == creds->uid && geteuid() == creds->uid && getgid() == creds->gid;
        bool stuck = setuid(0) != 0 && seteuid(0) != 0;
        _exit(dropped && stuck ? 0 : 2);
    }
    int status = 0;
    REQUIRE(waitpid(pid, &status, 0) == pid);
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
}
