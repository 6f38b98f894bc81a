// Evaluating a search program over a mailbox's view.
//
// The program is compiled once per call: sequence sets resolved to UIDs,
// string needles kept, and the children of every AND/OR ordered so that
// keys answered from the index (flags, UIDs, sizes, dates, modseqs) run
// before keys that need the message. A message is opened only when such
// a key is reached, at most once per message, and released before the
// next message, so memory does not grow with the mailbox.
//
// Header string keys (FROM, SUBJECT, HEADER ...) are answered from the
// field's decoded, casemapped values (header_values.hpp): from the
// process-wide memo, else the index cache, else the message's header, whose
// values then go to both. A search on a field reads each header once; later
// ones open no message.
#include "search/header_values.hpp"
#include "search/key_memo.hpp"
#include "search/search_internal.hpp"
#include "storage/mailbox_impl.hpp"
#include "storage/object_id.hpp"

#include <mailstore/log.hpp>
#include <mailstore/mime/casemap.hpp>
#include <mailstore/mime/date.hpp>
#include <mailstore/mime/header.hpp>
#include <mailstore/mime/message.hpp>
#include <mailstore/mime/search_text.hpp>

#include <algorithm>
#include <cstdint>
#include <ctime>
#include <memory>

namespace mailstore::search {

namespace {

using storage::Seq;

// What a key needs beyond the index.
enum class Needs { index, header, body };

struct Compiled {
    const Node* node = nullptr;
    Needs needs = Needs::index;
    storage::UidSet set; // sequence/uid: the UIDs named
    std::vector<Compiled> children;
    // Header string keys: the field searched, casemap(needle), and where
    // the field's values are cached (none for a name not worth a field).
    std::string_view field;
    std::string folded;
    std::optional<std::string> cache_field;
    std::optional<std::size_t> memo_column;
};

// The header field a header string key searches ("" for other keys).
std::string_view searched_field(const Node& node) {
    switch (node.key) {
    case Key::bcc:
        return "Bcc";
    case Key::cc:
        return "Cc";
    case Key::from:
        return "From";
    case Key::to:
        return "To";
    case Key::subject:
        return "Subject";
    case Key::header:
        return node.field;
    default:
        return {};
    }
}

Needs key_needs(Key key) {
    switch (key) {
    case Key::bcc:
    case Key::cc:
    case Key::from:
    case Key::to:
    case Key::subject:
    case Key::header:
    case Key::sentbefore:
    case Key::senton:
    case Key::sentsince:
        return Needs::header;
    case Key::body:
    case Key::text:
        return Needs::body;
    default:
        return Needs::index;
    }
}

// The UIDs of the sequence numbers `set` names within the view, numbers
// beyond it left out (EvaluateOptions::clamp_sequence_numbers).
storage::UidSet clamped_seqs(const SequenceSet& set, const storage::View& view) {
    const Seq count = view.count();
    SequenceSet within;
    for (const auto& range : set.ranges) {
        Seq a = range.first == SequenceSet::star ? count : range.first;
        Seq b = range.last == SequenceSet::star ? count : range.last;
        if (a > b) {
            std::swap(a, b);
        }
        if (count == 0 || a > count) {
            continue;
        }
        within.ranges.push_back({a, std::min(b, count)});
    }
    if (within.ranges.empty()) {
        return {};
    }
    auto uids = within.resolve_seqs(view);
    return uids ? std::move(*uids) : storage::UidSet();
}

Status compile(const Node& node, const storage::View& view, const EvaluateOptions& options, int depth,
               Compiled& out) {
    // Programs from parse() are at most 64 deep; one built by hand is held
    // to the same bound, as evaluation recurses.
    if (depth > detail::max_depth + 1) {
        return Status::invalid("Too deeply nested");
    }
    out.node = &node;
    out.needs = key_needs(node.key);
    if (node.key == Key::sequence && options.clamp_sequence_numbers && !node.set.saved) {
        out.set = clamped_seqs(node.set, view);
    } else if (node.key == Key::sequence) {
        auto uids = node.set.resolve_seqs(view, options.saved_result);
        if (!uids) {
            return uids.status();
        }
        out.set = std::move(*uids);
    } else if (node.key == Key::uid) {
        out.set = node.set.resolve_uids(view, options.saved_result);
    }
    if (std::string_view field = searched_field(node); !field.empty() || node.key == Key::header) {
        out.field = field;
        out.folded = mime::casemap(node.text);
        out.cache_field = detail::header_values_field(field);
        if (out.cache_field)
            out.memo_column = detail::search_memo_column(*out.cache_field);
    }
    out.children.resize(node.children.size());
    for (std::size_t i = 0; i < node.children.size(); ++i) {
        if (auto st = compile(node.children[i], view, options, depth + 1, out.children[i]); !st) {
            return st;
        }
        out.needs = std::max(out.needs, out.children[i].needs);
    }
    // Cheap first: index keys, then header keys, then body keys. AND, OR
    // and NOT are commutative in what they match, so the order is free.
    std::stable_sort(out.children.begin(), out.children.end(),
                     [](const Compiled& a, const Compiled& b) { return a.needs < b.needs; });
    return Status::ok();
}

bool iequals_ascii(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) {
        return false;
    }
    for (std::size_t i = 0; i < a.size(); ++i) {
        char x = a[i];
        char y = b[i];
        if (x >= 'A' && x <= 'Z') {
            x = static_cast<char>(x - 'A' + 'a');
        }
        if (y >= 'A' && y <= 'Z') {
            y = static_cast<char>(y - 'A' + 'a');
        }
        if (x != y) {
            return false;
        }
    }
    return true;
}

// One message being looked at: its index data, and its bytes and parse
// once a key needs them.
class Candidate {
public:
    Candidate(storage::Mailbox& mailbox, Seq seq) : mailbox_(&mailbox), message_(mailbox.message(seq)) {}

