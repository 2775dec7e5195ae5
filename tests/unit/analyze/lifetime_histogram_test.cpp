// Lifetimes in a log-linear histogram: min and max exact, p50 and p99 within
// 1/16 of the exact nearest-rank percentiles, over the whole uint64 range.
#include "analyze/lifetime_histogram.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <vector>

using namespace threadleak;

namespace {

/// The nearest-rank percentile: the ceil(p * n)-th smallest value.
uint64_t exact_percentile(std::vector<uint64_t> v, uint64_t rank) {
    std::nth_element(v.begin(), v.begin() + (rank - 1), v.end());
    return v[rank - 1];
}

/// The histogram's answer is never below the truth and above it by at most 1/16 of it.
void expect_within_a_sixteenth(uint64_t got, uint64_t exact, const char* what) {
    EXPECT_GE(got, exact) << what;
    EXPECT_LE(got - exact, exact / 16) << what << ": " << got << " for " << exact;
}

}  // namespace

TEST(LifetimeHistogramTest, EmptyHasNoSummary) {
    LifetimeHistogram h;
    EXPECT_EQ(h.count(), 0u);
    EXPECT_FALSE(h.summary());
}

TEST(LifetimeHistogramTest, SmallValuesAreExact) {
    LifetimeHistogram h;
    for (uint64_t v = 0; v < 32; ++v) h.add(v);
    const Lifetimes l = *h.summary();
    EXPECT_EQ(l.min_ns, 0u);
    EXPECT_EQ(l.p50_ns, 15u);  // the 16th of 32
    EXPECT_EQ(l.p99_ns, 31u);  // the 32nd: ceil(0.99 * 32)
    EXPECT_EQ(l.max_ns, 31u);
}

TEST(LifetimeHistogramTest, ZeroAndUint64MaxAreTheirOwnPercentiles) {
    LifetimeHistogram h;
    h.add(0);
    h.add(UINT64_MAX);
    Lifetimes l = *h.summary();
    EXPECT_EQ(l.min_ns, 0u);
    EXPECT_EQ(l.p50_ns, 0u);
    EXPECT_EQ(l.p99_ns, UINT64_MAX);
    EXPECT_EQ(l.max_ns, UINT64_MAX);

    LifetimeHistogram top;
    top.add(UINT64_MAX);
    top.add(UINT64_MAX - 1);
    l = *top.summary();
    EXPECT_EQ(l.min_ns, UINT64_MAX - 1);
    EXPECT_EQ(l.p50_ns, UINT64_MAX) << "both in the top bucket, whose bound is UINT64_MAX";
    EXPECT_EQ(l.max_ns, UINT64_MAX);
}

TEST(LifetimeHistogramTest, OneValueIsEveryStatistic) {
    for (uint64_t v : {uint64_t{0}, uint64_t{1}, uint64_t{1000003}, UINT64_MAX}) {
        LifetimeHistogram h;
        h.add(v);
        const Lifetimes l = *h.summary();
        EXPECT_EQ(l.min_ns, v);
        EXPECT_EQ(l.p50_ns, v) << "clamped to [min, max]";
        EXPECT_EQ(l.p99_ns, v);
        EXPECT_EQ(l.max_ns, v);
    }
}

TEST(LifetimeHistogramTest, PercentilesOfRandomValuesAreWithinASixteenthOfTheExactOnes) {
    std::mt19937_64 random(20261203);
    for (size_t n : {1, 2, 3, 99, 100, 101, 1000, 20011}) {
        for (int shape = 0; shape < 3; ++shape) {
            std::vector<uint64_t> values;
            for (size_t i = 0; i < n; ++i) {
                uint64_t v = random();
                if (shape == 0) v >>= random() % 64;                 // every magnitude
                if (shape == 1) v = 1'000'000 + v % 50'000'000;      // lifetimes of 1 to 51 ms
                if (shape == 2) v = i % 10 == 0 ? UINT64_MAX : v % 4;  // the extremes, with ties
                values.push_back(v);
            }
            LifetimeHistogram h;
            for (uint64_t v : values) h.add(v);
            ASSERT_EQ(h.count(), n);
            const Lifetimes l = *h.summary();
            EXPECT_EQ(l.min_ns, *std::min_element(values.begin(), values.end()));
            EXPECT_EQ(l.max_ns, *std::max_element(values.begin(), values.end()));
            SCOPED_TRACE(testing::Message() << n << " values, shape " << shape);
            expect_within_a_sixteenth(l.p50_ns, exact_percentile(values, (n + 1) / 2), "p50");
            expect_within_a_sixteenth(l.p99_ns, exact_percentile(values, (99 * n + 99) / 100), "p99");
        }
    }
}
