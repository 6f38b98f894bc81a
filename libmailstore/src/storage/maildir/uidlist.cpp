// dovecot-uidlist (docs/maildir.md "dovecot-uidlist"). What Dovecot 2.3.19
// writes, observed with doveadm:
//
//   3 V1795904438 N7 Gf45db439b6530b6b0e4e000083ecc375\n
//   1 :1795904438.M968104P19982.vm,S=28,W=32\n
//   5 W32 :dropped\n
//
// New messages are appended as whole lines under dovecot-uidlist.lock
// without touching the header, so the header's N may be behind the last
// line until the next rewrite: the next UID is max(N, last uid + 1).
#include "storage/maildir/uidlist.hpp"

#include "storage/format_io.hpp"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace mailstore::storage::maildir {
namespace {

// Bounds: a line holds a file name (NAME_MAX) and a few fields.
constexpr std::size_t max_line_length = 8192;
constexpr std::size_t max_fields = 32;
constexpr std::uint64_t max_file_size = std::uint64_t(512) << 20; // ~7 million messages

bool is_key(char c) { return c >= 'A' && c <= 'Z'; }

template <typename T>
bool parse_number(std::string_view s, T& out) {
    if (s.empty() || s.size() > 20 || s[0] < '0' || s[0] > '9') return false;
    const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc() && ptr == s.data() + s.size();
}

bool is_hex(std::string_view s) {
    for (char c : s)
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) return false;
    return true;
}

Status corrupt(std::size_t line_no, std::string_view what) {
    return Status::invalid("dovecot-uidlist line " + std::to_string(line_no) + ": " + std::string(what));
}

Status parse_header(std::string_view line, UidlistHeader& h) {
    if (line.size() > max_line_length) return corrupt(1, "header too long");
    std::size_t sp = line.find(' ');
    const std::string_view ver = line.substr(0, sp);
    if (!parse_number(ver, h.version) || h.version < 1 || h.version > 3)
        return corrupt(1, "unsupported version '" + std::string(ver.substr(0, 16)) + "' (1, 2 or 3 expected)");
    if (sp == std::string_view::npos) return corrupt(1, "header without UIDVALIDITY");
    std::string_view rest = line.substr(sp + 1);
    if (h.version < 3) {
        // "1 <uidvalidity> <next uid>" (versions 1 and 2, Dovecot 1.0).
        sp = rest.find(' ');
        if (sp == std::string_view::npos || !parse_number(rest.substr(0, sp), h.uidvalidity) ||
            !parse_number(rest.substr(sp + 1), h.next_uid))
            return corrupt(1, "header is not \"VERSION UIDVALIDITY NEXTUID\"");
    } else {
        bool have_v = false, have_n = false;
        std::size_t fields = 0;
        while (!rest.empty()) {
            sp = rest.find(' ');
            const std::string_view tok = rest.substr(0, sp);
            rest = sp == std::string_view::npos ? std::string_view() : rest.substr(sp + 1);
            if (tok.empty()) continue;
            if (++fields > max_fields) return corrupt(1, "too many header fields");
            if (!is_key(tok[0])) return corrupt(1, "header field '" + std::string(tok.substr(0, 32)) + "' without a key letter");
            const std::string_view val = tok.substr(1);
            switch (tok[0]) {
            case 'V':
                if (!parse_number(val, h.uidvalidity)) return corrupt(1, "bad UIDVALIDITY");
                have_v = true;
                break;
            case 'N':
                if (!parse_number(val, h.next_uid)) return corrupt(1, "bad next UID");
                have_n = true;
                break;
            case 'G':
                if (val.size() != 32 || !is_hex(val)) return corrupt(1, "mailbox GUID is not 32 hex digits");
                h.guid = std::string(val);
                break;
            default:
                h.other.emplace_back(tok[0], std::string(val));
            }
        }
        if (!have_v || !have_n) return corrupt(1, "header lacks V (UIDVALIDITY) or N (next UID)");
    }
    if (h.uidvalidity == 0) return corrupt(1, "UIDVALIDITY 0");
    if (h.next_uid == 0) return corrupt(1, "next UID 0");
    return Status::ok();
}

