// The auth cache (auth_cache_size > 0): passdb and userdb results keyed by
// the block's position and its driver's cache_key() expanded for the
// request. Found entries live auth_cache_ttl, "user unknown" entries
// auth_cache_negative_ttl; internal failures are never cached. Entries from
// an older driver generation() (a passwd-file that changed) are dropped on
// sight. The least recently used entries go first when the total size
// passes auth_cache_size.
//
// A passdb entry also keeps an HMAC, under a key made at random when the
// cache is created, of the last plaintext password that verified against
// it: the same login again compares one HMAC instead of running the stored
// scheme's (deliberately slow) hash. The plaintext itself is never kept.
#pragma once

#include <mailstore/export.hpp>

#include "auth/db/drivers.hpp"

#include <chrono>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace mailstore::auth {

class MAILSTORE_INTERNAL_API AuthCache {
public:
    using Clock = std::chrono::steady_clock;

    AuthCache(std::uint64_t max_bytes, std::chrono::milliseconds ttl, std::chrono::milliseconds negative_ttl);

    bool enabled() const { return max_bytes_ > 0; }

    struct PassdbHit {
        PassdbResult result;
        bool plaintext_verified = false; // the HMAC of the offered plaintext matched
    };
    // `plaintext` (may be empty: a lookup without password) is compared with
    // the remembered HMAC.
    std::optional<PassdbHit> get_passdb(const std::string& key, std::uint64_t generation,
                                        std::string_view plaintext, Clock::time_point now = Clock::now());
    void put_passdb(const std::string& key, std::uint64_t generation, const PassdbResult& result,
                    Clock::time_point now = Clock::now());
    // `plaintext` verified against the entry's stored password: remember it.
    void remember_verified(const std::string& key, std::string_view plaintext);

    std::optional<UserdbResult> get_userdb(const std::string& key, std::uint64_t generation,
                                           Clock::time_point now = Clock::now());
    void put_userdb(const std::string& key, std::uint64_t generation, const UserdbResult& result,
                    Clock::time_point now = Clock::now());

    void flush();

    struct Stats {
        std::uint64_t hits = 0;
        std::uint64_t misses = 0;
        std::uint64_t entries = 0;
        std::uint64_t bytes = 0;
    };
    Stats stats() const;

private:
    struct Entry {
        std::uint64_t generation = 0;
        Clock::time_point expires;
        bool is_passdb = true;
        PassdbResult passdb;
        UserdbResult userdb;
        std::string verified_mac;
        std::size_t bytes = 0;
        std::list<std::string>::iterator order;
    };
    // The cache is split into shards by key hash, each with its own lock,
    // LRU list and share of the size, so threads looking up different users
    // do not queue behind one mutex (a contended mutex costs more than the
    // in-memory passwd-file lookup the cache saves). Small caches (tests,
    // tiny configs) keep one shard so the LRU order is exact.
    struct Shard {
        mutable std::mutex mutex;
        std::unordered_map<std::string, Entry> entries;
        std::list<std::string> order; // front = most recently used
        std::uint64_t max_bytes = 0, bytes = 0, hits = 0, misses = 0;
    };
    Shard& shard_for(const std::string& key);
    static Entry* find_locked(Shard& shard, const std::string& key, std::uint64_t generation,
                              Clock::time_point now);
    static void insert_locked(Shard& shard, const std::string& key, Entry entry);
    static void erase_locked(Shard& shard, std::unordered_map<std::string, Entry>::iterator it);

    std::uint64_t max_bytes_;
    std::chrono::milliseconds ttl_, negative_ttl_;
    std::string mac_key_;
    std::vector<std::unique_ptr<Shard>> shards_;
};

} // namespace mailstore::auth
