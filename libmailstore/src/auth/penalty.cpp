#include "auth/penalty.hpp"

#include <algorithm>

namespace mailstore::auth {

std::chrono::milliseconds PenaltyTable::delay_for(unsigned previous, std::chrono::milliseconds base) {
    if (previous == 0)
        return base;
    auto unit = std::max(base, std::chrono::milliseconds(1000));
    auto cap = std::max(kMaxPenaltyDelay, base);
    // 2^4 already passes the 15 s cap for any unit of at least a second.
    unsigned shift = std::min(previous, 5u);
    return std::min(unit * (1u << shift), cap);
}

unsigned PenaltyTable::Counts::bump(std::string_view key_view, Clock::time_point now) {
    std::lock_guard lock(mutex_);
    std::string key(key_view);
    auto it = entries_.find(key);
    if (it != entries_.end() && now - it->second.last > kPenaltyForget) {
        order_.erase(it->second.order);
        entries_.erase(it);
        it = entries_.end();
    }
    unsigned previous = 0;
    if (it == entries_.end()) {
        while (entries_.size() >= kMaxPenaltyEntries && !order_.empty()) {
            entries_.erase(order_.back());
            order_.pop_back();
        }
        order_.push_front(key);
        it = entries_.emplace(std::move(key), Entry{0, now, order_.begin()}).first;
    } else {
        previous = it->second.failures;
        order_.splice(order_.begin(), order_, it->second.order);
    }
    if (it->second.failures < 1000)
        ++it->second.failures;
    it->second.last = now;
    return previous;
}

void PenaltyTable::Counts::erase(std::string_view key) {
    std::lock_guard lock(mutex_);
    auto it = entries_.find(std::string(key));
    if (it == entries_.end())
        return;
    order_.erase(it->second.order);
    entries_.erase(it);
}

unsigned PenaltyTable::Counts::get(std::string_view key, Clock::time_point now) const {
    std::lock_guard lock(mutex_);
    auto it = entries_.find(std::string(key));
    if (it == entries_.end() || now - it->second.last > kPenaltyForget)
        return 0;
    return it->second.failures;
}

std::size_t PenaltyTable::Counts::size() const {
    std::lock_guard lock(mutex_);
    return entries_.size();
}

std::chrono::milliseconds PenaltyTable::fail(std::string_view ip, std::string_view user,
                                             std::chrono::milliseconds base, Clock::time_point now) {
    unsigned previous = 0;
    if (!ip.empty())
        previous = ips_.bump(ip, now);
    if (!user.empty())
        previous = std::max(previous, users_.bump(user, now));
    return delay_for(previous, base);
}

void PenaltyTable::clear_user(std::string_view user) { users_.erase(user); }
void PenaltyTable::clear(std::string_view ip) { ips_.erase(ip); }

unsigned PenaltyTable::failures(std::string_view ip, Clock::time_point now) const { return ips_.get(ip, now); }
unsigned PenaltyTable::user_failures(std::string_view user, Clock::time_point now) const {
    return users_.get(user, now);
}
std::size_t PenaltyTable::size() const { return ips_.size(); }
std::size_t PenaltyTable::user_count() const { return users_.size(); }

} // namespace mailstore::auth
