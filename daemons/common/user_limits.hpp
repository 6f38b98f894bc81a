// mail_max_userip_connections: how many sessions one user may have from one
// client IP. Dovecot counts them across the whole server (in its anvil
// process); Loft counts them per worker process (docs/imapd.md), which is
// the whole server when loftd runs one imap-login worker.
#pragma once

#include <cstddef>
#include <map>
#include <mutex>
#include <string>

namespace loft {

class UserIpLimits {
public:
    // Counts one more session of `user` from `ip`; false (nothing counted)
    // when that would exceed `limit`. A limit of 0 means no limit (still
    // counted, for `loftadm who`).
    bool acquire(const std::string& user, const std::string& ip, std::size_t limit);
    void release(const std::string& user, const std::string& ip);
    std::size_t count(const std::string& user, const std::string& ip) const;

private:
    mutable std::mutex mutex_;
    std::map<std::string, std::size_t> counts_; // user NUL ip -> sessions
};

} // namespace loft
