// APPEND (RFC 3501 §6.3.11) with MULTIAPPEND (RFC 3502: several messages,
// all saved or none), UIDPLUS APPENDUID (RFC 4315), literal8 data (RFC 3516
// BINARY APPEND: stored as given) and APPENDLIMIT (RFC 7889 [TOOBIG]). The
// parser has read every literal before the command starts; big ones are in
// spool files, which the storage reads without copying them into memory.
#include "commands/commands.hpp"
#include "mailbox/internal_date.hpp"
#include "mailbox/mailbox_names.hpp"

namespace imapproto::detail {

namespace st = mailstore::storage;

namespace {

struct Upload {
    const Arg* data = nullptr;
    ParsedFlags flags;
    std::optional<std::int64_t> internal_date;
};

// The messages of the command: [flag-list] [date-time] literal, repeated.
// Answers and returns false on errors.
bool parse_uploads(Context& ctx, const Command& cmd, std::vector<Upload>& uploads) {
    const auto& args = cmd.args;
    std::size_t i = 1;
    while (i < args.size()) {
        Upload up;
        if (args[i].type == Arg::Type::list) {
            std::string error;
            auto flags = parse_flag_list(args[i], error);
            if (!flags) {
                ctx.finish_bad(error.empty() ? "Invalid flags" : error);
                return false;
            }
            up.flags = std::move(*flags);
            ++i;
        }
        if (i < args.size() && args[i].type == Arg::Type::quoted) {
            up.internal_date = parse_imap_date_time(args[i].text);
            if (!up.internal_date) {
                ctx.finish_bad("Invalid internal date");
                return false;
            }
            ++i;
        }
        if (i >= args.size() || args[i].type != Arg::Type::literal) {
            ctx.finish_bad("Invalid arguments.");
            return false;
        }
        up.data = &args[i++];
        uploads.push_back(std::move(up));
    }
    if (uploads.empty()) {
        ctx.finish_bad("Invalid arguments.");
        return false;
    }
    return true;
}

std::unique_ptr<st::Mailbox> open_target(Context& ctx, const std::string& name, st::Mailbox*& target) {
    // Saving through the selected mailbox keeps \Recent with this session
    // and lets the sync after the command report the new EXISTS.
    Selected* sel = ctx.selected();
    if (sel && sel->mailbox && !sel->read_only && sel->mailbox->name() == name) {
        target = sel->mailbox.get();
        return nullptr;
    }
    st::OpenOptions options;
    options.claim_recent = false; // the session that selects it gets \Recent
    auto opened = st::Mailbox::open(ctx.user(), name, options);
    if (!opened) {
        // RFC 3501 §6.3.11: a missing target is [TRYCREATE].
        if (opened.status().code() == mailstore::Status::Code::not_found || !ctx.user().exists(name))
            ctx.finish_no("TRYCREATE", "Mailbox doesn't exist: " + mailbox_display_name(name));
        else
            finish_mailbox_error(ctx, opened.status(), name);
        return nullptr;
    }
    auto owned = std::make_unique<st::Mailbox>(std::move(opened.value()));
    target = owned.get();
    return owned;
}

} // namespace

std::unique_ptr<CommandRun> cmd_append(Context& ctx, const Command& cmd) {
    if (cmd.args.size() < 2) {
        ctx.finish_bad("Invalid arguments.");
        return nullptr;
    }
    std::vector<Upload> uploads;
    if (!parse_uploads(ctx, cmd, uploads))
        return nullptr;
    auto name = take_mailbox_name(ctx, cmd.args[0]);
    if (!name)
        return nullptr;
    const std::uint64_t limit = ctx.settings().append_max_size;
    for (const auto& up : uploads) {
        if (up.data->size() == 0) {
            ctx.finish_no("", "Can't save a zero byte message");
            return nullptr;
        }
        if (limit != 0 && up.data->size() > limit) {
            ctx.finish_no("TOOBIG", "Mail size is too large");
            return nullptr;
        }
    }
    st::Mailbox* target = nullptr;
    auto owned = open_target(ctx, *name, target);
    if (!target)
        return nullptr;
    st::Transaction tx = target->begin();
    for (const auto& up : uploads) {
        st::SaveRequest req;
        if (up.data->spool)
            req.fd = up.data->spool->fd();
        else
            req.data = up.data->text;
        req.flags = up.flags.flags;
        req.keywords = up.flags.keywords;
        req.internal_date = up.internal_date;
        if (auto status = tx.save(req); !status) {
            // The transaction rolls back: none of the messages is kept.
            if (status.code() == mailstore::Status::Code::invalid_argument)
                ctx.finish_no("", status.message());
            else
                ctx.finish_status(status);
            return nullptr;
        }
    }
    auto committed = tx.commit();
    if (!committed) {
        ctx.finish_status(committed.status());
        return nullptr;
    }
    std::string code;
    if (committed->saved.size() == uploads.size()) {
        st::UidSet uids;
        for (st::Uid uid : committed->saved)
            uids.add(uid);
        code = "APPENDUID " + std::to_string(committed->uidvalidity) + ' ' + uids.to_string();
    }
    ctx.finish_ok(code, "Append completed.");
    return nullptr;
}

} // namespace imapproto::detail
