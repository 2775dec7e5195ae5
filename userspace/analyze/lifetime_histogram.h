// attach: the lifetimes of a site's threads that ended, in bounded memory
// (a log-linear histogram: 16 buckets per power of two), for min/p50/p99/max.
#pragma once

#include <array>
#include <cstdint>
#include <optional>

#include "report/report.h"

namespace threadleak {

class LifetimeHistogram {
public:
    void add(uint64_t ns);
    uint64_t count() const { return count_; }
    /// nullopt when empty. min and max are exact; a percentile is the
    /// bucket's upper bound clamped to [min, max], within 1/16 of the truth.
    std::optional<Lifetimes> summary() const;

private:
    static constexpr int kSubBuckets = 16;
    static constexpr int kBuckets = 64 * kSubBuckets;
    std::array<uint64_t, kBuckets> buckets_{};
    uint64_t count_ = 0;
    uint64_t min_ = UINT64_MAX;
    uint64_t max_ = 0;
};

}  // namespace threadleak
