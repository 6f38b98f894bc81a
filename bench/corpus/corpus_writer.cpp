#include "corpus/corpus_writer.hpp"

#include "corpus/dates.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <dirent.h>
#include <string_view>

namespace corpus {

namespace {

std::string errno_text(const std::string& what) { return what + ": " + std::strerror(errno); }

bool write_all(int fd, std::string_view data) {
    while (!data.empty()) {
        const ssize_t n = ::write(fd, data.data(), data.size());
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return false;
        }
        data.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
}

bool make_dir(const std::string& path) { return ::mkdir(path.c_str(), 0700) == 0 || errno == EEXIST; }

bool has_entries(const std::string& path) {
    DIR* d = ::opendir(path.c_str());
    if (!d)
        return false;
    bool found = false;
    while (dirent* e = ::readdir(d))
        if (e->d_name[0] != '.') {
            found = true;
            break;
        }
    ::closedir(d);
    return found;
}

// Seen flags come from a sequence of their own (splitmix64 of the seed).
class FlagSequence {
public:
    explicit FlagSequence(std::uint64_t seed) : state_(seed ^ 0x5eedf1a65eedf1a6ull) {}
    bool seen(double fraction) {
        std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
        z ^= z >> 31;
        return static_cast<double>(z >> 11) * 0x1.0p-53 < fraction;
    }

private:
    std::uint64_t state_;
};

std::string guid_of(std::uint64_t seed) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string g;
    std::uint64_t s = seed * 0x2545f4914f6cdd1dull + 0x6a09e667f3bcc909ull;
    for (int half = 0; half < 2; ++half) {
        std::uint64_t z = (s += 0x9e3779b97f4a7c15ull);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
        z ^= z >> 31;
        for (int i = 0; i < 16; ++i, z >>= 4)
            g += kHex[z & 15];
    }
    return g;
}

void manifest_line(std::FILE* f, std::uint64_t uid, std::string_view file, const MessageInfo& m, bool seen) {
    if (!f)
        return;
    std::fprintf(f, "%llu\t%.*s\t%llu\t%llu\t%lld\t%lld\t%llu\t%zu\t%zu\t%d\t%d\t%d\t%s\t%s\n",
                 static_cast<unsigned long long>(uid), static_cast<int>(file.size()), file.data(),
                 static_cast<unsigned long long>(m.size), static_cast<unsigned long long>(m.vsize),
                 static_cast<long long>(m.received), static_cast<long long>(m.date),
                 static_cast<unsigned long long>(m.thread_id), m.parts, m.attachments, m.has_needle ? 1 : 0,
                 m.from_term ? 1 : 0, seen ? 1 : 0, m.from_address.c_str(), m.message_id.c_str());
}

} // namespace

void write_manifest_header(std::FILE* f) {
    std::fputs("uid\tfile\tsize\tvsize\treceived\tdate\tthread\tparts\tattachments\tneedle\tfrom_term\tseen\tfrom\t"
               "message_id\n",
               f);
}

WriteResult write_maildir(const std::string& dir, const WriteOptions& options) {
    WriteResult r;
    for (const char* sub : {"", "/cur", "/new", "/tmp"})
        if (!make_dir(dir + sub)) {
            r.error = errno_text("mkdir " + dir + sub);
            return r;
        }
    if (has_entries(dir + "/cur") || has_entries(dir + "/new")) {
        r.error = dir + " already holds messages";
        return r;
    }
    Generator gen(options.seed, options.generator);
    FlagSequence flags(options.seed);
    std::string uidlist = "3 V" + std::to_string(options.uidvalidity) + " N" + std::to_string(options.count + 1) +
                          " G" + guid_of(options.seed) + "\n";
    std::string msg, base, path;
    for (std::uint64_t i = 0; i < options.count; ++i) {
        gen.next(msg);
        const MessageInfo& m = gen.info();
        const bool seen = flags.seen(options.seen_fraction);
        // Dovecot's delivery name: <secs>.M<usecs>P<pid>.<host>; the index
        // in the microseconds and pid keeps names unique and ordered.
        base = std::to_string(m.received) + ".M" + std::to_string(i % 1000000) + "P" +
               std::to_string(10000 + i / 1000000) + "." + options.host + ",S=" + std::to_string(m.size) +
               ",W=" + std::to_string(m.vsize);
        path = dir + "/cur/" + base + (seen ? ":2,S" : ":2,");
        const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd < 0) {
            r.error = errno_text("open " + path);
            return r;
        }
        // mtime is the INTERNALDATE both servers report for a Maildir file.
        const struct timespec times[2] = {{static_cast<time_t>(m.received), 0}, {static_cast<time_t>(m.received), 0}};
        const bool ok = write_all(fd, msg) && ::futimens(fd, times) == 0;
        const int saved = errno;
        ::close(fd);
        if (!ok) {
            errno = saved;
            r.error = errno_text("write " + path);
            return r;
        }
        uidlist += std::to_string(i + 1) + " :" + base + "\n";
        manifest_line(options.manifest, i + 1, base + (seen ? ":2,S" : ":2,"), m, seen);
        ++r.messages;
        r.bytes += m.size;
    }
    const std::string uidlist_path = dir + "/dovecot-uidlist";
    const int fd = ::open(uidlist_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0 || !write_all(fd, uidlist)) {
        r.error = errno_text("write " + uidlist_path);
        if (fd >= 0)
            ::close(fd);
        return r;
    }
    ::close(fd);
    return r;
}

WriteResult write_mbox(const std::string& path, const WriteOptions& options) {
    WriteResult r;
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        r.error = errno_text("open " + path);
        return r;
    }
    Options gopt = options.generator;
    gopt.crlf = false;
    Generator gen(options.seed, gopt);
    FlagSequence flags(options.seed);
    std::string msg, out;
    for (std::uint64_t i = 0; i < options.count; ++i) {
        gen.next(msg);
        const MessageInfo& m = gen.info();
        const bool seen = flags.seen(options.seen_fraction);
        out.clear();
        out += "From " + m.from_address + " " + format_mbox_date(m.received) + "\n";
        // mboxrd: a line of the message matching ^>*From gets one more ">".
        std::size_t pos = 0;
        while (pos < msg.size()) {
            std::size_t end = msg.find('\n', pos);
            end = end == std::string::npos ? msg.size() : end + 1;
            std::string_view line(msg.data() + pos, end - pos);
            std::size_t q = 0;
            while (q < line.size() && line[q] == '>')
                ++q;
            if (line.substr(q).starts_with("From "))
                out += '>';
            out.append(line);
            pos = end;
        }
        if (!msg.empty() && msg.back() != '\n')
            out += '\n';
        out += '\n';
        if (!write_all(fd, out)) {
            r.error = errno_text("write " + path);
            ::close(fd);
            return r;
        }
        manifest_line(options.manifest, i + 1, "-", m, seen);
        ++r.messages;
        r.bytes += m.size;
    }
    ::close(fd);
    return r;
}

} // namespace corpus
