// Reads an mbox file (RFC 4155) one message at a time, for `loftadm import`.
//
// A message starts at a "From " line at the start of the file or after an
// empty line; that empty line ends the previous message and is not part of
// it. Body lines ">From ", ">>From " ... lose one '>' (mboxrd; for mboxo
// files this restores the ">From " lines, the only ones mboxo quotes). The
// From_ line's asctime date becomes the INTERNALDATE. The headers mail
// programs keep in mbox files for themselves (UW-IMAP, Dovecot's mbox
// driver, mutt) are turned into flags and removed: Status (R = \Seen),
// X-Status (A \Answered, F \Flagged, T \Draft, D \Deleted), X-Keywords,
// X-UID, X-IMAP, X-IMAPbase, Content-Length. Line ends are kept as they are.
#pragma once

#include <mailstore/status.hpp>
#include <mailstore/storage/types.hpp>

#include <cstdint>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace loftadm {

struct MboxMessage {
    std::string data;                   // the message without its From_ line and mbox headers
    std::optional<std::int64_t> date;   // from the From_ line (Unix seconds, UTC)
    std::uint64_t line = 0;             // line number of its From_ line (1-based)
    std::uint64_t number = 0;           // 1-based position in the file
    mailstore::storage::MailFlags flags = 0;
    std::vector<std::string> keywords;
    bool pseudo = false;                // UW-IMAP's "FOLDER INTERNAL DATA" message (X-IMAP header)
};

class MboxReader {
public:
    // A message larger than this is an error (a file without From_ lines
    // between messages would otherwise be read into memory whole).
    static constexpr std::uint64_t max_message_size = std::uint64_t(1) << 30;

    // Opens `path`: not_found when missing, invalid_argument when the file
    // does not start with a From_ line (an empty file is an empty mbox).
    static mailstore::Result<std::unique_ptr<MboxReader>> open(const std::string& path);
    ~MboxReader();
    MboxReader(const MboxReader&) = delete;
    MboxReader& operator=(const MboxReader&) = delete;

    // The next message into `out`; false after the last. invalid_argument
    // for a message over max_message_size, io_error for a read error (both
    // name the file and the message).
    mailstore::Result<bool> next(MboxMessage& out);

private:
    MboxReader(std::FILE* file, std::string path);
    bool read_piece(std::string& piece, bool& line_start);

    std::FILE* file_;
    std::string path_;
    bool at_line_start_ = true;
    std::uint64_t line_ = 0;
    std::uint64_t count_ = 0;
    std::optional<std::string> pending_from_; // the From_ line of the next message
    std::uint64_t pending_line_ = 0;
};

} // namespace loftadm
