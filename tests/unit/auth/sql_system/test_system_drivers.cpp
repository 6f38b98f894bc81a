#include "auth/db/drivers.hpp"
#include "auth/system/pam_thread.hpp"
#include "system_user.hpp"
#include "temp_dir.hpp"

#include <mailstore/auth/password.hpp>
#include <mailstore/config.hpp>

#include <doctest/doctest.h>

#include <pwd.h>
#include <shadow.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <thread>
#include <vector>

using namespace mailstore;
using namespace mailstore::auth;
using Kind = PassdbResult::Kind;
using UKind = UserdbResult::Kind;

namespace {

DriverArgs args(const std::string& driver, const std::string& a = {}, const config::Config* cfg = nullptr) {
    DriverArgs d;
    d.driver = driver;
    d.args = a;
    d.where = {"loft.conf", 7};
    d.config = cfg;
    return d;
}

AuthRequest req(std::string user, std::string service = "imap") {
    AuthRequest r;
    r.user = std::move(user);
    r.client.service = std::move(service);
    r.client.remote_ip = "192.0.2.9";
    return r;
}

std::vector<std::string> listing(UserdbDriver& u) {
    std::vector<std::string> users;
    CHECK(u.iterate([&](std::string_view n) {
        users.emplace_back(n);
        return true;
    }));
    return users;
}

bool contains(const std::vector<std::string>& v, const std::string& s) {
    return std::find(v.begin(), v.end(), s) != v.end();
}

} // namespace

TEST_CASE("passwd userdb: uid, gid, home and system_groups_user as Dovecot returns them") {
    loft_test::SystemUser user;
    if (!user.ok())
        return;
    struct passwd* pw = getpwnam(user.name().c_str());
    REQUIRE(pw != nullptr);
    auto u = make_passwd_userdb(args("passwd"));
    REQUIRE(u);
    auto r = (*u)->lookup(req(user.name()));
    REQUIRE(r.kind == UKind::ok);
    std::vector<std::pair<std::string, std::string>> expected{{"system_groups_user", user.name()},
                                                              {"uid", std::to_string(pw->pw_uid)},
                                                              {"gid", std::to_string(pw->pw_gid)},
                                                              {"home", "/nonexistent/" + user.name()}};
    CHECK(r.fields.items() == expected);
    CHECK((*u)->lookup(req(user.name() + "x")).kind == UKind::user_unknown);
    CHECK((*u)->lookup(req(user.name() + "@example.com")).kind == UKind::user_unknown);
    CHECK((*u)->lookup(req("")).kind == UKind::user_unknown);
    CHECK((*u)->lookup(req(std::string("root\0x", 6))).kind == UKind::user_unknown);
}

TEST_CASE("passwd userdb: iterate lists users in first_valid_uid..last_valid_uid") {
    loft_test::SystemUser user;
    if (!user.ok())
        return;
    uid_t uid = getpwnam(user.name().c_str())->pw_uid;
    auto u = make_passwd_userdb(args("passwd"));
    REQUIRE(u);
    CHECK((*u)->can_iterate());
    auto all = listing(**u);
    CHECK(contains(all, user.name()));
    CHECK_FALSE(contains(all, "root")); // uid 0 < 500, the default first_valid_uid

    auto above = config::Config::load_string("first_valid_uid = " + std::to_string(uid + 1) + "\n");
    REQUIRE_MESSAGE(above, above.status().message());
    u = make_passwd_userdb(args("passwd", "", &*above));
    REQUIRE(u);
    CHECK_FALSE(contains(listing(**u), user.name()));
    auto below = config::Config::load_string("first_valid_uid = 0\nlast_valid_uid = " + std::to_string(uid - 1) + "\n");
    REQUIRE_MESSAGE(below, below.status().message());
    u = make_passwd_userdb(args("passwd", "", &*below));
    REQUIRE(u);
    auto listed = listing(**u);
    CHECK_FALSE(contains(listed, user.name()));
    CHECK(contains(listed, "root"));
    // Stopping early.
    int n = 0;
    CHECK((*u)->iterate([&](std::string_view) { return ++n < 1; }));
    CHECK(n == 1);
}

TEST_CASE("passwd/shadow: args") {
    CHECK(make_passwd_userdb(args("passwd", "blocking=no")));
    CHECK(make_shadow_passdb(args("shadow", "blocking=yes")));
    auto bad = make_shadow_passdb(args("shadow", "scheme=CRYPT"));
    REQUIRE_FALSE(bad);
    CHECK(bad.status().message() == "loft.conf:7: shadow: unknown argument 'scheme=CRYPT'");
    auto bad2 = make_passwd_userdb(args("passwd", "/etc/passwd"));
    REQUIRE_FALSE(bad2);
    CHECK(bad2.status().message() == "loft.conf:7: passwd: unknown argument '/etc/passwd'");
}

