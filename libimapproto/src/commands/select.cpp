// SELECT and EXAMINE (RFC 3501 §6.3.1, §6.3.2; RFC 7162 CONDSTORE select
// parameter). The untagged lines and texts are Dovecot 2.3's, in its order:
// FLAGS, PERMANENTFLAGS, EXISTS, RECENT, UNSEEN, UIDVALIDITY, UIDNEXT,
// HIGHESTMODSEQ.
#include "commands/commands.hpp"
#include "mailbox/mailbox_names.hpp"

namespace imapproto::detail {

namespace st = mailstore::storage;

namespace {

// The optional "(CONDSTORE)" select parameter list (RFC 7162 §3.1.8).
// QRESYNC needs ENABLE QRESYNC first (RFC 7162 §3.2.5).
bool parse_select_params(Context& ctx, const Arg& list, std::string& error) {
    if (list.type != Arg::Type::list) {
        error = "Invalid arguments.";
        return false;
    }
    for (const auto& param : list.children) {
        if (param.type == Arg::Type::atom && ascii_iequals(param.text, "CONDSTORE")) {
            ctx.enabled().condstore = true;
            continue;
        }
        error = "Unknown select parameter";
        return false;
    }
    return true;
}

} // namespace

std::unique_ptr<CommandRun> cmd_select(Context& ctx, const Command& cmd) {
    const bool examine = cmd.name == "EXAMINE";
    if (cmd.args.empty() || cmd.args.size() > 2) {
        ctx.finish_bad("Invalid arguments.");
        return nullptr;
    }
    // RFC 3501 §6.3.1: a SELECT that fails leaves no mailbox selected, so
    // the old selection goes whatever happens next. RFC 7162 §3.2.11:
    // [CLOSED] tells the client where the old mailbox's responses end.
    auto leave_old = [&ctx] {
        if (ctx.selected()) {
            ctx.deselect();
            ctx.untagged("OK [CLOSED] Previous mailbox closed.");
        }
    };
    std::string error;
    if (cmd.args.size() == 2 && !parse_select_params(ctx, cmd.args[1], error)) {
        leave_old();
        ctx.finish_bad(error);
        return nullptr;
    }
    auto name = take_mailbox_name(ctx, cmd.args[0]);
    if (!name) {
        leave_old();
        return nullptr;
    }
    st::OpenOptions options;
    options.read_only = examine;
    // EXAMINE must not change \Recent (RFC 3501 §6.3.2).
    options.claim_recent = !examine;
    auto opened = st::Mailbox::open(ctx.user(), *name, options);
    if (!opened) {
        leave_old();
        const auto& status = opened.status();
        // A \Noselect level holds no mail: Dovecot calls it nonexistent.
        if (status.code() == mailstore::Status::Code::invalid_argument)
            ctx.finish_no("NONEXISTENT", "Mailbox doesn't exist: " + mailbox_display_name(*name));
        else
            finish_mailbox_error(ctx, status, *name);
        return nullptr;
    }
    const bool read_only = examine || opened->read_only();
    ctx.select(std::make_unique<st::Mailbox>(std::move(opened.value())), read_only);
    Selected* sel = ctx.selected();
    if (!sel) {
        ctx.finish_status(mailstore::Status::error(mailstore::Status::Code::internal, "SELECT: selection lost"));
        return nullptr;
    }
    ctx.send_flags();
    const st::View& view = sel->mailbox->view();
    ctx.untagged(std::to_string(view.count()) + " EXISTS");
    ctx.untagged(std::to_string(view.recent_count()) + " RECENT");
    if (st::Seq first = view.first_unseen(); first != 0)
        ctx.untagged("OK [UNSEEN " + std::to_string(first) + "] First unseen.");
    ctx.untagged("OK [UIDVALIDITY " + std::to_string(view.uidvalidity()) + "] UIDs valid");
    ctx.untagged("OK [UIDNEXT " + std::to_string(view.uidnext()) + "] Predicted next UID");
    // RFC 7162 allows HIGHESTMODSEQ always; Dovecot sends it only once the
    // client has used CONDSTORE, and clients are used to that.
    if (ctx.enabled().condstore)
        ctx.untagged("OK [HIGHESTMODSEQ " + std::to_string(view.highest_modseq()) + "] Highest");
    ctx.finish_ok(read_only ? "READ-ONLY" : "READ-WRITE", examine ? "Examine completed." : "Select completed.");
    return nullptr;
}

} // namespace imapproto::detail
