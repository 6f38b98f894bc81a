// NOTIFY (RFC 5465 §3.1, grammar in §8): NOTIFY NONE, and NOTIFY SET
// [STATUS] (filter events)... The arguments are checked in full before
// anything changes; the session's Notify (session/notify.cpp) keeps the
// watched set and sends the notifications.
//
// Refusals: a syntax error, a second SELECTED/SELECTED-DELAYED, a
// non-message event with SELECTED, fetch-att outside SELECTED, MessageNew
// without MessageExpunge (or the reverse), FlagChange without both (§5):
// BAD. Events Loft does not report (AnnotationChange; MailboxMetadataChange
// and ServerMetadataChange unless imap_metadata = yes; unknown ones):
// NO [BADEVENT (<the supported ones>)]
// (§3.1). Too many mailboxes: NO [NOTIFICATIONOVERFLOW].
#include "commands/commands.hpp"
#include "session/notify.hpp"

#include "ascii.hpp"

#include <memory>
#include <string>

namespace imapproto::detail {

namespace {

constexpr std::size_t kMaxGroups = 100;
constexpr std::size_t kMaxNames = 1000;
constexpr std::string_view kSupported = "MessageNew MessageExpunge FlagChange MailboxName SubscriptionChange";
// With METADATA on, its events are supported too (RFC 5465 §5.6, §5.7 make
// them required then).
constexpr std::string_view kSupportedMetadata = " MailboxMetadataChange ServerMetadataChange";

bool is(const Arg& a, std::string_view word) { return a.type == Arg::Type::atom && ascii_iequals(a.text, word); }

// "Error in IMAP command NOTIFY: <why>" (Dovecot's form).
void bad(Context& ctx, std::string_view why) { ctx.finish_bad("Error in IMAP command NOTIFY: " + std::string(why)); }

enum class Outcome { ok, bad, badevent };

// One event group "(filter events)"; `why` is the BAD text.
Outcome parse_group(Context& ctx, const Arg& g, NotifyRequest& req, std::string& why) {
    why = "Invalid arguments";
    if (g.type != Arg::Type::list || g.children.size() < 2 || g.children.size() > 3)
        return Outcome::bad;
    const Arg& f = g.children[0];
    NotifyGroup group;
    std::size_t next = 1;
    bool selected = false;
    if (is(f, "SELECTED") || is(f, "SELECTED-DELAYED")) {
        selected = true;
        if (req.selected) {
            why = "Duplicate selected filter";
            return Outcome::bad;
        }
        req.selected = is(f, "SELECTED") ? NotifyFilter::selected : NotifyFilter::selected_delayed;
    } else if (is(f, "INBOXES")) {
        group.filter = NotifyFilter::inboxes;
    } else if (is(f, "PERSONAL")) {
        group.filter = NotifyFilter::personal;
    } else if (is(f, "SUBSCRIBED")) {
        group.filter = NotifyFilter::subscribed;
    } else if (is(f, "SUBTREE") || is(f, "MAILBOXES")) {
        group.filter = is(f, "SUBTREE") ? NotifyFilter::subtree : NotifyFilter::mailboxes;
        if (g.children.size() != 3)
            return Outcome::bad;
        const Arg& m = g.children[1];
        std::vector<const Arg*> names;
        if (m.type == Arg::Type::list) {
            if (m.children.empty())
                return Outcome::bad;
            for (const Arg& c : m.children)
                names.push_back(&c);
        } else {
            names.push_back(&m);
        }
        for (const Arg* a : names) {
            if (!a->is_astring())
                return Outcome::bad;
            std::string err;
            auto name = mailbox_name_arg(ctx, *a, err);
            if (!name) {
                why = err;
                return Outcome::bad;
            }
            group.names.push_back(ctx.user().normalize_name(*name));
        }
        next = 2;
    } else {
        return Outcome::bad;
    }
    if (g.children.size() != next + 1)
        return Outcome::bad;
    const Arg& ev = g.children[next];
    unsigned events = 0;
    if (is(ev, "NONE")) {
        // §3.1: no events for these mailboxes.
    } else if (ev.type == Arg::Type::list && !ev.children.empty()) {
        bool unsupported = false;
        for (std::size_t i = 0; i < ev.children.size(); ++i) {
            const Arg& e = ev.children[i];
            if (e.type != Arg::Type::atom)
                return Outcome::bad;
            if (is(e, "MessageNew")) {
                events |= notify_message_new;
                if (i + 1 < ev.children.size() && ev.children[i + 1].type == Arg::Type::list) {
                    // fetch-att: only for SELECTED / SELECTED-DELAYED (§8).
                    if (!selected || req.fetch)
                        return Outcome::bad;
                    std::string err;
                    auto fetch = fetch::parse_fetch_items(ev.children[i + 1], false, err);
                    if (!fetch) {
                        why = err;
                        return Outcome::bad;
                    }
                    req.fetch = std::make_shared<const fetch::FetchRequest>(std::move(*fetch));
                    ++i;
                }
            } else if (is(e, "MessageExpunge")) {
                events |= notify_message_expunge;
            } else if (is(e, "FlagChange")) {
                events |= notify_flag_change;
            } else if (is(e, "MailboxName")) {
                events |= notify_mailbox_name;
            } else if (is(e, "SubscriptionChange")) {
                events |= notify_subscription_change;
            } else if (is(e, "MailboxMetadataChange") && ctx.settings().metadata) {
                events |= notify_mailbox_metadata;
            } else if (is(e, "ServerMetadataChange") && ctx.settings().metadata) {
                events |= notify_server_metadata;
            } else {
                // AnnotationChange (no ANNOTATE), the METADATA events with
                // METADATA off, or an event-ext atom nobody defined for Loft.
                unsupported = true;
            }
        }
        if (unsupported)
            return Outcome::badevent;
        // §5: MessageNew and MessageExpunge together; FlagChange needs both.
        const bool mn = events & notify_message_new, me = events & notify_message_expunge;
        if (mn != me || ((events & notify_flag_change) && !mn)) {
            why = "MessageNew and MessageExpunge must be given together, and with FlagChange";
            return Outcome::bad;
        }
        // §6.1: only message events for the selected mailbox.
        if (selected && (events & ~kNotifyMessageEvents)) {
            why = "Only message events are allowed with SELECTED and SELECTED-DELAYED";
            return Outcome::bad;
        }
    } else {
        return Outcome::bad;
    }
    if (selected) {
        req.selected_events = events;
    } else {
        group.events = events;
        req.groups.push_back(std::move(group));
    }
    return Outcome::ok;
}

} // namespace

std::unique_ptr<CommandRun> cmd_notify(Context& ctx, const Command& cmd) {
    const auto& args = cmd.args;
    if (args.empty()) {
        bad(ctx, "Invalid arguments");
        return nullptr;
    }
    if (is(args[0], "NONE")) {
        if (args.size() != 1) {
            bad(ctx, "Invalid arguments");
            return nullptr;
        }
        ctx.notify().none();
        ctx.finish_ok("", "NOTIFY completed.");
        return nullptr;
    }
    if (!is(args[0], "SET")) {
        bad(ctx, "Invalid arguments");
        return nullptr;
    }
    std::size_t first = 1;
    bool status = false;
    if (args.size() > 1 && is(args[1], "STATUS")) {
        status = true;
        first = 2;
    }
    if (args.size() <= first || args.size() - first > kMaxGroups) {
        bad(ctx, "Invalid arguments");
        return nullptr;
    }
    NotifyRequest req;
    bool badevent = false;
    std::size_t names = 0;
    for (std::size_t i = first; i < args.size(); ++i) {
        std::string why;
        const std::size_t groups_before = req.groups.size();
        Outcome o = parse_group(ctx, args[i], req, why);
        if (o == Outcome::bad) {
            bad(ctx, why);
            return nullptr;
        }
        if (o == Outcome::badevent)
            badevent = true;
        if (req.groups.size() > groups_before)
            names += req.groups.back().names.size();
        if (names > kMaxNames) {
            bad(ctx, "Too many mailbox names");
            return nullptr;
        }
    }
    if (badevent) {
        std::string supported(kSupported);
        if (ctx.settings().metadata)
            supported += kSupportedMetadata;
        ctx.finish_no("BADEVENT (" + supported + ")", "Unsupported NOTIFY events.");
        return nullptr;
    }
    if (!ctx.notify().set(ctx, std::move(req), status)) {
        ctx.finish_no("NOTIFICATIONOVERFLOW", "Too many mailboxes to watch.");
        return nullptr;
    }
    ctx.finish_ok("", "NOTIFY completed.");
    return nullptr;
}

} // namespace imapproto::detail
