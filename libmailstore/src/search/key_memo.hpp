// A process-wide memo of per-message values derived from message headers
// (SORT's sort keys, THREAD's thread data), in front of the index cache.
//
// Reading a value from the index cache costs a few pread()s per message,
// which for 100,000 messages is most of a warm SORT's or THREAD's time. A
// message's header never changes, so a value is valid for as long as the
// mailbox keeps its UIDVALIDITY, which the caller puts in the box key
// (memo_box_key()). Bounded: past a byte budget the least recently used
// columns (one key of one mailbox) are dropped and fill again from the
// index cache, so SORT's keys and THREAD's data of a big mailbox do not
// push each other out when they fit together, and a column in use is
// never dropped for another.
#pragma once

#include <mailstore/storage/mailbox.hpp>
#include <mailstore/storage/types.hpp>

#include <array>
#include <cstdint>
#include <cstddef>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace mailstore::search::detail {

// Columns: SORT's header keys use 0..8 (its SortKey values), THREAD 9,
// SEARCH's header values (header_values.hpp) the rest, one per field name.
inline constexpr std::size_t kThreadMemoColumn = 9;
inline constexpr std::size_t kFirstSearchMemoColumn = 10;
inline constexpr std::size_t kSearchMemoColumns = 16;
inline constexpr std::size_t kMemoColumns = kFirstSearchMemoColumn + kSearchMemoColumns;

// The column keeping SEARCH's values of cache field `field`
// ("search.hdr.from"), the same for the life of the process; nullopt once
// every search column is taken (later fields then go to the index cache
// each time).
MAILSTORE_INTERNAL_API std::optional<std::size_t> search_memo_column(std::string_view field);

// Where the memo keeps one mailbox's values: user, mailbox GUID and
// UIDVALIDITY (a new UIDVALIDITY makes every old value unreachable).
MAILSTORE_INTERNAL_API std::string memo_box_key(storage::Mailbox& mailbox);

class MAILSTORE_INTERNAL_API KeyMemo {
public:
    static KeyMemo& instance();

    std::optional<std::string> get(const std::string& box, std::size_t column, storage::Uid uid);
    void put(const std::string& box, std::size_t column, storage::Uid uid, std::string_view value);

    // For each uids[i] that has a value, use(i, value) under one lock (the
    // view is valid only during the call): a slice of messages costs one
    // lock and one box lookup instead of one per message. Returns how many
    // were found.
    std::size_t visit(const std::string& box, std::size_t column, const std::vector<storage::Uid>& uids,
                      const std::function<void(std::size_t, std::string_view)>& use);

    // Drops every value of mailbox `box` (for tests: the next lookups go to
    // the index cache).
    void forget(const std::string& box);

private:
    struct Column {
        std::unordered_map<storage::Uid, std::string> values;
        std::size_t bytes = 0;
        std::uint64_t last_use = 0;
    };
    using Columns = std::array<Column, kMemoColumns>;
    // Drops least recently used columns other than `keep` until `cost`
    // more bytes fit; empties `keep` too when it alone is over budget.
    void make_room(std::size_t cost, const Column* keep);

    std::mutex mutex_;
    std::unordered_map<std::string, Columns> boxes_;
    std::size_t bytes_ = 0;
    std::uint64_t tick_ = 0;
};

} // namespace mailstore::search::detail
