#include "analyze/lifetime_histogram.h"

#include <algorithm>
#include <bit>

namespace threadleak {

namespace {

// Values below 32 have a bucket each (indexes 0..31). From 16 on, a power of
// two [2^e, 2^(e+1)) is cut into 16 buckets of width 2^(e-4), so a bucket's
// width is at most 1/16 of its lower bound: the bucket's upper bound is within
// 1/16 of any value in it. The top power (e = 63) ends at index 975 < kBuckets.
constexpr int kSubBits = 4;

int bucket_of(uint64_t v) {
    if (v < 16) return static_cast<int>(v);
    const int e = 63 - std::countl_zero(v);  // 4..63
    const int sub = static_cast<int>((v >> (e - kSubBits)) & 15);
    return (e - kSubBits + 1) * 16 + sub;
}

uint64_t upper_bound_of(int bucket) {
    if (bucket < 16) return static_cast<uint64_t>(bucket);
    const int e = bucket / 16 + kSubBits - 1;
    const uint64_t sub = static_cast<uint64_t>(bucket % 16);
    const uint64_t width = uint64_t{1} << (e - kSubBits);
    // For the last bucket, (16 + 15) * 2^59 + 2^59 - 1 = 2^64 - 1: no overflow.
    return (16 + sub) * width + (width - 1);
}

}  // namespace

void LifetimeHistogram::add(uint64_t ns) {
    static_assert((63 - kSubBits + 1) * 16 + 15 < kBuckets, "the top bucket fits");
    ++buckets_[bucket_of(ns)];
    ++count_;
    min_ = std::min(min_, ns);
    max_ = std::max(max_, ns);
}

std::optional<Lifetimes> LifetimeHistogram::summary() const {
    if (count_ == 0) return std::nullopt;
    // Nearest rank: the p-th percentile is the ceil(p * n)-th smallest value.
    // ceil(n - n * q) = n - floor(n * q) for integer n, which cannot overflow.
    const uint64_t rank50 = count_ - count_ / 2;
    const uint64_t rank99 = count_ - count_ / 100;
    auto at_rank = [&](uint64_t rank) {
        uint64_t seen = 0;
        for (int b = 0; b < kBuckets; ++b) {
            seen += buckets_[b];
            if (seen >= rank) return std::clamp(upper_bound_of(b), min_, max_);
        }
        return max_;  // not reached: the buckets hold count_ values
    };
    Lifetimes l;
    l.min_ns = min_;
    l.max_ns = max_;
    l.p50_ns = at_rank(rank50);
    l.p99_ns = at_rank(rank99);
    return l;
}

}  // namespace threadleak
