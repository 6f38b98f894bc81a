// Process-wide logging, Dovecot style: one line per event,
//
//   Nov 28 13:58:03 imap(alice)<4711><ab12cd>: Info: Disconnected: Logged out
//
// routed by level to `log_path` (errors and warnings), `info_log_path` and
// `debug_log_path`, each a file, `syslog`, or stderr (or, in a worker under
// loftd, framed to loftd's pipe: see "Forwarding" below). Every function here
// is thread-safe; the ones that write lines never throw (a failing sink drops
// the line rather than disturbing the caller), those that build strings or
// settings can only throw std::bad_alloc.
#pragma once

#include <mailstore/export.hpp>
#include <mailstore/status.hpp>

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

namespace mailstore::config {
class Config;
}

namespace mailstore::log {

enum class Level { debug, info, warning, error, fatal };

// What a line is about. Debug lines of a category appear only when its
// setting asks for them: auth → auth_debug, mail → mail_debug, general →
// either of them. Info lines of auth appear only with auth_verbose (or
// auth_debug), the way Dovecot hides failed-login details by default.
enum class Category { general, auth, mail };

// The logging options. A handle (its layout is private, so options can be
// added without breaking the ABI); default-constructed it means: stderr,
// timestamp "%b %d %H:%M:%S ", syslog facility "mail", ident "loft", every
// filter flag off. Setters return *this so they chain.
class MAILSTORE_API LogSettings {
public:
    LogSettings();
    ~LogSettings();
    LogSettings(const LogSettings& other);
    LogSettings& operator=(const LogSettings& other);
    LogSettings(LogSettings&& other) noexcept;
    LogSettings& operator=(LogSettings&& other) noexcept;

    // "" or "/dev/stderr": stderr; "syslog"; else a file.
    const std::string& log_path() const noexcept;
    LogSettings& set_log_path(std::string_view path);
    // "" = same as log_path.
    const std::string& info_log_path() const noexcept;
    LogSettings& set_info_log_path(std::string_view path);
    // "" = same as info_log_path.
    const std::string& debug_log_path() const noexcept;
    LogSettings& set_debug_log_path(std::string_view path);
    // strftime format before each line; not used for syslog.
    const std::string& log_timestamp() const noexcept;
    LogSettings& set_log_timestamp(std::string_view format);
    const std::string& syslog_facility() const noexcept;
    LogSettings& set_syslog_facility(std::string_view facility);
    const std::string& syslog_ident() const noexcept;
    LogSettings& set_syslog_ident(std::string_view ident);
    bool auth_verbose() const noexcept;
    LogSettings& set_auth_verbose(bool on) noexcept;
    bool auth_debug() const noexcept;
    LogSettings& set_auth_debug(bool on) noexcept;
    bool mail_debug() const noexcept;
    LogSettings& set_mail_debug(bool on) noexcept;
    bool verbose_proctitle() const noexcept;
    LogSettings& set_verbose_proctitle(bool on) noexcept;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

// The log settings of `config` as seen by `protocol` ("imap", ... or "").
// Defined in a separate translation unit so the logger itself does not need
// the config module.
MAILSTORE_API LogSettings settings_from_config(const config::Config& config,
                                               std::string_view protocol = {});

// Replace the process-wide sinks. Until the first call, everything goes to
// stderr at info level. Fails (and keeps the previous sinks) when a log file
// cannot be opened or the facility is unknown; the message names the path.
MAILSTORE_API Status configure(const LogSettings& settings);

// The settings last passed to configure() (defaults before that).
MAILSTORE_API LogSettings current_settings();

// Reopen every log file (call on SIGUSR1, after logrotate renamed them).
// Files that cannot be reopened keep writing to the old descriptor.
MAILSTORE_API void reopen() noexcept;

// Whether a line of `level` in `category` would be written.
MAILSTORE_API bool enabled(Level level, Category category = Category::general) noexcept;

// Write one line: "<prefix>: <Level>: <message>" (no ": " when prefix is
// empty). Control characters in prefix and message are escaped
// (escape_control) so one event stays one line.
MAILSTORE_API void write(Level level, Category category, std::string_view prefix,
                         std::string_view message) noexcept;

// Push buffered lines to their files.
MAILSTORE_API void flush() noexcept;

// Escape control characters (C0, DEL) so a client-supplied string cannot
// forge or recolour log lines: "\n", "\r", "\t", else "\xHH". Applied by
// write() to the prefix and the message.
MAILSTORE_API std::string escape_control(std::string_view text);

// --- Forwarding worker logs to loftd ---
//
// A worker that loftd starts cannot open root-owned log files after dropping
// root. loftd therefore gives it a pipe as stderr (fd 2) and sets
// LOFT_LOG_PIPE=1 in its environment. In that mode configure() opens no file
// and no syslog: every line goes to fd 2 as one framed record,
//
//   "\x01" <level char> <prefix>": "<Level>": "<message> "\n"
//
// level char: 'D' debug, 'I' info, 'W' warning, 'E' error, 'F' fatal; the
// text is escaped (no control characters) and carries no timestamp. A record
// is at most forwarded_line_max bytes including marker and newline (one
// atomic pipe write); longer text is cut. loftd reads the pipe line by line
// and hands each line to write_forwarded(), which adds the timestamp and
// routes it by level through loftd's own sinks.
inline constexpr std::size_t forwarded_line_max = 4096;
inline constexpr char forwarded_marker = '\x01';

// Whether this process is in pipe mode (LOFT_LOG_PIPE=1 at configure()).
MAILSTORE_API bool forwarding_to_pipe() noexcept;

// One framed record for `text` (an already formatted "prefix: Level: message"
// line): marker, level char, escaped text cut to fit, newline.
MAILSTORE_API std::string format_forwarded(Level level, std::string_view text);

// Parse one line read from a worker's pipe (with or without its trailing
// "\n") and write it through this process's sinks at its level, with the
// timestamp; debug/auth filters are not applied again (the worker did).
// A line without a valid marker (a libc abort message, a stray printf) is
// written as an Error line "<unframed_prefix>: Error: <line>"; empty lines
// are ignored. Control characters are escaped, over-long lines cut.
MAILSTORE_API void write_forwarded(std::string_view line, std::string_view unframed_prefix = {}) noexcept;

} // namespace mailstore::log

#ifndef MAILSTORE_LOG_NO_FMT
#include <mailstore/log_format.hpp>
#endif

namespace mailstore::log {

// A context that prefixes every line: "imap-login", "imap(alice)<4711><ab12cd>".
// Cheap to copy; immutable, so one Logger can be shared between threads.
class MAILSTORE_API Logger {
public:
    // A logger with no prefix.
    Logger();
    // `service` alone, e.g. "imap-login" or "loftd".
    explicit Logger(std::string_view service);
    // service(user)<pid><session>; empty parts are left out. pid 0 = getpid().
    static Logger session(std::string_view service, std::string_view user,
                          std::string_view session_id, long pid = 0);

