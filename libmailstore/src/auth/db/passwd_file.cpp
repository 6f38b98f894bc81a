// Parsing and caching of passwd-files (format: passwd_file.hpp).
#include "auth/db/passwd_file.hpp"

#include "auth/db/drivers.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

namespace mailstore::auth::passwd_file {
namespace {

std::atomic<long long> check_interval_ms{1000};

bool all_digits(std::string_view s) {
    if (s.empty())
        return false;
    for (char c : s)
        if (c < '0' || c > '9')
            return false;
    return true;
}

// A number below 2^32-1 ((uid_t)-1 means "no change" to chown).
std::optional<std::string> numeric_id(std::string_view s) {
    if (!all_digits(s) || s.size() > 10)
        return std::nullopt;
    unsigned long long v = 0;
    for (char c : s)
        v = v * 10 + static_cast<unsigned>(c - '0');
    if (v >= 0xffffffffULL)
        return std::nullopt;
    return std::to_string(v);
}

// Splits off the next ':'-terminated field; `rest` keeps what follows.
std::string_view next_field(std::string_view& rest, bool& more) {
    auto colon = rest.find(':');
    if (colon == std::string_view::npos) {
        std::string_view f = rest;
        rest = {};
        more = false;
        return f;
    }
    std::string_view f = rest.substr(0, colon);
    rest.remove_prefix(colon + 1);
    return f;
}

void parse_line(std::string_view line, std::size_t lineno, Parsed& out) {
    auto problem = [&](std::string reason) { out.problems.push_back({lineno, std::move(reason)}); };
    if (line.size() > max_line_length) {
        problem("line longer than " + std::to_string(max_line_length) + " bytes");
        return;
    }
    if (line.find('\0') != std::string_view::npos) {
        problem("NUL byte in line");
        return;
    }
    Entry e;
    std::string_view rest = line;
    bool more = true;
    e.user = next_field(rest, more);
    if (e.user.empty()) {
        problem("empty user name");
        return;
    }
    std::string_view uid, gid;
    if (more)
        e.password = next_field(rest, more);
    if (more)
        uid = next_field(rest, more);
    if (more)
        gid = next_field(rest, more);
    if (more)
        e.gecos = next_field(rest, more);
    if (more)
        e.home = next_field(rest, more);
    if (more)
        e.shell = next_field(rest, more);
    if (more)
        e.extra = parse_field_string(rest); // the rest, ':' included
    if (!uid.empty()) {
        auto v = resolve_uid(uid);
        if (!v) {
            problem("user " + e.user + " has invalid uid '" + std::string(uid) + "'");
            return;
        }
        e.uid = *v;
    }
    if (!gid.empty()) {
        auto v = resolve_gid(gid);
        if (!v) {
            problem("user " + e.user + " has invalid gid '" + std::string(gid) + "'");
            return;
        }
        e.gid = *v;
    }
    if (out.entries.size() >= 0xffffffffu) {
        problem("too many users");
        return;
    }
    auto [it, inserted] = out.index.emplace(e.user, static_cast<std::uint32_t>(out.entries.size()));
    if (!inserted) {
        problem("user " + e.user + " exists more than once (the first line is used)");
        return;
    }
    out.entries.push_back(std::move(e));
}

} // namespace

std::optional<std::string> resolve_uid(std::string_view field) {
    if (auto v = numeric_id(field))
        return v;
    if (all_digits(field) || field.empty() || field.size() > 256)
        return std::nullopt;
    std::string name(field);
    struct passwd pw, *res = nullptr;
    std::vector<char> buf(16384);
    if (getpwnam_r(name.c_str(), &pw, buf.data(), buf.size(), &res) != 0 || res == nullptr)
        return std::nullopt;
    return std::to_string(pw.pw_uid);
}

std::optional<std::string> resolve_gid(std::string_view field) {
    if (auto v = numeric_id(field))
        return v;
    if (all_digits(field) || field.empty() || field.size() > 256)
        return std::nullopt;
    std::string name(field);
    struct group gr, *res = nullptr;
    std::vector<char> buf(65536);
    if (getgrnam_r(name.c_str(), &gr, buf.data(), buf.size(), &res) != 0 || res == nullptr)
        return std::nullopt;
    return std::to_string(gr.gr_gid);
}

Parsed parse(std::string_view content) {
    Parsed out;
    // A typical line is 60-100 bytes: reserve so a 100,000-user file does not
    // rehash a dozen times.
    out.index.reserve(content.size() / 64 + 16);
    std::size_t lineno = 0, pos = 0;
    while (pos < content.size()) {
        ++lineno;
        auto nl = content.find('\n', pos);
        std::string_view line =
            content.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
        pos = nl == std::string_view::npos ? content.size() : nl + 1;
        if (!line.empty() && line.back() == '\r')
            line.remove_suffix(1); // files edited on Windows
        std::size_t first = line.find_first_not_of(" \t");
        if (first == std::string_view::npos || line[first] == '#')
            continue;
        parse_line(line, lineno, out);
    }
    return out;
}

void set_check_interval(std::chrono::milliseconds interval) { check_interval_ms = interval.count(); }

Result<std::shared_ptr<const Parsed>> CachedFile::get(const log::Logger& log, std::atomic<std::uint64_t>& generation) {
    std::lock_guard lock(mutex_);
    const auto now = std::chrono::steady_clock::now();
    if (data_ && now - last_check_ < std::chrono::milliseconds(check_interval_ms.load()))
        return data_;
    struct stat st {};
    if (stat(path_.c_str(), &st) != 0) {
        int err = errno;
        data_.reset(); // a file that comes back is loaded afresh
        if (err == ENOENT || err == ENOTDIR)
            return Status::not_found(path_ + ": " + std::strerror(err));
        return Status::io("stat(" + path_ + ") failed: " + std::strerror(err));
    }
    last_check_ = now;
    auto same = [](const Identity& id, const struct stat& s) {
        return id == Identity{s.st_dev, s.st_ino, s.st_size, static_cast<long long>(s.st_mtim.tv_sec),
                              s.st_mtim.tv_nsec};
    };
    if (data_ && same(identity_, st))
        return data_;

    int fd = open(path_.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int err = errno;
        data_.reset();
        if (err == ENOENT)
            return Status::not_found(path_ + ": " + std::strerror(err));
        return Status::io("open(" + path_ + ") failed: " + std::strerror(err));
    }
    std::string content;
    Status status;
    if (fstat(fd, &st) != 0) {
        status = Status::io("fstat(" + path_ + ") failed: " + std::strerror(errno));
    } else if (!S_ISREG(st.st_mode)) {
        status = Status::io(path_ + ": not a regular file");
    } else if (static_cast<unsigned long long>(st.st_size) > max_file_size) {
        status = Status::io(path_ + ": larger than " + std::to_string(max_file_size) + " bytes");
    } else {
        content.resize(static_cast<std::size_t>(st.st_size));
        std::size_t got = 0;
        while (got < content.size()) {
            ssize_t n = read(fd, content.data() + got, content.size() - got);
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0) {
                status = Status::io("read(" + path_ + ") failed: " + std::strerror(errno));
                break;
            }
            if (n == 0)
                break; // shrank while reading: use what is there
            got += static_cast<std::size_t>(n);
        }
        content.resize(got);
    }
    close(fd);
    if (!status.is_ok()) {
        data_.reset();
        return status;
    }
    auto parsed = std::make_shared<Parsed>(parse(content));
    std::size_t logged = 0;
    for (const auto& p : parsed->problems) {
        if (logged++ == max_logged_problems) {
            log.warning(path_ + ": " + std::to_string(parsed->problems.size() - max_logged_problems) +
                        " more malformed lines skipped");
            break;
        }
        log.warning(path_ + ":" + std::to_string(p.line) + ": " + p.reason);
    }
    identity_ = Identity{st.st_dev, st.st_ino, st.st_size, static_cast<long long>(st.st_mtim.tv_sec),
                         st.st_mtim.tv_nsec};
    data_ = std::move(parsed);
    generation.fetch_add(1);
    return data_;
}

} // namespace mailstore::auth::passwd_file
