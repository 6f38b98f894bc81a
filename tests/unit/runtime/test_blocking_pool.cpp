#include "blocking_pool.hpp"

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/strand.hpp>

#include <doctest/doctest.h>

#include <atomic>
#include <functional>
#include <future>
#include <thread>

#include <poll.h>

using namespace loft;

TEST_CASE("run() returns the value on the caller's strand, off the I/O thread") {
    asio::io_context io;
    BlockingPool pool(2, 16);
    auto strand = asio::make_strand(io);
    std::thread::id io_thread, job_thread, resumed_thread;
    bool on_strand = false;
    int value = 0;
    asio::co_spawn(
        strand,
        [&]() -> asio::awaitable<void> {
            io_thread = std::this_thread::get_id();
            value = co_await pool.run([&] {
                job_thread = std::this_thread::get_id();
                return 42;
            });
            resumed_thread = std::this_thread::get_id();
            on_strand = strand.running_in_this_thread();
        },
        asio::detached);
    io.run();
    CHECK(value == 42);
    CHECK(job_thread != io_thread);
    CHECK(resumed_thread == io_thread);
    CHECK(on_strand);
}

TEST_CASE("exceptions from the job reach the awaiting coroutine; void jobs work") {
    asio::io_context io;
    BlockingPool pool(1, 4);
    std::string caught;
    bool ran = false;
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
            co_await pool.run([&] { ran = true; });
            try {
                co_await pool.run([]() -> int { throw std::runtime_error("disk on fire"); });
            } catch (const std::exception& e) {
                caught = e.what();
            }
        },
        asio::detached);
    io.run();
    CHECK(ran);
    CHECK(caught == "disk on fire");
}

TEST_CASE("a full queue refuses work instead of growing") {
    asio::io_context io;
    BlockingPool pool(1, 1);
    std::promise<void> release;
    std::shared_future<void> gate = release.get_future().share();
    std::atomic<int> started{0};
    int refused = 0, done = 0;
    auto spawn_one = [&] {
        asio::co_spawn(
            io,
            [&]() -> asio::awaitable<void> {
                try {
                    co_await pool.run([&] {
                        ++started;
                        gate.wait();
                    });
                    ++done;
                } catch (const BlockingPoolFull&) {
                    ++refused;
                }
            },
            asio::detached);
    };
    spawn_one();
    io.poll();
    while (started.load() == 0) // the only worker is now busy
        std::this_thread::yield();
    for (int i = 0; i < 3; ++i)
        spawn_one(); // one waits in the queue, two are refused
    io.restart();
    io.poll();
    release.set_value();
    io.restart();
    io.run();
    CHECK(refused == 2);
    CHECK(done == 2);
}

namespace {

// Runs `lingerer` as a pool job, then (once it said it lingers) a second
// job; returns when both are done.
void linger_then_submit(BlockingPool& pool, std::function<void(std::promise<void>&, std::future<void>&)> lingerer) {
    asio::io_context io;
    std::promise<void> lingering;
    std::promise<void> second_done;
    std::future<void> second_done_future = second_done.get_future();
    asio::co_spawn(
        io, [&]() -> asio::awaitable<void> { co_await pool.run([&] { lingerer(lingering, second_done_future); }); },
        asio::detached);
    std::thread io_thread([&] { io.run(); });
    lingering.get_future().wait();
    asio::co_spawn(
        io, [&]() -> asio::awaitable<void> { co_await pool.run([&] { second_done.set_value(); }); },
        asio::detached);
    io_thread.join();
}

} // namespace

TEST_CASE("wake_fd: a lingering job learns at once of work that no idle thread takes") {
    BlockingPool pool(1, 16);
    const int wake = pool.wake_fd();
    REQUIRE(wake >= 0);
    int polled = -1;
    linger_then_submit(pool, [&](std::promise<void>& lingering, std::future<void>&) {
        pool.linger_begin();
        lingering.set_value();
        pollfd p{wake, POLLIN, 0};
        polled = ::poll(&p, 1, 60000); // 0 (a timeout) fails the test
        pool.linger_end();
    });
    CHECK(polled == 1);
    // The queue drained: the descriptor is quiet again.
    pollfd p{wake, POLLIN, 0};
    CHECK(::poll(&p, 1, 0) == 0);
}

TEST_CASE("wake_fd: work an idle thread takes does not end a linger") {
    BlockingPool pool(2, 16);
    const int wake = pool.wake_fd();
    REQUIRE(wake >= 0);
    int polled = -1;
    linger_then_submit(pool, [&](std::promise<void>& lingering, std::future<void>& second_done) {
        pool.linger_begin();
        lingering.set_value();
        second_done.wait(); // ran on the other thread
        pollfd p{wake, POLLIN, 0};
        polled = ::poll(&p, 1, 0);
        pool.linger_end();
    });
    CHECK(polled == 0);
}
