// MESSAGELIMIT and SAVELIMIT (RFC 9738).
//
// SAVELIMIT: imap_save_limit caps the messages one COPY (or UID COPY) and
// one MULTIAPPEND APPEND may save. A command over the limit is refused as a
// whole with NO [MESSAGELIMIT <n> [<uid>]] and nothing is saved, as COPY and
// MULTIAPPEND are atomic (RFC 9738 §3.1).
//
// MESSAGELIMIT: imap_message_limit also caps FETCH, SEARCH, STORE, MOVE
// (and their UID forms) and UID EXPUNGE. Those work on the <n> messages of
// their set with the highest UIDs (§3.1: "the server is REQUIRED to process
// messages from highest to lowest UID") and answer OK [MESSAGELIMIT <n>
// <uid>], <uid> being the lowest UID they did, so the client can go on with
// the messages below it. The save limit is then the message limit (the
// session settings see to it), and SAVELIMIT is not advertised.
#pragma once

#include "session/context.hpp"

#include <mailstore/search.hpp>
#include <mailstore/storage/mailbox.hpp>
#include <mailstore/storage/types.hpp>

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace imapproto::detail {

// True, and the command answered NO [MESSAGELIMIT n uid], when `uids`
// names more existing messages of `view` than the save limit allows. The
// UID is the lowest one of the n highest: where a client that copies in
// pieces from the top would stop (RFC 9738 §3.1's UID COPY example).
bool refuse_copy_over_save_limit(Context& ctx, const mailstore::storage::View& view,
                                 const mailstore::storage::UidSet& uids);

// True, and the command answered NO [MESSAGELIMIT n], when one APPEND
// carries more messages than the save limit allows (RFC 9738 §3.1: no UID
// is known, so the code has none).
bool refuse_append_over_save_limit(Context& ctx, std::size_t messages);

// The MESSAGELIMIT cut (RFC 9738 §3.1). When imap_message_limit is set and
// `uids` names more messages of `view` than it (counting only the ones
// `counts` accepts, given their sequence number; all when it is empty),
// `uids` keeps only the UIDs from the limit-th highest counted message up,
// and that message's UID is returned: the <LastUID> of the response code.
// nullopt, and `uids` unchanged, otherwise.
std::optional<mailstore::storage::Uid>
cut_to_message_limit(Context& ctx, const mailstore::storage::View& view, mailstore::storage::UidSet& uids,
                     const std::function<bool(mailstore::storage::Seq)>& counts = {});

// The cut for SEARCH (RFC 9738 §3.1: the messages searched count, not the
// ones found). The messages searched are those the top-level UID and
// sequence-set keys of `program` name (every message when it has none);
// when they are more than the limit, a "UID <uid>:*" key is added to the
// program so it looks only at the highest ones, and <uid> is returned.
std::optional<mailstore::storage::Uid> cut_search_to_message_limit(Context& ctx,
                                                                   const mailstore::storage::View& view,
                                                                   mailstore::search::Program& program);

// "MESSAGELIMIT <n> <uid>" ("MESSAGELIMIT <n>" for uid 0: none known).
std::string message_limit_code(Context& ctx, mailstore::storage::Uid lowest);

// Ends a command that may have been cut. Not cut: the tagged OK with `code`
// and `text`. Cut and `code` empty: OK [MESSAGELIMIT n uid] `cut_text`. Cut
// with another code (EXPUNGEISSUED, MODIFIED, ...): that code stays in the
// tagged OK and MESSAGELIMIT goes in an untagged NO before it (RFC 9738
// §3.1's EXPUNGEISSUED example).
void finish_ok_limited(Context& ctx, std::optional<mailstore::storage::Uid> cut, std::string_view code,
                       std::string_view text, std::string_view cut_text);

// Before a tagged NO of a command that was cut: the untagged NO
// [MESSAGELIMIT n uid], so the client still learns where the cut was.
void announce_cut(Context& ctx, std::optional<mailstore::storage::Uid> cut, std::string_view cut_text);

} // namespace imapproto::detail
