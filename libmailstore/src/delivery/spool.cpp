// Spool: a received message in an unlinked temporary file of mail_temp_dir.
// O_TMPFILE makes a file that never has a name (nothing to clean up after a
// crash); file systems without it get mkstemp() and an immediate unlink().
// Appends are buffered (one write per 64 KiB), so LMTP's many small DATA
// lines cost few system calls; at most that buffer is in memory.
#include <mailstore/delivery.hpp>

#include <cerrno>
#include <cstring>
#include <string>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace mailstore::delivery {

namespace {

constexpr std::size_t buffer_limit = 65536;

Status spool_error(std::string_view what, std::string_view dir, int err) {
    return Status::io("mail_temp_dir " + std::string(dir) + ": " + std::string(what) + " failed: " +
                      std::strerror(err));
}

} // namespace

class Spool::Impl {
public:
    int fd = -1;
    std::string dir;
    std::uint64_t max_size = 0;
    std::uint64_t written = 0; // bytes in the file
    std::string buffer;        // bytes not yet written
    bool too_big = false;
    bool nul = false;
    bool eight_bit = false;
    std::uint64_t bare_lfs = 0;
    bool last_cr = false; // the last byte appended was CR (a CRLF may span two appends)

    ~Impl() {
        if (fd >= 0)
            ::close(fd);
    }

    std::uint64_t size() const { return written + buffer.size(); }

    void observe(std::string_view bytes) {
        for (unsigned char c : bytes) {
            if (c == 0)
                nul = true;
            else if (c >= 0x80)
                eight_bit = true;
            else if (c == '\n' && !last_cr)
                ++bare_lfs;
            last_cr = c == '\r';
        }
    }

    Status write(std::string_view bytes) {
        std::size_t done = 0;
        while (done < bytes.size()) {
            ssize_t n = ::pwrite(fd, bytes.data() + done, bytes.size() - done, off_t(written));
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0)
                return spool_error("write", dir, errno);
            done += std::size_t(n);
            written += std::uint64_t(n);
        }
        return Status::ok();
    }

    Status flush() {
        Status st = write(buffer);
        buffer.clear();
        return st;
    }
};

Result<Spool> Spool::create(std::string_view temp_dir, std::uint64_t max_size) {
    try {
        auto impl = std::make_unique<Impl>();
        impl->dir = temp_dir.empty() ? std::string("/tmp") : std::string(temp_dir);
        impl->max_size = max_size;
        impl->fd = ::open(impl->dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
        if (impl->fd < 0) {
            const int err = errno;
            // EOPNOTSUPP/EISDIR/EINVAL: the kernel or file system has no
            // O_TMPFILE; a missing or unwritable directory is an error
            // either way.
            if (err != EOPNOTSUPP && err != EISDIR && err != EINVAL)
                return spool_error("open(O_TMPFILE)", impl->dir, err);
            std::string tmpl = impl->dir + "/loft-spool.XXXXXX";
            impl->fd = ::mkostemp(tmpl.data(), O_CLOEXEC);
            if (impl->fd < 0)
                return spool_error("mkstemp", impl->dir, errno);
            ::unlink(tmpl.c_str());
        }
        impl->buffer.reserve(buffer_limit);
        return Spool(std::move(impl));
    } catch (const std::bad_alloc&) {
        return Status::io("spool: out of memory");
    }
}

Spool::Spool(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Spool::Spool(Spool&&) noexcept = default;
Spool& Spool::operator=(Spool&&) noexcept = default;
Spool::~Spool() = default;

Status Spool::append(std::string_view bytes) {
    Impl& s = *impl_;
    if (s.too_big)
        return Status::invalid("message exceeds the size limit of " + std::to_string(s.max_size) + " bytes");
    if (s.max_size != 0 && s.size() + bytes.size() > s.max_size) {
        // The limit is the protocol's (SIZE, lmtp/lda limits): keep nothing
        // beyond it; the caller answers 552 once the data has ended.
        s.too_big = true;
        return Status::invalid("message exceeds the size limit of " + std::to_string(s.max_size) + " bytes");
    }
    s.observe(bytes);
    if (s.buffer.size() + bytes.size() > buffer_limit) {
        if (auto st = s.flush(); !st)
            return st;
        if (bytes.size() >= buffer_limit)
            return s.write(bytes);
    }
    s.buffer.append(bytes);
    return Status::ok();
}

Status Spool::finish() {
    Impl& s = *impl_;
    if (auto st = s.flush(); !st)
        return st;
    // Readers may read() from the start as well as pread().
    if (::lseek(s.fd, 0, SEEK_SET) < 0)
        return spool_error("lseek", s.dir, errno);
    return Status::ok();
}

std::uint64_t Spool::size() const { return impl_->size(); }
bool Spool::too_big() const { return impl_->too_big; }
bool Spool::has_nul() const { return impl_->nul; }
bool Spool::has_8bit() const { return impl_->eight_bit; }
bool Spool::has_bare_lf() const { return impl_->bare_lfs != 0; }
std::uint64_t Spool::bare_lf_count() const { return impl_->bare_lfs; }
int Spool::fd() const { return impl_->fd; }

} // namespace mailstore::delivery