    const storage::Message& message() const { return message_; }
    // Set when something the answer needs could not be read: the message
    // then does not match, whatever NOT says (search.hpp).
    bool unreadable() const { return unreadable_; }
    void mark_unreadable() { unreadable_ = true; }

    // The header alone, parsed (header keys need no MIME tree of the body).
    const mime::ParsedMessage* header() {
        if (whole_) {
            return &*whole_;
        }
        if (!header_ && open()) {
            header_.emplace(mime::ParsedMessage::parse(data_->header()));
        }
        return header_ ? &*header_ : nullptr;
    }

    const mime::ParsedMessage* whole() {
        if (!whole_ && open()) {
            mime::ParseLimits limits;
            limits.descend_message_global = true; // RFC 6532 messages are searched too
            whole_.emplace(mime::ParsedMessage::parse(data_->bytes(), limits));
            header_.reset();
        }
        return whole_ ? &*whole_ : nullptr;
    }

private:
    bool open() {
        if (data_) {
            return true;
        }
        if (unreadable_) {
            return false;
        }
        auto data = message_.open();
        if (!data) {
            // Expunged by another process since the last sync (or gone for
            // another reason): it does not match (RFC 2180 §4.1 allows
            // leaving it out).
            if (data.status().code() != Status::Code::not_found) {
                log::Logger("mail")
                    .with("(" + mailbox_->user().username() + ")")
                    .warningf("SEARCH: cannot read message UID {} of {}: {}", message_.uid(), mailbox_->name(),
                              data.status().message());
            }
            unreadable_ = true;
            return false;
        }
        data_.emplace(std::move(data.value()));
        return true;
    }

    storage::Mailbox* mailbox_;
    storage::Message message_;
    std::optional<storage::MessageData> data_;
    std::optional<mime::ParsedMessage> header_;
    std::optional<mime::ParsedMessage> whole_;
    bool unreadable_ = false;
};

class Evaluator {
public:
    Evaluator(storage::Mailbox& mailbox, std::int64_t now) : mailbox_(mailbox), view_(mailbox.view()), now_(now) {}

