#include "config_snapshot.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace loftd {

using mailstore::Result;
using mailstore::Status;
namespace cfg = mailstore::config;

namespace {

Status write_all_at(int fd, const std::string& text) {
    const char* p = text.data();
    std::size_t left = text.size();
    off_t offset = 0;
    while (left > 0) {
        ssize_t n = ::pwrite(fd, p, left, offset);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return Status::io(std::string("cannot write the workers' configuration: ") + std::strerror(errno));
        p += n;
        offset += n;
        left -= static_cast<std::size_t>(n);
    }
    return Status::ok();
}

} // namespace

Result<std::shared_ptr<ConfigMemfd>> ConfigMemfd::create(std::optional<gid_t> group, const std::string& text) {
    int fd = ::memfd_create("loft-resolved.conf", MFD_CLOEXEC);
    if (fd < 0)
        return Status::io(std::string("memfd_create: ") + std::strerror(errno));
    std::shared_ptr<ConfigMemfd> memfd(new ConfigMemfd(fd, group));
    // Owner and mode before any secret is in it.
    if (group) {
        if (::fchown(fd, 0, *group) != 0 || ::fchmod(fd, 0440) != 0)
            return Status::io("cannot give the workers' configuration to group " + std::to_string(*group) + ": " +
                              std::strerror(errno));
    } else if (::fchmod(fd, 0400) != 0) {
        return Status::io(std::string("cannot chmod the workers' configuration: ") + std::strerror(errno));
    }
    if (Status st = memfd->rewrite(text); !st)
        return st;
    return memfd;
}

ConfigMemfd::~ConfigMemfd() {
    if (fd_ >= 0)
        ::close(fd_);
}

Status ConfigMemfd::rewrite(const std::string& text) {
    if (::ftruncate(fd_, 0) != 0)
        return Status::io(std::string("cannot truncate the workers' configuration: ") + std::strerror(errno));
    return write_all_at(fd_, text);
}

std::optional<gid_t> snapshot_group(const ServicePlan& sp) {
    if (!sp.credentials)
        return std::nullopt;
    return sp.credentials->gid;
}

Result<std::string> snapshot_text(const cfg::Config& config, const std::string& source) {
    auto body = config.serialize();
    if (!body)
        return body.status();
    std::string text = "# The configuration loftd's workers read: " + source +
                       " as loftd read it, with\n"
                       "# every !include and <file already read. loftd keeps it in memory and hands it\n"
                       "# to each worker; edit the original and run `loftd reload`.\n\n";
    text += *body;
    if (auto check = cfg::Config::load_string(text, "the workers' configuration"); !check)
        return Status::error(Status::Code::internal,
                             "the resolved configuration for the workers does not load: " + check.status().message());
    return text;
}

void remove_snapshot_files(const std::string& base_dir) {
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(base_dir, ec)) {
        std::string name = entry.path().filename().string();
        if (name.rfind("loft-resolved", 0) != 0)
            continue;
        if (name.ends_with(".conf") || name.ends_with(".conf.tmp"))
            std::filesystem::remove(entry.path(), ec);
    }
}

} // namespace loftd
