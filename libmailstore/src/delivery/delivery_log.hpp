// The per-message log lines of delivery, shaped by deliver_log_format as in
// Dovecot 2.3 (default "msgid=%m: %$"):
//
//   lmtp(alice@example.com)<4711><sid>: Info: msgid=<m1@x>: saved mail to INBOX
#pragma once

#include <mailstore/log.hpp>
#include <mailstore/status.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace mailstore::delivery {

// The values deliver_log_format may use.
struct LogValues {
    std::string msgid;         // %m %{msgid}: the Message-ID, "unspecified" when none
    std::string subject;       // %s %{subject}: decoded, cut at 80 characters
    std::string from;          // %f %{from}: the From header's address
    std::string from_envelope; // %e %{from_envelope}: MAIL FROM
    std::string to_envelope;   // %{to_envelope}: RCPT TO
    std::uint64_t size = 0;    // %p %{size}: bytes as received
    std::uint64_t vsize = 0;   // %w %{vsize}: with CRLF line ends
};

class DeliveryLog {
public:
    DeliveryLog(log::Logger logger, const std::string& format, const LogValues& values)
        : logger_(std::move(logger)), format_(format), values_(values) {}
    void info(std::string_view message) const { logger_.info(line(message)); }
    void warning(std::string_view message) const { logger_.warning(line(message)); }
    void error(std::string_view message) const { logger_.error(line(message)); }

    // `format` expanded for `message`; a format that fails to expand gives
    // Dovecot's default layout.
    std::string line(std::string_view message) const;

private:
    log::Logger logger_;
    const std::string& format_;
    const LogValues& values_;
};

// invalid_argument when `format` uses a variable delivery does not know.
MAILSTORE_INTERNAL_API Status check_deliver_log_format(const std::string& format);

} // namespace mailstore::delivery