// One record line without its '\n'. `prev` is the previous line's UID.
Status parse_entry(std::string_view line, unsigned version, std::size_t line_no, Uid prev, UidlistEntry& e) {
    if (line.size() > max_line_length) return corrupt(line_no, "line longer than " + std::to_string(max_line_length));
    std::size_t sp = line.find(' ');
    if (sp == std::string_view::npos) return corrupt(line_no, "no file name");
    if (!parse_number(line.substr(0, sp), e.uid) || e.uid == 0) return corrupt(line_no, "bad UID");
    if (e.uid == 0xffffffffu) return corrupt(line_no, "UID 4294967295 leaves no next UID");
    if (e.uid <= prev) return corrupt(line_no, "UID " + std::to_string(e.uid) + " not above the previous " + std::to_string(prev));
    std::string_view rest = line.substr(sp + 1);
    if (version < 3 && (rest.empty() || rest[0] != ':')) {
        // Version 1/2 lines: "<uid> <file name>" with the info part.
        e.base = std::string(rest.substr(0, rest.find(':')));
    } else {
        while (true) {
            if (rest.empty()) return corrupt(line_no, "no ':' before the file name");
            if (rest[0] == ':') {
                // The base name ends at the info separator: a uidlist
                // written by hand or by an old tool may carry the ":2,S"
                // info part, which Dovecot ignores when matching files.
                const std::string_view name = rest.substr(1);
                e.base = std::string(name.substr(0, name.find(':')));
                break;
            }
            sp = rest.find(' ');
            const std::string_view tok = rest.substr(0, sp);
            if (!tok.empty() && !is_key(tok[0]))
                return corrupt(line_no, "field '" + std::string(tok.substr(0, 32)) + "' without a key letter");
            if (sp == std::string_view::npos) return corrupt(line_no, "no ':' before the file name");
            rest = rest.substr(sp + 1);
            if (tok.empty()) continue;
            if (e.ext.size() >= max_fields) return corrupt(line_no, "too many fields");
            e.ext.emplace_back(tok[0], std::string(tok.substr(1)));
        }
    }
    if (e.base.empty()) return corrupt(line_no, "empty file name");
    return Status::ok();
}

// Parses complete lines of `text` starting at `offset` into `list`;
// list.end_offset becomes the end of the last complete line.
Status parse_lines(std::string_view text, std::size_t offset, std::size_t first_line_no, Uidlist& list) {
    std::size_t line_no = first_line_no;
    Uid prev = list.entries.empty() ? 0 : list.entries.back().uid;
    while (offset < text.size()) {
        const void* nl = std::memchr(text.data() + offset, '\n', text.size() - offset);
        if (!nl) break; // an incomplete last line: being appended
        const std::size_t end = static_cast<std::size_t>(static_cast<const char*>(nl) - text.data());
        const std::string_view line = text.substr(offset, end - offset);
        if (!line.empty()) {
            UidlistEntry e;
            if (Status s = parse_entry(line, list.header.version, line_no, prev, e); !s) return s;
            prev = e.uid;
            list.entries.push_back(std::move(e));
        }
        offset = end + 1;
        ++line_no;
    }
    list.end_offset = offset;
    if (prev != 0 && list.header.next_uid <= prev) list.header.next_uid = prev + 1;
    return Status::ok();
}

Status write_all(int fd, std::string_view data, std::uint64_t offset, const std::string& path) {
    std::size_t done = 0;
    while (done < data.size()) {
        const ssize_t n = ::pwrite(fd, data.data() + done, data.size() - done, static_cast<off_t>(offset + done));
        if (n < 0) {
            if (errno == EINTR) continue;
            return errno_status(path, "write", errno);
        }
        done += static_cast<std::size_t>(n);
    }
    return Status::ok();
}

} // namespace

std::optional<std::string> UidlistEntry::field(char key) const {
    for (const auto& [k, v] : ext)
        if (k == key) return v;
    return std::nullopt;
}

Result<Uidlist> parse_uidlist(std::string_view text) {
    try {
        Uidlist list;
        const auto nl = text.find('\n');
        if (nl == std::string_view::npos) return corrupt(1, text.empty() ? "empty file" : "header without end of line");
        if (Status s = parse_header(text.substr(0, nl), list.header); !s) return s;
        list.header_line = std::string(text.substr(0, nl));
        // One allocation for the vector: count the lines first (a memchr-
        // speed scan, far cheaper than growing 100,000 entries).
        list.entries.reserve(static_cast<std::size_t>(std::count(text.begin() + static_cast<std::ptrdiff_t>(nl) + 1, text.end(), '\n')));
        if (Status s = parse_lines(text, nl + 1, 2, list); !s) return s;
        return list;
    } catch (const std::bad_alloc&) {
        return Status::io("dovecot-uidlist: out of memory");
    }
}

