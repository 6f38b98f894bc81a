// SpooledData (an APPEND literal kept in an unlinked temporary file) and the
// SpoolWriter that fills one as the octets arrive, so a large message never
// sits in memory.
#include "parser_state.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

namespace imapproto {

SpooledData::SpooledData(int fd, std::uint64_t size) : fd_(fd), size_(size) {}

SpooledData::~SpooledData()
{
    if (fd_ >= 0)
        ::close(fd_);
}

std::uint64_t Arg::size() const
{
    if (spool)
        return spool->size();
    return text.size();
}

} // namespace imapproto

namespace imapproto::parser {
namespace {

// Writes go out in pieces of this size: small feeds do not cost a system
// call each, and the buffer stays far below the literal sizes spooled.
constexpr std::size_t stage_size = 64 * 1024;

std::string errno_text(int err)
{
    if (err == ENOSPC || err == EDQUOT)
        return "not enough disk space";
    return std::strerror(err);
}

} // namespace

SpoolWriter::~SpoolWriter() { discard(); }

bool SpoolWriter::open(const std::string& dir, std::string& error)
{
    discard();
#ifdef O_TMPFILE
    // An unnamed file: nothing to clean up if the process dies.
    fd_ = ::open(dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
#endif
    if (fd_ < 0) {
        // File systems without O_TMPFILE: a named file, unlinked at once.
        std::string path = dir + "/loft-append.XXXXXX";
        fd_ = ::mkostemp(path.data(), O_CLOEXEC);
        if (fd_ < 0) {
            error = "cannot create a temporary file in " + dir + ": " + errno_text(errno);
            return false;
        }
        ::unlink(path.c_str());
    }
    return true;
}

bool SpoolWriter::flush(std::string& error)
{
    std::size_t off = 0;
    while (off < staged_.size()) {
        ssize_t n = ::write(fd_, staged_.data() + off, staged_.size() - off);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            error = "cannot write the message to a temporary file: " + errno_text(errno);
            return false;
        }
        off += static_cast<std::size_t>(n);
    }
    staged_.clear();
    return true;
}

bool SpoolWriter::write(std::string_view bytes, std::string& error)
{
    if (staged_.capacity() < stage_size)
        staged_.reserve(stage_size);
    while (!bytes.empty()) {
        std::size_t take = std::min(bytes.size(), stage_size - staged_.size());
        staged_.append(bytes.substr(0, take));
        bytes.remove_prefix(take);
        if (staged_.size() == stage_size && !flush(error))
            return false;
    }
    return true;
}

std::shared_ptr<const SpooledData> SpoolWriter::finish(std::uint64_t size, std::string& error)
{
    if (!flush(error))
        return nullptr;
    if (::lseek(fd_, 0, SEEK_SET) < 0) {
        error = std::string("cannot rewind the temporary file: ") + std::strerror(errno);
        return nullptr;
    }
    auto data = std::make_shared<const SpooledData>(fd_, size);
    fd_ = -1;
    std::string().swap(staged_);
    return data;
}

void SpoolWriter::discard()
{
    if (fd_ >= 0)
        ::close(fd_);
    fd_ = -1;
    std::string().swap(staged_);
}

} // namespace imapproto::parser
