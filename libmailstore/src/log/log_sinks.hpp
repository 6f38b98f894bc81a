// The spdlog sinks behind mailstore::log: a reopenable append-only file, a
// stderr sink and a syslog sink, all formatting lines the Dovecot way
// (strftime timestamp + payload) instead of with spdlog patterns.
#pragma once

#include <spdlog/sinks/base_sink.h>

#include <mutex>
#include <string>

namespace mailstore::log::detail {

// Formats "<timestamp><payload>\n" with a strftime format.
std::string format_line(const std::string& timestamp_format, const spdlog::details::log_msg& msg);

class FileSink final : public spdlog::sinks::base_sink<std::mutex> {
public:
    // Opens (O_APPEND|O_CREAT) `path`; fd_ stays -1 and error_ is set on failure.
    FileSink(std::string path, std::string timestamp_format);
    ~FileSink() override;
    bool ok() const { return fd_ >= 0; }
    const std::string& error() const { return error_; }
    const std::string& path() const { return path_; }
    // Open the path again (logrotate renamed it); keeps the old fd on failure.
    void reopen();

protected:
    void sink_it_(const spdlog::details::log_msg& msg) override;
    void flush_() override {}

private:
    std::string path_;
    std::string timestamp_format_;
    int fd_ = -1;
    std::string error_;
};

class StderrSink final : public spdlog::sinks::base_sink<std::mutex> {
public:
    explicit StderrSink(std::string timestamp_format) : timestamp_format_(std::move(timestamp_format)) {}

protected:
    void sink_it_(const spdlog::details::log_msg& msg) override;
    void flush_() override {}

private:
    std::string timestamp_format_;
};

class SyslogSink final : public spdlog::sinks::base_sink<std::mutex> {
public:
    SyslogSink(std::string ident, int facility);

protected:
    void sink_it_(const spdlog::details::log_msg& msg) override;
    void flush_() override {}

private:
    std::string ident_; // openlog() keeps the pointer, so it lives here
};

// LOG_MAIL etc. for "mail", "local0", ...; -1 when unknown.
int syslog_facility_from_name(const std::string& name);

} // namespace mailstore::log::detail
