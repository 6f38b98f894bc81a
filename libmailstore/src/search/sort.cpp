// SORT (RFC 5256 §3, RFC 5957 §3): include/mailstore/sort.hpp.
//
// Decorate, sort, undecorate: every message's keys are computed once into
// columns (one per distinct key of the criteria), then an index vector is
// sorted with a comparator that only reads the columns. String keys are
// stored already in i;unicode-casemap canonical form (RFC 5051 §2), so
// comparing them is comparing octets; the header-derived keys are kept in
// the index cache in that form, so a warm SORT opens no message file.
#include <mailstore/sort.hpp>

#include "search/key_memo.hpp"
#include "storage/mailbox_impl.hpp"

#include <mailstore/log.hpp>
#include <mailstore/mime/address.hpp>
#include <mailstore/mime/casemap.hpp>
#include <mailstore/mime/header.hpp>
#include <mailstore/mime/sort_keys.hpp>

#include <algorithm>
#include <array>
#include <charconv>
#include <cctype>
#include <new>
#include <optional>
#include <string>
#include <unordered_map>

namespace mailstore::search {

namespace {

using storage::Seq;

constexpr std::size_t kKeyCount = 9;

// A string key longer than this is cut (in casemapped form): two subjects
// that agree in their first 1000 octets sort as equal, and a hostile
// header cannot make a sort hold megabytes per message.
constexpr std::size_t kMaxStringKey = 1000;

struct KeyInfo {
    SortKey key;
    std::string_view name;
    std::string_view cache_field; // "" for keys the index answers
    std::string_view header;      // the field the key comes from
};

constexpr std::array<KeyInfo, kKeyCount> kKeys{{
    {SortKey::arrival, "ARRIVAL", "", ""},
    {SortKey::cc, "CC", "sort.cc", "Cc"},
    {SortKey::date, "DATE", "sort.date", "Date"},
    {SortKey::from, "FROM", "sort.from", "From"},
    {SortKey::size, "SIZE", "", ""},
    {SortKey::subject, "SUBJECT", "sort.subject", "Subject"},
    {SortKey::to, "TO", "sort.to", "To"},
    {SortKey::display_from, "DISPLAYFROM", "sort.displayfrom", "From"},
    {SortKey::display_to, "DISPLAYTO", "sort.displayto", "To"},
}};

// Header-derived keys go through the process-wide memo (key_memo.hpp),
// one column per key: a warm SORT reads no index cache.
using detail::KeyMemo;
static_assert(kKeyCount <= detail::kThreadMemoColumn, "sort keys and THREAD share the memo's columns");

const KeyInfo& info(SortKey key) { return kKeys[static_cast<std::size_t>(key)]; }

bool numeric(SortKey key) { return key == SortKey::arrival || key == SortKey::date || key == SortKey::size; }

bool ascii_iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size())
        return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (std::toupper(static_cast<unsigned char>(a[i])) != std::toupper(static_cast<unsigned char>(b[i])))
            return false;
    return true;
}

std::optional<SortKey> key_named(std::string_view name) {
    for (const auto& k : kKeys)
        if (ascii_iequals(name, k.name))
            return k.key;
    return std::nullopt;
}

// Dovecot's reading, so clients see the same answers: REVERSE toggles
// (REVERSE REVERSE DATE is DATE, where RFC 5256 §5's grammar allows one),
// and its error texts.
Result<std::vector<SortCriterion>> parse_words(const std::vector<std::string_view>& words) {
    std::vector<SortCriterion> criteria;
    bool reverse = false;
    for (std::string_view word : words) {
        if (ascii_iequals(word, "REVERSE")) {
            reverse = !reverse;
            continue;
        }
        auto key = key_named(word);
        if (!key)
            return Status::invalid("Unknown sort argument: " + std::string(word.substr(0, 64)));
        if (criteria.size() >= max_sort_criteria)
            return Status::invalid("Too many sort criteria");
        criteria.push_back({*key, reverse});
        reverse = false;
    }
    if (reverse)
        return Status::invalid("Sort list ends with REVERSE");
    if (criteria.empty())
        return Status::invalid("Empty sort program");
    return criteria;
}

