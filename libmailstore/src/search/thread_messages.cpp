// What THREAD needs of each message (include/mailstore/thread.hpp): read
// from the header once, then kept in the index cache as one field, so that
// threading a mailbox again opens no message file, and in the process-wide
// memo (key_memo.hpp), so that threading it again in the same process
// reads no index cache either (one pread per message was most of a warm
// THREAD's time). Loaded in slices (ThreadLoader) so a session can answer
// between them.
#include "search/key_memo.hpp"
#include "storage/mailbox_impl.hpp"

#include <mailstore/log.hpp>
#include <mailstore/mime/casemap.hpp>
#include <mailstore/mime/header.hpp>
#include <mailstore/mime/sort_keys.hpp>
#include <mailstore/thread.hpp>

#include <algorithm>
#include <array>
#include <charconv>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace mailstore::search {

namespace {

namespace ms = mailstore::storage;

// The cache field: "<date> <reply 0|1> <count>\n" then each of msgid,
// subject and the references as "<length>:<bytes>". Version in the name:
// a new layout takes a new name and the old entries are simply unused.
constexpr std::string_view kCacheField = "thread.v1";

// Bounds on what one message contributes (its header is bounded already;
// these keep the cache entry and the id table small): References beyond
// the last 256 ids add nothing a real thread needs (§3 step 1.A links
// neighbours only, and the last one is the parent), and a msg-id over
// 998 octets (a whole RFC 5322 line) is junk.
constexpr std::size_t kMaxReferences = 256;
constexpr std::size_t kMaxIdLength = 998;
constexpr std::size_t kMaxSubjectLength = 4096;

// Cache entries are written by committing after this many new ones, so the
// pending list Message::cached() scans stays short.
constexpr std::size_t kFlushEvery = 2000;

void put_string(std::string& out, std::string_view s) {
    out += std::to_string(s.size());
    out += ':';
    out += s;
}

bool get_string(std::string_view& in, std::string& out) {
    std::size_t len = 0;
    auto [p, ec] = std::from_chars(in.data(), in.data() + in.size(), len);
    if (ec != std::errc() || p == in.data() + in.size() || *p != ':')
        return false;
    in.remove_prefix(static_cast<std::size_t>(p - in.data()) + 1);
    if (len > in.size())
        return false;
    out.assign(in.substr(0, len));
    in.remove_prefix(len);
    return true;
}

std::string encode(const ThreadMessage& m) {
    std::string out;
    out.reserve(32 + m.message_id.size() + m.base_subject.size() + m.references.size() * 40);
    out += std::to_string(m.sent_date);
    out += m.reply_or_forward ? " 1 " : " 0 ";
    out += std::to_string(m.references.size());
    out += '\n';
    put_string(out, m.message_id);
    put_string(out, m.base_subject);
    for (const auto& r : m.references)
        put_string(out, r);
    return out;
}

bool decode(std::string_view in, ThreadMessage& m) {
    const char* end = in.data() + in.size();
    auto [p1, e1] = std::from_chars(in.data(), end, m.sent_date);
    if (e1 != std::errc() || end - p1 < 4 || p1[0] != ' ' || (p1[1] != '0' && p1[1] != '1') || p1[2] != ' ')
        return false;
    m.reply_or_forward = p1[1] == '1';
    std::size_t count = 0;
    auto [p2, e2] = std::from_chars(p1 + 3, end, count);
    if (e2 != std::errc() || p2 == end || *p2 != '\n' || count > kMaxReferences)
        return false;
    in = std::string_view(p2 + 1, static_cast<std::size_t>(end - p2 - 1));
    if (!get_string(in, m.message_id) || !get_string(in, m.base_subject))
        return false;
    m.references.resize(count);
    for (auto& r : m.references)
        if (!get_string(in, r))
            return false;
    return in.empty();
}

bool usable_id(const std::string& id) { return !id.empty() && id.size() <= kMaxIdLength; }

// Writes the cache entries learned so far (what Mailbox::sync() and the
// destructor do), so Message::cached() keeps scanning a short list.
void flush_cache(ms::Mailbox& mailbox) {
    auto& im = mailbox.impl();
    if (!im.has_pending())
        return;
    auto done = im.commit([&](index::WriteContext& ctx) {
        im.flush_pending(ctx);
        return Status::ok();
    });
    if (!done)
        log::write(log::Level::warning, log::Category::mail, "",
                   "mailbox " + mailbox.name() + ": THREAD cache not written: " + done.status().message());
}

} // namespace

