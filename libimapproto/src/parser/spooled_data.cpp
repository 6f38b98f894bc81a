// SpooledData: an APPEND literal kept in an unlinked temporary file.
#include <imapproto/command_parser.hpp>

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
