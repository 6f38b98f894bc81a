// One message's FETCH response (RFC 3501 §7.4.2), written to the session's
// output a piece at a time so that a big body never sits in memory whole.
//
// Where the data comes from, cheapest first: FLAGS, UID, INTERNALDATE,
// RFC822.SIZE and MODSEQ from the index; ENVELOPE, BODY and BODYSTRUCTURE
// from the index's cache ("imap.envelope", "imap.body",
// "imap.bodystructure"), filled on the first parse; everything else from the
// message file, opened and parsed at most once per message. A whole
// message or section whose stored bytes already are what IMAP sends (CRLF
// line ends, no NUL) goes out as a view of the mapped file, without a copy;
// anything else is converted in pieces of about a megabyte.
//
// A message another session expunged (RFC 2180 §4.1.2, as Dovecot 2.3
// answers): the index items as usual, NIL for body data, an empty ENVELOPE
// and a zero-sized text/plain BODY/BODYSTRUCTURE; the command then ends
// with OK [EXPUNGEISSUED].
#pragma once

#include "fetch/fetch_items.hpp"
#include "session/context.hpp"

#include <mailstore/mime/message.hpp>
#include <mailstore/mime/section.hpp>
#include <mailstore/storage/mailbox.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace imapproto::detail::fetch {

// What happened to one message, for the tagged reply and the counters.
struct MessageOutcome {
    bool expunged = false;     // the message file was gone
    bool unknown_cte = false;  // a BINARY item hit an encoding it cannot undo (RFC 3516 [UNKNOWN-CTE])
    bool invalid_data = false; // a BINARY item hit damaged base64/quoted-printable
    bool preview_deferred = false; // PREVIEW (LAZY) answered NIL: no cached preview yet
    mailstore::Status error;   // the message could not be read (I/O error)
};

class MessageFetch {
public:
    // `seen_added`: this command set \Seen on the message, so its flags
    // include \Seen and, unless FLAGS was asked for, FLAGS is sent too.
    MessageFetch(mailstore::storage::Mailbox& mailbox, const FetchRequest& request,
                 mailstore::storage::Seq seq, bool seen_added);
    ~MessageFetch();
    MessageFetch(const MessageFetch&) = delete;
    MessageFetch& operator=(const MessageFetch&) = delete;

    // Writes (more of) the response. True when it is complete; false when
    // it stopped because ctx.output_full(): call again after a flush.
    bool write(Context& ctx);

    const MessageOutcome& outcome() const { return outcome_; }
    mailstore::storage::Uid uid() const { return message_.uid(); }

    // Bytes of literal data sent, split as Dovecot's fetch_hdr_* and
    // fetch_body_* counters count them.
    std::uint64_t header_bytes() const { return header_bytes_; }
    std::uint64_t body_bytes() const { return body_bytes_; }
    bool sent_header() const { return sent_header_; }
    bool sent_body() const { return sent_body_; }

private:
    struct Stream;
    const FetchItem* item_at(std::size_t i) const;
    std::size_t item_count() const;
    void prepare(Context& ctx);
    bool open_data(Context& ctx);
    const mailstore::mime::ParsedMessage* parsed(Context& ctx);
    void write_item(Context& ctx, const FetchItem& item, std::size_t index);
    void write_cached_shape(Context& ctx, const FetchItem& item);
    void write_preview(Context& ctx, const FetchItem& item);
    void write_object_id(const FetchItem& item);
    void write_section(Context& ctx, const FetchItem& item);
    void write_binary(Context& ctx, const FetchItem& item, std::size_t index);
    void start_literal(Context& ctx, std::uint64_t size, bool literal8);
    bool continue_stream(Context& ctx);
    void count(const FetchItem& item, std::uint64_t bytes);

    mailstore::storage::Mailbox& mailbox_;
    const FetchRequest& request_;
    mailstore::storage::Message message_;
    bool seen_added_;
    bool prepared_ = false;
    bool uid_only_ = false; // every item failed: only the UID is sent
    bool started_ = false;
    bool first_item_ = true;
    std::size_t next_ = 0; // the next item index to write
    std::string line_;     // response text not yet handed to the output
    // The message bytes; also the keepalive of views handed to the output.
    std::shared_ptr<mailstore::storage::MessageData> data_;
    bool open_tried_ = false;
    bool gone_ = false;
    std::optional<mailstore::mime::ParsedMessage> parsed_;
    // Per item: BINARY sizes, worked out before anything is written (the
    // literal needs them, and a failure must drop the item, not cut the
    // response short).
    std::vector<std::optional<mailstore::Result<std::uint64_t>>> binary_sizes_;
    std::unique_ptr<Stream> stream_;
    MessageOutcome outcome_;
    std::uint64_t header_bytes_ = 0;
    std::uint64_t body_bytes_ = 0;
    bool sent_header_ = false;
    bool sent_body_ = false;
};

// The preview text (RFC 8970) of `message`: from the cache field
// "imap.preview", else computed from the message and cached. nullopt when
// the message cannot be read (expunged, I/O error).
std::optional<std::string> message_preview(const mailstore::storage::Message& message,
                                           const mailstore::mime::ParsedMessage* parsed = nullptr);

// INTERNALDATE as FETCH sends it: "17-Jul-1996 02:44:25 -0700", in the
// server's local time zone at that instant (Maildir keeps no zone).
std::string internaldate_text(std::int64_t unix_seconds);

} // namespace imapproto::detail::fetch
