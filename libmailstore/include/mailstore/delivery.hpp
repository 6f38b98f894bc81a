// The delivery pipeline: what LMTP (loft-lmtpd) and the LDA (loft-lda) do
// with a message once the envelope is known. One spooled message, one or
// more recipients; for each recipient: split the address at
// recipient_delimiter, choose the mailbox (the LDA's -m, the detail mailbox
// with lmtp_save_to_detail_mailbox, else INBOX; lda_mailbox_autocreate/
// autosubscribe), add the trace headers (Return-Path, Received,
// Delivered-To per lmtp_hdr_delivery_address, lda_original_recipient_header)
// and save durably. A result per recipient: the protocol answers each one
// from it (LMTP: one reply per recipient after DATA; LDA: the exit code).
//
// Filtering (Sieve) plugs in through DeliveryFilter: the pipeline asks it
// what to do with the message for a recipient and carries out the actions
// (keep, fileinto, discard, ...). Without a filter every recipient gets
// "keep".
//
// Privacy: each recipient's copy is its own file whenever a header names
// that recipient; copies are shared by hard link only when no
// per-recipient header is added, so one user's file never reveals the
// other recipients.
//
// Blocking: every call may do file I/O and fsync; run them off an event
// loop's I/O threads. A Deliverer is thread-safe (const methods; every
// delivery opens its own user and mailbox).
#pragma once

#include <mailstore/auth/fields.hpp>
#include <mailstore/config.hpp>
#include <mailstore/export.hpp>
#include <mailstore/log.hpp>
#include <mailstore/status.hpp>
#include <mailstore/storage/types.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mailstore::delivery {

// A message being received, written to an unlinked temporary file (in
// mail_temp_dir, default /tmp) so that no message is ever held whole in
// memory. Append the bytes as they arrive (after dot-unstuffing), then
// finish().
class MAILSTORE_API Spool {
public:
    // io_error when the file cannot be made. `max_size` (0: none) makes
    // append() fail with invalid_argument once exceeded (the bytes beyond
    // are dropped, the caller answers 552 after the data ends).
    static Result<Spool> create(std::string_view temp_dir, std::uint64_t max_size = 0);
    Spool(Spool&&) noexcept;
    Spool& operator=(Spool&&) noexcept;
    ~Spool();

    Status append(std::string_view bytes);
    // Flushes what append() buffered. After it, fd() holds the whole message.
    Status finish();

    std::uint64_t size() const;
    bool too_big() const;       // append() went past max_size
    bool has_nul() const;       // a NUL byte was seen
    bool has_8bit() const;      // a byte >= 0x80 was seen
    bool has_bare_lf() const;   // an LF not preceded by CR was seen
    std::uint64_t bare_lf_count() const; // how many: size() + this is the size with CRLF line ends
    int fd() const;             // readable from offset 0; owned by the Spool

    class Impl;
    explicit Spool(std::unique_ptr<Impl> impl);

private:
    std::unique_ptr<Impl> impl_;
};

// The SMTP/LMTP envelope and where the message came from (for the
// Received header and the logs).
struct Envelope {
    std::string mail_from;     // reverse path without <>; "" is the null sender <>
    std::string helo;          // LHLO name ("" for the LDA)
    std::string remote_ip;     // "" for the LDA
    std::string remote_host;   // reverse DNS name if known, else ""
    std::string protocol = "LMTP"; // "with ..." in Received: LMTP, ESMTP (XCLIENT PROTO), ...
    std::string session_id;    // "id ..." in Received and the log prefix
    bool body_8bitmime = false;
    bool body_binarymime = false;
    bool smtputf8 = false;
};

// One recipient, already looked up in the userdb by the caller (LMTP at
// RCPT time, so a missing user is refused there).
struct Recipient {
    std::string address;          // the RCPT TO address as given (final recipient), without <>
    std::string original_address; // ORCPT (RFC 3461) or loft-lda -a; "" when none
    std::string user;             // the userdb's canonical user name
    std::string detail;           // the part after recipient_delimiter ("" when none)
    auth::FieldList userdb_fields; // uid, gid, home, mail, ... from the userdb
    // The mailbox to save to when no filter decides otherwise (loft-lda
    // -m). "" means the detail mailbox (lmtp_save_to_detail_mailbox) or
    // INBOX. A mailbox that does not exist (and is not autocreated)
    // falls back to INBOX, as Dovecot does.
    std::string mailbox;
    // This recipient's id in the logs and in the 250 reply ("<sid>:R2"); ""
    // makes it as Dovecot does: Envelope::session_id for the first recipient
    // of deliver(), then session_id + ":R<n>" for the n-th.
    std::string session_id;
};

