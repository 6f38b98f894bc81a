#include "blocking_pool.hpp"

#include <cstdint>
#include <sys/eventfd.h>
#include <unistd.h>

namespace loft {

BlockingPool::BlockingPool(std::size_t threads, std::size_t max_queue) : max_queue_(max_queue) {
    if (threads == 0)
        threads = 1;
    thread_count_ = threads;
    threads_.reserve(threads);
    for (std::size_t i = 0; i < threads; ++i)
        threads_.emplace_back([this] { worker(); });
}

BlockingPool::~BlockingPool() {
    stop();
    if (wake_fd_ >= 0)
        ::close(wake_fd_);
}

int BlockingPool::wake_fd() {
    std::lock_guard<std::mutex> lock(mutex_);
    if (wake_fd_ < 0)
        wake_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    return wake_fd_;
}

void BlockingPool::linger_begin() {
    std::lock_guard<std::mutex> lock(mutex_);
    ++lingering_;
    signal_locked(); // work queued just before counts too
}

void BlockingPool::linger_end() {
    std::lock_guard<std::mutex> lock(mutex_);
    if (lingering_ > 0)
        --lingering_;
}

std::size_t BlockingPool::unserved_locked() const {
    const std::size_t idle = thread_count_ > busy_ ? thread_count_ - busy_ : 0;
    return queue_.size() > idle ? queue_.size() - idle : 0;
}

void BlockingPool::signal_locked() {
    // An idle thread takes the job as soon as it gets a CPU: no need to end
    // a linger for it. Only work beyond the idle threads needs a lingerer's.
    if (wake_fd_ < 0 || signalled_ || lingering_ == 0 || unserved_locked() == 0)
        return;
    const std::uint64_t one = 1;
    if (::write(wake_fd_, &one, sizeof one) == static_cast<ssize_t>(sizeof one))
        signalled_ = true;
}

void BlockingPool::unsignal_locked() {
    if (!signalled_ || !queue_.empty())
        return;
    std::uint64_t count = 0;
    if (::read(wake_fd_, &count, sizeof count) == static_cast<ssize_t>(sizeof count))
        signalled_ = false;
}

void BlockingPool::submit(std::unique_ptr<Job> job) {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        if (!stopping_ && queue_.size() < max_queue_) {
            queue_.push_back(std::move(job));
            signal_locked();
            cv_.notify_one();
            return;
        }
    }
    job->run(false);
}

void BlockingPool::worker() {
    for (;;) {
        std::unique_ptr<Job> job;
        {
            std::unique_lock<std::mutex> lock(mutex_);
            cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
            if (queue_.empty())
                return; // stopping and drained
            job = std::move(queue_.front());
            queue_.pop_front();
            ++busy_;
            unsignal_locked();
        }
        job->run(true);
        job.reset();
        std::lock_guard<std::mutex> lock(mutex_);
        --busy_;
    }
}

void BlockingPool::stop() {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        if (stopping_ && threads_.empty())
            return;
        stopping_ = true;
    }
    cv_.notify_all();
    for (auto& t : threads_)
        if (t.joinable() && t.get_id() != std::this_thread::get_id())
            t.join();
    threads_.clear();
}

std::size_t BlockingPool::queued() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return queue_.size();
}

std::size_t BlockingPool::unserved() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return unserved_locked();
}

std::size_t BlockingPool::busy() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return busy_;
}

} // namespace loft
