// Running a client coroutine of the load generator to completion in a test.
#pragma once

#include <asio/awaitable.hpp>
#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>

#include <exception>
#include <functional>
#include <string>

#include "core/protocol_error.hpp"

namespace loadgen_test {

using ClientBody = std::function<asio::awaitable<void>(asio::io_context&)>;

// Runs `body` as a coroutine on a fresh io_context; rethrows what it threw.
inline void run_client(ClientBody body) {
    asio::io_context io;
    std::exception_ptr failure;
    asio::co_spawn(io, body(io), [&](std::exception_ptr e) { failure = e; });
    io.run();
    if (failure)
        std::rethrow_exception(failure);
}

// The message of the ProtocolError `body` throws ("" when none).
inline std::string protocol_error_of(ClientBody body) {
    try {
        run_client(std::move(body));
    } catch (const loadgen::ProtocolError& e) {
        return e.what();
    }
    return "";
}

} // namespace loadgen_test