// user+detail@domain split at recipient_delimiter (each character of the
// setting is a delimiter; the first one found in the local part splits).
struct AddressParts {
    std::string user;   // "user@domain" (or "user" without a domain): what the userdb looks up
    std::string detail; // "detail" or ""
};

// What a filter decided for one recipient. Sieve's actions map onto these.
struct Action {
    enum class Kind {
        keep,     // save into the recipient's default mailbox
        fileinto, // save into `mailbox` (autocreated per lda_mailbox_autocreate)
        discard,  // drop silently
    };
    Kind kind = Kind::keep;
    std::string mailbox;                // fileinto: UTF-8 mailbox name
    storage::MailFlags flags = 0;       // flags and keywords for the saved copy
    std::vector<std::string> keywords;
};

// What the filter sees.
struct FilterContext {
    const Envelope& envelope;
    const Recipient& recipient;
    int message_fd;           // the spooled message (as received, without the added headers)
    std::uint64_t message_size;
};

// Implemented by Sieve (a later issue) or an embedding program. Errors make
// the pipeline fall back to keep, logged, as Dovecot does for a failing
// script. Must be thread-safe: one Deliverer (and its filter) serves every
// delivery thread of a daemon at once, so filter() is called concurrently
// for different recipients.
class MAILSTORE_API DeliveryFilter {
public:
    virtual ~DeliveryFilter() = default;
    virtual Result<std::vector<Action>> filter(const FilterContext& context) = 0;
};

struct RecipientResult {
    enum class Outcome {
        delivered,          // durable on disk: LMTP 250 2.0.0, LDA exit 0
        temporary_failure,  // LMTP 451 4.x.x / 452, LDA 75 (EX_TEMPFAIL)
        permanent_failure,  // LMTP 550/552/554 5.x.x, LDA 77 or 67
    };
    Outcome outcome = Outcome::temporary_failure;
    // The reply the protocol sends, without the numeric code:
    // "2.0.0 <user> Saved", "4.3.0 Temporary internal error", ...
    int smtp_code = 451;             // 250, 451, 452, 550, 552, 554
    std::string enhanced_code;       // "2.0.0", "4.3.0", "5.2.2"
    std::string text;
    std::vector<std::string> saved_to; // mailboxes the message went to (for the log line)
};

class MAILSTORE_API Deliverer {
public:
    // Reads the delivery settings from `config` (hostname,
    // recipient_delimiter, lmtp_hdr_delivery_address,
    // lmtp_add_received_header, lmtp_save_to_detail_mailbox,
    // lda_mailbox_autocreate, lda_mailbox_autosubscribe,
    // lda_original_recipient_header, postmaster_address, mail_temp_dir).
    // `service` picks the protocol { } overrides: "lmtp" or "lda".
    // invalid_argument names a bad setting.
    static Result<Deliverer> create(std::shared_ptr<const config::Config> config, std::string_view service,
                                    log::Logger log);
    Deliverer(Deliverer&&) noexcept;
    Deliverer& operator=(Deliverer&&) noexcept;
    ~Deliverer();

    AddressParts split_address(std::string_view address) const;
    // mail_temp_dir: where the protocol makes its Spool.
    const std::string& temp_dir() const;
    // hostname (the system's when unset): the LMTP greeting and Received's "by".
    const std::string& hostname() const;

    // A filter to ask for every recipient (nullptr: none). Not owned
    // exclusively: the same filter may serve several Deliverers.
    void set_filter(std::shared_ptr<DeliveryFilter> filter);

    // Delivers `message` (a finished Spool) to each recipient and returns
    // one result per recipient, in order. A recipient gets `delivered` only
    // after its copy is durable (mail_fsync). A storage failure for one
    // recipient (lock timeout, disk full, unreadable home) makes that
    // recipient temporary_failure and does not affect the others.
    std::vector<RecipientResult> deliver(const Envelope& envelope, const std::vector<Recipient>& recipients,
                                         const Spool& message) const;

    class Impl;
    explicit Deliverer(std::unique_ptr<Impl> impl);

private:
    std::unique_ptr<Impl> impl_;
};

} // namespace mailstore::delivery
