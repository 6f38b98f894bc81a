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

constexpr std::uint64_t kShardedFrom = 1024 * 1024; // smaller caches keep one exact LRU
constexpr std::size_t kShards = 16;

AuthCache::AuthCache(std::uint64_t max_bytes, std::chrono::milliseconds ttl, std::chrono::milliseconds negative_ttl)
    : max_bytes_(max_bytes), ttl_(ttl), negative_ttl_(negative_ttl) {
    if (max_bytes_ > 0)
        mac_key_ = crypto::random_bytes(32);
    std::size_t n = max_bytes_ >= kShardedFrom ? kShards : 1;
    for (std::size_t i = 0; i < n; ++i) {
        shards_.push_back(std::make_unique<Shard>());
        shards_.back()->max_bytes = max_bytes_ / n;
    }
}

AuthCache::Shard& AuthCache::shard_for(const std::string& key) {
    return *shards_[std::hash<std::string>{}(key) % shards_.size()];
}

void AuthCache::erase_locked(Shard& shard, std::unordered_map<std::string, Entry>::iterator it) {
    shard.bytes -= it->second.bytes;
    shard.order.erase(it->second.order);
    shard.entries.erase(it);
}

AuthCache::Entry* AuthCache::find_locked(Shard& shard, const std::string& key, std::uint64_t generation,
                                         Clock::time_point now) {
    auto it = shard.entries.find(key);
    if (it == shard.entries.end()) {
        ++shard.misses;
        return nullptr;
    }
    if (it->second.generation != generation || now >= it->second.expires) {
        erase_locked(shard, it);
        ++shard.misses;
        return nullptr;
    }
    ++shard.hits;
    shard.order.splice(shard.order.begin(), shard.order, it->second.order);
    return &it->second;
}

void AuthCache::insert_locked(Shard& shard, const std::string& key, Entry entry) {
    auto old = shard.entries.find(key);
    if (old != shard.entries.end())
        erase_locked(shard, old);
    if (entry.bytes > shard.max_bytes)
        return;
    while (shard.bytes + entry.bytes > shard.max_bytes && !shard.order.empty())
        erase_locked(shard, shard.entries.find(shard.order.back()));
    shard.order.push_front(key);
    entry.order = shard.order.begin();
    shard.bytes += entry.bytes;
    shard.entries.emplace(key, std::move(entry));
}

std::optional<AuthCache::PassdbHit> AuthCache::get_passdb(const std::string& key, std::uint64_t generation,
                                                          std::string_view plaintext, Clock::time_point now) {
    if (!enabled())
        return std::nullopt;
    std::optional<PassdbHit> hit;
    std::string mac;
    {
        Shard& shard = shard_for(key);
        std::lock_guard lock(shard.mutex);
        Entry* e = find_locked(shard, key, generation, now);
        if (!e || !e->is_passdb)
            return std::nullopt;
        hit.emplace(PassdbHit{e->passdb, false});
        if (!plaintext.empty())
            mac = e->verified_mac;
    }
    // The HMAC is computed outside the lock: it costs more than the lookup.
    if (!mac.empty())
        hit->plaintext_verified =
            crypto::constant_time_equal(mac, crypto::hmac(crypto::Digest::sha256, mac_key_, plaintext));
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
    Shard& shard = shard_for(key);
    std::lock_guard lock(shard.mutex);
    insert_locked(shard, key, std::move(e));
}

void AuthCache::remember_verified(const std::string& key, std::string_view plaintext) {
    if (!enabled() || plaintext.empty())
        return;
    auto mac = crypto::hmac(crypto::Digest::sha256, mac_key_, plaintext);
    Shard& shard = shard_for(key);
    std::lock_guard lock(shard.mutex);
    auto it = shard.entries.find(key);
    if (it != shard.entries.end())
        it->second.verified_mac = std::move(mac);
}

std::optional<UserdbResult> AuthCache::get_userdb(const std::string& key, std::uint64_t generation,
                                                  Clock::time_point now) {
    if (!enabled())
        return std::nullopt;
    Shard& shard = shard_for(key);
    std::lock_guard lock(shard.mutex);
    Entry* e = find_locked(shard, key, generation, now);
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
    Shard& shard = shard_for(key);
    std::lock_guard lock(shard.mutex);
    insert_locked(shard, key, std::move(e));
}

void AuthCache::flush() {
    for (auto& shard : shards_) {
        std::lock_guard lock(shard->mutex);
        shard->entries.clear();
        shard->order.clear();
        shard->bytes = 0;
    }
}

AuthCache::Stats AuthCache::stats() const {
    Stats total;
    for (const auto& shard : shards_) {
        std::lock_guard lock(shard->mutex);
        total.hits += shard->hits;
        total.misses += shard->misses;
        total.entries += shard->entries.size();
        total.bytes += shard->bytes;
    }
    return total;
}

} // namespace mailstore::auth
