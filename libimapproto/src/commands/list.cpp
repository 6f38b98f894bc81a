// LIST and LSUB (RFC 3501 §6.3.8, §6.3.9) with LIST-EXTENDED (RFC 5258:
// selection options SUBSCRIBED REMOTE RECURSIVEMATCH SPECIAL-USE, return
// options SUBSCRIBED CHILDREN SPECIAL-USE, several patterns), LIST-STATUS
// (RFC 5819) and SPECIAL-USE (RFC 6154). Which attributes appear follows
// Dovecot 2.3: a plain LIST shows children and special-use attributes, an
// extended one only what its return options ask for.
#include "commands/commands.hpp"
#include "mailbox/mailbox_names.hpp"
#include "session/rev2.hpp"

namespace imapproto::detail {

namespace st = mailstore::storage;

namespace {

struct ListRequest {
    bool lsub = false;
    bool extended = false;
    bool sel_subscribed = false;
    bool sel_recursive = false;
    bool sel_special = false;
    bool ret_subscribed = false;
    bool ret_children = false;
    bool ret_special = false;
    std::uint32_t ret_status = 0; // STATUS items, 0 for none
    std::string reference;
    std::vector<std::string> patterns;
};

bool decode_pattern(Context& ctx, const Arg& arg, std::string& out) {
    if (!arg.is_astring() || arg.spool) {
        ctx.finish_bad("Invalid arguments.");
        return false;
    }
    std::string error;
    auto decoded = mailbox_name_arg(ctx, arg, error);
    if (!decoded) {
        ctx.finish_no("", error.empty() ? "Mailbox name is not valid mUTF-7" : error);
        return false;
    }
    out = std::move(*decoded);
    return true;
}

bool parse_selection(Context& ctx, const Arg& list, ListRequest& req) {
    for (const auto& opt : list.children) {
        if (opt.type != Arg::Type::atom) {
            ctx.finish_bad("Unknown select options");
            return false;
        }
        if (ascii_iequals(opt.text, "SUBSCRIBED"))
            req.sel_subscribed = true;
        else if (ascii_iequals(opt.text, "REMOTE"))
            ; // no remote mailboxes here (RFC 5258 §3.1)
        else if (ascii_iequals(opt.text, "RECURSIVEMATCH"))
            req.sel_recursive = true;
        else if (ascii_iequals(opt.text, "SPECIAL-USE"))
            req.sel_special = true;
        else {
            ctx.finish_bad("Unknown select options");
            return false;
        }
    }
    // RFC 5258 §3.1: RECURSIVEMATCH alone is a syntax error.
    if (req.sel_recursive && !req.sel_subscribed && !req.sel_special) {
        ctx.finish_bad("RECURSIVEMATCH must not be the only selection option");
        return false;
    }
    return true;
}

bool parse_return(Context& ctx, const Arg& list, ListRequest& req) {
    const auto& opts = list.children;
    for (std::size_t i = 0; i < opts.size(); ++i) {
        const Arg& opt = opts[i];
        if (opt.type != Arg::Type::atom) {
            ctx.finish_bad("Unknown return options");
            return false;
        }
        if (ascii_iequals(opt.text, "SUBSCRIBED")) {
            req.ret_subscribed = true;
        } else if (ascii_iequals(opt.text, "CHILDREN")) {
            req.ret_children = true;
        } else if (ascii_iequals(opt.text, "SPECIAL-USE")) {
            req.ret_special = true;
        } else if (ascii_iequals(opt.text, "STATUS") && i + 1 < opts.size()) {
            std::string error;
            auto items = parse_status_items(opts[++i], error);
            if (!items) {
                ctx.finish_bad(error);
                return false;
            }
            req.ret_status = *items;
        } else {
            ctx.finish_bad("Unknown return options");
            return false;
        }
    }
    return true;
}

// Parses the arguments; answers and returns false on errors.
bool parse_list(Context& ctx, const Command& cmd, ListRequest& req) {
    const auto& args = cmd.args;
    std::size_t i = 0;
    if (!req.lsub && !args.empty() && args[0].type == Arg::Type::list) {
        req.extended = true;
        if (!parse_selection(ctx, args[0], req))
            return false;
        ++i;
    }
    if (args.size() < i + 2) {
        ctx.finish_bad("Invalid arguments.");
        return false;
    }
    if (!decode_pattern(ctx, args[i], req.reference))
        return false;
    const Arg& patterns = args[i + 1];
    if (patterns.type == Arg::Type::list && !req.lsub) {
        req.extended = true;
        if (patterns.children.empty()) {
            ctx.finish_bad("Invalid arguments.");
            return false;
        }
        for (const auto& p : patterns.children) {
            req.patterns.emplace_back();
            if (!decode_pattern(ctx, p, req.patterns.back()))
                return false;
        }
    } else {
        req.patterns.emplace_back();
        if (!decode_pattern(ctx, patterns, req.patterns.back()))
            return false;
    }
    i += 2;
    if (i < args.size()) {
        if (req.lsub || args.size() != i + 2 || args[i].type != Arg::Type::atom ||
            !ascii_iequals(args[i].text, "RETURN") || args[i + 1].type != Arg::Type::list) {
            ctx.finish_bad("Invalid arguments.");
            return false;
        }
        req.extended = true;
        if (!parse_return(ctx, args[i + 1], req))
            return false;
    }
    return true;
}

std::string separator_text(char sep) {
    if (sep == 0)
        return "NIL";
    std::string out = "\"";
    if (sep == '"' || sep == '\\')
        out += '\\';
    out += sep;
    out += '"';
    return out;
}

// The attributes in Dovecot's order: \Noselect \NonExistent \Noinferiors
// \Subscribed \HasChildren \HasNoChildren \Marked \UnMarked, then the
// special-use flags.
std::string attributes_text(Context& ctx, const ListRequest& req, const st::MailboxInfo& info) {
    std::uint32_t a = info.attributes;
    // RFC 5258 §3: an extended LIST calls a level that does not exist
    // \NonExistent (which implies \Noselect), as Dovecot does; a plain LIST
    // keeps RFC 3501's \Noselect. IMAP4rev2 has LIST-EXTENDED's rules for
    // every LIST (RFC 9051 §6.3.9, §7.3.1); LSUB, which rev2 only keeps as
    // deprecated, answers as in rev1.
    const bool extended_rules = req.extended || (rev2(ctx) && !req.lsub);
    if (extended_rules && (a & st::attr_noselect) && !(a & st::attr_nonexistent) &&
        !ctx.user().exists(info.name))
        a = (a & ~st::attr_noselect) | st::attr_nonexistent;
    const bool show_subscribed = !req.lsub && (req.ret_subscribed || req.sel_subscribed);
    const bool show_children = !req.lsub && (!req.extended || req.ret_children);
    const bool show_special = !req.extended || req.ret_special || req.sel_special;
    std::string out;
    auto add = [&out](std::string_view word) {
        if (!out.empty())
            out += ' ';
        out += word;
    };
    if (a & st::attr_noselect)
        add("\\Noselect");
    if (a & st::attr_nonexistent)
        add("\\NonExistent");
    if (a & st::attr_noinferiors)
        add("\\Noinferiors");
    if (show_subscribed && (a & st::attr_subscribed))
        add("\\Subscribed");
    if (show_children && (a & st::attr_has_children))
        add("\\HasChildren");
    if (show_children && (a & st::attr_has_no_children) && !(a & st::attr_noinferiors))
        add("\\HasNoChildren");
    if (!req.lsub && (a & st::attr_marked))
        add("\\Marked");
    // Dovecot spells it \UnMarked; attributes are case-insensitive (RFC 3501 §7.2.2).
    if (!req.lsub && (a & st::attr_unmarked))
        add("\\UnMarked");
    if (show_special && info.special_use != 0)
        add(st::format_special_use(info.special_use));
    return out;
}

void send_status(Context& ctx, const ListRequest& req, const st::MailboxInfo& info) {
    if (info.attributes & (st::attr_noselect | st::attr_nonexistent))
        return;
    auto status = ctx.user().status(info.name, req.ret_status);
    if (!status) {
        // RFC 5819 §1: a mailbox whose status cannot be had just gets no
        // STATUS line.
        ctx.log().warning("LIST-STATUS " + info.name + ": " + status.status().message());
        return;
    }
    send_status_line(ctx, info.name, req.ret_status, *status);
}

// LIST "" "" and LSUB "" "": the hierarchy delimiter and the root of the
// reference (RFC 3501 §6.3.8).
void send_delimiter(Context& ctx, const ListRequest& req) {
    char sep = mailbox_separator(ctx, req.reference);
    std::string root;
    if (!req.reference.empty() && sep != 0) {
        auto pos = req.reference.find(sep);
        root = pos == std::string::npos ? std::string() : req.reference.substr(0, pos + 1);
    }
    std::string line = req.lsub ? "LSUB" : "LIST";
    line += " (\\Noselect) " + separator_text(sep) + ' ';
    write_mailbox_name(ctx, line, root);
    ctx.untagged(line);
}

} // namespace

std::unique_ptr<CommandRun> cmd_list(Context& ctx, const Command& cmd) {
    ListRequest req;
    req.lsub = cmd.name == "LSUB";
    // RFC 9051 Appendix E deprecates LSUB in favour of LIST (SUBSCRIBED)
    // but does not forbid it: a rev2 session still gets its answer
    // (session/rev2.hpp).
    if (!parse_list(ctx, cmd, req))
        return nullptr;

    st::ListQuery query;
    query.reference = req.reference;
    query.subscribed = req.sel_subscribed || req.lsub;
    query.special_use_only = req.sel_special;
    query.recursive_match = req.sel_recursive;
    query.lsub = req.lsub;
    bool delimiter_sent = false;
    for (auto& pattern : req.patterns) {
        if (!pattern.empty()) {
            query.patterns.push_back(std::move(pattern));
        } else if (!delimiter_sent) {
            send_delimiter(ctx, req);
            delimiter_sent = true;
        }
    }
    if (!query.patterns.empty()) {
        auto found = ctx.user().list(query);
        if (!found) {
            ctx.finish_status(found.status());
            return nullptr;
        }
        for (const auto& info : *found) {
            std::string line = req.lsub ? "LSUB (" : "LIST (";
            line += attributes_text(ctx, req, info);
            line += ") " + separator_text(info.separator) + ' ';
            write_mailbox_name(ctx, line, info.name);
            if (req.sel_recursive && info.child_subscribed)
                line += " (CHILDINFO (\"SUBSCRIBED\"))";
            ctx.untagged(line);
            if (req.ret_status != 0)
                send_status(ctx, req, info);
        }
    }
    ctx.finish_ok("", req.lsub ? "Lsub completed." : "List completed.");
    return nullptr;
}

} // namespace imapproto::detail
