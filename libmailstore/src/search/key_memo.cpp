// The process-wide memo of header-derived values (key_memo.hpp).
#include "search/key_memo.hpp"

#include <mailstore/storage/user.hpp>

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

KeyMemo& KeyMemo::instance() {
    static KeyMemo memo;
    return memo;
}

std::optional<std::string> KeyMemo::get(const std::string& box, std::size_t column, storage::Uid uid) {
    std::lock_guard lock(mutex_);
    auto b = boxes_.find(box);
    if (b == boxes_.end())
        return std::nullopt;
    auto v = b->second[column].find(uid);
    if (v == b->second[column].end())
        return std::nullopt;
    return v->second;
}

void KeyMemo::put(const std::string& box, std::size_t column, storage::Uid uid, std::string_view value) {
    std::size_t cost = value.size() + kMemoEntryOverhead;
    std::lock_guard lock(mutex_);
    if (bytes_ + cost > kMemoBytes) {
        boxes_.clear();
        bytes_ = 0;
    }
    auto [b, added_box] = boxes_.try_emplace(box);
    if (added_box)
        bytes_ += box.size() + kMemoEntryOverhead;
    if (b->second[column].emplace(uid, std::string(value)).second)
        bytes_ += cost;
}

std::size_t KeyMemo::visit(const std::string& box, std::size_t column, const std::vector<storage::Uid>& uids,
                           const std::function<void(std::size_t, std::string_view)>& use) {
    std::lock_guard lock(mutex_);
    auto b = boxes_.find(box);
    if (b == boxes_.end())
        return 0;
    const Column& values = b->second[column];
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

} // namespace mailstore::search::detail
