#include "runtime_dir.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <set>
#include <sys/stat.h>
#include <unistd.h>

namespace loftd {

using mailstore::Status;

namespace {

Status own(const std::string& path, uid_t uid, gid_t gid, mode_t mode) {
    if (::chown(path.c_str(), uid, gid) != 0)
        return Status::io("cannot chown " + path + ": " + std::strerror(errno));
    if (::chmod(path.c_str(), mode) != 0)
        return Status::io("cannot chmod " + path + ": " + std::strerror(errno));
    return Status::ok();
}

} // namespace

Status prepare_runtime_dir(const Plan& plan, bool fresh) {
    const std::string admin = plan.base_dir + "/admin";
    if (fresh) {
        std::error_code ec;
        for (const auto& entry : std::filesystem::directory_iterator(admin, ec))
            if (entry.path().extension() == ".sock")
                std::filesystem::remove(entry.path(), ec);
    }
    if (::mkdir(admin.c_str(), 0700) != 0 && errno != EEXIST)
        return Status::io("cannot create " + admin + ": " + std::strerror(errno));

    std::set<std::pair<uid_t, gid_t>> identities;
    for (const auto& sp : plan.services) {
        if (!sp.credentials)
            continue;
        identities.insert({sp.credentials->uid, sp.credentials->gid});
        const std::string table = plan.base_dir + "/loft-" + sp.service + ".ipconn";
        int flags = O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | (fresh ? O_TRUNC : 0);
        int fd = ::open(table.c_str(), flags, 0600);
        if (fd < 0)
            return Status::io("cannot create " + table + ": " + std::strerror(errno));
        int rc = ::fchown(fd, sp.credentials->uid, sp.credentials->gid);
        int err = errno;
        ::close(fd);
        if (rc != 0)
            return Status::io("cannot chown " + table + ": " + std::strerror(err));
    }
    if (geteuid() != 0)
        return Status::ok();
    // One worker identity (the usual case): the directory is theirs, as if
    // they had made it. Several: root keeps it, anyone may add a socket but
    // only list or remove their own (sticky, not readable), and each socket
    // is mode 0600 for its worker.
    if (identities.size() == 1)
        return own(admin, identities.begin()->first, identities.begin()->second, 0700);
    if (identities.empty()) {
        // No worker to serve yet: the directory goes with base_dir, so a
        // later run as base_dir's owner can use it.
        struct stat st {};
        if (::stat(plan.base_dir.c_str(), &st) != 0)
            return Status::io("cannot stat " + plan.base_dir + ": " + std::strerror(errno));
        return own(admin, st.st_uid, st.st_gid, 0700);
    }
    return own(admin, 0, 0, 01733);
}

void remove_worker_admin_socket(const std::string& base_dir, const std::string& service, pid_t pid) {
    std::string path = base_dir + "/admin/" + service + "." + std::to_string(pid) + ".sock";
    ::unlink(path.c_str());
}

} // namespace loftd
