// LatencyRecorder / Histogram: bucket boundaries and percentiles of known
// distributions within the histogram's 1% relative error.
#include <doctest/doctest.h>

#include "core/latency.hpp"

using loadgen::Histogram;

TEST_CASE("small values are counted exactly") {
    Histogram h;
    for (std::uint64_t v = 1; v <= 100; ++v)
        h.record(v);
    CHECK(h.count() == 100);
    CHECK(h.percentile(0.5) == 50);
    CHECK(h.percentile(0.99) == 99);
    CHECK(h.max() == 100);
}
