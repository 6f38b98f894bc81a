// STORE and UID STORE (RFC 3501 §6.4.6, §6.4.8): FLAGS, +FLAGS and -FLAGS,
// each with .SILENT, system flags and keywords, and CONDSTORE's
// UNCHANGEDSINCE modifier (RFC 7162 §3.1.3).
//
// All changes go into one transaction. Each change is recorded in
// Selected::own_changes with the commit's modseq; the update the session
// sends after the command turns it into the untagged FETCH (with UID for
// UID STORE, with MODSEQ once CONDSTORE is on), from the synced view, so
// the client sees the flags the storage really holds.
#include "commands/commands.hpp"
#include "commands/message_limit.hpp"
#include "commands/message_set.hpp"
#include "mailbox/condstore.hpp"

#include <algorithm>
#include <charconv>
#include <strings.h>

namespace imapproto::detail {

namespace {

namespace ms = mailstore::storage;

struct StoreRequest {
    ms::FlagUpdate update;
    bool silent = false;
};

// "FLAGS", "+FLAGS", "-FLAGS", each optionally with ".SILENT".
bool parse_item(std::string_view item, StoreRequest& req) {
    req.update.mode = ms::FlagUpdate::Mode::replace;
    if (!item.empty() && (item[0] == '+' || item[0] == '-')) {
        req.update.mode = item[0] == '+' ? ms::FlagUpdate::Mode::add : ms::FlagUpdate::Mode::remove;
        item.remove_prefix(1);
    }
    constexpr std::string_view kSilent = ".SILENT";
    if (item.size() > kSilent.size() &&
        strncasecmp(item.data() + item.size() - kSilent.size(), kSilent.data(), kSilent.size()) == 0) {
        req.silent = true;
        item.remove_suffix(kSilent.size());
    }
    return item.size() == 5 && strncasecmp(item.data(), "FLAGS", 5) == 0;
}

// "(UNCHANGEDSINCE n)" (RFC 7162 §3.1.3; mod-sequence-valzer).
bool parse_modifiers(const Arg& list, StoreRequest& req, std::string& error) {
    const auto& items = list.children;
    for (std::size_t i = 0; i < items.size(); i += 2) {
        if (items[i].type != Arg::Type::atom || strcasecmp(items[i].text.c_str(), "UNCHANGEDSINCE") != 0) {
            error = "Unknown STORE modifier";
            return false;
        }
        if (i + 1 >= items.size() || items[i + 1].type != Arg::Type::atom) {
            error = "Invalid modseq";
            return false;
        }
        const std::string& text = items[i + 1].text;
        std::uint64_t value = 0;
        auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
        if (ec != std::errc() || end != text.data() + text.size() || text.empty() || text[0] == '+' ||
            value > 0x7fffffffffffffffull) {
            error = "Invalid modseq";
            return false;
        }
        req.update.unchanged_since = value;
    }
    return true;
}

// The keywords a message ends up with, in the order the mailbox defines
// them (the order FETCH FLAGS uses), names not defined yet last.
std::vector<std::string> new_keywords(const ms::View& view, std::vector<std::string> old,
                                      const ms::FlagUpdate& update) {
    auto has = [](const std::vector<std::string>& list, const std::string& kw) {
        return std::any_of(list.begin(), list.end(),
                           [&](const std::string& k) { return strcasecmp(k.c_str(), kw.c_str()) == 0; });
    };
    std::vector<std::string> result;
    switch (update.mode) {
    case ms::FlagUpdate::Mode::replace:
        for (const auto& kw : update.keywords)
            if (!has(result, kw))
                result.push_back(kw);
        break;
    case ms::FlagUpdate::Mode::add:
        result = std::move(old);
        for (const auto& kw : update.keywords)
            if (!has(result, kw))
                result.push_back(kw);
        break;
    case ms::FlagUpdate::Mode::remove:
        for (auto& kw : old)
            if (!has(update.keywords, kw))
                result.push_back(std::move(kw));
        break;
    }
    const auto& names = view.keyword_names();
    auto rank = [&](const std::string& kw) {
        for (std::size_t i = 0; i < names.size(); ++i)
            if (names[i] == kw)
                return i;
        return names.size();
    };
    std::stable_sort(result.begin(), result.end(),
                     [&](const std::string& a, const std::string& b) { return rank(a) < rank(b); });
    return result;
}

ms::MailFlags new_flags(ms::MailFlags old, const ms::FlagUpdate& update) {
    switch (update.mode) {
    case ms::FlagUpdate::Mode::replace:
        return update.flags;
    case ms::FlagUpdate::Mode::add:
        return static_cast<ms::MailFlags>(old | update.flags);
    case ms::FlagUpdate::Mode::remove:
        return static_cast<ms::MailFlags>(old & ~update.flags);
    }
    return old;
}

bool same_keywords(const std::vector<std::string>& a, const std::vector<std::string>& b) {
    if (a.size() != b.size())
        return false;
    return std::all_of(a.begin(), a.end(), [&](const std::string& kw) {
        return std::any_of(b.begin(), b.end(), [&](const std::string& k) { return k == kw; });
    });
}

struct Change {
    ms::Seq seq = 0;
    ms::Uid uid = 0;
    ms::MailFlags flags = 0;
    std::vector<std::string> keywords;
    bool changed = false;
    bool newly_deleted = false;
};

} // namespace

std::unique_ptr<CommandRun> cmd_store(Context& ctx, const Command& cmd) {
    const auto& args = cmd.args;
    if (args.size() < 2) {
        finish_syntax_error(ctx, "Invalid arguments");
        return nullptr;
    }
    StoreRequest req;
    std::size_t i = 1;
    std::string error;
    if (args[i].type == Arg::Type::list) {
        if (!parse_modifiers(args[i], req, error)) {
            finish_syntax_error(ctx, error);
            return nullptr;
        }
        ++i;
    }
    if (i >= args.size() || args[i].type != Arg::Type::atom || !parse_item(args[i].text, req)) {
        finish_syntax_error(ctx, "Invalid arguments");
        return nullptr;
    }
    ++i;
    // The flags: one parenthesised list, or bare flags (RFC 3501 §9
    // store-att-flags allows both).
    Arg bare;
    bare.type = Arg::Type::list;
    const Arg* flag_list = &bare;
    if (i + 1 == args.size() && args[i].type == Arg::Type::list) {
        flag_list = &args[i];
    } else {
        for (; i < args.size(); ++i) {
            if (args[i].type != Arg::Type::atom) {
                finish_syntax_error(ctx, "Invalid arguments");
                return nullptr;
            }
            bare.children.push_back(args[i]);
        }
    }
    auto flags = parse_flag_list(*flag_list, error);
    if (!flags) {
        finish_syntax_error(ctx, error);
        return nullptr;
    }
    req.update.flags = flags->flags;
    req.update.keywords = std::move(flags->keywords);

    auto uids = resolve_message_set(ctx, args[0], cmd.uid, error);
    if (!uids) {
        finish_syntax_error(ctx, error);
        return nullptr;
    }
    Selected& sel = *ctx.selected();
    if (sel.read_only) {
        // Dovecot's answer: the client asked for nothing it may do.
        ctx.finish_ok("", "Store ignored with read-only mailbox.");
        return nullptr;
    }
    ms::Mailbox& mailbox = *sel.mailbox;
    const ms::View& view = mailbox.view();
    // RFC 9738 §3.1: only the messages with the highest UIDs are stored to.
    const std::optional<ms::Uid> cut = cut_to_message_limit(ctx, view, *uids);
    static constexpr std::string_view cut_text = "Store completed for the messages with the highest UIDs.";
    const bool conditional = req.update.unchanged_since.has_value();
    // RFC 7162 §3.1: UNCHANGEDSINCE turns CONDSTORE on.
    if (conditional)
        enable_condstore(ctx);

    // What each message will look like; only real changes are stored, so
    // an unchanged message keeps its modseq.
    std::vector<Change> changes;
    ms::UidSet to_update;
    for (const auto& range : uids->ranges()) {
        for (std::uint64_t u = range.first; u <= range.last; ++u) {
            Change c;
            c.uid = static_cast<ms::Uid>(u);
            c.seq = view.seq(c.uid);
            if (c.seq == 0)
                continue;
            // RFC 2180 §4.2.1: a message another session expunged is left
            // out and the rest stored; Dovecot answers OK then too.
            if (mailbox.message(c.seq).expunged())
                continue;
            ms::MailFlags old_flags = view.flags(c.seq);
            auto old_keywords = view.keywords(c.seq);
            c.flags = new_flags(old_flags, req.update);
            c.keywords = new_keywords(view, old_keywords, req.update);
            c.changed = c.flags != old_flags || !same_keywords(c.keywords, old_keywords);
            if (c.changed || conditional)
                to_update.add(c.uid);
            c.newly_deleted = (c.flags & ms::flag_deleted) && !(old_flags & ms::flag_deleted);
            changes.push_back(std::move(c));
        }
    }

    ms::CommitResult result;
    if (!to_update.empty()) {
        ms::Transaction txn = mailbox.begin();
        mailstore::Status st = txn.update_flags(to_update, req.update);
        if (!st) {
            ctx.finish_status(st);
            return nullptr;
        }
        auto committed = txn.commit();
        if (!committed) {
            ctx.finish_status(committed.status());
            return nullptr;
        }
        result = std::move(committed).value();
    }

    // The untagged FETCH of each message whose flags really changed comes
    // from the update after this command (session/updates.cpp): it shows
    // the flags the storage holds after the commit, which include what
    // other sessions changed meanwhile, and follows the FLAGS and
    // PERMANENTFLAGS that announce a new keyword (Dovecot's order).
    for (const Change& c : changes) {
        if (!to_update.contains(c.uid) || result.modified.contains(c.uid) || result.modseq == 0)
            continue;
        if (c.newly_deleted)
            ++ctx.stats().deleted;
        OwnChange& own = sel.own_changes[c.uid];
        own.modseq = result.modseq;
        own.flags = c.flags;
        own.keywords = c.keywords;
        // RFC 7162 §3.1.3: with CONDSTORE, .SILENT still reports MODSEQ. A
        // message UNCHANGEDSINCE stored without a change is not reported
        // (Dovecot).
        if (!c.changed)
            own.echo = OwnChange::Echo::none;
        else if (!req.silent)
            own.echo = OwnChange::Echo::flags;
        else
            own.echo = ctx.enabled().condstore ? OwnChange::Echo::modseq : OwnChange::Echo::none;
    }

    if (!result.modified.empty()) {
        // RFC 7162 §3.1.3: [MODIFIED] lists what failed the test, as
        // sequence numbers for STORE and UIDs for UID STORE.
        std::string set;
        if (cmd.uid) {
            set = result.modified.to_string();
        } else {
            ms::UidSet seqs;
            for (const auto& range : result.modified.ranges())
                for (std::uint64_t u = range.first; u <= range.last; ++u)
                    seqs.add(view.seq(static_cast<ms::Uid>(u)));
            set = seqs.to_string();
        }
        finish_ok_limited(ctx, cut, "MODIFIED " + set, "Conditional store failed.", cut_text);
        return nullptr;
    }
    finish_ok_limited(ctx, cut, "", "Store completed.", cut_text);
    return nullptr;
}

} // namespace imapproto::detail