    // A logger with this prefix extended: Logger("imap").with("(alice)").
    Logger with(std::string_view suffix) const;
    const std::string& prefix() const noexcept;

    void log(Level level, Category category, std::string_view message) const noexcept {
        write(level, category, prefix(), message);
    }
    void debug(std::string_view m, Category c = Category::general) const noexcept { log(Level::debug, c, m); }
    void info(std::string_view m, Category c = Category::general) const noexcept { log(Level::info, c, m); }
    void warning(std::string_view m) const noexcept { log(Level::warning, Category::general, m); }
    void error(std::string_view m) const noexcept { log(Level::error, Category::general, m); }
    void fatal(std::string_view m) const noexcept { log(Level::fatal, Category::general, m); }

#ifndef MAILSTORE_LOG_NO_FMT
    // fmt-formatted variants (header-only, see log_format.hpp): formatting
    // happens in the caller and is skipped when the line is filtered; the
    // result goes through write(). Define MAILSTORE_LOG_NO_FMT to use this
    // header without fmt.
    template <typename... Args>
    void logf(Level level, Category category, fmt::format_string<Args...> f, Args&&... args) const noexcept {
        if (enabled(level, category))
            format_and_write(level, category, prefix(), f, std::forward<Args>(args)...);
    }
    template <typename... Args>
    void debugf(fmt::format_string<Args...> f, Args&&... a) const noexcept { logf(Level::debug, Category::general, f, std::forward<Args>(a)...); }
    template <typename... Args>
    void infof(fmt::format_string<Args...> f, Args&&... a) const noexcept { logf(Level::info, Category::general, f, std::forward<Args>(a)...); }
    template <typename... Args>
    void warningf(fmt::format_string<Args...> f, Args&&... a) const noexcept { logf(Level::warning, Category::general, f, std::forward<Args>(a)...); }
    template <typename... Args>
    void errorf(fmt::format_string<Args...> f, Args&&... a) const noexcept { logf(Level::error, Category::general, f, std::forward<Args>(a)...); }
#endif

private:
    explicit Logger(std::shared_ptr<const std::string> prefix) : prefix_(std::move(prefix)) {}
    std::shared_ptr<const std::string> prefix_;
};

// Process title (what ps shows). init_process_title() must be called early in
// main() with main's argv so the title can use the argv/environ area;
// set_process_title() then shows "loft/<title>" there (and the first 15 bytes
// as the thread name). Without init, only the thread name changes. Titles
// longer than the area are cut.
MAILSTORE_API void init_process_title(int argc, char** argv) noexcept;
MAILSTORE_API void set_process_title(std::string_view title) noexcept;
// Whether verbose_proctitle is on (daemons then put user, IP and command in the title).
MAILSTORE_API bool verbose_process_title() noexcept;

} // namespace mailstore::log
