// IndexState (immutable, chunked records) and StateBuilder (the next state).
#include "index/state_impl.hpp"

#include <algorithm>
#include <chrono>
#include <strings.h>

namespace mailstore::index {

using detail::Chunk;

std::uint32_t IndexState::Impl::chunk_for(Uid uid) const {
    // First chunk whose last uid is >= uid.
    auto it = std::lower_bound(chunks.begin(), chunks.end(), uid,
                               [](const std::shared_ptr<const Chunk>& c, Uid u) { return c->records.back().uid < u; });
    return static_cast<std::uint32_t>(it - chunks.begin());
}

void IndexState::Impl::rebuild_starts(std::size_t from) {
    starts.resize(chunks.size());
    std::uint32_t pos = from == 0 ? 0 : starts[from - 1] + static_cast<std::uint32_t>(chunks[from - 1]->records.size());
    for (std::size_t i = from; i < chunks.size(); ++i) {
        starts[i] = pos;
        pos += static_cast<std::uint32_t>(chunks[i]->records.size());
    }
    total = pos;
}

IndexState::IndexState(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}

const IndexHeader& IndexState::header() const { return impl_->header; }
std::uint32_t IndexState::count() const { return impl_->total; }

const Record& IndexState::at(std::uint32_t i) const {
    const auto& starts = impl_->starts;
    auto it = std::upper_bound(starts.begin(), starts.end(), i);
    std::size_t c = static_cast<std::size_t>(it - starts.begin()) - 1;
    return impl_->chunks[c]->records[i - starts[c]];
}

std::optional<std::uint32_t> IndexState::find(Uid uid) const {
    std::uint32_t c = impl_->chunk_for(uid);
    if (c >= impl_->chunks.size())
        return std::nullopt;
    const auto& recs = impl_->chunks[c]->records;
    auto it = std::lower_bound(recs.begin(), recs.end(), uid, [](const Record& r, Uid u) { return r.uid < u; });
    if (it == recs.end() || it->uid != uid)
        return std::nullopt;
    return impl_->starts[c] + static_cast<std::uint32_t>(it - recs.begin());
}

std::uint32_t IndexState::lower_bound(Uid uid) const {
    std::uint32_t c = impl_->chunk_for(uid);
    if (c >= impl_->chunks.size())
        return impl_->total;
    const auto& recs = impl_->chunks[c]->records;
    auto it = std::lower_bound(recs.begin(), recs.end(), uid, [](const Record& r, Uid u) { return r.uid < u; });
    return impl_->starts[c] + static_cast<std::uint32_t>(it - recs.begin());
}

std::vector<std::uint32_t> IndexState::extra_keywords(Uid uid) const {
    auto it = impl_->extra->find(uid);
    return it == impl_->extra->end() ? std::vector<std::uint32_t>{} : it->second;
}

std::vector<std::uint32_t> IndexState::keyword_ids(const Record& record) const {
    std::vector<std::uint32_t> ids;
    for (std::uint32_t i = 0; i < 64; ++i)
        if (record.keyword_bits & (std::uint64_t{1} << i))
            ids.push_back(i);
    auto extra = extra_keywords(record.uid);
    ids.insert(ids.end(), extra.begin(), extra.end());
    return ids;
}

std::optional<UidSet> IndexState::expunged_since(ModSeq since) const {
    if (since < impl_->history_floor)
        return std::nullopt;
    UidSet set;
    for (const auto& e : *impl_->expunged)
        if (e.modseq > since)
            set.add(e.first, e.last);
    return set;
}

bool IndexState::in_expunge_history(Uid uid) const {
    for (const auto& e : *impl_->expunged)
        if (uid >= e.first && uid <= e.last)
            return true;
    return false;
}

std::uint32_t IndexState::chunk_count() const { return static_cast<std::uint32_t>(impl_->chunks.size()); }
const void* IndexState::chunk_identity(std::uint32_t chunk) const { return impl_->chunks.at(chunk).get(); }
std::pair<std::uint32_t, std::uint32_t> IndexState::chunk_span(std::uint32_t chunk) const {
    std::uint32_t b = impl_->starts.at(chunk);
    return {b, b + static_cast<std::uint32_t>(impl_->chunks[chunk]->records.size())};
}

} // namespace mailstore::index