    bool matches(const Compiled& program, Seq seq) {
        Candidate c(mailbox_, seq);
        if (c.message().expunged()) {
            return false;
        }
        bool result = eval(program, c);
        return result && !c.unreadable();
    }

private:
    bool eval(const Compiled& k, Candidate& c) {
        if (c.unreadable()) {
            return false;
        }
        const Node& n = *k.node;
        const Seq seq = c.message().seq();
        switch (n.key) {
        case Key::all:
            return true;
        case Key::and_:
            for (const auto& child : k.children) {
                if (!eval(child, c)) {
                    return false;
                }
            }
            return true;
        case Key::or_:
            for (const auto& child : k.children) {
                if (eval(child, c)) {
                    return true;
                }
            }
            return false;
        case Key::not_:
            for (const auto& child : k.children) {
                if (!eval(child, c)) {
                    return true;
                }
            }
            return false;
        case Key::answered:
            return (view_.flags(seq) & storage::flag_answered) != 0;
        case Key::deleted:
            return (view_.flags(seq) & storage::flag_deleted) != 0;
        case Key::draft:
            return (view_.flags(seq) & storage::flag_draft) != 0;
        case Key::flagged:
            return (view_.flags(seq) & storage::flag_flagged) != 0;
        case Key::seen:
            return (view_.flags(seq) & storage::flag_seen) != 0;
        case Key::unanswered:
            return (view_.flags(seq) & storage::flag_answered) == 0;
        case Key::undeleted:
            return (view_.flags(seq) & storage::flag_deleted) == 0;
        case Key::undraft:
            return (view_.flags(seq) & storage::flag_draft) == 0;
        case Key::unflagged:
            return (view_.flags(seq) & storage::flag_flagged) == 0;
        case Key::unseen:
            return (view_.flags(seq) & storage::flag_seen) == 0;
        case Key::recent:
            return view_.recent(seq);
        case Key::new_: // RFC 3501: RECENT UNSEEN
            return view_.recent(seq) && (view_.flags(seq) & storage::flag_seen) == 0;
        case Key::old:
            return !view_.recent(seq);
        case Key::keyword:
        case Key::unkeyword: {
            bool has = false;
            for (const auto& kw : view_.keywords(seq)) {
                if (iequals_ascii(kw, n.text)) {
                    has = true;
                    break;
                }
            }
            return n.key == Key::keyword ? has : !has;
        }
        case Key::sequence:
        case Key::uid:
            return k.set.contains(view_.uid(seq));
        case Key::uidafter: // RFC 9738 §3.2: "UID <uid>+1:*" without '*''s catch
            return view_.uid(seq) > static_cast<storage::Uid>(n.number);
        case Key::uidbefore: // RFC 9738 §3.2: "UID 1:<uid>-1", nothing for 1
            return view_.uid(seq) < static_cast<storage::Uid>(n.number);
        case Key::larger:
        case Key::smaller: {
            auto size = c.message().virtual_size();
            if (!size) {
                c.mark_unreadable();
                return false;
            }
            auto v = static_cast<std::uint64_t>(n.number);
            return n.key == Key::larger ? *size > v : *size < v;
        }
        case Key::before:
        case Key::on:
        case Key::since: {
            auto date = c.message().internal_date();
            if (!date) {
                c.mark_unreadable();
                return false;
            }
            return compare_day(n.key, detail::local_day(*date), n.date);
        }
        case Key::older:
        case Key::younger: {
            // RFC 5032 §3: OLDER n matches an internal date more than n
            // seconds before now, YOUNGER n one within n seconds of now.
            auto date = c.message().internal_date();
            if (!date) {
                c.mark_unreadable();
                return false;
            }
            std::int64_t age = 0;
            if (__builtin_sub_overflow(now_, *date, &age)) {
                // A date at the ends of the int64 range: far past or far future.
                age = *date < 0 ? INT64_MAX : INT64_MIN;
            }
            return n.key == Key::older ? age > n.number : age <= n.number;
        }
        case Key::modseq: // RFC 7162 §3.4: equal to or greater than
            return view_.modseq(seq) >= static_cast<storage::ModSeq>(n.number);
        case Key::savedbefore:
        case Key::savedon:
        case Key::savedsince: {
            // RFC 8514 §4: the save date, disregarding time and time zone
            // (the calendar day in the server's zone, as BEFORE/ON/SINCE).
            auto date = c.message().save_date();
            if (!date) {
                c.mark_unreadable();
                return false;
            }
            return compare_day(n.key, detail::local_day(*date), n.date);
        }
        case Key::savedatesupported:
            // Every Loft mailbox records save dates (messages saved before
            // that was recorded fall back to their internal date).
            return true;
        case Key::emailid:
        case Key::threadid: {
            // RFC 8474 §6: the message whose EMAILID / THREADID is exactly
            // the objectid given (ids are case-sensitive, §7).
            auto id = n.key == Key::emailid ? storage::message_email_id(c.message())
                                            : storage::message_thread_id(c.message());
            if (!id) {
                c.mark_unreadable();
                return false;
            }
            return *id == n.text;
        }
        case Key::sentbefore:
        case Key::senton:
        case Key::sentsince:
            return eval_sent(n, c);
        case Key::bcc:
        case Key::cc:
        case Key::from:
        case Key::to:
        case Key::subject:
        case Key::header:
            return header_has(k, c);
        case Key::body: {
            const auto* m = c.whole();
            return m != nullptr && mime::body_contains(*m, n.text);
        }
        case Key::text: {
            const auto* m = c.whole();
            return m != nullptr && mime::text_contains(*m, n.text);
        }
        }
        return false;
    }

