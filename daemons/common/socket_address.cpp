#include "socket_address.hpp"

#include <arpa/inet.h>
#include <algorithm>
#include <cstddef>
#include <cstring>
#include <netinet/in.h>
#include <sys/un.h>

namespace loft {

SocketAddress decode_sockaddr(const sockaddr* sa, socklen_t len) {
    SocketAddress out;
    char buf[INET6_ADDRSTRLEN] = {};
    if (sa->sa_family == AF_INET && len >= sizeof(sockaddr_in)) {
        auto* in = reinterpret_cast<const sockaddr_in*>(sa);
        inet_ntop(AF_INET, &in->sin_addr, buf, sizeof buf);
        out.ip = buf;
        out.port = ntohs(in->sin_port);
    } else if (sa->sa_family == AF_INET6 && len >= sizeof(sockaddr_in6)) {
        auto* in6 = reinterpret_cast<const sockaddr_in6*>(sa);
        if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr))
            inet_ntop(AF_INET, &in6->sin6_addr.s6_addr[12], buf, sizeof buf);
        else
            inet_ntop(AF_INET6, &in6->sin6_addr, buf, sizeof buf);
        out.ip = buf;
        out.port = ntohs(in6->sin6_port);
    } else if (sa->sa_family == AF_UNIX) {
        auto* un = reinterpret_cast<const sockaddr_un*>(sa);
        out.is_unix = true;
        size_t max = len > offsetof(sockaddr_un, sun_path) ? len - offsetof(sockaddr_un, sun_path) : 0;
        out.ip.assign(un->sun_path, strnlen(un->sun_path, std::min(max, sizeof un->sun_path)));
    }
    return out;
}

SocketAddress local_address(int fd) {
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0)
        return {};
    return decode_sockaddr(reinterpret_cast<sockaddr*>(&ss), len);
}

SocketAddress peer_address(int fd) {
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    if (getpeername(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0)
        return {};
    return decode_sockaddr(reinterpret_cast<sockaddr*>(&ss), len);
}

} // namespace loft
