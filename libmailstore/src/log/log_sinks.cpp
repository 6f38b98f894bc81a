#include "log/log_sinks.hpp"

#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <syslog.h>
#include <unistd.h>

namespace mailstore::log::detail {

namespace {

void write_all(int fd, const std::string& data) {
    const char* p = data.data();
    size_t left = data.size();
    while (left > 0) {
        ssize_t n = ::write(fd, p, left);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return; // a full disk or closed stderr: drop the line
        }
        p += n;
        left -= static_cast<size_t>(n);
    }
}

int syslog_priority(spdlog::level::level_enum level) {
    switch (level) {
    case spdlog::level::trace:
    case spdlog::level::debug: return LOG_DEBUG;
    case spdlog::level::info: return LOG_INFO;
    case spdlog::level::warn: return LOG_WARNING;
    case spdlog::level::err: return LOG_ERR;
    case spdlog::level::critical: return LOG_CRIT;
    default: return LOG_INFO;
    }
}

} // namespace

std::string format_line(const std::string& timestamp_format, const spdlog::details::log_msg& msg) {
    std::string line;
    line.reserve(msg.payload.size() + 32);
    if (!timestamp_format.empty()) {
        std::time_t t = std::chrono::system_clock::to_time_t(msg.time);
        std::tm tm{};
        localtime_r(&t, &tm);
        char buf[128];
        size_t n = std::strftime(buf, sizeof buf, timestamp_format.c_str(), &tm);
        line.append(buf, n);
    }
    line.append(msg.payload.data(), msg.payload.size());
    line.push_back('\n');
    return line;
}

FileSink::FileSink(std::string path, std::string timestamp_format)
    : path_(std::move(path)), timestamp_format_(std::move(timestamp_format)) {
    fd_ = ::open(path_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
    if (fd_ < 0)
        error_ = "cannot open log file " + path_ + ": " + std::strerror(errno);
}

FileSink::~FileSink() {
    if (fd_ >= 0)
        ::close(fd_);
}

void FileSink::reopen() {
    std::lock_guard<std::mutex> lock(mutex_);
    int fd = ::open(path_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
    if (fd < 0)
        return;
    if (fd_ >= 0)
        ::close(fd_);
    fd_ = fd;
}

void FileSink::sink_it_(const spdlog::details::log_msg& msg) {
    if (fd_ < 0)
        return;
    write_all(fd_, format_line(timestamp_format_, msg));
}

void StderrSink::sink_it_(const spdlog::details::log_msg& msg) {
    write_all(STDERR_FILENO, format_line(timestamp_format_, msg));
}

SyslogSink::SyslogSink(std::string ident, int facility) : ident_(std::move(ident)) {
    ::openlog(ident_.c_str(), LOG_PID | LOG_NDELAY, facility);
}

void SyslogSink::sink_it_(const spdlog::details::log_msg& msg) {
    std::string payload(msg.payload.data(), msg.payload.size());
    ::syslog(syslog_priority(msg.level), "%s", payload.c_str());
}

int syslog_facility_from_name(const std::string& name) {
    static const struct {
        const char* name;
        int value;
    } table[] = {
        {"auth", LOG_AUTH},       {"authpriv", LOG_AUTHPRIV}, {"cron", LOG_CRON},     {"daemon", LOG_DAEMON},
        {"ftp", LOG_FTP},         {"kern", LOG_KERN},         {"lpr", LOG_LPR},       {"mail", LOG_MAIL},
        {"news", LOG_NEWS},       {"syslog", LOG_SYSLOG},     {"user", LOG_USER},     {"uucp", LOG_UUCP},
        {"local0", LOG_LOCAL0},   {"local1", LOG_LOCAL1},     {"local2", LOG_LOCAL2}, {"local3", LOG_LOCAL3},
        {"local4", LOG_LOCAL4},   {"local5", LOG_LOCAL5},     {"local6", LOG_LOCAL6}, {"local7", LOG_LOCAL7},
    };
    for (const auto& entry : table)
        if (name == entry.name)
            return entry.value;
    return -1;
}

} // namespace mailstore::log::detail
