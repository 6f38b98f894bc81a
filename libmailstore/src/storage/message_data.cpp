// MessageData: a message's bytes kept alive by a read-only mapping of its
// file or by a decompressed buffer, split into header and body.
#include "storage/backend.hpp"
#include "index/mapping_guard.hpp"
#include "storage/compress.hpp"

#include <cerrno>
#include <cstring>
#include <new>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace mailstore::storage {

class MessageData::Impl {
public:
    std::shared_ptr<const void> keepalive;
    std::string_view bytes;
    std::size_t header_size = 0;
};

namespace {

// Bytes up to and including the first empty line (LF or CRLF line ends);
// the whole message when it has no body.
std::size_t header_size(std::string_view bytes) {
    if (bytes.empty())
        return 0;
    if (bytes[0] == '\n')
        return 1;
    if (bytes.size() >= 2 && bytes[0] == '\r' && bytes[1] == '\n')
        return 2;
    for (std::size_t i = bytes.find('\n'); i != std::string_view::npos; i = bytes.find('\n', i + 1)) {
        std::size_t next = i + 1;
        if (next < bytes.size() && bytes[next] == '\n')
            return next + 1;
        if (next + 1 < bytes.size() && bytes[next] == '\r' && bytes[next + 1] == '\n')
            return next + 2;
    }
    return bytes.size();
}

// Files up to this size are read, larger ones mapped.
constexpr std::size_t kReadInsteadOfMap = 128 * 1024;

// Reads a whole file into memory (a small one, or one that cannot be mapped).
Result<std::string> read_whole(int fd, std::size_t size) {
    std::string data(size, '\0');
    std::size_t done = 0;
    while (done < size) {
        const ssize_t n = ::pread(fd, data.data() + done, size - done, static_cast<off_t>(done));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return Status::io(std::string("reading a mail file failed: ") + std::strerror(errno));
        if (n == 0)
            break; // truncated meanwhile: what is left
        done += static_cast<std::size_t>(n);
    }
    data.resize(done);
    return data;
}

} // namespace

MessageData::MessageData(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}
std::string_view MessageData::bytes() const { return impl_->bytes; }
std::string_view MessageData::header() const { return impl_->bytes.substr(0, impl_->header_size); }
std::string_view MessageData::body() const { return impl_->bytes.substr(impl_->header_size); }

MessageData make_message_data(std::shared_ptr<const void> keepalive, std::string_view bytes) {
    auto impl = std::make_shared<MessageData::Impl>();
    impl->keepalive = std::move(keepalive);
    impl->bytes = bytes;
    impl->header_size = header_size(bytes);
    return MessageData(std::move(impl));
}

Result<MessageData> map_message_file(int fd) {
    try {
        struct stat st {};
        if (fstat(fd, &st) != 0)
            return Status::io(std::string("fstat of a mail file failed: ") + std::strerror(errno));
        if (!S_ISREG(st.st_mode))
            return Status::io("mail file is not a regular file");
        if (st.st_size == 0)
            return make_message_data(nullptr, {});
        // Read into memory (decompressed when compressed).
        auto read_in = [&]() -> Result<MessageData> {
            auto data = read_whole(fd, std::size_t(st.st_size));
            if (!data)
                return data.status();
            // Truncated meanwhile: NULs for the missing tail, as a mapping gives.
            data.value().resize(std::size_t(st.st_size), '\0');
            auto owned = std::make_shared<const std::string>(std::move(data.value()));
            std::string_view bytes(*owned);
            if (detect_compression(bytes.substr(0, 4)) == CompressFormat::none)
                return make_message_data(owned, bytes);
            auto plain = decompress(detect_compression(bytes.substr(0, 4)), bytes);
            if (!plain)
                return plain.status();
            auto buffer = std::make_shared<const std::string>(std::move(plain.value()));
            return make_message_data(buffer, std::string_view(*buffer));
        };
        // Most mail is small: reading it costs one pread, where a mapping
        // costs mmap, page faults and an munmap whose TLB shootdown
        // interrupts every CPU running a thread of the process (a POP3 or
        // IMAP worker reads thousands of messages in a row).
        if (std::size_t(st.st_size) <= kReadInsteadOfMap)
            return read_in();
        // A guarded read-only mapping: Maildir files are replaced by rename,
        // never rewritten, but one truncated by its owner while we read it
        // must give NULs, not a SIGBUS that kills every session of the
        // worker (index/mapping_guard.hpp). When no mapping can be had, the
        // file is read into memory.
        auto mapping = std::make_shared<index::GuardedMapping>(fd, std::size_t(st.st_size));
        if (mapping->address() == nullptr)
            return read_in();
        std::string_view bytes(mapping->address(), mapping->size());
        CompressFormat format = detect_compression(bytes.substr(0, 4));
        if (format == CompressFormat::none)
            return make_message_data(mapping, bytes);
        auto plain = decompress(format, bytes);
        if (!plain)
            return plain.status();
        auto buffer = std::make_shared<const std::string>(std::move(plain.value()));
        std::string_view view(*buffer);
        return make_message_data(buffer, view);
    } catch (const std::bad_alloc&) {
        return Status::io("reading a mail file: out of memory");
    }
}

} // namespace mailstore::storage
