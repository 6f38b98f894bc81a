#include "config_snapshot.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <sys/stat.h>
#include <unistd.h>

namespace loftd {

using mailstore::Result;
using mailstore::Status;
namespace cfg = mailstore::config;

namespace {

constexpr const char* kPrefix = "loft-resolved";

std::string snapshot_path(const std::string& base_dir, std::optional<gid_t> own_group) {
    if (!own_group)
        return base_dir + "/" + kPrefix + ".conf";
    return base_dir + "/" + kPrefix + "-" + std::to_string(*own_group) + ".conf";
}

Status write_all(int fd, const std::string& path, const std::string& text) {
    const char* p = text.data();
    std::size_t left = text.size();
    while (left > 0) {
        ssize_t n = ::write(fd, p, left);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return Status::io("cannot write " + path + ": " + std::strerror(errno));
        p += n;
        left -= static_cast<std::size_t>(n);
    }
    return Status::ok();
}

// Create `tmp` with the final owner and mode before any secret is in it.
Status write_temporary(const std::string& tmp, const SnapshotFile& file, const std::string& text) {
    ::unlink(tmp.c_str());
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
        return Status::io("cannot create " + tmp + ": " + std::strerror(errno));
    Status st;
    if (file.group) {
        if (::fchown(fd, 0, *file.group) != 0 || ::fchmod(fd, 0640) != 0)
            st = Status::io("cannot give " + tmp + " to group " + std::to_string(*file.group) + ": " +
                            std::strerror(errno));
    } else if (::fchmod(fd, 0600) != 0) {
        st = Status::io("cannot chmod " + tmp + ": " + std::strerror(errno));
    }
    if (st)
        st = write_all(fd, tmp, text);
    if (st && ::fsync(fd) != 0)
        st = Status::io("cannot write " + tmp + ": " + std::strerror(errno));
    if (::close(fd) != 0 && st)
        st = Status::io("cannot write " + tmp + ": " + std::strerror(errno));
    if (!st)
        ::unlink(tmp.c_str());
    return st;
}

void sync_directory(const std::string& dir) {
    int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        ::fsync(fd);
        ::close(fd);
    }
}

} // namespace

std::vector<SnapshotFile> assign_snapshot_files(Plan& plan) {
    std::vector<SnapshotFile> files;
    std::optional<gid_t> primary;
    std::vector<gid_t> others;
    for (const auto& sp : plan.services) {
        if (!sp.credentials)
            continue;
        gid_t gid = sp.credentials->gid;
        if (!primary)
            primary = gid;
        else if (gid != *primary && std::find(others.begin(), others.end(), gid) == others.end())
            others.push_back(gid);
    }
    files.push_back(SnapshotFile{snapshot_path(plan.base_dir, std::nullopt), primary});
    for (gid_t gid : others)
        files.push_back(SnapshotFile{snapshot_path(plan.base_dir, gid), gid});
    for (auto& sp : plan.services) {
        if (sp.credentials && sp.credentials->gid != *primary)
            sp.config_path = snapshot_path(plan.base_dir, sp.credentials->gid);
        else
            sp.config_path = files.front().path;
    }
    return files;
}

Result<std::string> snapshot_text(const cfg::Config& config, const std::string& source) {
    auto body = config.serialize();
    if (!body)
        return body.status();
    std::string text = "# The configuration loftd's workers read: " + source +
                       " as loftd read it, with\n"
                       "# every !include and <file already read. loftd writes it at start and on every\n"
                       "# reload; do not edit it (edit the original and run `loftd reload`).\n\n";
    return text + *body;
}

Status write_snapshots(const std::vector<SnapshotFile>& files, const std::string& text) {
    std::vector<std::string> temporaries;
    auto discard = [&] {
        for (const auto& tmp : temporaries)
            ::unlink(tmp.c_str());
    };
    for (const auto& file : files) {
        std::string tmp = file.path + ".tmp";
        if (Status st = write_temporary(tmp, file, text); !st) {
            discard();
            return st;
        }
        temporaries.push_back(tmp);
    }
    // The workers load exactly this; a text that does not load (a bug, or a
    // bound of the parser) must fail here, not in every worker.
    if (auto check = cfg::Config::load_file(temporaries.front()); !check) {
        discard();
        return Status::error(Status::Code::internal,
                             "the resolved configuration for the workers does not load: " + check.status().message());
    }
    for (std::size_t i = 0; i < files.size(); ++i) {
        if (::rename(temporaries[i].c_str(), files[i].path.c_str()) != 0) {
            Status st = Status::io("cannot rename " + temporaries[i] + " to " + files[i].path + ": " +
                                   std::strerror(errno));
            for (std::size_t j = i; j < temporaries.size(); ++j)
                ::unlink(temporaries[j].c_str());
            return st;
        }
    }
    sync_directory(std::filesystem::path(files.front().path).parent_path().string());
    return Status::ok();
}

void remove_stale_snapshots(const std::string& base_dir, const std::vector<SnapshotFile>& keep) {
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(base_dir, ec)) {
        std::string name = entry.path().filename().string();
        if (name.rfind(std::string(kPrefix) + "-", 0) != 0 || entry.path().extension() != ".conf")
            continue;
        bool kept = false;
        for (const auto& file : keep)
            kept = kept || file.path == entry.path().string();
        if (!kept)
            std::filesystem::remove(entry.path(), ec);
    }
}

} // namespace loftd
