// Latency statistics of the load generator: a log-bucket histogram in the
// spirit of HdrHistogram (fixed memory, relative error below 1%) and a
// recorder keeping one histogram per command name.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

namespace loadgen {

using Clock = std::chrono::steady_clock;

// Microseconds between two time points, never negative.
std::uint64_t elapsed_us(Clock::time_point start, Clock::time_point end);

// Values (microseconds) below 2^kSubBits are counted exactly; above, each
// power of two is split into 2^(kSubBits-1) equal buckets, so a bucket is at
// most 1/128 of its values wide and its midpoint is within 0.4% of any value
// in it. Values beyond 2^kMaxBits (about 13 days) are clamped. Memory is a
// fixed array of counters (about 36 KB), whatever the number of samples.
class Histogram {
public:
    static constexpr unsigned kSubBits = 8;
    static constexpr unsigned kMaxBits = 40;
    static constexpr std::size_t kHalf = std::size_t{1} << (kSubBits - 1);
    static constexpr std::size_t kBuckets =
        (std::size_t{1} << kSubBits) + (kMaxBits - kSubBits) * kHalf;

    void record(std::uint64_t value);
    void merge(const Histogram& other);

    std::uint64_t count() const { return count_; }
    std::uint64_t min() const { return count_ ? min_ : 0; }
    std::uint64_t max() const { return max_; }
    double mean() const;
    // The value at quantile q (0..1, e.g. 0.99): the representative value of
    // the bucket holding the ceil(q*count)-th smallest sample, clamped to
    // [min, max]. 0 when empty.
    std::uint64_t percentile(double q) const;

    static std::size_t bucket_of(std::uint64_t value);
    static std::uint64_t bucket_low(std::size_t bucket);
    static std::uint64_t bucket_high(std::size_t bucket); // inclusive

private:
    std::array<std::uint64_t, kBuckets> counts_{};
    std::uint64_t count_ = 0;
    std::uint64_t min_ = 0;
    std::uint64_t max_ = 0;
    long double sum_ = 0;
};

// One histogram per command name ("FETCH", "LOGIN", ...). The number of names
// is bounded (kMaxNames): recording a new name beyond it lands in "OTHER".
// Not thread-safe: one recorder per thread, merged at the end.
class LatencyRecorder {
public:
    static constexpr std::size_t kMaxNames = 64;

    void record(std::string_view name, std::uint64_t us);
    void record(std::string_view name, Clock::time_point start, Clock::time_point end) {
        record(name, elapsed_us(start, end));
    }
    void merge(const LatencyRecorder& other);

    const std::map<std::string, Histogram, std::less<>>& histograms() const { return hists_; }
    const Histogram* find(std::string_view name) const;
    std::uint64_t total_count() const;

    // {"NAME": {"count": n, "p50_us": n, "p99_us": n, "max_us": n}, ...}
    std::string to_json() const;

private:
    Histogram& slot(std::string_view name);
    std::map<std::string, Histogram, std::less<>> hists_;
};

} // namespace loadgen