ThreadMessage thread_message_from_header(std::uint32_t seq, std::string_view header, std::int64_t internal_date) {
    ThreadMessage m;
    m.seq = seq;
    mime::Header h(header);
    if (auto id = mime::parse_message_id(h.value("Message-ID")); id && usable_id(*id))
        m.message_id = std::move(*id);
    // RFC 5256 §3: References; without a valid id there, the first valid
    // id of In-Reply-To is the only reference.
    auto refs = mime::parse_message_ids(h.value("References"));
    std::erase_if(refs, [](const std::string& r) { return !usable_id(r); });
    if (refs.size() > kMaxReferences)
        refs.erase(refs.begin(), refs.end() - static_cast<std::ptrdiff_t>(kMaxReferences));
    if (refs.empty()) {
        if (auto irt = mime::parse_message_id(h.value("In-Reply-To")); irt && usable_id(*irt))
            refs.push_back(std::move(*irt));
    }
    m.references = std::move(refs);
    bool reply = false;
    std::string base = mime::base_subject(h.value("Subject"), &reply);
    m.base_subject = mime::casemap(base);
    if (m.base_subject.size() > kMaxSubjectLength)
        m.base_subject.resize(kMaxSubjectLength);
    m.reply_or_forward = reply;
    if (auto date = mime::sent_date(h))
        m.sent_date = date->utc;
    else
        m.sent_date = internal_date;
    return m;
}

// --- The last trees ---

// The last tree of each algorithm, for a mailbox and a list of UIDs: a
// message's thread data never changes, so threading the same UIDs again
// gives the same tree (sent-date ties go by sequence number, which orders
// as the UID does). A session that threads repeatedly (a client refreshing
// its thread view) gets it without loading or threading again. Nodes hold
// positions in the UID list (1-based), not sequence numbers, which the
// loader maps back. Bounded: one tree per algorithm, for up to
// kTreeMemoMessages messages.
constexpr std::size_t kTreeMemoMessages = 1'000'000;

class TreeMemo {
public:
    static TreeMemo& instance() {
        static TreeMemo memo;
        return memo;
    }

    std::optional<ThreadTree> get(ThreadAlgorithm algorithm, const std::string& box, const std::vector<ms::Uid>& uids) {
        std::lock_guard lock(mutex_);
        const Slot& slot = slots_[static_cast<std::size_t>(algorithm)];
        if (slot.box != box || slot.uids != uids)
            return std::nullopt;
        return slot.tree;
    }

    void put(ThreadAlgorithm algorithm, const std::string& box, std::vector<ms::Uid> uids, ThreadTree tree) {
        std::lock_guard lock(mutex_);
        Slot& slot = slots_[static_cast<std::size_t>(algorithm)];
        slot.box = box;
        slot.uids = std::move(uids);
        slot.tree = std::move(tree);
    }

private:
    struct Slot {
        std::string box;
        std::vector<ms::Uid> uids;
        ThreadTree tree;
    };
    std::mutex mutex_;
    std::array<Slot, 3> slots_;
};

// --- ThreadLoader ---

class ThreadLoader::Impl {
public:
    Impl(ThreadAlgorithm algorithm, std::vector<ms::Seq> seqs)
        : algorithm_(algorithm), seqs_(std::move(seqs)), msgs_(seqs_.size()) {}

    Result<bool> load(ms::Mailbox& mailbox, std::size_t max_messages) {
        std::size_t end = seqs_.size();
        if (max_messages != 0 && end - loaded_ > max_messages)
            end = loaded_ + max_messages;
        try {
            if (!started_) {
                // Entries other commands left pending would make every
                // index cache lookup below scan them.
                flush_cache(mailbox);
                memo_key_ = detail::memo_box_key(mailbox);
                started_ = true;
                if (start_from_tree_memo(mailbox))
                    return true;
            }
            auto status = load_slice(mailbox, end);
            if (!status)
                return status;
            loaded_ = end;
            if (loaded_ == seqs_.size() && learned_ > 0)
                flush_cache(mailbox);
        } catch (const std::bad_alloc&) {
            return Status::error(Status::Code::internal, "THREAD: out of memory");
        }
        return loaded_ == seqs_.size();
    }

    ThreadTree finish() {
        ThreadTree tree;
        if (remembered_) {
            tree = std::move(*remembered_);
            for (auto& node : tree.nodes)
                if (node.seq != 0)
                    node.seq = seqs_[node.seq - 1];
        } else {
            tree = build_threads(algorithm_, std::exchange(msgs_, {}));
            remember(tree);
        }
        seqs_ = {};
        msgs_ = {};
        all_uids_ = {};
        remembered_.reset();
        loaded_ = 0;
        return tree;
    }

private:
    // The UIDs of all messages, when the tree memo may hold their tree:
    // the sequence numbers ascending (so a position in the list orders as
    // the sequence number does) and not too many.
    bool start_from_tree_memo(ms::Mailbox& mailbox) {
        if (seqs_.empty() || seqs_.size() > kTreeMemoMessages || !std::is_sorted(seqs_.begin(), seqs_.end()) ||
            std::adjacent_find(seqs_.begin(), seqs_.end()) != seqs_.end())
            return false;
        const ms::View& view = mailbox.view();
        all_uids_.reserve(seqs_.size());
        for (ms::Seq seq : seqs_)
            all_uids_.push_back(view.uid(seq));
        remembered_ = TreeMemo::instance().get(algorithm_, memo_key_, all_uids_);
        if (!remembered_)
            return false;
        loaded_ = seqs_.size();
        return true;
    }

