// libFuzzer target for the worker→loftd log forwarding: write_forwarded()
// parses a line read from a worker's stderr pipe and writes it through
// loftd's sinks. Logging goes to three files in a temporary directory (one
// per level group, no timestamp) that are emptied before each input, so the
// target can check what was written:
//   - each input line yields at most one output line, in the file of its
//     level (framed) or the error file (unframed), never both;
//   - the written line holds no control character but its final LF, is at
//     most forwarded_line_max bytes, and is the escaped input (cut only when
//     too long, never in the middle of a UTF-8 sequence);
//   - format_forwarded() gives a record of at most forwarded_line_max bytes
//     that write_forwarded() writes back verbatim at the same level.
#include "fuzz_check.hpp"

#include <mailstore/log.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fcntl.h>
#include <string>
#include <string_view>
#include <unistd.h>

namespace lg = mailstore::log;

namespace {

std::string g_dir;
std::string g_files[3]; // error (warning, error, fatal), info, debug

void cleanup() {
    for (const auto& f : g_files)
        ::unlink(f.c_str());
    ::rmdir(g_dir.c_str());
}

std::string slurp(const std::string& path) {
    std::string out;
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return out;
    char buf[8192];
    ssize_t n;
    while ((n = ::read(fd, buf, sizeof buf)) > 0)
        out.append(buf, static_cast<std::size_t>(n));
    ::close(fd);
    return out;
}

int file_index(lg::Level level) {
    switch (level) {
    case lg::Level::debug: return 2;
    case lg::Level::info: return 1;
    default: return 0;
    }
}

bool valid_utf8(std::string_view s) {
    std::size_t i = 0;
    while (i < s.size()) {
        auto c = static_cast<unsigned char>(s[i]);
        std::size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xe ? 3 : (c >> 3) == 0x1e ? 4 : 0;
        if (len == 0 || i + len > s.size())
            return false;
        for (std::size_t k = 1; k < len; ++k)
            if ((static_cast<unsigned char>(s[i + k]) & 0xc0) != 0x80)
                return false;
        i += len;
    }
    return true;
}

// The one line written for this input, checked for the properties every
// written line has; `which` is set to the file it went to (-1: none).
std::string written_line(int& which) {
    which = -1;
    std::string line;
    for (int i = 0; i < 3; ++i) {
        std::string content = slurp(g_files[i]);
        if (content.empty())
            continue;
        FUZZ_CHECK(which == -1); // one line, one file
        which = i;
        line = std::move(content);
    }
    if (which == -1)
        return line;
    FUZZ_CHECK(line.back() == '\n');
    line.pop_back();
    FUZZ_CHECK(line.size() <= lg::forwarded_line_max);
    for (char ch : line) {
        auto c = static_cast<unsigned char>(ch);
        FUZZ_CHECK(c >= 0x20 && c != 0x7f);
    }
    return line;
}

// `written` is `expected` cut the way a too long line may be cut: a prefix
// of at most `max` bytes that, for valid UTF-8, stops at most one (partial)
// sequence short of `max`.
bool is_cut_of(std::string_view written, std::string_view expected, std::size_t max, bool utf8) {
    if (expected.size() <= max)
        return written == expected;
    if (written.size() > max || expected.substr(0, written.size()) != written)
        return false;
    return !utf8 || written.size() + 3 >= max;
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    ::unsetenv("LOFT_LOG_PIPE"); // loftd's side: write to files, not to a pipe
    char tmpl[] = "/tmp/loft-fuzz-log-XXXXXX";
    if (!::mkdtemp(tmpl)) {
        std::perror("mkdtemp");
        std::abort();
    }
    g_dir = tmpl;
    g_files[0] = g_dir + "/error.log";
    g_files[1] = g_dir + "/info.log";
    g_files[2] = g_dir + "/debug.log";
    std::atexit(cleanup);
    lg::LogSettings settings;
    settings.set_log_path(g_files[0]).set_info_log_path(g_files[1]).set_debug_log_path(g_files[2]);
    settings.set_log_timestamp("");
    auto status = lg::configure(settings);
    if (!status.is_ok()) {
        std::fprintf(stderr, "configuring logging: %s\n", status.message().c_str());
        std::abort();
    }
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0)
        return 0;
    for (const auto& f : g_files)
        ::truncate(f.c_str(), 0);
    const std::uint8_t mode = data[0];
    std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);
    int which = -1;

    if (mode & 1) {
        // Round trip: a worker frames a line, loftd writes it.
        auto level = static_cast<lg::Level>((mode >> 1) % 5);
        std::string framed = lg::format_forwarded(level, input);
        FUZZ_CHECK(framed.size() >= 3 && framed.size() <= lg::forwarded_line_max);
        FUZZ_CHECK(framed[0] == lg::forwarded_marker && framed.back() == '\n');
        std::string_view body = std::string_view(framed).substr(2, framed.size() - 3);
        for (char ch : body) {
            auto c = static_cast<unsigned char>(ch);
            FUZZ_CHECK(c >= 0x20 && c != 0x7f);
        }
        // Marker, level char and LF leave forwarded_line_max - 3 for the text.
        bool utf8 = valid_utf8(input);
        FUZZ_CHECK(is_cut_of(body, lg::escape_control(input), lg::forwarded_line_max - 3, utf8));
        if (utf8)
            FUZZ_CHECK(valid_utf8(body));
        lg::write_forwarded(framed);
        std::string line = written_line(which);
        FUZZ_CHECK(which == file_index(level));
        FUZZ_CHECK(line == body);
        return 0;
    }

    // Whatever a worker (or libc) wrote to its stderr.
    static constexpr std::string_view kPrefix = "imap\x1b[31m";
    std::string_view prefix = (mode & 2) ? kPrefix : std::string_view();
    lg::write_forwarded(input, prefix);
    std::string line = written_line(which);

    std::string_view trimmed = input;
    while (!trimmed.empty() && (trimmed.back() == '\n' || trimmed.back() == '\r'))
        trimmed.remove_suffix(1);
    if (trimmed.empty()) {
        FUZZ_CHECK(which == -1);
        return 0;
    }
    FUZZ_CHECK(which != -1);
    std::string expected;
    int expected_file = 0;
    bool framed = false;
    if (trimmed.size() >= 2 && trimmed[0] == lg::forwarded_marker) {
        framed = true;
        switch (trimmed[1]) {
        case 'D': expected_file = 2; break;
        case 'I': expected_file = 1; break;
        case 'W':
        case 'E':
        case 'F': expected_file = 0; break;
        default: framed = false;
        }
    }
    if (framed) {
        expected = lg::escape_control(trimmed.substr(2));
    } else {
        expected_file = 0;
        if (!prefix.empty())
            expected = lg::escape_control(prefix) + ": ";
        expected += "Error: " + lg::escape_control(trimmed);
    }
    FUZZ_CHECK(which == expected_file);
    bool utf8 = valid_utf8(trimmed);
    FUZZ_CHECK(is_cut_of(line, expected, lg::forwarded_line_max, utf8));
    if (utf8)
        FUZZ_CHECK(valid_utf8(line));
    return 0;
}