TEST_CASE("shadow passdb: the crypt hash verifies the right password only") {
    loft_test::SystemUser user;
    if (!user.ok())
        return;
    auto p = make_shadow_passdb(args("shadow"));
    REQUIRE(p);
    CHECK_FALSE((*p)->verifies_plaintext());
    auto r = (*p)->lookup(req(user.name()));
    REQUIRE(r.kind == Kind::ok);
    CHECK(r.default_scheme == "CRYPT");
    CHECK(r.password.rfind("$6$", 0) == 0);
    CHECK(r.password == getspnam(user.name().c_str())->sp_pwdp);
    auto right = verify_password(r.password, loft_test::SystemUser::password, user.name(), r.default_scheme);
    REQUIRE_MESSAGE(right, right.status().message());
    CHECK(*right);
    auto wrong = verify_password(r.password, "corr3ct-h0rse", user.name(), r.default_scheme);
    REQUIRE(wrong);
    CHECK_FALSE(*wrong);
    CHECK((*p)->lookup(req(user.name() + "zz")).kind == Kind::user_unknown);

    // A locked account keeps its "!" hash and fails as a mismatch.
    REQUIRE(loft_test::run("usermod -L " + user.name()) == 0);
    r = (*p)->lookup(req(user.name()));
    REQUIRE(r.kind == Kind::ok);
    CHECK(r.password.rfind("!$6$", 0) == 0);
    // The right password against the locked hash: a clean mismatch, not an
    // error (which the framework would report as a temporary failure).
    auto locked = verify_password(r.password, loft_test::SystemUser::password, user.name(), r.default_scheme);
    REQUIRE_MESSAGE(locked, locked.status().message());
    CHECK_FALSE(*locked);
}

TEST_CASE("shadow/passwd passdb: locked and disabled password fields are a clean mismatch") {
    loft_test::SystemUser user;
    if (!user.ok())
        return;
    auto shadow = make_shadow_passdb(args("shadow"));
    REQUIRE(shadow);
    auto passwd = make_passwd_passdb(args("passwd"));
    REQUIRE(passwd);
    // shadow(5) / passwd(5) values that lock or disable an account, and
    // what the passdb hands on (an empty field never means "no password").
    const std::vector<std::pair<std::string, std::string>> fields{
        {"*", "*"}, {"!", "!"}, {"!!", "!!"}, {"!*", "!*"}, {"*LK*", "*LK*"}, {"x", "x"}, {"", "*"}};
    for (const auto& entry : fields) {
        // (Not a structured binding: clang 14 cannot capture one in INFO.)
        const std::string& field = entry.first;
        const std::string& handed_on = entry.second;
        INFO("shadow field '" << field << "'");
        REQUIRE(loft_test::run("usermod -p '" + field + "' " + user.name()) == 0);
        REQUIRE(std::string(getspnam(user.name().c_str())->sp_pwdp) == field);
        auto r = (*shadow)->lookup(req(user.name()));
        REQUIRE(r.kind == Kind::ok);
        CHECK(r.error.empty());
        CHECK(r.password == handed_on);
        auto v = verify_password(r.password, loft_test::SystemUser::password, user.name(), r.default_scheme);
        REQUIRE_MESSAGE(v, v.status().message());
        CHECK_FALSE(*v);
        v = verify_password(r.password, "", user.name(), r.default_scheme);
        REQUIRE_MESSAGE(v, v.status().message());
        CHECK_FALSE(*v);
    }
    // The passwd passdb hands its field on the same way; its usual "x" is
    // checked in "passwd passdb: the /etc/passwd hash field with scheme
    // CRYPT" (editing /etc/passwd here could race with useradd elsewhere).
    auto r = (*passwd)->lookup(req(user.name()));
    REQUIRE(r.kind == Kind::ok);
    CHECK(r.password == "x");
}

TEST_CASE("shadow passdb: an unreadable /etc/shadow is an internal failure, not unknown") {
    loft_test::SystemUser user;
    if (!user.ok())
        return;
    auto p = make_shadow_passdb(args("shadow"));
    REQUIRE(p);
    // Without root the file cannot be opened.
    REQUIRE(seteuid(65534) == 0);
    auto r = (*p)->lookup(req(user.name()));
    REQUIRE(seteuid(0) == 0);
    CHECK(r.kind == Kind::internal_failure);
    CHECK(r.error == "shadow: getspnam_r(" + user.name() +
                         ") failed: Permission denied (reading /etc/shadow needs root)");
}

