#include "auth/system/system_users.hpp"

#include <cerrno>
#include <fcntl.h>
#include <unistd.h>
#include <cstring>
#include <sstream>

namespace mailstore::auth::system {
namespace {

// Calls `fn(buffer, size)` (a *_r lookup returning an errno value) with a
// buffer that doubles on ERANGE, up to pw_buffer_max.
template <typename Fn>
int with_buffer(std::vector<char>& buf, Fn fn) {
    buf.resize(1024);
    for (;;) {
        int rc = fn(buf.data(), buf.size());
        if (rc != ERANGE || buf.size() >= pw_buffer_max)
            return rc;
        buf.resize(buf.size() * 2);
    }
}

} // namespace

PasswdEntry lookup_passwd(const std::string& user) {
    PasswdEntry e;
    if (user.empty() || user.find('\0') != std::string::npos)
        return e;
    std::vector<char> buf;
    struct passwd pw {};
    struct passwd* out = nullptr;
    int rc = with_buffer(buf, [&](char* b, std::size_t n) { return getpwnam_r(user.c_str(), &pw, b, n, &out); });
    if (out != nullptr) {
        e.found = Found::yes;
        e.name = pw.pw_name ? pw.pw_name : "";
        e.passwd = pw.pw_passwd ? pw.pw_passwd : "";
        e.gecos = pw.pw_gecos ? pw.pw_gecos : "";
        e.dir = pw.pw_dir ? pw.pw_dir : "";
        e.shell = pw.pw_shell ? pw.pw_shell : "";
        e.uid = pw.pw_uid;
        e.gid = pw.pw_gid;
        return e;
    }
    // "Not found" comes back as 0, ENOENT, ESRCH, EBADF or EPERM depending
    // on the NSS module (getpwnam(3)).
    if (rc == 0 || rc == ENOENT || rc == ESRCH || rc == EBADF || rc == EPERM)
        return e;
    e.found = Found::error;
    e.error = std::string("getpwnam_r(") + user + ") failed: " + std::strerror(rc);
    return e;
}

ShadowEntry lookup_shadow(const std::string& user) {
    ShadowEntry e;
    if (user.empty() || user.find('\0') != std::string::npos)
        return e;
    std::vector<char> buf;
    struct spwd sp {};
    struct spwd* out = nullptr;
    int rc = with_buffer(buf, [&](char* b, std::size_t n) {
        errno = 0;
        int r = getspnam_r(user.c_str(), &sp, b, n, &out);
        // glibc returns -1 with errno set, or the errno value itself.
        return r == 0 ? 0 : (r > 0 ? r : errno);
    });
    if (out != nullptr) {
        e.found = Found::yes;
        e.hash = sp.sp_pwdp ? sp.sp_pwdp : "";
        return e;
    }
    if (rc == 0 || rc == ENOENT || rc == ESRCH) {
        // glibc's files module reports an /etc/shadow it cannot open as
        // "not found": that would make every user unknown to a process
        // without the rights, instead of failing the lookup.
        int fd = ::open("/etc/shadow", O_RDONLY | O_CLOEXEC);
        if (fd >= 0) {
            ::close(fd);
            return e;
        }
        if (errno != EACCES && errno != EPERM)
            return e;
        rc = errno;
    }
    e.found = Found::error;
    e.error = std::string("getspnam_r(") + user + ") failed: " + std::strerror(rc) +
              (rc == EACCES ? " (reading /etc/shadow needs root)" : "");
    return e;
}

Status check_plain_args(const DriverArgs& args) {
    std::istringstream in(args.args);
    std::string word;
    while (in >> word) {
        if (word == "blocking=yes" || word == "blocking=no")
            continue;
        return Status::invalid(args.where.to_string() + ": " + args.driver + ": unknown argument '" + word + "'");
    }
    return Status::ok();
}

} // namespace mailstore::auth::system
