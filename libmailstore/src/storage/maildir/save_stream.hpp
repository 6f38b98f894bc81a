// Streaming a message to save from a file descriptor (plus a header prefix)
// in bounded chunks, with the line ends made what the Maildir stores: LF
// only, or CRLF with mail_save_crlf. Delivery saves spooled messages of any
// size this way: never the whole message in memory.
#pragma once

#include <mailstore/export.hpp>
#include <mailstore/status.hpp>

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace mailstore::storage::maildir {

// Turns CRLF and bare LF into the stored line end, across chunk borders; a
// bare CR stays. Counts the stored (physical) size and the virtual size
// (every line end as CRLF: RFC822.SIZE).
class MAILSTORE_INTERNAL_API LineEndNormalizer {
public:
    explicit LineEndNormalizer(bool crlf) : crlf_(crlf) {}
    // Appends the normalized form of `in` to `out` (a CR at the end of `in`
    // waits for the next chunk).
    void feed(std::string_view in, std::string& out);
    // Ends the input (a trailing CR is written).
    void finish(std::string& out);
    std::uint64_t physical_size() const { return psize_; }
    std::uint64_t virtual_size() const { return vsize_; }

private:
    void line_end(std::string& out);
    bool crlf_;
    bool pending_cr_ = false;
    std::uint64_t psize_ = 0;
    std::uint64_t vsize_ = 0;
};

// Feeds `prefix` and then the bytes of `fd` (from offset 0, read with pread
// so the descriptor's offset is untouched) through a normalizer, handing
// each normalized chunk (at most about 128 KiB) to `sink`. Fails with
// invalid_argument when the input exceeds `limit` bytes, io_error when
// reading fails, or with what `sink` returns.
MAILSTORE_INTERNAL_API Status stream_normalized(std::string_view prefix, int fd, LineEndNormalizer& normalizer,
                                                std::uint64_t limit,
                                                const std::function<Status(std::string_view)>& sink);

} // namespace mailstore::storage::maildir