    static bool compare_day(Key key, std::int64_t day, std::int64_t wanted) {
        switch (key) {
        case Key::before:
        case Key::sentbefore:
        case Key::savedbefore:
            return day < wanted;
        case Key::on:
        case Key::senton:
        case Key::savedon:
            return day == wanted;
        default: // since, sentsince, savedsince
            return day >= wanted;
        }
    }

    bool header_has(const Compiled& k, Candidate& c) {
        const std::string& needle = k.node->text;
        if (!k.cache_field) {
            const auto* m = c.header();
            return m != nullptr && mime::header_contains(*m, k.field, needle);
        }
        const storage::Uid uid = c.message().uid();
        if (k.memo_column) {
            if (memo_key_.empty())
                memo_key_ = detail::memo_box_key(mailbox_);
            if (auto values = detail::KeyMemo::instance().get(memo_key_, *k.memo_column, uid))
                return detail::header_values_match(*values, needle, k.folded);
        }
        std::optional<std::string> values = c.message().cached(*k.cache_field);
        if (values && !detail::header_values_valid(*values))
            values.reset(); // not ours or damaged: computed again below
        if (!values) {
            const auto* m = c.header();
            if (m == nullptr)
                return false;
            values = detail::encode_header_values(*m, k.field);
            if (values->size() > detail::kMaxCachedHeaderValues)
                return detail::header_values_match(*values, needle, k.folded);
            // Committed once many are pending (Mailbox::Impl::
            // flush_pending_if_many): one search of a big mailbox leaves
            // every value cached.
            c.message().cache(*k.cache_field, *values);
        }
        if (k.memo_column)
            detail::KeyMemo::instance().put(memo_key_, *k.memo_column, uid, *values);
        return detail::header_values_match(*values, needle, k.folded);
    }

    // The Date: header's calendar date in its own zone. A message without
    // a readable Date: counts as sent on 1 January 1970 (the Unix epoch):
    // that is what Dovecot 2.3 answers (SENTON 1-Jan-1970 finds it,
    // SENTSINCE any later date does not), so migrated clients see the same
    // results.
    static bool eval_sent(const Node& n, Candidate& c) {
        const auto* m = c.header();
        if (m == nullptr) {
            return false;
        }
        mime::Header header = m->header(m->root());
        std::optional<mime::DateTime> sent;
        if (const auto* field = header.first("Date")) {
            sent = mime::parse_message_date(mime::unfold(field->value));
        }
        std::int64_t day = sent ? detail::zoned_day(sent->utc, sent->zone_minutes) : 0;
        return compare_day(n.key, day, n.date);
    }

    storage::Mailbox& mailbox_;
    const storage::View& view_;
    std::int64_t now_;
    std::string memo_key_; // user, mailbox GUID, UIDVALIDITY: where KeyMemo keeps this mailbox's values
};

std::int64_t now_of(const EvaluateOptions& options) {
    return options.now != 0 ? options.now : static_cast<std::int64_t>(std::time(nullptr));
}

} // namespace

Result<std::vector<storage::Seq>> evaluate(storage::Mailbox& mailbox, const Program& program,
                                           const EvaluateOptions& options) {
    const storage::View& view = mailbox.view();
    Compiled compiled;
    if (auto st = compile(program.root, view, options, 0, compiled); !st) {
        return st;
    }
    std::vector<Seq> out;
    const Seq count = view.count();
    Seq first = options.first == 0 ? 1 : options.first;
    Seq last = options.last == 0 || options.last > count ? count : options.last;
    Evaluator evaluator(mailbox, now_of(options));
    for (Seq seq = first; seq <= last && seq != 0; ++seq) {
        if (evaluator.matches(compiled, seq)) {
            out.push_back(seq);
        }
        if (seq == last) {
            break;
        }
    }
    return out;
}

Result<bool> matches(storage::Mailbox& mailbox, storage::Seq seq, const Program& program,
                     const EvaluateOptions& options) {
    const storage::View& view = mailbox.view();
    if (seq == 0 || seq > view.count()) {
        return Status::invalid("Invalid messageset");
    }
    Compiled compiled;
    if (auto st = compile(program.root, view, options, 0, compiled); !st) {
        return st;
    }
    Evaluator evaluator(mailbox, now_of(options));
    return evaluator.matches(compiled, seq);
}

} // namespace mailstore::search