    // Keeps `tree` (in positions) for the next THREAD of the same UIDs,
    // unless a message was threaded without its data (gone from disk).
    void remember(const ThreadTree& tree) {
        if (all_uids_.empty() || incomplete_)
            return;
        ThreadTree positions = tree;
        for (auto& node : positions.nodes) {
            if (node.seq == 0)
                continue;
            auto it = std::lower_bound(seqs_.begin(), seqs_.end(), node.seq);
            node.seq = static_cast<std::uint32_t>(it - seqs_.begin()) + 1;
        }
        TreeMemo::instance().put(algorithm_, memo_key_, std::exchange(all_uids_, {}), std::move(positions));
    }

    // Messages [loaded_, end): first what the memo has (one lock for the
    // slice), then the index cache, then the header itself.
    Status load_slice(ms::Mailbox& mailbox, std::size_t end) {
        const ms::View& view = mailbox.view();
        uids_.clear();
        for (std::size_t i = loaded_; i < end; ++i)
            uids_.push_back(view.uid(seqs_[i]));
        found_.assign(end - loaded_, false);
        detail::KeyMemo& memo = detail::KeyMemo::instance();
        memo.visit(memo_key_, detail::kThreadMemoColumn, uids_, [&](std::size_t i, std::string_view value) {
            found_[i] = decode(value, msgs_[loaded_ + i]);
        });
        for (std::size_t i = loaded_; i < end; ++i) {
            ThreadMessage& m = msgs_[i];
            const ms::Seq seq = seqs_[i];
            const ms::Uid uid = uids_[i - loaded_];
            if (found_[i - loaded_]) {
                m.seq = seq;
                continue;
            }
            ms::Message message = mailbox.message(seq);
            if (auto cached = message.cached(kCacheField); cached && decode(*cached, m)) {
                m.seq = seq;
                memo.put(memo_key_, detail::kThreadMemoColumn, uid, *cached);
                continue;
            }
            auto internal = message.internal_date();
            std::int64_t idate = internal ? internal.value() : 0;
            auto data = message.open();
            if (!data) {
                if (data.status().code() != Status::Code::not_found)
                    return data.status();
                // Expunged by another session and gone: no header to use.
                incomplete_ = true;
                m = ThreadMessage{};
                m.seq = seq;
                m.sent_date = idate;
                continue;
            }
            m = thread_message_from_header(seq, data->header(), idate);
            std::string entry = encode(m);
            message.cache(kCacheField, entry);
            memo.put(memo_key_, detail::kThreadMemoColumn, uid, entry);
            if (++learned_ % kFlushEvery == 0)
                flush_cache(mailbox);
        }
        return Status::ok();
    }

    ThreadAlgorithm algorithm_;
    std::vector<ms::Seq> seqs_;
    std::vector<ThreadMessage> msgs_;
    std::vector<ms::Uid> all_uids_;           // for the tree memo (empty: not used)
    std::optional<ThreadTree> remembered_;    // the tree memo's answer, in positions
    bool incomplete_ = false;                 // a message threaded without its data
    std::size_t loaded_ = 0;
    std::size_t learned_ = 0; // entries computed from headers (cache writes)
    bool started_ = false;
    std::string memo_key_;           // where the memo keeps this mailbox's entries
    std::vector<ms::Uid> uids_;      // of the current slice
    std::vector<bool> found_;        // of the current slice: decoded from the memo
};

ThreadLoader::ThreadLoader(ThreadAlgorithm algorithm, std::vector<storage::Seq> seqs)
    : impl_(std::make_unique<Impl>(algorithm, std::move(seqs))) {}
ThreadLoader::ThreadLoader(ThreadLoader&&) noexcept = default;
ThreadLoader& ThreadLoader::operator=(ThreadLoader&&) noexcept = default;
ThreadLoader::~ThreadLoader() = default;

Result<bool> ThreadLoader::load(storage::Mailbox& mailbox, std::size_t max_messages) {
    return impl_->load(mailbox, max_messages);
}

ThreadTree ThreadLoader::finish() { return impl_->finish(); }

Result<ThreadTree> thread_messages(ms::Mailbox& mailbox, ThreadAlgorithm algorithm, const std::vector<ms::Seq>& seqs) {
    try {
        ThreadLoader loader(algorithm, seqs);
        auto loaded = loader.load(mailbox, 0);
        if (!loaded)
            return loaded.status();
        return loader.finish();
    } catch (const std::bad_alloc&) {
        return Status::error(Status::Code::internal, "THREAD: out of memory");
    }
}

} // namespace mailstore::search
