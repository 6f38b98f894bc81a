// LatencyRecorder / Histogram: bucket boundaries and percentiles of known
// distributions within the histogram's 1% relative error, fixed memory.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "core/latency.hpp"

using loadgen::Histogram;
using loadgen::LatencyRecorder;

namespace {

// The exact q-quantile (nearest rank) of `v`.
std::uint64_t exact_quantile(std::vector<std::uint64_t> v, double q) {
    std::sort(v.begin(), v.end());
    auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(v.size())));
    return v[std::max<std::size_t>(rank, 1) - 1];
}

void check_close(std::uint64_t got, std::uint64_t want) {
    double err = std::fabs(static_cast<double>(got) - static_cast<double>(want)) /
                 std::max(1.0, static_cast<double>(want));
    INFO("got " << got << " want " << want);
    CHECK(err <= 0.01);
}

} // namespace

TEST_CASE("small values are counted exactly") {
    Histogram h;
    for (std::uint64_t v = 1; v <= 100; ++v)
        h.record(v);
    CHECK(h.count() == 100);
    CHECK(h.percentile(0.5) == 50);
    CHECK(h.percentile(0.99) == 99);
    CHECK(h.max() == 100);
    CHECK(h.min() == 1);
    CHECK(h.mean() == doctest::Approx(50.5));
}

TEST_CASE("buckets tile the value range and are at most 1/128 of their values wide") {
    std::uint64_t next = 0;
    for (std::size_t b = 0; b < Histogram::kBuckets; ++b) {
        REQUIRE(Histogram::bucket_low(b) == next);
        std::uint64_t hi = Histogram::bucket_high(b);
        REQUIRE(hi >= Histogram::bucket_low(b));
        REQUIRE(Histogram::bucket_of(Histogram::bucket_low(b)) == b);
        REQUIRE(Histogram::bucket_of(hi) == b);
        if (Histogram::bucket_low(b) >= 256)
            REQUIRE(static_cast<double>(hi - Histogram::bucket_low(b) + 1) /
                        static_cast<double>(Histogram::bucket_low(b)) <= 1.0 / 128);
        next = hi + 1;
    }
    CHECK(next == (std::uint64_t{1} << Histogram::kMaxBits));
    // Beyond the range: clamped into the last bucket, max kept exactly.
    Histogram h;
    h.record(std::uint64_t{1} << 50);
    CHECK(h.max() == (std::uint64_t{1} << 50));
    CHECK(Histogram::bucket_of(std::uint64_t{1} << 50) == Histogram::kBuckets - 1);
}

TEST_CASE("percentiles of a uniform and a log-normal distribution within 1%") {
    std::mt19937_64 rng(42);
    std::vector<std::uint64_t> uniform, lognormal;
    std::uniform_int_distribution<std::uint64_t> u(1, 1'000'000);
    std::lognormal_distribution<double> ln(7.0, 1.5); // median ~1100 us, long tail
    Histogram hu, hl;
    for (int i = 0; i < 200'000; ++i) {
        uniform.push_back(u(rng));
        hu.record(uniform.back());
        lognormal.push_back(static_cast<std::uint64_t>(ln(rng)) + 1);
        hl.record(lognormal.back());
    }
    for (double q : {0.5, 0.9, 0.99, 0.999}) {
        check_close(hu.percentile(q), exact_quantile(uniform, q));
        check_close(hl.percentile(q), exact_quantile(lognormal, q));
    }
    CHECK(hl.max() == *std::max_element(lognormal.begin(), lognormal.end()));
    CHECK(hu.percentile(1.0) <= hu.max());
}

TEST_CASE("a bimodal distribution: p50 in the fast mode, p99 in the slow one") {
    Histogram h;
    for (int i = 0; i < 980; ++i)
        h.record(100);
    for (int i = 0; i < 20; ++i)
        h.record(50'000);
    CHECK(h.percentile(0.5) == 100);
    CHECK(h.percentile(0.98) == 100);
    check_close(h.percentile(0.99), 50'000);
}

TEST_CASE("merge equals recording everything in one histogram") {
    Histogram a, b, all;
    for (std::uint64_t v = 1; v < 100'000; v += 7) {
        (v % 2 ? a : b).record(v);
        all.record(v);
    }
    a.merge(b);
    CHECK(a.count() == all.count());
    CHECK(a.min() == all.min());
    CHECK(a.max() == all.max());
    for (double q : {0.1, 0.5, 0.99})
        CHECK(a.percentile(q) == all.percentile(q));
}

TEST_CASE("memory is fixed whatever the number of samples") {
    // A fixed array: the same size for one sample and for a million.
    CHECK(sizeof(Histogram) < 40 * 1024);
    Histogram h;
    for (int i = 0; i < 1'000'000; ++i)
        h.record(static_cast<std::uint64_t>(i));
    CHECK(h.count() == 1'000'000);
}

TEST_CASE("LatencyRecorder: per-name histograms, JSON, bounded names") {
    LatencyRecorder r;
    r.record("FETCH", 100);
    r.record("FETCH", 300);
    r.record("LOGIN", 2000);
    LatencyRecorder other;
    other.record("FETCH", 200);
    r.merge(other);
    CHECK(r.total_count() == 4);
    CHECK(r.find("FETCH")->count() == 3);
    CHECK(r.to_json() ==
          "{\"FETCH\": {\"count\": 3, \"p50_us\": 200, \"p99_us\": 300, \"max_us\": 300}, "
          "\"LOGIN\": {\"count\": 1, \"p50_us\": 2000, \"p99_us\": 2000, \"max_us\": 2000}}");
    for (int i = 0; i < 100; ++i)
        r.record("CMD" + std::to_string(i), 1);
    CHECK(r.histograms().size() <= LatencyRecorder::kMaxNames + 1);
    CHECK(r.find("OTHER") != nullptr);
}