HeldFile::~HeldFile() {
    if (fd >= 0) ::close(fd);
}

Result<Uidlist> read_uidlist(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return errno_status(path, "open", errno);
    std::shared_ptr<const HeldFile> held;
    try {
        held = std::make_shared<const HeldFile>(fd);
    } catch (const std::bad_alloc&) {
        ::close(fd);
        return Status::io(path + ": out of memory");
    }
    struct stat st {};
    if (::fstat(fd, &st) != 0) return errno_status(path, "fstat", errno);
    if (static_cast<std::uint64_t>(st.st_size) > max_file_size)
        return Status::invalid(path + ": larger than " + std::to_string(max_file_size) +
                               " bytes; not a file this server wrote (remove or move it away)");
    std::string data;
    try {
        data.resize(static_cast<std::size_t>(st.st_size));
    } catch (const std::bad_alloc&) {
        return Status::io(path + ": out of memory reading " + std::to_string(st.st_size) + " bytes");
    }
    std::size_t got = 0;
    while (got < data.size()) {
        const ssize_t n = ::pread(fd, data.data() + got, data.size() - got, static_cast<off_t>(got));
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return errno_status(path, "read", errno);
        if (n == 0) break; // what we have is what there is
        got += static_cast<std::size_t>(n);
    }
    data.resize(got);
    auto list = parse_uidlist(data);
    if (!list) return Status::invalid(path + ": " + list.status().message().substr(std::strlen("dovecot-uidlist ")));
    list->inode = st.st_ino;
    list->device = st.st_dev;
    list->held = std::move(held);
    return list;
}

namespace {

// Whether the file's first line is byte for byte `header_line`.
bool same_header_line(int fd, const std::string& header_line) {
    std::string buf(header_line.size() + 1, '\0');
    std::size_t got = 0;
    while (got < buf.size()) {
        const ssize_t n = ::pread(fd, buf.data() + got, buf.size() - got, static_cast<off_t>(got));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        got += static_cast<std::size_t>(n);
    }
    return buf.back() == '\n' && std::string_view(buf).substr(0, header_line.size()) == header_line;
}

} // namespace

Result<bool> refresh_uidlist(const std::string& path, Uidlist& list) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return errno_status(path, "open", errno);
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
        const int err = errno;
        ::close(fd);
        return errno_status(path, "fstat", err);
    }
    const auto size = static_cast<std::uint64_t>(st.st_size);
    bool same = false;
    try {
        same = list.held && st.st_ino == list.inode && st.st_dev == list.device && size >= list.end_offset &&
               same_header_line(fd, list.header_line);
    } catch (const std::bad_alloc&) {
        same = false;
    }
    if (!same) {
        ::close(fd); // replaced (or truncated): read it again whole
        auto fresh = read_uidlist(path);
        if (!fresh) return fresh.status();
        list = std::move(fresh.value());
        return true;
    }
    if (size == list.end_offset) {
        ::close(fd);
        return false;
    }
    if (size > max_file_size) {
        ::close(fd);
        return Status::invalid(path + ": larger than " + std::to_string(max_file_size) + " bytes");
    }
    std::string tail(static_cast<std::size_t>(size - list.end_offset), '\0');
    std::size_t got = 0;
    while (got < tail.size()) {
        const ssize_t n = ::pread(fd, tail.data() + got, tail.size() - got, static_cast<off_t>(list.end_offset + got));
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            const int err = errno;
            ::close(fd);
            return errno_status(path, "read", err);
        }
        if (n == 0) break;
        got += static_cast<std::size_t>(n);
    }
    ::close(fd);
    tail.resize(got);
    const std::uint64_t base = list.end_offset;
    const std::size_t before = list.entries.size();
    Uidlist added;
    added.header = list.header;
    if (!list.entries.empty()) added.entries.push_back(list.entries.back()); // for the increasing-UID check
    if (Status s = parse_lines(tail, 0, before + 2, added); !s) return Status::invalid(path + ": " + s.message().substr(16));
    const std::size_t skip = list.entries.empty() ? 0 : 1;
    for (std::size_t i = skip; i < added.entries.size(); ++i) list.entries.push_back(std::move(added.entries[i]));
    list.header.next_uid = added.header.next_uid;
    list.end_offset = base + added.end_offset;
    return list.entries.size() != before;
}

