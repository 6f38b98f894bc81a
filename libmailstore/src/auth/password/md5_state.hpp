// MD5 (RFC 1321) with its chaining state exposed, for HMAC-MD5 from a
// precomputed {CRAM-MD5} context. OpenSSL 3 deprecates its low-level MD5_*
// calls (and the build uses -Werror), so the compression function is here.
#pragma once

#include <mailstore/export.hpp>

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace mailstore::auth::password {

class MAILSTORE_INTERNAL_API Md5State {
public:
    // The RFC 1321 §3.3 initial state, nothing hashed yet.
    Md5State();
    // A state after `bytes_done` bytes (a multiple of 64) were hashed.
    Md5State(const std::array<std::uint32_t, 4>& words, std::uint64_t bytes_done);

    void update(std::string_view data);
    // The 16-byte digest (RFC 1321 §3.4-3.5); the state is spent afterwards.
    std::string finish();
    const std::array<std::uint32_t, 4>& words() const { return h_; }

private:
    void compress(const unsigned char* block);
    std::array<std::uint32_t, 4> h_;
    std::uint64_t length_ = 0; // bytes hashed so far
    unsigned char buffer_[64] = {};
    std::size_t buffered_ = 0;
};

} // namespace mailstore::auth::password
