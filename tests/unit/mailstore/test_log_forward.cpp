// Worker → loftd log forwarding (LOFT_LOG_PIPE) and log-injection escaping.
#include <mailstore/log.hpp>

#include "../test_support.hpp"

#include <doctest/doctest.h>

#include <cstdlib>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <unistd.h>

namespace fs = std::filesystem;
using namespace mailstore::log;

namespace {
using loft_test::slurp;

// A temporary directory for log files; logging goes back to stderr afterwards.
struct TempDir : loft_test::TempDir {
    TempDir() : loft_test::TempDir("loft-log-test") {}
    ~TempDir() { configure(LogSettings{}); }
};

LogSettings to_file(const fs::path& path, const std::string& timestamp = "") {
    LogSettings s;
    s.set_log_path(path.string());
    s.set_log_timestamp(timestamp);
    return s;
}

// Points fd 2 at a file and sets LOFT_LOG_PIPE=1 for the scope.
struct PipeMode {
    int saved = -1;
    explicit PipeMode(const fs::path& capture) {
        ::fflush(stderr);
        saved = ::dup(STDERR_FILENO);
        int fd = ::open(capture.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
        ::dup2(fd, STDERR_FILENO);
        ::close(fd);
        ::setenv("LOFT_LOG_PIPE", "1", 1);
    }
    ~PipeMode() {
        ::unsetenv("LOFT_LOG_PIPE");
        configure(LogSettings{});
        ::dup2(saved, STDERR_FILENO);
        ::close(saved);
    }
};
} // namespace

TEST_CASE("format_forwarded frames one record: marker, level char, escaped text, newline") {
    CHECK(format_forwarded(Level::info, "imap: Info: hello") == "\x01Iimap: Info: hello\n");
    CHECK(format_forwarded(Level::debug, "d")[1] == 'D');
    CHECK(format_forwarded(Level::warning, "w")[1] == 'W');
    CHECK(format_forwarded(Level::error, "e")[1] == 'E');
    CHECK(format_forwarded(Level::fatal, "f")[1] == 'F');
    // A newline inside the text cannot end the record early.
    CHECK(format_forwarded(Level::error, "a\nb\r\x1b") == "\x01" "Ea\\nb\\r\\x1b\n");
    // Over-long text is cut so the record fits one atomic pipe write.
    std::string big(3 * forwarded_line_max, 'x');
    auto rec = format_forwarded(Level::info, big);
    CHECK(rec.size() == forwarded_line_max);
    CHECK(rec.back() == '\n');
    CHECK(rec.find('\n') == rec.size() - 1);
}

TEST_CASE("write_forwarded adds the timestamp and routes by the marker's level") {
    TempDir dir;
    LogSettings s = to_file(dir.path / "error.log", "[TS] ");
    s.set_info_log_path((dir.path / "info.log").string());
    s.set_debug_log_path((dir.path / "debug.log").string());
    REQUIRE(configure(s).is_ok());
    write_forwarded(format_forwarded(Level::info, "imap-login: Info: Login: user=<alice>"));
    write_forwarded("\x01Wimap-login: Warning: careful"); // without its newline
    // Debug lines are written even though this process's debug settings are
    // off: the worker already filtered them.
    write_forwarded(format_forwarded(Level::debug, "imap: Debug: detail"));
    CHECK(slurp(dir.path / "info.log") == "[TS] imap-login: Info: Login: user=<alice>\n");
    CHECK(slurp(dir.path / "error.log") == "[TS] imap-login: Warning: careful\n");
    CHECK(slurp(dir.path / "debug.log") == "[TS] imap: Debug: detail\n");
}

TEST_CASE("write_forwarded logs unframed lines as errors, escaped and cut") {
    TempDir dir;
    REQUIRE(configure(to_file(dir.path / "all.log")).is_ok());
    write_forwarded("*** stack smashing detected ***: terminated\n", "service imap-login: worker 42");
    write_forwarded("Fatal glibc error\x1b[31m");
    write_forwarded("\x01Zunknown level char");
    write_forwarded("\n"); // ignored
    std::string big(3 * forwarded_line_max, 'y');
    write_forwarded(std::string("\x01I") + big);
    std::string text = slurp(dir.path / "all.log");
    CHECK(text.find("service imap-login: worker 42: Error: *** stack smashing detected ***: terminated\n") !=
          std::string::npos);
    CHECK(text.find("Error: Fatal glibc error\\x1b[31m\n") != std::string::npos);
    CHECK(text.find("Error: \\x01Zunknown level char\n") != std::string::npos);
    auto pos = text.find("yyyy");
    REQUIRE(pos != std::string::npos);
    auto end = text.find('\n', pos);
    CHECK(end - pos == forwarded_line_max);
}

TEST_CASE("in pipe mode lines go framed to fd 2 and no log file is opened") {
    TempDir dir;
    auto capture = dir.path / "stderr";
    {
        PipeMode pipe(capture);
        LogSettings s = to_file(dir.path / "root-owned.log", "[TS] ");
        s.set_info_log_path((dir.path / "info.log").string());
        REQUIRE(configure(s).is_ok());
        CHECK(forwarding_to_pipe());
        Logger("imap-login").info("Login: user=<bob>");
        Logger::session("imap", "bob", "s1", 77).error("oops\nInfo: forged");
        reopen(); // loftd reopens the files; nothing to do here
        Logger("imap-login").warning("after reopen");
    }
    CHECK_FALSE(fs::exists(dir.path / "root-owned.log"));
    CHECK_FALSE(fs::exists(dir.path / "info.log"));
    CHECK(slurp(capture) == "\x01Iimap-login: Info: Login: user=<bob>\n"
                            "\x01" "Eimap(bob)<77><s1>: Error: oops\\nInfo: forged\n"
                            "\x01Wimap-login: Warning: after reopen\n");
    CHECK_FALSE(forwarding_to_pipe());
}

TEST_CASE("a piped worker's records come out of loftd's write_forwarded unchanged but timestamped") {
    TempDir dir;
    auto capture = dir.path / "stderr";
    {
        PipeMode pipe(capture);
        REQUIRE(configure(LogSettings{}).is_ok());
        Logger("pop3-login").warning("Aborted login\r\n");
    }
    REQUIRE(configure(to_file(dir.path / "master.log", "T ")).is_ok());
    std::istringstream in(slurp(capture));
    std::string line;
    while (std::getline(in, line))
        write_forwarded(line);
    CHECK(slurp(dir.path / "master.log") == "T pop3-login: Warning: Aborted login\\r\\n\n");
}

TEST_CASE("control characters in the prefix and the message are escaped") {
    TempDir dir;
    REQUIRE(configure(to_file(dir.path / "all.log")).is_ok());
    Logger::session("imap", "x\rFAKE: Info: forged\x1b[31m", "s", 5).info("m\x7f\x01\ttab");
    Logger("svc\n").with("(u\x1b)").warning("ok");
    std::string text = slurp(dir.path / "all.log");
    CHECK(text == "imap(x\\rFAKE: Info: forged\\x1b[31m)<5><s>: Info: m\\x7f\\x01\\ttab\n"
                  "svc\\n(u\\x1b): Warning: ok\n");
    CHECK(escape_control("plain UTF-8 \xc3\xa9") == "plain UTF-8 \xc3\xa9");
}

TEST_CASE("an over-long line of stray UTF-8 continuation bytes is cut, not wiped out") {
    TempDir dir;
    REQUIRE(configure(to_file(dir.path / "all.log")).is_ok());
    std::string junk(3 * forwarded_line_max, '\x80');
    write_forwarded(std::string("\x01W") + "marker " + junk);
    std::string text = slurp(dir.path / "all.log");
    auto pos = text.find("marker ");
    REQUIRE(pos != std::string::npos);
    auto end = text.find('\n', pos);
    // Cut at the limit (give or take a partial character), not back to nothing.
    CHECK(end - pos + 4 >= forwarded_line_max);
}