namespace mailstore::index::detail {

ModSeq time_modseq() {
    auto now = std::chrono::system_clock::now().time_since_epoch();
    return static_cast<ModSeq>(std::chrono::duration_cast<std::chrono::microseconds>(now).count());
}

void split_keywords(const std::vector<std::uint32_t>& ids, std::uint64_t& bits, std::vector<std::uint32_t>& extra) {
    bits = 0;
    extra.clear();
    for (auto id : ids) {
        if (id < 64)
            bits |= std::uint64_t{1} << id;
        else
            extra.push_back(id);
    }
    std::sort(extra.begin(), extra.end());
    extra.erase(std::unique(extra.begin(), extra.end()), extra.end());
}

StateBuilder::StateBuilder(const IndexState::Impl& base) : impl_(std::make_shared<IndexState::Impl>(base)) {}

Chunk& StateBuilder::mutable_chunk(std::uint32_t i) {
    const Chunk* c = impl_->chunks[i].get();
    if (!owned_.count(c)) {
        auto copy = std::make_shared<Chunk>(*c);
        owned_.insert(copy.get());
        impl_->chunks[i] = copy;
        return *copy;
    }
    // Made by this builder as a non-const Chunk: changing it is defined.
    return const_cast<Chunk&>(*c);
}

std::optional<std::uint32_t> StateBuilder::find_keyword(std::string_view name) const {
    const auto& kws = impl_->header.keywords;
    for (std::size_t i = 0; i < kws.size(); ++i)
        if (kws[i].size() == name.size() && ::strncasecmp(kws[i].data(), name.data(), name.size()) == 0)
            return static_cast<std::uint32_t>(i);
    return std::nullopt;
}

std::vector<std::uint32_t> StateBuilder::extra_of(Uid uid) const {
    auto it = impl_->extra->find(uid);
    return it == impl_->extra->end() ? std::vector<std::uint32_t>{} : it->second;
}

void StateBuilder::set_extra(Uid uid, std::vector<std::uint32_t> ids) {
    if (!extra_owned_) {
        impl_->extra = std::make_shared<ExtraKeywords>(*impl_->extra);
        extra_owned_ = true;
    }
    auto& m = const_cast<ExtraKeywords&>(*impl_->extra);
    if (ids.empty())
        m.erase(uid);
    else
        m[uid] = std::move(ids);
}

Status StateBuilder::set_keywords(Record& rec, Uid uid, const std::vector<std::uint32_t>& ids, bool* changed) {
    for (auto id : ids)
        if (id >= impl_->header.keywords.size())
            return Status::invalid("keyword id " + std::to_string(id) + " is not defined");
    std::uint64_t bits;
    std::vector<std::uint32_t> extra;
    split_keywords(ids, bits, extra);
    bool diff = bits != rec.keyword_bits;
    auto old = extra_of(uid);
    if (old != extra) {
        diff = true;
        set_extra(uid, std::move(extra));
    }
    rec.keyword_bits = bits;
    if (changed)
        *changed = diff;
    return Status::ok();
}

void StateBuilder::add_expunge(Uid uid, ModSeq modseq) {
    if (!expunged_owned_) {
        impl_->expunged = std::make_shared<std::vector<ExpungeEntry>>(*impl_->expunged);
        expunged_owned_ = true;
    }
    auto& v = const_cast<std::vector<ExpungeEntry>&>(*impl_->expunged);
    if (!v.empty() && v.back().modseq == modseq && v.back().last + 1 == uid) {
        v.back().last = uid;
        return;
    }
    v.push_back({uid, uid, modseq});
    if (v.size() > expunge_history_max) {
        // Keep the newer half; QRESYNC clients older than that get nullopt
        // and fall back to a full resync (RFC 7162 section 3.2.5.2).
        std::size_t drop = v.size() / 2;
        for (std::size_t i = 0; i < drop; ++i)
            impl_->history_floor = std::max(impl_->history_floor, v[i].modseq);
        v.erase(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(drop));
    }
}

Status StateBuilder::apply(const Op& op, ModSeq modseq) {
    auto& st = *impl_;
    auto& h = st.header;
    auto needs_modseq = [&]() -> Status {
        if (modseq == 0)
            return Status::invalid("a message change without a modseq");
        h.highest_modseq = std::max(h.highest_modseq, modseq);
        return Status::ok();
    };
    auto locate = [&](Uid uid) -> std::optional<std::pair<std::uint32_t, std::size_t>> {
        std::uint32_t c = st.chunk_for(uid);
        if (c >= st.chunks.size())
            return std::nullopt;
        const auto& recs = st.chunks[c]->records;
        auto it = std::lower_bound(recs.begin(), recs.end(), uid, [](const Record& r, Uid u) { return r.uid < u; });
        if (it == recs.end() || it->uid != uid)
            return std::nullopt;
        return std::make_pair(c, static_cast<std::size_t>(it - recs.begin()));
    };
    auto missing = [](Uid uid) { return Status::not_found("uid " + std::to_string(uid) + " is not in the index"); };

    switch (op.type) {
    case OpType::append: {
        Record rec = op.record;
        if (rec.uid == 0)
            return Status::invalid("append of uid 0");
        if (st.total > 0 && rec.uid <= st.chunks.back()->records.back().uid)
            return Status::invalid("append of uid " + std::to_string(rec.uid) + " not above " +
                                   std::to_string(st.chunks.back()->records.back().uid));
        if (rec.flags & ~storage::all_mail_flags)
            return Status::invalid("bad flags " + std::to_string(rec.flags));
        if (rec.keyword_bits != 0 && (h.keywords.size() < 64 && (rec.keyword_bits >> h.keywords.size()) != 0))
            return Status::invalid("keyword bit beyond the keywords defined");
        for (auto id : op.extra)
            if (id < 64 || id >= h.keywords.size())
                return Status::invalid("extra keyword id " + std::to_string(id) + " is not defined");
        if (auto s = needs_modseq(); !s)
            return s;
        rec.modseq = modseq;
        if (st.chunks.empty() || st.chunks.back()->records.size() >= chunk_max) {
            auto c = std::make_shared<Chunk>();
            c->records.reserve(chunk_max);
            owned_.insert(c.get());
            st.chunks.push_back(c);
            st.starts.push_back(st.total);
        }
        mutable_chunk(static_cast<std::uint32_t>(st.chunks.size() - 1)).records.push_back(rec);
        ++st.total;
        if (!op.extra.empty())
            set_extra(rec.uid, op.extra);
        if (rec.uid >= h.next_uid)
            h.next_uid = rec.uid == 0xffffffffu ? rec.uid : rec.uid + 1;
        return Status::ok();
    }
    case OpType::set_flags: {
        auto at = locate(op.record.uid);
        if (!at)
            return missing(op.record.uid);
        if (op.record.flags & ~storage::all_mail_flags)
            return Status::invalid("bad flags " + std::to_string(op.record.flags));
        std::vector<std::uint32_t> ids = op.extra;
        for (std::uint32_t i = 0; i < 64; ++i)
            if (op.record.keyword_bits & (std::uint64_t{1} << i))
                ids.push_back(i);
        Record rec = st.chunks[at->first]->records[at->second];
        bool kw_changed = false;
        if (auto s = set_keywords(rec, rec.uid, ids, &kw_changed); !s)
            return s;
        if (!kw_changed && rec.flags == op.record.flags)
            return Status::ok();
        if (auto s = needs_modseq(); !s)
            return s;
        rec.flags = op.record.flags;
        rec.modseq = modseq;
        mutable_chunk(at->first).records[at->second] = rec;
        return Status::ok();
    }
    case OpType::expunge: {
        auto at = locate(op.record.uid);
        if (!at)
            return missing(op.record.uid);
        if (auto s = needs_modseq(); !s)
            return s;
        auto& recs = mutable_chunk(at->first).records;
        recs.erase(recs.begin() + static_cast<std::ptrdiff_t>(at->second));
        if (recs.empty()) {
            st.chunks.erase(st.chunks.begin() + at->first);
            st.starts.erase(st.starts.begin() + at->first);
        } else if (at->first + 1 < st.chunks.size() &&
                   recs.size() + st.chunks[at->first + 1]->records.size() <= chunk_max / 2) {
            // Merge small neighbours so many expunges don't leave many tiny chunks.
            auto& next = st.chunks[at->first + 1]->records;
            recs.insert(recs.end(), next.begin(), next.end());
            st.chunks.erase(st.chunks.begin() + at->first + 1);
            st.starts.erase(st.starts.begin() + at->first + 1);
        }
        st.rebuild_starts(at->first);
        if (st.extra->count(op.record.uid))
            set_extra(op.record.uid, {});
        add_expunge(op.record.uid, modseq);
        return Status::ok();
    }
    case OpType::set_sizes: {
        auto at = locate(op.record.uid);
        if (!at)
            return missing(op.record.uid);
        auto& rec = mutable_chunk(at->first).records[at->second];
        rec.physical_size = op.record.physical_size;
        rec.virtual_size = op.record.virtual_size;
        return Status::ok();
    }
    case OpType::cache_offset: {
        auto at = locate(op.record.uid);
        if (!at)
            return missing(op.record.uid);
        mutable_chunk(at->first).records[at->second].cache_offset = op.value;
        return Status::ok();
    }
    case OpType::keyword: {
        if (op.value != h.keywords.size())
            return Status::invalid("keyword id " + std::to_string(op.value) + " defined out of order");
        if (op.text.empty() || op.text.size() > max_keyword_length || h.keywords.size() >= max_keywords)
            return Status::invalid("bad keyword definition");
        if (find_keyword(op.text))
            return Status::invalid("keyword " + op.text + " defined twice");
        h.keywords.push_back(op.text);
        return Status::ok();
    }
    case OpType::uidvalidity:
        h.uidvalidity = static_cast<std::uint32_t>(op.value);
        return Status::ok();
    case OpType::next_uid:
        if (op.value > 0xffffffffu)
            return Status::invalid("next uid out of range");
        h.next_uid = std::max<Uid>(h.next_uid, static_cast<Uid>(op.value));
        return Status::ok();
    case OpType::first_recent:
        if (op.value > 0xffffffffu)
            return Status::invalid("first recent uid out of range");
        h.first_recent_uid = std::max<Uid>(h.first_recent_uid, static_cast<Uid>(op.value));
        return Status::ok();
    case OpType::guid:
        h.mailbox_guid = op.guid;
        return Status::ok();
    case OpType::driver_state:
        if (op.text.size() > max_driver_state)
            return Status::invalid("driver state too long");
        h.driver_state = op.text;
        return Status::ok();
    case OpType::raise_modseq:
        h.highest_modseq = std::max(h.highest_modseq, op.value);
        return Status::ok();
    case OpType::reset:
        st.chunks.clear();
        st.starts.clear();
        st.total = 0;
        st.extra = std::make_shared<ExtraKeywords>();
        extra_owned_ = true;
        st.expunged = std::make_shared<std::vector<ExpungeEntry>>();
        expunged_owned_ = true;
        st.history_floor = h.highest_modseq;
        h.next_uid = 1;
        h.first_recent_uid = 1;
        return Status::ok();
    case OpType::rotated:
        return Status::invalid("rotation marker inside a commit");
    }
    return Status::invalid("unknown op");
}

namespace {
void encode_extra(ByteWriter& out, const std::vector<std::uint32_t>& extra) {
    out.u16(static_cast<std::uint16_t>(extra.size()));
    for (auto id : extra)
        out.u32(id);
}
bool decode_extra(ByteReader& in, std::vector<std::uint32_t>& extra) {
    std::uint16_t n = in.u16();
    if (n > max_keywords)
        return false;
    extra.clear();
    for (std::uint16_t i = 0; i < n && in.ok(); ++i)
        extra.push_back(in.u32());
    return in.ok();
}
} // namespace

void encode_op(ByteWriter& out, const Op& op) {
    out.u8(static_cast<std::uint8_t>(op.type));
    const Record& r = op.record;
    switch (op.type) {
    case OpType::append:
        out.u32(r.uid);
        out.u8(r.flags);
        out.u64(r.keyword_bits);
        out.u64(r.physical_size);
        out.u64(r.virtual_size);
        out.i64(r.received_date);
        out.i64(r.save_date);
        encode_extra(out, op.extra);
        break;
    case OpType::set_flags:
        out.u32(r.uid);
        out.u8(r.flags);
        out.u64(r.keyword_bits);
        encode_extra(out, op.extra);
        break;
    case OpType::expunge:
        out.u32(r.uid);
        break;
    case OpType::set_sizes:
        out.u32(r.uid);
        out.u64(r.physical_size);
        out.u64(r.virtual_size);
        break;
    case OpType::cache_offset:
        out.u32(r.uid);
        out.u64(op.value);
        break;
    case OpType::keyword:
    case OpType::driver_state:
        out.u32(static_cast<std::uint32_t>(op.value));
        out.u32(static_cast<std::uint32_t>(op.text.size()));
        out.bytes(op.text);
        break;
    case OpType::guid:
        out.raw(op.guid.data(), op.guid.size());
        break;
    case OpType::uidvalidity:
    case OpType::next_uid:
    case OpType::first_recent:
    case OpType::raise_modseq:
    case OpType::rotated:
        out.u64(op.value);
        break;
    case OpType::reset:
        break;
    }
}

bool decode_op(ByteReader& in, Op& op) {
    op = Op{};
    std::uint8_t t = in.u8();
    if (!in.ok() || t < 1 || t > static_cast<std::uint8_t>(OpType::rotated))
        return false;
    op.type = static_cast<OpType>(t);
    Record& r = op.record;
    switch (op.type) {
    case OpType::append:
        r.uid = in.u32();
        r.flags = in.u8();
        r.keyword_bits = in.u64();
        r.physical_size = in.u64();
        r.virtual_size = in.u64();
        r.received_date = in.i64();
        r.save_date = in.i64();
        return decode_extra(in, op.extra);
    case OpType::set_flags:
        r.uid = in.u32();
        r.flags = in.u8();
        r.keyword_bits = in.u64();
        return decode_extra(in, op.extra);
    case OpType::expunge:
        r.uid = in.u32();
        break;
    case OpType::set_sizes:
        r.uid = in.u32();
        r.physical_size = in.u64();
        r.virtual_size = in.u64();
        break;
    case OpType::cache_offset:
        r.uid = in.u32();
        op.value = in.u64();
        break;
    case OpType::keyword:
    case OpType::driver_state: {
        op.value = in.u32();
        std::uint32_t n = in.u32();
        if (n > max_driver_state)
            return false;
        op.text = std::string(in.bytes(n));
        break;
    }
    case OpType::guid: {
        auto g = in.bytes(16);
        if (in.ok())
            std::memcpy(op.guid.data(), g.data(), 16);
        break;
    }
    case OpType::uidvalidity:
    case OpType::next_uid:
    case OpType::first_recent:
    case OpType::raise_modseq:
    case OpType::rotated:
        op.value = in.u64();
        break;
    case OpType::reset:
        break;
    }
    return in.ok();
}

std::string describe_op(const Op& op) {
    const Record& r = op.record;
    auto ids = [&] {
        std::string s;
        for (auto id : op.extra)
            s += " " + std::to_string(id);
        return s;
    };
    switch (op.type) {
    case OpType::append:
        return "append uid=" + std::to_string(r.uid) + " flags=" + std::to_string(r.flags) +
               " keywords=" + std::to_string(r.keyword_bits) + ids() + " size=" + std::to_string(r.physical_size) +
               "/" + std::to_string(r.virtual_size) + " received=" + std::to_string(r.received_date) +
               " saved=" + std::to_string(r.save_date);
    case OpType::set_flags:
        return "set_flags uid=" + std::to_string(r.uid) + " flags=" + std::to_string(r.flags) +
               " keywords=" + std::to_string(r.keyword_bits) + ids();
    case OpType::expunge: return "expunge uid=" + std::to_string(r.uid);
    case OpType::set_sizes:
        return "set_sizes uid=" + std::to_string(r.uid) + " size=" + std::to_string(r.physical_size) + "/" +
               std::to_string(r.virtual_size);
    case OpType::cache_offset: return "cache_offset uid=" + std::to_string(r.uid) + " offset=" + std::to_string(op.value);
    case OpType::keyword: return "keyword id=" + std::to_string(op.value) + " name=" + op.text;
    case OpType::driver_state: return "driver_state (" + std::to_string(op.text.size()) + " bytes)";
    case OpType::guid: return "mailbox_guid";
    case OpType::uidvalidity: return "uidvalidity " + std::to_string(op.value);
    case OpType::next_uid: return "next_uid " + std::to_string(op.value);
    case OpType::first_recent: return "first_recent_uid " + std::to_string(op.value);
    case OpType::raise_modseq: return "raise_modseq " + std::to_string(op.value);
    case OpType::reset: return "reset";
    case OpType::rotated: return "rotated (next log sequence " + std::to_string(op.value) + ")";
    }
    return "?";
}

} // namespace mailstore::index::detail
