#include "user_limits.hpp"

namespace loft {

namespace {
std::string key_of(const std::string& user, const std::string& ip) { return user + '\0' + ip; }
} // namespace

bool UserIpLimits::acquire(const std::string& user, const std::string& ip, std::size_t limit) {
    std::lock_guard<std::mutex> lock(mutex_);
    std::size_t& n = counts_[key_of(user, ip)];
    if (limit > 0 && n >= limit) {
        if (n == 0)
            counts_.erase(key_of(user, ip));
        return false;
    }
    ++n;
    return true;
}

void UserIpLimits::release(const std::string& user, const std::string& ip) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = counts_.find(key_of(user, ip));
    if (it == counts_.end())
        return;
    if (--it->second == 0)
        counts_.erase(it);
}

std::size_t UserIpLimits::count(const std::string& user, const std::string& ip) const {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = counts_.find(key_of(user, ip));
    return it == counts_.end() ? 0 : it->second;
}

} // namespace loft