// DISPLAYFROM/DISPLAYTO (RFC 5957 §3). When the first address is a group,
// Dovecot sorts by the group name as written, RFC 2047 encoded words left
// encoded ("=?UTF-8?Q?Gr=C3=BCppe?=" before "Anna"); Loft does the same so
// the order does not change for users coming from Dovecot.
std::string display_key(std::string_view raw) {
    auto list = mime::parse_address_list(raw);
    if (!list.empty() && list.front().kind == mime::Address::Kind::group_start)
        return list.front().name;
    return mime::sort_display_key(raw);
}

// The rank of each string of `column` among its distinct values in octet
// order (i;unicode-casemap order, the strings being casemapped already).
std::vector<std::int64_t> ranks_of(const std::vector<std::string>& column) {
    std::unordered_map<std::string_view, std::uint32_t> ids;
    ids.reserve(column.size());
    std::vector<std::string_view> distinct;
    std::vector<std::int64_t> result(column.size());
    for (std::size_t i = 0; i < column.size(); ++i) {
        auto [it, added] = ids.emplace(column[i], static_cast<std::uint32_t>(distinct.size()));
        if (added)
            distinct.push_back(column[i]);
        result[i] = it->second;
    }
    std::vector<std::uint32_t> order(distinct.size());
    for (std::uint32_t i = 0; i < order.size(); ++i)
        order[i] = i;
    std::sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) { return distinct[a] < distinct[b]; });
    std::vector<std::int64_t> rank(distinct.size());
    for (std::uint32_t r = 0; r < order.size(); ++r)
        rank[order[r]] = r;
    for (auto& v : result)
        v = rank[static_cast<std::size_t>(v)];
    return result;
}

std::string bounded(std::string s) {
    if (s.size() > kMaxStringKey)
        s.resize(kMaxStringKey);
    return s;
}

} // namespace

Result<std::vector<SortCriterion>> parse_sort_criteria(const std::vector<Token>& tokens) {
    std::vector<std::string_view> words;
    for (const Token& t : tokens) {
        // A quoted key is taken like an atom, as Dovecot does; a nested
        // list is not a sort key.
        if (t.kind != Token::Kind::atom && t.kind != Token::Kind::string)
            return Status::invalid("Invalid sort list argument");
        if (words.size() > 4 * max_sort_criteria)
            return Status::invalid("Too many sort criteria");
        words.push_back(t.text);
    }
    return parse_words(words);
}

Result<std::vector<SortCriterion>> parse_sort_criteria(std::string_view text) {
    std::size_t open = text.find_first_not_of(" \t");
    if (open != std::string_view::npos && text[open] == '(') {
        std::size_t close = text.find_last_not_of(" \t");
        if (text[close] != ')')
            return Status::invalid("Invalid sort list argument");
        text = text.substr(open + 1, close - open - 1);
    }
    std::vector<std::string_view> words;
    std::size_t i = 0;
    while (i < text.size()) {
        if (text[i] == ' ' || text[i] == '\t') {
            ++i;
            continue;
        }
        std::size_t end = text.find_first_of(" \t", i);
        if (end == std::string_view::npos)
            end = text.size();
        if (words.size() > 4 * max_sort_criteria)
            return Status::invalid("Too many sort criteria");
        words.push_back(text.substr(i, end - i));
        i = end;
    }
    return parse_words(words);
}

std::string_view sort_key_name(SortKey key) { return info(key).name; }

// --- Sorter ---

class Sorter::Impl {
public:
    Impl(std::vector<SortCriterion> criteria, std::vector<Seq> seqs)
        : criteria_(std::move(criteria)), seqs_(std::move(seqs)) {
        for (const auto& c : criteria_)
            used_[static_cast<std::size_t>(c.key)] = true;
        for (std::size_t k = 0; k < kKeyCount; ++k) {
            if (!used_[k])
                continue;
            if (numeric(kKeys[k].key))
                numbers_[k].reserve(seqs_.size());
            else
                strings_[k].reserve(seqs_.size());
            if (!kKeys[k].cache_field.empty())
                header_keys_ = true;
        }
    }

    bool needs_header() const { return header_keys_; }

