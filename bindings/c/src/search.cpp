// loft_mailbox_search: IMAP SEARCH text parsed by libmailstore's search
// module and evaluated over the mailbox's current view.
#include "buffers.hpp"
#include "errors.hpp"
#include "handles.hpp"

#include <mailstore/search.hpp>

#include <vector>

namespace search = mailstore::search;
using loft_c::fail;
using loft_c::guarded;
using loft_c::null_argument;

extern "C" loft_status loft_mailbox_search(loft_mailbox* mailbox, const char* query,
                                           uint32_t** uids, size_t* count) {
    if (uids != nullptr)
        *uids = nullptr;
    return guarded([&]() -> loft_status {
        if (mailbox == nullptr)
            return null_argument("mailbox");
        if (query == nullptr)
            return null_argument("query");
        if (uids == nullptr)
            return null_argument("uids");
        if (count == nullptr)
            return null_argument("count");
        auto program = search::parse(std::string_view(query));
        if (!program)
            return fail(program.status());
        if (program->uses_saved)
            return fail(LOFT_EINVAL, "the saved search result \"$\" does not exist here");
        search::EvaluateOptions options;
        // As IMAP SEARCH (and Dovecot): sequence numbers beyond the view
        // match nothing instead of failing.
        options.clamp_sequence_numbers = true;
        auto matches = search::evaluate(mailbox->mailbox, *program, options);
        if (!matches)
            return fail(matches.status());
        const mailstore::storage::View& view = mailbox->mailbox.view();
        std::vector<std::uint32_t> found;
        found.reserve(matches->size());
        for (mailstore::storage::Seq seq : *matches)
            found.push_back(view.uid(seq));
        return loft_c::copy_out(found, uids, count);
    });
}
