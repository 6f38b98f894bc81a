#include "blocking_pool.hpp"

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/strand.hpp>

#include <doctest/doctest.h>

#include <atomic>
#include <future>
#include <thread>

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
