// The data an IMAP URL names (RFC 5092 imessagepart): a message, or one
// section of it, optionally a ;PARTIAL= range (RFC 5550 URL-PARTIAL), in a
// user's storage. URLFETCH (RFC 4467) streams it to the client and
// CATENATE (RFC 4469) copies it into a new message.
//
// The octets are those FETCH BODY[section]<partial> sends (RFC 4469 §3:
// "as if the literal returned in a FETCH BODY response were put in place"):
// CRLF line endings, streamed from the mapped mail file a piece at a time,
// never the whole section in memory.
#pragma once

#include "url/imap_url.hpp"

#include <mailstore/mime/message.hpp>
#include <mailstore/mime/section.hpp>
#include <mailstore/status.hpp>
#include <mailstore/storage/mailbox.hpp>
#include <mailstore/storage/user.hpp>

#include <cstdint>
#include <memory>
#include <optional>

namespace imapproto::detail::url {

class UrlSource {
public:
    // Opens the message `url` names in `user`'s storage (read-only: \Recent
    // is not claimed, \Seen is not set, RFC 4469 §3). not_found when the
    // mailbox, UIDVALIDITY, UID or section does not match anything;
    // invalid_argument when the URL does not name a message part or the
    // section is not a valid section-spec. The messages of those two are
    // Dovecot's BADURL texts ("Mailbox doesn't exist: X", "Invalid
    // UIDVALIDITY", "Message not found", "Invalid IMAP URL: ..."); other
    // codes are storage errors.
    static mailstore::Result<std::unique_ptr<UrlSource>> open(const mailstore::storage::User& user,
                                                              const ImapUrl& url);
    ~UrlSource();
    UrlSource(const UrlSource&) = delete;
    UrlSource& operator=(const UrlSource&) = delete;

    // Octets the URL names (after ;PARTIAL=).
    std::uint64_t size() const { return size_; }
    // Writes octets [position, position + max) of the data to `sink`;
    // returns how many were written (0 at the end). Reading forward piece
    // by piece costs one pass over the section in all: each call resumes
    // from a line start at or before `position` (a checkpoint, as FETCH's
    // streamed sections do) instead of converting from the section start.
    std::uint64_t write(std::uint64_t position, std::uint64_t max, const mailstore::mime::ByteSink& sink);

    UrlSource() = default;

private:
    std::unique_ptr<mailstore::storage::Mailbox> mailbox_;
    std::shared_ptr<mailstore::storage::MessageData> data_;
    std::optional<mailstore::mime::ParsedMessage> parsed_;
    mailstore::mime::SectionContent content_;
    std::uint64_t origin_ = 0;
    std::uint64_t size_ = 0;
    // A line start of the section: its raw offset and its offset in the
    // CRLF form.
    std::uint64_t line_raw_ = 0;
    std::uint64_t line_virtual_ = 0;
};

} // namespace imapproto::detail::url