TEST_CASE("passwd passdb: the /etc/passwd hash field with scheme CRYPT") {
    loft_test::SystemUser user;
    if (!user.ok())
        return;
    auto p = make_passwd_passdb(args("passwd"));
    REQUIRE(p);
    auto r = (*p)->lookup(req(user.name()));
    REQUIRE(r.kind == Kind::ok);
    CHECK(r.default_scheme == "CRYPT");
    CHECK(r.password == "x"); // shadowed: never matches
    auto v = verify_password(r.password, loft_test::SystemUser::password, user.name(), r.default_scheme);
    REQUIRE_MESSAGE(v, v.status().message()); // a mismatch, not an error
    CHECK_FALSE(*v);
    CHECK((*p)->lookup(req(user.name() + "zz")).kind == Kind::user_unknown);
}

TEST_CASE("pam passdb: args") {
    auto p = make_pam_passdb(args("pam", "session=yes setcred=no failure_show_msg=yes max_requests=100 cache_key=%u%r imap"));
    REQUIRE_MESSAGE(p, p.status().message());
    CHECK((*p)->verifies_plaintext());
    CHECK((*p)->cache_key() == "%u%r");
    p = make_pam_passdb(args("pam"));
    REQUIRE(p);
    CHECK((*p)->cache_key() == ""); // PAM results are not cached unless asked
    auto check_bad = [](const std::string& a, const std::string& msg) {
        auto b = make_pam_passdb(args("pam", a));
        REQUIRE_FALSE(b);
        CHECK(b.status().message() == msg);
    };
    check_bad("session=maybe", "loft.conf:7: pam: session: expected yes or no, got 'maybe'");
    check_bad("max_requests=lots", "loft.conf:7: pam: max_requests: expected a number, got 'lots'");
    check_bad("dovecot imap", "loft.conf:7: pam: unexpected argument 'imap' after the service name");
    check_bad("frobnicate=1", "loft.conf:7: pam: unknown argument 'frobnicate'");
    // A lookup without a password cannot be answered by PAM.
    auto l = (*p)->lookup(req("root"));
    CHECK(l.kind == Kind::internal_failure);
    CHECK(l.error == "pam: cannot look up users without a password (PAM only verifies plaintext passwords)");
}

TEST_CASE("pam passdb: pam_unix checks the password and the account") {
    loft_test::SystemUser user;
    if (!user.ok())
        return;
    loft_test::PamService svc("unix", "auth required pam_unix.so\naccount required pam_unix.so\n");
    REQUIRE(svc.ok());
    auto p = make_pam_passdb(args("pam", svc.name()));
    REQUIRE(p);
    auto r = (*p)->verify(req(user.name()), loft_test::SystemUser::password);
    CHECK(r.kind == Kind::ok);
    CHECK(r.password.empty());
    r = (*p)->verify(req(user.name()), "wrong");
    CHECK(r.kind == Kind::password_mismatch);
    CHECK(r.error == "pam: pam_authenticate() failed: Authentication failure");
    r = (*p)->verify(req(user.name() + "zz"), "wrong");
    CHECK(r.kind == Kind::user_unknown);

    // An expired account: the password is right, pam_acct_mgmt refuses.
    REQUIRE(loft_test::run("usermod -e 1 " + user.name()) == 0);
    r = (*p)->verify(req(user.name()), loft_test::SystemUser::password);
    CHECK(r.kind == Kind::password_mismatch);
    CHECK(r.error == "pam: pam_acct_mgmt() failed: User account has expired");
}

TEST_CASE("pam passdb: %s picks the service per protocol; concurrent logins") {
    loft_test::SystemUser user;
    if (!user.ok())
        return;
    // The "imap" service lets the user in; "pop3" is denied outright.
    loft_test::PamService imap("imap", "auth required pam_unix.so\naccount required pam_unix.so\n");
    loft_test::PamService pop3("pop3", "auth required pam_deny.so\naccount required pam_deny.so\n");
    REQUIRE(imap.ok());
    REQUIRE(pop3.ok());
    std::string prefix = "loft-test-" + std::to_string(getpid()) + "-";
    auto p = make_pam_passdb(args("pam", "setcred=yes session=yes " + prefix + "%s"));
    REQUIRE(p);
    CHECK((*p)->verify(req(user.name(), "imap"), loft_test::SystemUser::password).kind == Kind::ok);
    CHECK((*p)->verify(req(user.name(), "pop3"), loft_test::SystemUser::password).kind == Kind::password_mismatch);

    std::atomic<int> ok{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&, t] {
            for (int i = 0; i < 5; ++i) {
                bool right = (i + t) % 2 == 0;
                auto r = (*p)->verify(req(user.name(), "imap"), right ? loft_test::SystemUser::password : "nope");
                if (r.kind == (right ? Kind::ok : Kind::password_mismatch))
                    ++ok;
            }
        });
    for (auto& t : threads)
        t.join();
    CHECK(ok.load() == 20);
}

