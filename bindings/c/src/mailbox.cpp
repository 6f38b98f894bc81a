// Open mailboxes and the changes made to them: loft_mailbox_open ...
// loft_mailbox_copy. Every change is one Transaction, committed (durable)
// before the call returns, and the handle's view is synced afterwards so
// that the caller sees its own change.
#include "errors.hpp"
#include "handles.hpp"
#include "status_fill.hpp"

#include <mailstore/search.hpp>
#include <mailstore/storage/mailbox.hpp>

#include <cstring>
#include <initializer_list>
#include <string>
#include <vector>

namespace storage = mailstore::storage;
using loft_c::fail;
using loft_c::guarded;
using loft_c::null_argument;

namespace {

// A NULL-terminated C array of keywords.
std::vector<std::string> keyword_list(const char* const* keywords) {
    std::vector<std::string> out;
    if (keywords != nullptr)
        for (; *keywords != nullptr; ++keywords)
            out.emplace_back(*keywords);
    return out;
}

loft_status check_writable(const loft_mailbox* mailbox, const char* role) {
    if (mailbox->mailbox.read_only())
        return fail(LOFT_EPERM,
                    std::string(role) + " " + mailbox->mailbox.name() + " is open read-only");
    return LOFT_OK;
}

// The UIDs of the view that IMAP UID-set text names ('*': the highest UID).
loft_status parse_uid_set(const loft_mailbox* mailbox, const char* text, storage::UidSet* uids) {
    if (text == nullptr)
        return null_argument("uid_set");
    auto set = mailstore::search::SequenceSet::parse(text, false);
    if (!set)
        return fail(LOFT_EINVAL, std::string("invalid UID set: \"") + text + "\"");
    *uids = set->resolve_uids(mailbox->mailbox.view());
    return LOFT_OK;
}

// Commits `transaction` and syncs the view of every mailbox it changed.
loft_status commit_and_sync(storage::Transaction& transaction, storage::CommitResult* result,
                            std::initializer_list<loft_mailbox*> changed) {
    auto committed = transaction.commit();
    if (!committed)
        return fail(committed.status());
    if (result != nullptr)
        *result = std::move(*committed);
    for (loft_mailbox* mailbox : changed) {
        // The change is durable already; a failing sync only leaves this
        // handle's view behind, which the caller learns from the code.
        if (auto synced = mailbox->mailbox.sync(); !synced)
            return fail(synced.status());
    }
    return LOFT_OK;
}

} // namespace

