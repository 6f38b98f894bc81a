#include "terminal.hpp"

#include <cstdio>
#include <termios.h>
#include <unistd.h>

namespace loftadm {

namespace {

// Longer than any password a person types; bounds what a pipe can feed us.
constexpr std::size_t max_password_length = 4096;

std::optional<std::string> read_line_fd(int fd) {
    std::string line;
    char c = 0;
    bool any = false;
    for (;;) {
        ssize_t n = ::read(fd, &c, 1);
        if (n < 0) {
            return std::nullopt;
        }
        if (n == 0) {
            break;
        }
        any = true;
        if (c == '\n') {
            break;
        }
        if (line.size() >= max_password_length) {
            return std::nullopt;
        }
        line.push_back(c);
    }
    if (!any) {
        return std::nullopt;
    }
    if (!line.empty() && line.back() == '\r') {
        line.pop_back();
    }
    return line;
}

} // namespace

bool stdin_is_terminal() { return ::isatty(STDIN_FILENO) == 1; }

std::optional<std::string> read_password(std::string_view prompt) {
    if (!stdin_is_terminal()) {
        return read_line_fd(STDIN_FILENO);
    }
    std::fwrite(prompt.data(), 1, prompt.size(), stderr);
    std::fflush(stderr);
    termios saved{};
    bool restore = ::tcgetattr(STDIN_FILENO, &saved) == 0;
    if (restore) {
        termios quiet = saved;
        quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
        quiet.c_lflag |= ECHONL;
        ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
    }
    auto line = read_line_fd(STDIN_FILENO);
    if (restore) {
        ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
    }
    return line;
}

} // namespace loftadm
