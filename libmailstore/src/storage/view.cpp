// View: sequence numbers over a shared IndexState plus the expunged messages
// this session still shows (sync_no_expunges, RFC 3501 7.4.1).
#include "storage/mailbox_impl.hpp"

#include <algorithm>

namespace mailstore::storage {

std::vector<std::string> keyword_names_of(const index::IndexState& state, const index::Record& record) {
    std::vector<std::string> names;
    if (record.keyword_bits == 0 && state.header().keywords.size() <= 64)
        return names;
    const auto& all = state.header().keywords;
    for (std::uint32_t id : state.keyword_ids(record))
        if (id < all.size())
            names.push_back(all[id]);
    return names;
}

const index::Record* View::Impl::at(Seq seq, const KeptRecord** kept_out) const {
    if (kept_out)
        *kept_out = nullptr;
    if (seq == 0 || seq > count() || !state)
        return nullptr;
    std::uint32_t pos = seq - 1;
    if (kept.empty())
        return &state->at(pos);
    // Kept records sit at known merged positions; count those before `pos`.
    auto it = std::lower_bound(kept.begin(), kept.end(), pos,
                               [](const KeptRecord& k, std::uint32_t p) { return k.position < p; });
    if (it != kept.end() && it->position == pos) {
        if (kept_out)
            *kept_out = &*it;
        return &it->record;
    }
    std::uint32_t before = std::uint32_t(it - kept.begin());
    return &state->at(pos - before);
}

void View::Impl::place_kept() {
    for (std::size_t i = 0; i < kept.size(); ++i)
        kept[i].position = state->lower_bound(kept[i].record.uid) + std::uint32_t(i);
}

void View::Impl::count_unseen() const {
    if (counted)
        return;
    unseen = 0;
    first_unseen = 0;
    Seq n = count();
    if (kept.empty()) {
        for (std::uint32_t i = 0; i < n; ++i) {
            if ((state->at(i).flags & flag_seen) == 0) {
                if (first_unseen == 0)
                    first_unseen = i + 1;
                ++unseen;
            }
        }
    } else {
        for (Seq s = 1; s <= n; ++s) {
            if ((at(s)->flags & flag_seen) == 0) {
                if (first_unseen == 0)
                    first_unseen = s;
                ++unseen;
            }
        }
    }
    counted = true;
}

Seq View::count() const { return impl_ && impl_->state ? impl_->count() : 0; }

Uid View::uid(Seq seq) const {
    const auto* r = impl_->at(seq);
    return r ? r->uid : 0;
}

Seq View::seq(Uid uid) const {
    if (!impl_->state || uid == 0)
        return 0;
    const auto& kept = impl_->kept;
    auto it = std::lower_bound(kept.begin(), kept.end(), uid,
                               [](const KeptRecord& k, Uid u) { return k.record.uid < u; });
    if (it != kept.end() && it->record.uid == uid)
        return it->position + 1;
    auto pos = impl_->state->find(uid);
    if (!pos)
        return 0;
    return Seq(*pos + (it - kept.begin()) + 1);
}

std::pair<Seq, Seq> View::seq_range(Uid first, Uid last) const {
    if (first > last)
        std::swap(first, last);
    const auto* st = impl_->state.get();
    if (!st || last == 0)
        return {0, 0};
    const auto& kept = impl_->kept;
    auto kept_before = [&](Uid u) {
        return std::uint32_t(std::lower_bound(kept.begin(), kept.end(), u,
                                              [](const KeptRecord& k, Uid v) { return k.record.uid < v; }) -
                             kept.begin());
    };
    // Merged position of the first UID >= first, and one past the last <= last.
    std::uint32_t begin = st->lower_bound(first) + kept_before(first);
    std::uint32_t end = last == 0xffffffffU ? count()
                                            : st->lower_bound(last + 1) + kept_before(last + 1);
    if (begin >= end)
        return {0, 0};
    return {begin + 1, end};
}

MailFlags View::flags(Seq seq) const {
    const auto* r = impl_->at(seq);
    return r ? r->flags : 0;
}

std::vector<std::string> View::keywords(Seq seq) const {
    const KeptRecord* kept = nullptr;
    const auto* r = impl_->at(seq, &kept);
    if (!r)
        return {};
    if (kept)
        return kept->keywords;
    return keyword_names_of(*impl_->state, *r);
}

bool View::recent(Seq seq) const {
    const auto* r = impl_->at(seq);
    return r && impl_->recent.contains(r->uid);
}

ModSeq View::modseq(Seq seq) const {
    const auto* r = impl_->at(seq);
    return r ? r->modseq : 0;
}

std::uint32_t View::uidvalidity() const { return impl_->state ? impl_->state->header().uidvalidity : 0; }
std::uint32_t View::uidnext() const { return impl_->state ? impl_->state->header().next_uid : 1; }
ModSeq View::highest_modseq() const { return impl_->state ? impl_->state->header().highest_modseq : 0; }
std::uint32_t View::recent_count() const { return std::uint32_t(impl_->recent.count()); }

Seq View::first_unseen() const {
    impl_->count_unseen();
    return impl_->first_unseen;
}

std::uint32_t View::unseen_count() const {
    impl_->count_unseen();
    return impl_->unseen;
}

const std::vector<std::string>& View::keyword_names() const {
    static const std::vector<std::string> none;
    return impl_->state ? impl_->state->header().keywords : none;
}

} // namespace mailstore::storage
