#include <mailstore/log.hpp>

#include "log/log_sinks.hpp"

#include <spdlog/logger.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <map>
#include <mutex>
#include <optional>
#include <unistd.h>
#include <vector>

namespace mailstore::log {

namespace {

using SinkPtr = std::shared_ptr<spdlog::sinks::sink>;

// One configured set of sinks. Lines pick the sink for their level; sinks
// that share a path share one object (and one fd), so reopen() touches each
// file once and lines of different levels stay in order.
struct Backend {
    LogSettings settings;
    std::shared_ptr<spdlog::logger> error_logger; // warning, error, fatal
    std::shared_ptr<spdlog::logger> info_logger;
    std::shared_ptr<spdlog::logger> debug_logger;
    std::vector<std::shared_ptr<detail::FileSink>> files;
    // LOFT_LOG_PIPE=1: every line goes framed to fd 2 (loftd's pipe), no
    // files, no syslog.
    bool pipe = false;
};

std::mutex g_mutex; // guards g_backend (the pointer, not the sinks)
std::shared_ptr<Backend> g_backend;

// Mirrors of the filter flags, readable without the mutex.
std::atomic<bool> g_auth_verbose{false};
std::atomic<bool> g_auth_debug{false};
std::atomic<bool> g_mail_debug{false};
std::atomic<bool> g_verbose_proctitle{false};

bool pipe_requested() {
    const char* v = std::getenv("LOFT_LOG_PIPE");
    return v != nullptr && std::string_view(v) == "1";
}

std::atomic<bool> g_pipe{false};

std::shared_ptr<Backend> make_default_backend() {
    auto backend = std::make_shared<Backend>();
    backend->pipe = pipe_requested();
    g_pipe = backend->pipe;
    auto sink = std::make_shared<detail::StderrSink>(backend->settings.log_timestamp());
    auto logger = std::make_shared<spdlog::logger>("loft", sink);
    logger->set_level(spdlog::level::trace);
    backend->error_logger = backend->info_logger = backend->debug_logger = logger;
    return backend;
}

std::shared_ptr<Backend> backend() {
    std::lock_guard<std::mutex> lock(g_mutex);
    if (!g_backend)
        g_backend = make_default_backend();
    return g_backend;
}

spdlog::level::level_enum to_spdlog(Level level) {
    switch (level) {
    case Level::debug: return spdlog::level::debug;
    case Level::info: return spdlog::level::info;
    case Level::warning: return spdlog::level::warn;
    case Level::error: return spdlog::level::err;
    case Level::fatal: return spdlog::level::critical;
    }
    return spdlog::level::info;
}

const char* label(Level level) {
    switch (level) {
    case Level::debug: return "Debug: ";
    case Level::info: return "Info: ";
    case Level::warning: return "Warning: ";
    case Level::error: return "Error: ";
    case Level::fatal: return "Fatal: ";
    }
    return "";
}

bool is_stderr_path(const std::string& path) { return path.empty() || path == "/dev/stderr"; }

char level_char(Level level) {
    switch (level) {
    case Level::debug: return 'D';
    case Level::info: return 'I';
    case Level::warning: return 'W';
    case Level::error: return 'E';
    case Level::fatal: return 'F';
    }
    return 'E';
}

std::optional<Level> level_from_char(char c) {
    switch (c) {
    case 'D': return Level::debug;
    case 'I': return Level::info;
    case 'W': return Level::warning;
    case 'E': return Level::error;
    case 'F': return Level::fatal;
    default: return std::nullopt;
    }
}

void append_escaped(std::string& out, std::string_view text) {
    static const char hex[] = "0123456789abcdef";
    for (char ch : text) {
        auto c = static_cast<unsigned char>(ch);
        if (c >= 0x20 && c != 0x7f) {
            out.push_back(ch);
            continue;
        }
        switch (c) {
        case '\n': out.append("\\n"); break;
        case '\r': out.append("\\r"); break;
        case '\t': out.append("\\t"); break;
        default:
            out.append("\\x");
            out.push_back(hex[c >> 4]);
            out.push_back(hex[c & 0xf]);
        }
    }
}

// Cut `s` to at most `max` bytes without splitting a UTF-8 sequence.
void cut_utf8(std::string& s, std::size_t max) {
    if (s.size() <= max)
        return;
    // A UTF-8 character has at most 3 continuation bytes; back up over no
    // more, so a long run of stray 0x80-0xBF bytes is cut, not wiped out.
    std::size_t n = max;
    for (int i = 0; i < 3 && n > 0 && (static_cast<unsigned char>(s[n]) & 0xc0) == 0x80; ++i)
        --n;
    if ((static_cast<unsigned char>(s[n]) & 0xc0) == 0x80)
        n = max; // not inside a valid character: any cut is as good
    s.resize(n);
}

void write_fd2(const std::string& data) {
    const char* p = data.data();
    std::size_t left = data.size();
    while (left > 0) {
        ssize_t n = ::write(STDERR_FILENO, p, left);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return;
        }
        p += n;
        left -= static_cast<std::size_t>(n);
    }
}

spdlog::logger* logger_for(const Backend& b, Level level) {
    return level == Level::debug  ? b.debug_logger.get()
           : level == Level::info ? b.info_logger.get()
                                  : b.error_logger.get();
}

} // namespace

