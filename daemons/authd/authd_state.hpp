// What every connection of loft-authd shares: the current Authenticator
// (replaced on SIGHUP; requests already running keep the one they started
// with), and the counters of the auth-client handshake.
#pragma once

#include <mailstore/auth/authenticator.hpp>

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

namespace authd {

class AuthdState {
public:
    explicit AuthdState(std::shared_ptr<const mailstore::auth::Authenticator> auth) : auth_(std::move(auth)) {}

    std::shared_ptr<const mailstore::auth::Authenticator> authenticator() const {
        std::lock_guard lock(mutex_);
        return auth_;
    }
    void replace(std::shared_ptr<const mailstore::auth::Authenticator> auth) {
        std::lock_guard lock(mutex_);
        auth_ = std::move(auth);
    }
    // CUID: a number for each auth-client connection, unique in this process.
    std::uint64_t next_client_id() { return ++client_ids_; }

private:
    mutable std::mutex mutex_;
    std::shared_ptr<const mailstore::auth::Authenticator> auth_;
    std::atomic<std::uint64_t> client_ids_{0};
};

} // namespace authd
