// A fixed set of threads for work that may block (storage, auth, DNS): I/O
// threads hand such calls over with `co_await pool.run(fn)` and resume on the
// coroutine's own executor (the connection's strand) when fn is done. The
// queue is bounded: when it is full, run() fails with BlockingPoolFull at once
// instead of letting memory grow under overload.
#pragma once

#include <asio/any_io_executor.hpp>
#include <asio/async_result.hpp>
#include <asio/executor_work_guard.hpp>
#include <asio/post.hpp>
#include <asio/use_awaitable.hpp>

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>
#include <type_traits>
#include <vector>

namespace loft {

class BlockingPoolFull : public std::runtime_error {
public:
    BlockingPoolFull() : std::runtime_error("blocking pool queue is full") {}
};

class BlockingPool {
public:
    // `threads` workers, at most `max_queue` jobs waiting.
    BlockingPool(std::size_t threads, std::size_t max_queue);
    ~BlockingPool(); // stop() + join
    BlockingPool(const BlockingPool&) = delete;
    BlockingPool& operator=(const BlockingPool&) = delete;

    // Run `fn()` on a pool thread; the awaiting coroutine resumes on its own
    // executor with the result, or the exception fn threw.
    template <typename F>
    auto run(F fn) -> asio::awaitable<std::invoke_result_t<F&>>;

    // Finish queued jobs, then join the threads. Later run() calls fail.
    void stop();

    std::size_t queued() const;
    std::size_t busy() const;
    // Jobs queued beyond what the idle threads will take: work that waits
    // for a busy thread. On a loaded machine a job sits in the queue for a
    // while even with idle threads (they wait for a CPU before they take
    // it), so queued() > 0 does not mean the pool is short of threads; this
    // does. A job that would hold its thread waiting on a client gives it up
    // when this is above zero (the condition wake_fd() signals).
    std::size_t unserved() const;

    // For jobs that wait on a socket for a short while before returning (a
    // lingering loft-pop3d session): between linger_begin() and
    // linger_end() the descriptor of wake_fd() is readable whenever a job
    // waits that no idle thread will take, so the waiting job can poll it
    // with its socket and give its thread up at once. -1: not available
    // (eventfd failed); such jobs then rely on checking queued().
    int wake_fd();
    void linger_begin();
    void linger_end();

private:
    struct Job {
        virtual ~Job() = default;
        // execute=false: the job was refused (queue full, pool stopped).
        virtual void run(bool execute) = 0;
    };
    template <typename Fn>
    struct JobImpl final : Job {
        explicit JobImpl(Fn f) : fn(std::move(f)) {}
        void run(bool execute) override { fn(execute); }
        Fn fn;
    };

    template <typename R, typename Value>
    static asio::awaitable<R> unwrap(asio::awaitable<Value> pending);

    // Queue `job`, or refuse it (job->run(false)) when full or stopped.
    void submit(std::unique_ptr<Job> job);
    void worker();
    // Under mutex_: raise wake_fd when a lingering job holds a thread that
    // queued work needs; lower it once the queue is empty.
    void signal_locked();
    std::size_t unserved_locked() const;
    void unsignal_locked();

    mutable std::mutex mutex_;
    std::condition_variable cv_;
    std::deque<std::unique_ptr<Job>> queue_;
    std::vector<std::thread> threads_;
    std::size_t max_queue_;
    std::size_t busy_ = 0;
    std::size_t thread_count_ = 0;
    bool stopping_ = false;
    int wake_fd_ = -1;      // eventfd, made by the first wake_fd() call
    bool signalled_ = false; // wake_fd_ holds a count (is readable)
    std::size_t lingering_ = 0;
};

template <typename F>
auto BlockingPool::run(F fn) -> asio::awaitable<std::invoke_result_t<F&>> {
    // Not a coroutine itself: GCC 12 double-destroys by-value parameters
    // moved into lambdas inside a coroutine frame. The job is handed over
    // here; only the unwrapping of the result is a coroutine.
    using R = std::invoke_result_t<F&>;
    // The value travels as optional<R> so R need not be default-constructible.
    using Value = std::conditional_t<std::is_void_v<R>, bool, std::optional<R>>;
    auto initiation = [this](auto handler, F f) {
        auto work = asio::make_work_guard(asio::get_associated_executor(handler));
        auto job = [handler = std::move(handler), work = std::move(work), f = std::move(f)](bool execute) mutable {
            std::exception_ptr error;
            Value value{};
            if (!execute) {
                error = std::make_exception_ptr(BlockingPoolFull());
            } else {
                try {
                    if constexpr (std::is_void_v<R>) {
                        f();
                        value = true;
                    } else {
                        value.emplace(f());
                    }
                } catch (...) {
                    error = std::current_exception();
                }
            }
            auto ex = work.get_executor();
            work.reset();
            asio::post(ex, [handler = std::move(handler), error, value = std::move(value)]() mutable {
                handler(error, std::move(value));
            });
        };
        submit(std::make_unique<JobImpl<decltype(job)>>(std::move(job)));
    };
    return unwrap<R>(asio::async_initiate<decltype(asio::use_awaitable), void(std::exception_ptr, Value)>(
        std::move(initiation), asio::use_awaitable, std::move(fn)));
}

template <typename R, typename Value>
asio::awaitable<R> BlockingPool::unwrap(asio::awaitable<Value> pending) {
    auto value = co_await std::move(pending);
    if constexpr (!std::is_void_v<R>)
        co_return std::move(*value);
}

} // namespace loft
