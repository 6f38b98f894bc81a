// The process-wide memo of header-derived values (key_memo.hpp).
#include "search/key_memo.hpp"

#include <mailstore/storage/user.hpp>

#include <algorithm>

namespace mailstore::search::detail {

namespace {

// SORT's keys of 100,000 messages take a few MB per key; THREAD's data
// (Message-ID, base subject, References) a few hundred bytes a message.
// Both for a few big mailboxes fit; past that the memo starts again.
constexpr std::size_t kMemoBytes = 128 << 20;
constexpr std::size_t kMemoEntryOverhead = 64; // hash node and string header, roughly

} // namespace

std::string memo_box_key(storage::Mailbox& mailbox) {
    return mailbox.user().username() + '\n' + mailbox.guid() + '\n' + std::to_string(mailbox.view().uidvalidity());
}

std::optional<std::size_t> search_memo_column(std::string_view field) {
    static std::mutex mutex;
    static std::vector<std::string> fields;
    std::lock_guard lock(mutex);
    for (std::size_t i = 0; i < fields.size(); ++i)
        if (fields[i] == field)
            return kFirstSearchMemoColumn + i;
    if (fields.size() >= kSearchMemoColumns)
        return std::nullopt;
    fields.emplace_back(field);
    return kFirstSearchMemoColumn + fields.size() - 1;
}

KeyMemo& KeyMemo::instance() {
    static KeyMemo memo;
    return memo;
}

std::optional<std::string> KeyMemo::get(const std::string& box, std::size_t column, storage::Uid uid) {
    std::lock_guard lock(mutex_);
    auto b = boxes_.find(box);
    if (b == boxes_.end())
        return std::nullopt;
    Column& c = b->second[column];
    c.last_use = ++tick_;
    auto v = c.values.find(uid);
    if (v == c.values.end())
        return std::nullopt;
    return v->second;
}

void KeyMemo::make_room(std::size_t cost, const Column* keep) {
    while (bytes_ + cost > kMemoBytes) {
        Column* oldest = nullptr;
        decltype(boxes_)::iterator oldest_box = boxes_.end();
        for (auto it = boxes_.begin(); it != boxes_.end(); ++it)
            for (Column& c : it->second)
                if (&c != keep && c.bytes != 0 && (!oldest || c.last_use < oldest->last_use)) {
                    oldest = &c;
                    oldest_box = it;
                }
        if (!oldest) {
            // Only the column being filled holds values and it is over
            // budget by itself: start it again.
            auto* column = const_cast<Column*>(keep);
            bytes_ -= std::min(bytes_, column->bytes);
            column->values = {};
            column->bytes = 0;
            return;
        }
        bytes_ -= std::min(bytes_, oldest->bytes);
        oldest->values = {};
        oldest->bytes = 0;
        // A mailbox with nothing left goes, unless it holds `keep`: the
        // memo's size stays bounded by its budget, not by how many
        // mailboxes a long-lived process ever sorted.
        bool holds_keep = false;
        bool empty = true;
        for (const Column& c : oldest_box->second) {
            holds_keep = holds_keep || &c == keep;
            empty = empty && c.bytes == 0;
        }
        if (empty && !holds_keep)
            boxes_.erase(oldest_box);
    }
}

void KeyMemo::put(const std::string& box, std::size_t column, storage::Uid uid, std::string_view value) {
    const std::size_t cost = value.size() + kMemoEntryOverhead;
    std::lock_guard lock(mutex_);
    Column& c = boxes_.try_emplace(box).first->second[column];
    c.last_use = ++tick_;
    if (bytes_ + cost > kMemoBytes)
        make_room(cost, &c);
    if (c.values.emplace(uid, std::string(value)).second) {
        c.bytes += cost;
        bytes_ += cost;
    }
}

std::size_t KeyMemo::visit(const std::string& box, std::size_t column, const std::vector<storage::Uid>& uids,
                           const std::function<void(std::size_t, std::string_view)>& use) {
    std::lock_guard lock(mutex_);
    auto b = boxes_.find(box);
    if (b == boxes_.end())
        return 0;
    Column& c = b->second[column];
    c.last_use = ++tick_;
    const auto& values = c.values;
    std::size_t found = 0;
    for (std::size_t i = 0; i < uids.size(); ++i) {
        auto v = values.find(uids[i]);
        if (v == values.end())
            continue;
        use(i, v->second);
        ++found;
    }
    return found;
}

void KeyMemo::forget(const std::string& box) {
    std::lock_guard lock(mutex_);
    auto b = boxes_.find(box);
    if (b == boxes_.end())
        return;
    for (const Column& c : b->second)
        bytes_ -= std::min(bytes_, c.bytes);
    boxes_.erase(b);
}

} // namespace mailstore::search::detail