TEST_CASE("pam passdb: a module that cannot be loaded is an internal failure") {
    loft_test::SystemUser user;
    if (!user.ok())
        return;
    loft_test::PamService svc("broken", "auth required /nonexistent/pam_loft_missing.so\naccount required pam_unix.so\n");
    REQUIRE(svc.ok());
    auto p = make_pam_passdb(args("pam", svc.name()));
    REQUIRE(p);
    auto r = (*p)->verify(req(user.name()), loft_test::SystemUser::password);
    CHECK(r.kind == Kind::internal_failure);
    CHECK(r.error.rfind("pam: pam_authenticate() failed: ", 0) == 0);
}

namespace {

// Polls `cond` for at most 20 s (a bound for a slow machine, not a
// measurement); returns its last value.
bool eventually(const std::function<bool()>& cond) {
    for (int i = 0; i < 2000; ++i) {
        if (cond())
            return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return cond();
}

std::size_t lines_in(const std::string& path) {
    std::ifstream in(path);
    std::size_t n = 0;
    for (std::string line; std::getline(in, line);)
        ++n;
    return n;
}

// A PAM module that hangs: pam_exec of a script that notes each run in
// `runs`, creates `started` and waits until `release` exists (at most
// 60 s). The destructor releases it and waits until the PAM thread is idle,
// so a failed check does not leave the next test behind a stuck module.
struct StuckModule {
    loft_test::TempDir dir;
    std::string started = dir.path("started"), release = dir.path("release"), runs = dir.path("runs");
    loft_test::PamService svc;
    explicit StuckModule(const std::string& tag)
        : svc(tag, "auth required pam_exec.so " +
                       dir.write("stuck.sh", "#!/bin/sh\necho \"$PAM_USER\" >> " + dir.path("runs") + "\ntouch " +
                                                 dir.path("started") + "\ni=0\nwhile [ ! -e " + dir.path("release") +
                                                 " ] && [ $i -lt 1200 ]; do sleep 0.05; i=$((i+1)); done\nexit 0\n") +
                       "\naccount required pam_permit.so\n") {
        chmod(dir.path("stuck.sh").c_str(), 0755);
    }
    ~StuckModule() {
        dir.write("release", "");
        eventually([] {
            auto st = system::pam_thread_state();
            return st.queued == 0 && !st.running;
        });
    }
    StuckModule(const StuckModule&) = delete;
    StuckModule& operator=(const StuckModule&) = delete;
};

} // namespace

TEST_CASE("pam passdb: timeout and max_queue args") {
    CHECK(make_pam_passdb(args("pam", "timeout=30s max_queue=16 dovecot")));
    CHECK(make_pam_passdb(args("pam", "timeout=500ms")));
    auto check_bad = [](const std::string& a, const std::string& msg) {
        auto b = make_pam_passdb(args("pam", a));
        REQUIRE_FALSE(b);
        CHECK(b.status().message() == msg);
    };
    check_bad("timeout=soon", "loft.conf:7: pam: timeout: expected a time from 1ms to 1h (30s, 500ms), got 'soon'");
    check_bad("timeout=0", "loft.conf:7: pam: timeout: expected a time from 1ms to 1h (30s, 500ms), got '0'");
    check_bad("timeout=2h", "loft.conf:7: pam: timeout: expected a time from 1ms to 1h (30s, 500ms), got '2h'");
    check_bad("max_queue=0", "loft.conf:7: pam: max_queue: expected a number (1-10000), got '0'");
    check_bad("max_queue=many", "loft.conf:7: pam: max_queue: expected a number (1-10000), got 'many'");
}

TEST_CASE("pam passdb: a stuck module fails the login after the timeout; later logins fail at once, not queued") {
    loft_test::SystemUser user;
    if (!user.ok())
        return;
    StuckModule stuck("stuck");
    REQUIRE(stuck.svc.ok());
    loft_test::PamService unix_svc("unixfast", "auth required pam_unix.so\naccount required pam_unix.so\n");
    REQUIRE(unix_svc.ok());
    auto p = make_pam_passdb(args("pam", "timeout=2s " + stuck.svc.name()));
    REQUIRE_MESSAGE(p, p.status().message());
    auto fast = make_pam_passdb(args("pam", "timeout=2s " + unix_svc.name()));
    REQUIRE(fast);

    // The caller gets its thread back: an internal (temporary) failure
    // naming the call that does not return.
    auto r = (*p)->verify(req(user.name()), loft_test::SystemUser::password);
    CHECK(r.kind == Kind::internal_failure);
    CHECK(r.error == "pam: pam_authenticate() for service " + stuck.svc.name() + ", user " + user.name() +
                         " did not return within 2 s (a PAM module is slow or stuck)");
    // On a loaded machine the 2 s may pass before the PAM thread reaches the
    // module: the call is still running and gets there.
    REQUIRE(eventually([&] { return std::filesystem::exists(stuck.started); }));
    CHECK(system::pam_thread_state().running);

    // While it is overdue, other PAM logins (any service: PAM calls are
    // serialized) fail at once instead of waiting behind it.
    r = (*fast)->verify(req(user.name()), loft_test::SystemUser::password);
    // The PAM thread picks the stuck call up a moment after its caller
    // queued it, and counts from then: on a loaded machine it may not be
    // overdue yet, and this login waits its 2 s in the queue instead. After
    // that wait it is overdue by any clock.
    if (r.error.rfind("pam: waited 2 s in the queue behind ", 0) == 0)
        r = (*fast)->verify(req(user.name()), loft_test::SystemUser::password);
    CHECK(r.kind == Kind::internal_failure);
    std::string prefix = "pam: not queued: pam_authenticate() for service " + stuck.svc.name() + ", user " +
                         user.name() + " has not returned for ";
    CHECK_MESSAGE(r.error.rfind(prefix, 0) == 0, r.error);
    const std::string suffix = " s (a PAM module is slow or stuck)";
    REQUIRE_MESSAGE(r.error.size() > prefix.size() + suffix.size(), r.error);
    CHECK(r.error.substr(r.error.size() - suffix.size()) == suffix);
    CHECK(system::pam_thread_state().queued == 0);

    // Once the module returns, PAM works again.
    stuck.dir.write("release", "");
    CHECK(eventually([&] { return !system::pam_thread_state().running; }));
    r = (*fast)->verify(req(user.name()), loft_test::SystemUser::password);
    CHECK(r.kind == Kind::ok);
    r = (*fast)->verify(req(user.name()), "wrong");
    CHECK(r.kind == Kind::password_mismatch);
    CHECK(lines_in(stuck.runs) == 1);
}

TEST_CASE("pam passdb: a full queue refuses at once; a caller that gives up in the queue is dropped unrun") {
    loft_test::SystemUser user;
    if (!user.ok())
        return;
    StuckModule stuck("queue");
    REQUIRE(stuck.svc.ok());
    auto slow = make_pam_passdb(args("pam", "timeout=60s max_queue=1 " + stuck.svc.name()));
    REQUIRE(slow);
    auto impatient = make_pam_passdb(args("pam", "timeout=300ms max_queue=1 " + stuck.svc.name()));
    REQUIRE(impatient);

    // A runs (and hangs until released).
    PassdbResult a, b;
    std::thread ta([&] { a = (*slow)->verify(req(user.name()), loft_test::SystemUser::password); });
    REQUIRE(eventually([&] { return std::filesystem::exists(stuck.started); }));

    // C waits behind A, gives up after its timeout and is taken out of the
    // queue: it never runs.
    auto c = (*impatient)->verify(req(user.name()), loft_test::SystemUser::password);
    CHECK(c.kind == Kind::internal_failure);
    CHECK(c.error == "pam: waited 0.3 s in the queue behind pam_authenticate() for service " + stuck.svc.name() +
                         ", user " + user.name() + " (a PAM module is slow or stuck)");
    CHECK(system::pam_thread_state().queued == 0);

    // B waits behind A; with max_queue=1 the next one (D) is refused at once.
    std::thread tb([&] { b = (*slow)->verify(req(user.name()), loft_test::SystemUser::password); });
    REQUIRE(eventually([] { return system::pam_thread_state().queued == 1; }));
    auto d = (*slow)->verify(req(user.name()), loft_test::SystemUser::password);
    CHECK(d.kind == Kind::internal_failure);
    CHECK(d.error == "pam: not queued: 1 PAM requests are already waiting (max_queue=1); running: "
                     "pam_authenticate() for service " + stuck.svc.name() + ", user " + user.name());

    stuck.dir.write("release", "");
    ta.join();
    tb.join();
    CHECK(a.kind == Kind::ok);
    CHECK(b.kind == Kind::ok);
    CHECK(lines_in(stuck.runs) == 2); // A and B; C and D never ran
}