std::string format_uidlist_line(const UidlistEntry& entry) {
    std::string out = std::to_string(entry.uid);
    for (const auto& [k, v] : entry.ext) {
        out += ' ';
        out += k;
        out += v;
    }
    out += " :";
    out += entry.base;
    out += '\n';
    return out;
}

std::string format_uidlist(const Uidlist& list) {
    Uid next = list.header.next_uid;
    if (!list.entries.empty() && next <= list.entries.back().uid) next = list.entries.back().uid + 1;
    std::string out = "3 V" + std::to_string(list.header.uidvalidity) + " N" + std::to_string(next);
    if (!list.header.guid.empty()) out += " G" + list.header.guid;
    for (const auto& [k, v] : list.header.other) {
        out += ' ';
        out += k;
        out += v;
    }
    out += '\n';
    out.reserve(out.size() + list.entries.size() * 48);
    for (const auto& e : list.entries) out += format_uidlist_line(e);
    return out;
}

Status write_uidlist(const std::string& path, const Uidlist& list, index::FsyncMode fsync) {
    std::string text;
    try {
        text = format_uidlist(list);
    } catch (const std::bad_alloc&) {
        return Status::io(path + ": out of memory formatting the uidlist");
    }
    return replace_file(path, path + ".tmp", text, fsync);
}

Status append_uidlist(const std::string& path, Uidlist& list, const std::vector<UidlistEntry>& entries,
                      index::FsyncMode fsync) {
    if (entries.empty()) return Status::ok();
    std::string text;
    Uid prev = list.entries.empty() ? 0 : list.entries.back().uid;
    for (const auto& e : entries) {
        if (e.uid <= prev || e.base.empty() || e.base.find_first_of("\n") != std::string::npos)
            return Status::error(Status::Code::internal,
                                 path + ": appended UID " + std::to_string(e.uid) + " not above " + std::to_string(prev) +
                                     " or bad file name");
        prev = e.uid;
        text += format_uidlist_line(e);
    }
    const int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
    if (fd < 0) return errno_status(path, "open", errno);
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
        const int err = errno;
        ::close(fd);
        return errno_status(path, "fstat", err);
    }
    if (st.st_ino != list.inode || st.st_dev != list.device ||
        static_cast<std::uint64_t>(st.st_size) < list.end_offset) {
        ::close(fd);
        return Status::error(Status::Code::internal, path + ": changed since it was read; refresh it under the lock first");
    }
    // Bytes past end_offset: a line a crashed writer left half-written (we
    // hold the lock, so nobody is writing it now) is dropped. Complete
    // lines are another writer's numbered messages (one that broke our lock
    // as stale, or wrote without it): never cut those — the caller must
    // re-read and number after them.
    if (static_cast<std::uint64_t>(st.st_size) > list.end_offset) {
        const std::uint64_t tail = static_cast<std::uint64_t>(st.st_size) - list.end_offset;
        std::string bytes(static_cast<std::size_t>(std::min<std::uint64_t>(tail, 65536)), '\0');
        const ssize_t got = ::pread(fd, bytes.data(), bytes.size(), static_cast<off_t>(list.end_offset));
        if (tail > bytes.size() || got != static_cast<ssize_t>(bytes.size()) ||
            bytes.find('\n') != std::string::npos) {
            ::close(fd);
            return Status::error(Status::Code::temporary_failure,
                                 path + ": lines were appended by another writer since it was read; "
                                        "read it again before numbering new messages");
        }
    }
    if (static_cast<std::uint64_t>(st.st_size) > list.end_offset &&
        ::ftruncate(fd, static_cast<off_t>(list.end_offset)) != 0) {
        const int err = errno;
        ::close(fd);
        return errno_status(path, "ftruncate", err);
    }
    Status s = write_all(fd, text, list.end_offset, path);
    if (s && fsync != index::FsyncMode::never && ::fdatasync(fd) != 0) s = errno_status(path, "fdatasync", errno);
    if (!s) {
        // Leave no partial line behind.
        if (::ftruncate(fd, static_cast<off_t>(list.end_offset)) != 0) { /* the next reader ignores it */ }
        ::close(fd);
        return s;
    }
    ::close(fd);
    list.end_offset += text.size();
    for (const auto& e : entries) list.entries.push_back(e);
    if (list.header.next_uid <= prev) list.header.next_uid = prev + 1;
    return Status::ok();
}

} // namespace mailstore::storage::maildir
