#include "latency.hpp"

#include <algorithm>
#include <bit>
#include <cmath>

#include "json.hpp"

namespace loadgen {

std::uint64_t elapsed_us(Clock::time_point start, Clock::time_point end) {
    if (end <= start)
        return 0;
    return static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::microseconds>(end - start).count());
}

std::size_t Histogram::bucket_of(std::uint64_t value) {
    constexpr std::uint64_t kTop = (std::uint64_t{1} << kMaxBits) - 1;
    if (value > kTop)
        value = kTop;
    if (value < (std::uint64_t{1} << kSubBits))
        return static_cast<std::size_t>(value);
    // value in [2^b, 2^(b+1)), b >= kSubBits: shift so kSubBits bits remain,
    // the top one always set, leaving kSubBits-1 bits of resolution.
    unsigned b = static_cast<unsigned>(std::bit_width(value)) - 1;
    unsigned shift = b - (kSubBits - 1);
    std::size_t sub = static_cast<std::size_t>(value >> shift) - kHalf;
    return (std::size_t{1} << kSubBits) + (shift - 1) * kHalf + sub;
}

std::uint64_t Histogram::bucket_low(std::size_t bucket) {
    if (bucket < (std::size_t{1} << kSubBits))
        return bucket;
    std::size_t rel = bucket - (std::size_t{1} << kSubBits);
    unsigned shift = static_cast<unsigned>(rel / kHalf) + 1;
    std::uint64_t sub = kHalf + rel % kHalf;
    return sub << shift;
}

std::uint64_t Histogram::bucket_high(std::size_t bucket) {
    if (bucket < (std::size_t{1} << kSubBits))
        return bucket;
    std::size_t rel = bucket - (std::size_t{1} << kSubBits);
    unsigned shift = static_cast<unsigned>(rel / kHalf) + 1;
    return bucket_low(bucket) + (std::uint64_t{1} << shift) - 1;
}

void Histogram::record(std::uint64_t value) {
    ++counts_[bucket_of(value)];
    if (count_ == 0 || value < min_)
        min_ = value;
    if (value > max_)
        max_ = value;
    ++count_;
    sum_ += static_cast<long double>(value);
}

void Histogram::merge(const Histogram& other) {
    if (other.count_ == 0)
        return;
    for (std::size_t i = 0; i < kBuckets; ++i)
        counts_[i] += other.counts_[i];
    if (count_ == 0 || other.min_ < min_)
        min_ = other.min_;
    max_ = std::max(max_, other.max_);
    count_ += other.count_;
    sum_ += other.sum_;
}

double Histogram::mean() const {
    return count_ ? static_cast<double>(sum_ / static_cast<long double>(count_)) : 0.0;
}

std::uint64_t Histogram::percentile(double q) const {
    if (count_ == 0)
        return 0;
    q = std::clamp(q, 0.0, 1.0);
    auto rank = static_cast<std::uint64_t>(std::ceil(q * static_cast<double>(count_)));
    rank = std::clamp<std::uint64_t>(rank, 1, count_);
    std::uint64_t seen = 0;
    for (std::size_t i = 0; i < kBuckets; ++i) {
        seen += counts_[i];
        if (seen >= rank) {
            std::uint64_t lo = bucket_low(i);
            std::uint64_t hi = bucket_high(i);
            std::uint64_t mid = lo + (hi - lo) / 2;
            return std::clamp(mid, min_, max_);
        }
    }
    return max_;
}

Histogram& LatencyRecorder::slot(std::string_view name) {
    auto it = hists_.find(name);
    if (it != hists_.end())
        return it->second;
    if (hists_.size() >= kMaxNames)
        name = "OTHER";
    return hists_[std::string(name)];
}

void LatencyRecorder::record(std::string_view name, std::uint64_t us) {
    slot(name).record(us);
}

void LatencyRecorder::merge(const LatencyRecorder& other) {
    for (const auto& [name, h] : other.hists_)
        slot(name).merge(h);
}

const Histogram* LatencyRecorder::find(std::string_view name) const {
    auto it = hists_.find(name);
    return it == hists_.end() ? nullptr : &it->second;
}

std::uint64_t LatencyRecorder::total_count() const {
    std::uint64_t n = 0;
    for (const auto& entry : hists_)
        n += entry.second.count();
    return n;
}

std::string LatencyRecorder::to_json() const {
    std::string out = "{";
    bool first = true;
    for (const auto& [name, h] : hists_) {
        if (!first)
            out += ", ";
        first = false;
        out += json_string(name);
        out += ": {\"count\": " + std::to_string(h.count()) +
               ", \"p50_us\": " + std::to_string(h.percentile(0.50)) +
               ", \"p99_us\": " + std::to_string(h.percentile(0.99)) +
               ", \"max_us\": " + std::to_string(h.max()) + "}";
    }
    out += "}";
    return out;
}

} // namespace loadgen
