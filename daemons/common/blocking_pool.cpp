#include "blocking_pool.hpp"

namespace loft {

BlockingPool::BlockingPool(std::size_t threads, std::size_t max_queue) : max_queue_(max_queue) {
    if (threads == 0)
        threads = 1;
    threads_.reserve(threads);
    for (std::size_t i = 0; i < threads; ++i)
        threads_.emplace_back([this] { worker(); });
}

BlockingPool::~BlockingPool() { stop(); }

void BlockingPool::submit(std::unique_ptr<Job> job) {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        if (!stopping_ && queue_.size() < max_queue_) {
            queue_.push_back(std::move(job));
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

std::size_t BlockingPool::busy() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return busy_;
}

} // namespace loft