extern "C" {

loft_status loft_mailbox_open(loft_user* user, const char* name, uint32_t flags,
                              loft_mailbox** mailbox) {
    if (mailbox != nullptr)
        *mailbox = nullptr;
    return guarded([&]() -> loft_status {
        if (user == nullptr)
            return null_argument("user");
        if (name == nullptr)
            return null_argument("name");
        if (mailbox == nullptr)
            return null_argument("mailbox");
        if (flags & ~std::uint32_t(LOFT_OPEN_READONLY))
            return fail(LOFT_EINVAL, "unknown open flags");
        storage::OpenOptions options;
        options.read_only = (flags & LOFT_OPEN_READONLY) != 0;
        // A program reading mail is not an IMAP client: it leaves \Recent
        // to the next IMAP session.
        options.claim_recent = false;
        auto opened = storage::Mailbox::open(user->user, name, options);
        if (!opened)
            return fail(opened.status());
        *mailbox = new loft_mailbox{user, std::move(*opened)};
        return LOFT_OK;
    });
}

void loft_mailbox_close(loft_mailbox* mailbox) {
    delete mailbox;
}

const char* loft_mailbox_name(const loft_mailbox* mailbox) {
    return mailbox != nullptr ? mailbox->mailbox.name().c_str() : nullptr;
}

loft_status loft_mailbox_get_status(loft_mailbox* mailbox, loft_mailbox_status* status) {
    return guarded([&]() -> loft_status {
        if (mailbox == nullptr)
            return null_argument("mailbox");
        if (status == nullptr)
            return null_argument("status");
        loft_c::fill_status(mailbox->mailbox.status(storage::status_all), status);
        return LOFT_OK;
    });
}

uint32_t loft_mailbox_message_count(const loft_mailbox* mailbox) {
    return mailbox != nullptr ? mailbox->mailbox.view().count() : 0;
}

loft_status loft_mailbox_sync(loft_mailbox* mailbox) {
    return guarded([&]() -> loft_status {
        if (mailbox == nullptr)
            return null_argument("mailbox");
        if (auto synced = mailbox->mailbox.sync(); !synced)
            return fail(synced.status());
        return LOFT_OK;
    });
}

loft_status loft_mailbox_save(loft_mailbox* mailbox, const void* data, size_t size, uint32_t flags,
                              const char* const* keywords, int64_t internal_date, uint32_t* uid) {
    return guarded([&]() -> loft_status {
        if (mailbox == nullptr)
            return null_argument("mailbox");
        if (data == nullptr || size == 0)
            return fail(LOFT_EINVAL, "the message is empty");
        if (flags & ~std::uint32_t(LOFT_FLAG_ALL))
            return fail(LOFT_EINVAL, "unknown message flags");
        if (internal_date < 0 && internal_date != LOFT_DATE_NOW)
            return fail(LOFT_EINVAL, "invalid internal date");
        if (loft_status st = check_writable(mailbox, "mailbox"); st != LOFT_OK)
            return st;
        storage::SaveRequest request;
        request.data = std::string_view(static_cast<const char*>(data), size);
        request.flags = static_cast<storage::MailFlags>(flags);
        request.keywords = keyword_list(keywords);
        if (internal_date != LOFT_DATE_NOW)
            request.internal_date = internal_date;
        storage::Transaction transaction = mailbox->mailbox.begin();
        if (auto st = transaction.save(request); !st)
            return fail(st);
        storage::CommitResult result;
        if (loft_status st = commit_and_sync(transaction, &result, {mailbox}); st != LOFT_OK)
            return st;
        if (uid != nullptr)
            *uid = result.saved.empty() ? 0 : result.saved.front();
        return LOFT_OK;
    });
}

loft_status loft_mailbox_set_flags(loft_mailbox* mailbox, const char* uid_set, loft_flag_mode mode,
                                   uint32_t flags, const char* const* keywords) {
    return guarded([&]() -> loft_status {
        if (mailbox == nullptr)
            return null_argument("mailbox");
        storage::FlagUpdate update;
        // A C caller may pass any int here; in C++ reading an enum object
        // outside its enumerators' range is undefined, so look at its bytes.
        int raw_mode = 0;
        static_assert(sizeof raw_mode == sizeof mode);
        std::memcpy(&raw_mode, &mode, sizeof raw_mode);
        switch (raw_mode) {
        case LOFT_FLAGS_ADD:
            update.mode = storage::FlagUpdate::Mode::add;
            break;
        case LOFT_FLAGS_REMOVE:
            update.mode = storage::FlagUpdate::Mode::remove;
            break;
        case LOFT_FLAGS_REPLACE:
            update.mode = storage::FlagUpdate::Mode::replace;
            break;
        default:
            return fail(LOFT_EINVAL, "unknown flag mode");
        }
        if (flags & ~std::uint32_t(LOFT_FLAG_ALL))
            return fail(LOFT_EINVAL, "unknown message flags");
        storage::UidSet uids;
        if (loft_status st = parse_uid_set(mailbox, uid_set, &uids); st != LOFT_OK)
            return st;
        if (loft_status st = check_writable(mailbox, "mailbox"); st != LOFT_OK)
            return st;
        update.flags = static_cast<storage::MailFlags>(flags);
        update.keywords = keyword_list(keywords);
        if (uids.empty())
            return LOFT_OK;
        storage::Transaction transaction = mailbox->mailbox.begin();
        if (auto st = transaction.update_flags(uids, update); !st)
            return fail(st);
        return commit_and_sync(transaction, nullptr, {mailbox});
    });
}

loft_status loft_mailbox_expunge(loft_mailbox* mailbox, const char* uid_set) {
    return guarded([&]() -> loft_status {
        if (mailbox == nullptr)
            return null_argument("mailbox");
        storage::UidSet uids;
        if (loft_status st = parse_uid_set(mailbox, uid_set, &uids); st != LOFT_OK)
            return st;
        if (loft_status st = check_writable(mailbox, "mailbox"); st != LOFT_OK)
            return st;
        if (uids.empty())
            return LOFT_OK;
        storage::Transaction transaction = mailbox->mailbox.begin();
        if (auto st = transaction.expunge(uids); !st)
            return fail(st);
        return commit_and_sync(transaction, nullptr, {mailbox});
    });
}

loft_status loft_mailbox_expunge_deleted(loft_mailbox* mailbox) {
    return guarded([&]() -> loft_status {
        if (mailbox == nullptr)
            return null_argument("mailbox");
        if (loft_status st = check_writable(mailbox, "mailbox"); st != LOFT_OK)
            return st;
        const storage::View& view = mailbox->mailbox.view();
        storage::UidSet deleted;
        for (storage::Seq seq = 1; seq <= view.count(); ++seq)
            if (view.flags(seq) & storage::flag_deleted)
                deleted.add(view.uid(seq));
        if (deleted.empty())
            return LOFT_OK;
        // expunge_deleted re-checks \Deleted under the lock: a message
        // another session undeleted meanwhile stays.
        storage::Transaction transaction = mailbox->mailbox.begin();
        if (auto st = transaction.expunge_deleted(deleted); !st)
            return fail(st);
        return commit_and_sync(transaction, nullptr, {mailbox});
    });
}

loft_status loft_mailbox_copy(loft_mailbox* source, const char* uid_set, loft_mailbox* destination,
                              int move) {
    return guarded([&]() -> loft_status {
        if (source == nullptr)
            return null_argument("source");
        if (destination == nullptr)
            return null_argument("destination");
        if (source == destination)
            return fail(LOFT_EINVAL, "source and destination are the same handle");
        storage::UidSet uids;
        if (loft_status st = parse_uid_set(source, uid_set, &uids); st != LOFT_OK)
            return st;
        if (loft_status st = check_writable(destination, "destination"); st != LOFT_OK)
            return st;
        if (move)
            if (loft_status st = check_writable(source, "source"); st != LOFT_OK)
                return st;
        if (uids.empty())
            return LOFT_OK;
        storage::Transaction transaction = destination->mailbox.begin();
        auto st = move ? transaction.move(source->mailbox, uids)
                       : transaction.copy(source->mailbox, uids);
        if (!st)
            return fail(st);
        if (move)
            return commit_and_sync(transaction, nullptr, {destination, source});
        return commit_and_sync(transaction, nullptr, {destination});
    });
}

} // extern "C"
