// MessageData: a message's bytes kept alive by a read-only mapping of its
// file or by a decompressed buffer, split into header and body.
#include "storage/backend.hpp"
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

struct Mapping {
    void* address = nullptr;
    std::size_t size = 0;
    ~Mapping() {
        if (address)
            munmap(address, size);
    }
};

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
        auto mapping = std::make_shared<Mapping>();
        mapping->size = std::size_t(st.st_size);
        // MAP_PRIVATE: a writer replacing the file cannot change what a
        // reader already holds in a way it could notice mid-parse.
        void* address = mmap(nullptr, mapping->size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (address == MAP_FAILED)
            return Status::io(std::string("mmap of a mail file failed: ") + std::strerror(errno));
        mapping->address = address;
        std::string_view bytes(static_cast<const char*>(address), mapping->size);
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
