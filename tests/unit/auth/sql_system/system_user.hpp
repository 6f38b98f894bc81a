// A temporary system user for the passwd/shadow/pam tests: created with
// useradd under a unique name, given a known password with chpasswd, and
// removed with userdel when the fixture ends (also when a check failed).
// Needs root; without it `ok()` is false and the tests say why.
#pragma once

#include <doctest/doctest.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <unistd.h>

namespace loft_test {

inline int run(const std::string& cmd) {
    int rc = std::system(cmd.c_str());
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

class SystemUser {
public:
    static constexpr const char* password = "Corr3ct-h0rse";

    SystemUser() : name_("lofttst" + std::to_string(getpid())) {
        if (geteuid() != 0) {
            MESSAGE("skipped: creating a system user needs root");
            return;
        }
        if (run("useradd -M -d /nonexistent/" + name_ + " -s /usr/sbin/nologin " + name_ + " 2>/dev/null") != 0) {
            MESSAGE("skipped: useradd " << name_ << " failed");
            return;
        }
        created_ = true;
        // SHA-512 crypt explicitly: the scheme does not depend on login.defs.
        ok_ = run("echo '" + name_ + ":" + password + "' | chpasswd -c SHA512") == 0;
        if (!ok_)
            MESSAGE("skipped: chpasswd failed");
    }
    ~SystemUser() {
        if (created_)
            run("userdel " + name_ + " 2>/dev/null");
    }
    SystemUser(const SystemUser&) = delete;
    SystemUser& operator=(const SystemUser&) = delete;

    bool ok() const { return ok_; }
    const std::string& name() const { return name_; }

private:
    std::string name_;
    bool created_ = false;
    bool ok_ = false;
};

// A PAM service file /etc/pam.d/loft-test-<pid>-<tag>, removed afterwards.
class PamService {
public:
    PamService(const std::string& tag, const std::string& text)
        : name_("loft-test-" + std::to_string(getpid()) + "-" + tag), path_("/etc/pam.d/" + name_) {
        if (FILE* f = std::fopen(path_.c_str(), "w")) {
            std::fputs(text.c_str(), f);
            ok_ = std::fclose(f) == 0;
        }
    }
    ~PamService() { std::remove(path_.c_str()); }
    PamService(const PamService&) = delete;
    PamService& operator=(const PamService&) = delete;
    bool ok() const { return ok_; }
    const std::string& name() const { return name_; }

private:
    std::string name_, path_;
    bool ok_ = false;
};

} // namespace loft_test