Status configure(const LogSettings& settings) {
    try {
        auto next = std::make_shared<Backend>();
        next->settings = settings;
        if (pipe_requested()) {
            // loftd owns the files; it reopens them itself on SIGUSR1.
            next->pipe = true;
            auto logger = std::make_shared<spdlog::logger>("loft", std::make_shared<detail::StderrSink>(""));
            logger->set_level(spdlog::level::trace);
            next->error_logger = next->info_logger = next->debug_logger = logger;
            g_auth_verbose = settings.auth_verbose();
            g_auth_debug = settings.auth_debug();
            g_mail_debug = settings.mail_debug();
            g_verbose_proctitle = settings.verbose_proctitle();
            g_pipe = true;
            std::lock_guard<std::mutex> lock(g_mutex);
            g_backend = std::move(next);
            return Status::ok();
        }
        std::map<std::string, SinkPtr> by_path;
        auto sink_for = [&](const std::string& path) -> Result<SinkPtr> {
            std::string key = is_stderr_path(path) ? std::string("/dev/stderr") : path;
            if (auto it = by_path.find(key); it != by_path.end())
                return it->second;
            SinkPtr sink;
            if (key == "/dev/stderr") {
                sink = std::make_shared<detail::StderrSink>(settings.log_timestamp());
            } else if (key == "syslog") {
                int facility = detail::syslog_facility_from_name(settings.syslog_facility());
                if (facility < 0)
                    return Status::invalid("unknown syslog_facility: " + settings.syslog_facility());
                sink = std::make_shared<detail::SyslogSink>(settings.syslog_ident(), facility);
            } else {
                auto file = std::make_shared<detail::FileSink>(key, settings.log_timestamp());
                if (!file->ok())
                    return Status::io(file->error());
                next->files.push_back(file);
                sink = file;
            }
            by_path.emplace(key, sink);
            return sink;
        };
        const std::string error_path = settings.log_path();
        const std::string info_path = settings.info_log_path().empty() ? error_path : settings.info_log_path();
        const std::string debug_path = settings.debug_log_path().empty() ? info_path : settings.debug_log_path();
        auto error_sink = sink_for(error_path);
        if (!error_sink)
            return error_sink.status();
        auto info_sink = sink_for(info_path);
        if (!info_sink)
            return info_sink.status();
        auto debug_sink = sink_for(debug_path);
        if (!debug_sink)
            return debug_sink.status();
        auto make_logger = [](SinkPtr sink) {
            auto logger = std::make_shared<spdlog::logger>("loft", std::move(sink));
            logger->set_level(spdlog::level::trace);
            logger->flush_on(spdlog::level::trace);
            return logger;
        };
        next->error_logger = make_logger(*error_sink);
        next->info_logger = make_logger(*info_sink);
        next->debug_logger = make_logger(*debug_sink);

        g_auth_verbose = settings.auth_verbose();
        g_auth_debug = settings.auth_debug();
        g_mail_debug = settings.mail_debug();
        g_verbose_proctitle = settings.verbose_proctitle();
        g_pipe = false;
        std::lock_guard<std::mutex> lock(g_mutex);
        g_backend = std::move(next);
        return Status::ok();
    } catch (const std::exception& e) {
        return Status::error(Status::Code::internal, std::string("configuring logging: ") + e.what());
    }
}

LogSettings current_settings() {
    try {
        return backend()->settings;
    } catch (...) {
        return {};
    }
}