    Result<bool> load(storage::Mailbox& mailbox, std::size_t max_messages) {
        std::size_t end = seqs_.size();
        if (max_messages != 0 && end - loaded_ > max_messages)
            end = loaded_ + max_messages;
        try {
            if (header_keys_ && memo_key_.empty())
                memo_key_ = detail::memo_box_key(mailbox);
            for (; loaded_ < end; ++loaded_) {
                load_one(mailbox, seqs_[loaded_]);
            }
        } catch (const std::bad_alloc&) {
            return Status::error(Status::Code::internal, "SORT: out of memory");
        }
        return loaded_ == seqs_.size();
    }

    std::vector<Seq> finish() {
        // String columns become ranks first (equal strings, equal ranks),
        // so the sort below compares integers only: cheap for keys with
        // few distinct values (FROM) and cache-friendly for the rest.
        for (std::size_t k = 0; k < kKeyCount; ++k) {
            if (used_[k] && !numeric(kKeys[k].key)) {
                numbers_[k] = ranks_of(strings_[k]);
                strings_[k] = {};
            }
        }
        std::vector<Seq> result;
        result.reserve(seqs_.size());
        if (criteria_.size() == 1) {
            // One key (the usual SORT): sort (key, seq) pairs in place,
            // contiguous in memory, with no indirection in the comparator.
            // ~x orders exactly opposite to x for any int64, so REVERSE
            // needs no branch; the sequence number stays ascending.
            const auto& column = numbers_[static_cast<std::size_t>(criteria_[0].key)];
            const bool reverse = criteria_[0].reverse;
            std::vector<std::pair<std::int64_t, Seq>> pairs(seqs_.size());
            for (std::size_t i = 0; i < pairs.size(); ++i)
                pairs[i] = {reverse ? ~column[i] : column[i], seqs_[i]};
            std::sort(pairs.begin(), pairs.end());
            for (const auto& pair : pairs)
                result.push_back(pair.second);
            clear();
            return result;
        }
        std::vector<std::uint32_t> order(seqs_.size());
        for (std::uint32_t i = 0; i < order.size(); ++i)
            order[i] = i;
        std::sort(order.begin(), order.end(), [this](std::uint32_t a, std::uint32_t b) {
            for (const auto& c : criteria_) {
                const auto& column = numbers_[static_cast<std::size_t>(c.key)];
                std::int64_t x = column[a], y = column[b];
                if (x != y)
                    return c.reverse ? x > y : x < y;
            }
            // RFC 5256 §3: the implicit last criterion is the sequence
            // number, never reversed.
            return seqs_[a] < seqs_[b];
        });
        for (std::uint32_t i : order)
            result.push_back(seqs_[i]);
        clear();
        return result;
    }

private:
    void clear() {
        seqs_ = {};
        loaded_ = 0;
        for (auto& column : numbers_)
            column = {};
        for (auto& column : strings_)
            column = {};
    }

    // Keys computed here are cached through Message::cache(), which commits
    // them once many are pending (Mailbox::Impl::flush_pending_if_many):
    // one SORT of a 100,000-message mailbox leaves all its keys cached.
    void load_one(storage::Mailbox& mailbox, Seq seq) {
        storage::Message message = mailbox.message(seq);
        std::array<std::optional<std::string>, kKeyCount> cached;
        bool missing = false;
        storage::Uid uid = header_keys_ ? message.uid() : 0;
        for (std::size_t k = 0; k < kKeyCount; ++k) {
            if (!used_[k] || kKeys[k].cache_field.empty())
                continue;
            cached[k] = KeyMemo::instance().get(memo_key_, k, uid);
            if (cached[k])
                continue;
            cached[k] = message.cached(kKeys[k].cache_field);
            if (cached[k])
                KeyMemo::instance().put(memo_key_, k, uid, *cached[k]);
            else
                missing = true;
        }
        if (missing)
            compute_header_keys(mailbox, message, cached);
        for (std::size_t k = 0; k < kKeyCount; ++k) {
            if (!used_[k])
                continue;
            switch (kKeys[k].key) {
            case SortKey::arrival: {
                auto date = message.internal_date();
                numbers_[k].push_back(date ? *date : 0);
                break;
            }
            case SortKey::size: {
                auto size = message.virtual_size();
                numbers_[k].push_back(size ? static_cast<std::int64_t>(*size) : 0);
                break;
            }
            case SortKey::date:
                numbers_[k].push_back(date_value(message, *cached[k]));
                break;
            default:
                strings_[k].push_back(std::move(*cached[k]));
                break;
            }
        }
    }

