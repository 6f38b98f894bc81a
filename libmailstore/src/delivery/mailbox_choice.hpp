// Which mailboxes one recipient's copy goes to: the filter's actions (or
// keep), the default mailbox (-m, the detail mailbox, INBOX), duplicates
// merged (RFC 5228 §4.1: filing into the same mailbox twice saves once).
#pragma once

#include <mailstore/delivery.hpp>

#include <string>
#include <vector>

namespace mailstore::delivery {

struct SaveTarget {
    std::string mailbox;              // UTF-8 name as asked for ("" never)
    storage::MailFlags flags = 0;
    std::vector<std::string> keywords;
    bool is_default = false;          // keep: falls back to INBOX like -m
};

// The default mailbox: `recipient.mailbox` when set, else the detail when
// `save_to_detail` and there is one, else "INBOX".
MAILSTORE_INTERNAL_API std::string default_mailbox(const Recipient& recipient, std::string_view detail,
                                                   bool save_to_detail);

// The saves `actions` ask for. An empty list is Sieve's implicit keep;
// discard saves nothing (other actions of the list still do); a fileinto
// without a mailbox is a keep. Same mailbox twice: one save, with the flags
// and keywords of both.
MAILSTORE_INTERNAL_API std::vector<SaveTarget> choose_targets(const std::vector<Action>& actions,
                                                              const std::string& default_name);

} // namespace mailstore::delivery