void reopen() noexcept {
    try {
        auto b = backend();
        for (auto& file : b->files)
            file->reopen();
    } catch (...) {
    }
}

bool enabled(Level level, Category category) noexcept {
    switch (level) {
    case Level::debug:
        switch (category) {
        case Category::auth: return g_auth_debug;
        case Category::mail: return g_mail_debug;
        case Category::general: return g_auth_debug || g_mail_debug;
        }
        return false;
    case Level::info:
        if (category == Category::auth)
            return g_auth_verbose || g_auth_debug;
        return true;
    default: return true;
    }
}

std::string escape_control(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    append_escaped(out, text);
    return out;
}

bool forwarding_to_pipe() noexcept {
    try {
        return backend()->pipe;
    } catch (...) {
        return g_pipe;
    }
}

std::string format_forwarded(Level level, std::string_view text) {
    std::string out;
    out.reserve(text.size() + 3);
    out.push_back(forwarded_marker);
    out.push_back(level_char(level));
    append_escaped(out, text);
    cut_utf8(out, forwarded_line_max - 1);
    out.push_back('\n');
    return out;
}

void write_forwarded(std::string_view line, std::string_view unframed_prefix) noexcept {
    try {
        while (!line.empty() && (line.back() == '\n' || line.back() == '\r'))
            line.remove_suffix(1);
        if (line.empty())
            return;
        std::optional<Level> level;
        if (line.size() >= 2 && line[0] == forwarded_marker)
            level = level_from_char(line[1]);
        std::string text;
        if (level) {
            line.remove_prefix(2);
            append_escaped(text, line);
        } else {
            // Not ours: something the worker (or libc) wrote to stderr.
            level = Level::error;
            if (!unframed_prefix.empty()) {
                append_escaped(text, unframed_prefix);
                text.append(": ");
            }
            text.append(label(Level::error));
            append_escaped(text, line);
        }
        cut_utf8(text, forwarded_line_max);
        auto b = backend();
        if (b->pipe) {
            write_fd2(format_forwarded(*level, text));
            return;
        }
        logger_for(*b, *level)->log(to_spdlog(*level), spdlog::string_view_t(text.data(), text.size()));
    } catch (...) {
    }
}

void write(Level level, Category category, std::string_view prefix, std::string_view message) noexcept {
    if (!enabled(level, category))
        return;
    try {
        std::string line;
        line.reserve(prefix.size() + message.size() + 16);
        // One event, one line: neither a client-controlled user name in the
        // prefix nor the message may forge a second line or carry terminal
        // escapes.
        if (!prefix.empty()) {
            append_escaped(line, prefix);
            line.append(": ");
        }
        line.append(label(level));
        append_escaped(line, message);
        auto b = backend();
        if (b->pipe) {
            write_fd2(format_forwarded(level, line));
            return;
        }
        logger_for(*b, level)->log(to_spdlog(level), spdlog::string_view_t(line.data(), line.size()));
    } catch (...) {
    }
}

void flush() noexcept {
    try {
        auto b = backend();
        b->error_logger->flush();
        b->info_logger->flush();
        b->debug_logger->flush();
    } catch (...) {
    }
}

bool verbose_process_title() noexcept { return g_verbose_proctitle; }

// --- Logger ---

namespace {
const std::shared_ptr<const std::string>& empty_prefix() {
    static const auto empty = std::make_shared<const std::string>();
    return empty;
}
} // namespace

Logger::Logger() : prefix_(empty_prefix()) {}

Logger::Logger(std::string_view service) : prefix_(std::make_shared<const std::string>(service)) {}

Logger Logger::session(std::string_view service, std::string_view user, std::string_view session_id, long pid) {
    std::string prefix(service);
    if (!user.empty()) {
        prefix.push_back('(');
        prefix.append(user);
        prefix.push_back(')');
    }
    prefix.push_back('<');
    prefix.append(std::to_string(pid == 0 ? static_cast<long>(::getpid()) : pid));
    prefix.push_back('>');
    if (!session_id.empty()) {
        prefix.push_back('<');
        prefix.append(session_id);
        prefix.push_back('>');
    }
    return Logger(std::make_shared<const std::string>(std::move(prefix)));
}

Logger Logger::with(std::string_view suffix) const {
    return Logger(std::make_shared<const std::string>(*prefix_ + std::string(suffix)));
}

const std::string& Logger::prefix() const noexcept { return *prefix_; }

} // namespace mailstore::log
