#include "auth/auth_cache.hpp"

#include "auth/crypto.hpp"

namespace mailstore::auth {
namespace {

// Rough memory use of an entry: its strings plus a fixed overhead for the
// map node, list node and bookkeeping.
std::size_t fields_size(const FieldList& fields) {
    std::size_t n = 0;
    for (const auto& [k, v] : fields)
        n += k.size() + v.size() + 2 * sizeof(std::string);
    return n;
}

constexpr std::size_t kEntryOverhead = 256;

} // namespace

AuthCache::AuthCache(std::uint64_t max_bytes, std::chrono::milliseconds ttl, std::chrono::milliseconds negative_ttl)
    : max_bytes_(max_bytes), ttl_(ttl), negative_ttl_(negative_ttl) {
    if (max_bytes_ > 0)
        mac_key_ = crypto::random_bytes(32);
}

void AuthCache::erase_locked(std::unordered_map<std::string, Entry>::iterator it) {
    bytes_ -= it->second.bytes;
    order_.erase(it->second.order);
    entries_.erase(it);
}

AuthCache::Entry* AuthCache::find_locked(const std::string& key, std::uint64_t generation, Clock::time_point now) {
    auto it = entries_.find(key);
    if (it == entries_.end()) {
        ++misses_;
        return nullptr;
    }
    if (it->second.generation != generation || now >= it->second.expires) {
        erase_locked(it);
        ++misses_;
        return nullptr;
    }
    ++hits_;
    order_.splice(order_.begin(), order_, it->second.order);
    return &it->second;
}

void AuthCache::insert_locked(const std::string& key, Entry entry) {
    auto old = entries_.find(key);
    if (old != entries_.end())
        erase_locked(old);
    if (entry.bytes > max_bytes_)
        return;
    while (bytes_ + entry.bytes > max_bytes_ && !order_.empty())
        erase_locked(entries_.find(order_.back()));
    order_.push_front(key);
    entry.order = order_.begin();
    bytes_ += entry.bytes;
    entries_.emplace(key, std::move(entry));
}

std::optional<AuthCache::PassdbHit> AuthCache::get_passdb(const std::string& key, std::uint64_t generation,
                                                          std::string_view plaintext, Clock::time_point now) {
    if (!enabled())
        return std::nullopt;
    std::lock_guard lock(mutex_);
    Entry* e = find_locked(key, generation, now);
    if (!e || !e->is_passdb)
        return std::nullopt;
    PassdbHit hit{e->passdb, false};
    if (!plaintext.empty() && !e->verified_mac.empty())
        hit.plaintext_verified =
            crypto::constant_time_equal(e->verified_mac, crypto::hmac(crypto::Digest::sha256, mac_key_, plaintext));
    return hit;
}

void AuthCache::put_passdb(const std::string& key, std::uint64_t generation, const PassdbResult& result,
                           Clock::time_point now) {
    if (!enabled())
        return;
    if (result.kind != PassdbResult::Kind::ok && result.kind != PassdbResult::Kind::user_unknown)
        return;
    Entry e;
    e.generation = generation;
    e.expires = now + (result.kind == PassdbResult::Kind::ok ? ttl_ : negative_ttl_);
    e.is_passdb = true;
    e.passdb = result;
    e.bytes = kEntryOverhead + key.size() + result.password.size() + result.default_scheme.size() +
              fields_size(result.fields) + 32;
    std::lock_guard lock(mutex_);
    insert_locked(key, std::move(e));
}

void AuthCache::remember_verified(const std::string& key, std::string_view plaintext) {
    if (!enabled() || plaintext.empty())
        return;
    auto mac = crypto::hmac(crypto::Digest::sha256, mac_key_, plaintext);
    std::lock_guard lock(mutex_);
    auto it = entries_.find(key);
    if (it != entries_.end())
        it->second.verified_mac = std::move(mac);
}

std::optional<UserdbResult> AuthCache::get_userdb(const std::string& key, std::uint64_t generation,
                                                  Clock::time_point now) {
    if (!enabled())
        return std::nullopt;
    std::lock_guard lock(mutex_);
    Entry* e = find_locked(key, generation, now);
    if (!e || e->is_passdb)
        return std::nullopt;
    return e->userdb;
}

void AuthCache::put_userdb(const std::string& key, std::uint64_t generation, const UserdbResult& result,
                           Clock::time_point now) {
    if (!enabled())
        return;
    if (result.kind == UserdbResult::Kind::internal_failure)
        return;
    Entry e;
    e.generation = generation;
    e.expires = now + (result.kind == UserdbResult::Kind::ok ? ttl_ : negative_ttl_);
    e.is_passdb = false;
    e.userdb = result;
    e.bytes = kEntryOverhead + key.size() + fields_size(result.fields);
    std::lock_guard lock(mutex_);
    insert_locked(key, std::move(e));
}

void AuthCache::flush() {
    std::lock_guard lock(mutex_);
    entries_.clear();
    order_.clear();
    bytes_ = 0;
}

AuthCache::Stats AuthCache::stats() const {
    std::lock_guard lock(mutex_);
    return {hits_, misses_, entries_.size(), bytes_};
}

} // namespace mailstore::auth
