// Printing socket addresses the way logs and admin output show them.
#pragma once

#include <string>
#include <sys/socket.h>

namespace loft {

struct SocketAddress {
    std::string ip;     // "192.0.2.1", "2001:db8::1" (v4-mapped v6 shown as v4); unix: the path
    unsigned port = 0;  // 0 for unix sockets
    bool is_unix = false;
};

// Decode a sockaddr; an unknown family gives an empty ip.
SocketAddress decode_sockaddr(const sockaddr* sa, socklen_t len);
// getsockname()/getpeername() of `fd`, decoded.
SocketAddress local_address(int fd);
SocketAddress peer_address(int fd);

} // namespace loft