    // The sent date from "sort.date" (Unix seconds, UTC), or the internal
    // date when it is "" (RFC 5256 §2.2: no or an unparseable Date field).
    static std::int64_t date_value(const storage::Message& message, const std::string& text) {
        std::int64_t value = 0;
        if (!text.empty()) {
            auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
            if (ec == std::errc() && ptr == text.data() + text.size())
                return value;
        }
        auto date = message.internal_date();
        return date ? *date : 0;
    }

    // Opens the message once and derives every header key this sort
    // needs that the cache lacked; caches them unless the message could
    // not be read (an expunged message sorts with empty keys).
    void compute_header_keys(storage::Mailbox& mailbox, const storage::Message& message,
                             std::array<std::optional<std::string>, kKeyCount>& cached) {
        auto data = message.open();
        if (!data) {
            if (data.status().code() != Status::Code::not_found)
                log::Logger("mail")
                    .with("(" + mailbox.user().username() + ")")
                    .warningf("SORT: cannot read message UID {} of {}: {}", message.uid(), mailbox.name(),
                              data.status().message());
            for (std::size_t k = 0; k < kKeyCount; ++k)
                if (used_[k] && !kKeys[k].cache_field.empty() && !cached[k])
                    cached[k].emplace();
            return;
        }
        std::string_view block = data->header();
        mime::Header header(block);
        for (std::size_t k = 0; k < kKeyCount; ++k) {
            if (!used_[k] || kKeys[k].cache_field.empty() || cached[k])
                continue;
            std::string value;
            std::string_view raw = header.value(kKeys[k].header);
            switch (kKeys[k].key) {
            case SortKey::date:
                if (auto sent = mime::sent_date(header))
                    value = std::to_string(sent->utc);
                break;
            case SortKey::subject:
                value = bounded(mime::casemap(mime::base_subject(raw)));
                break;
            case SortKey::from:
            case SortKey::to:
            case SortKey::cc:
                value = bounded(mime::casemap(mime::sort_address_key(raw)));
                break;
            case SortKey::display_from:
            case SortKey::display_to:
                value = bounded(mime::casemap(display_key(raw)));
                break;
            default:
                break;
            }
            message.cache(kKeys[k].cache_field, value);
            KeyMemo::instance().put(memo_key_, k, message.uid(), value);
            cached[k] = std::move(value);
        }
    }

    std::vector<SortCriterion> criteria_;
    std::vector<Seq> seqs_;
    std::array<bool, kKeyCount> used_{};
    bool header_keys_ = false;
    std::array<std::vector<std::int64_t>, kKeyCount> numbers_;
    std::array<std::vector<std::string>, kKeyCount> strings_;
    std::size_t loaded_ = 0;
    std::string memo_key_; // user, mailbox GUID and UIDVALIDITY: where KeyMemo keeps this mailbox's keys
};

Sorter::Sorter(std::vector<SortCriterion> criteria, std::vector<storage::Seq> seqs)
    : impl_(std::make_unique<Impl>(std::move(criteria), std::move(seqs))) {}
Sorter::Sorter(Sorter&&) noexcept = default;
Sorter& Sorter::operator=(Sorter&&) noexcept = default;
Sorter::~Sorter() = default;

bool Sorter::needs_header() const { return impl_->needs_header(); }

Result<bool> Sorter::load(storage::Mailbox& mailbox, std::size_t max_messages) {
    return impl_->load(mailbox, max_messages);
}

std::vector<storage::Seq> Sorter::finish() { return impl_->finish(); }

Result<std::vector<storage::Seq>> sort(storage::Mailbox& mailbox, std::vector<storage::Seq> seqs,
                                       const std::vector<SortCriterion>& criteria) {
    try {
        Sorter sorter(criteria, std::move(seqs));
        auto loaded = sorter.load(mailbox, 0);
        if (!loaded)
            return loaded.status();
        return sorter.finish();
    } catch (const std::bad_alloc&) {
        return Status::error(Status::Code::internal, "SORT: out of memory");
    }
}

} // namespace mailstore::search
