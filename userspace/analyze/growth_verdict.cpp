#include "analyze/growth_verdict.h"

#include <algorithm>

namespace threadleak {

namespace {

using Count = uint64_t SitePoint::*;

constexpr double kNsPerMinute = 60e9;
constexpr double kMinutesPerDay = 24 * 60;

/// Ordinary least squares of the count against time, in threads per minute;
/// nullopt with fewer than 2 points or when every point has the same time.
/// Centred sums, times relative to the first point: no precision lost to
/// large t_ns.
std::optional<double> slope_per_min(const std::vector<SitePoint>& s, Count count) {
    if (s.size() < 2) return std::nullopt;
    const double n = static_cast<double>(s.size());
    double mean_x = 0, mean_y = 0;
    for (const SitePoint& p : s) {
        mean_x += static_cast<double>(p.t_ns - s.front().t_ns) / kNsPerMinute;
        mean_y += static_cast<double>(p.*count);
    }
    mean_x /= n;
    mean_y /= n;
    double sxx = 0, sxy = 0;
    for (const SitePoint& p : s) {
        const double dx = static_cast<double>(p.t_ns - s.front().t_ns) / kNsPerMinute - mean_x;
        sxx += dx * dx;
        sxy += dx * (static_cast<double>(p.*count) - mean_y);
    }
    if (sxx == 0) return std::nullopt;
    return sxy / sxx;
}

/// The time each point stands for: half the interval on each side, and the
/// whole one neighbouring interval at the ends. Uniform spacing gives every
/// point the same weight. Seconds, so that products of weights stay small.
std::vector<double> time_weights(const std::vector<SitePoint>& s) {
    std::vector<double> w(s.size(), 0);
    if (s.size() < 2) return w;
    auto gap = [&](size_t i) { return static_cast<double>(s[i + 1].t_ns - s[i].t_ns) / 1e9; };
    const size_t last = s.size() - 1;
    w[0] = gap(0);
    w[last] = gap(last - 1);
    for (size_t i = 1; i < last; ++i) w[i] = (gap(i - 1) + gap(i)) / 2;
    return w;
}

/// Fenwick tree of weights summed by count rank: O(log n) per point.
class WeightByRank {
public:
    explicit WeightByRank(size_t ranks) : tree_(ranks + 1, 0) {}
    void add(size_t rank, double w) {
        for (size_t i = rank + 1; i < tree_.size(); i += i & -i) tree_[i] += w;
    }
    /// Weight of the ranks below `rank`.
    double below(size_t rank) const {
        double sum = 0;
        for (size_t i = rank; i > 0; i -= i & -i) sum += tree_[i];
        return sum;
    }

private:
    std::vector<double> tree_;
};

struct Trend {
    Count count;
    std::optional<double> slope;
    bool rises = false;
};

Trend judge_series(const std::vector<SitePoint>& s, Count count, bool few_exited, const GrowthRule& rule) {
    Trend t{count, slope_per_min(s, count)};
    if (!few_exited || s.empty() || !t.slope || *t.slope <= 0) return t;
    const uint64_t first = s.front().*count, last = s.back().*count;
    if (last < first || last - first < rule.min_rise) return t;
    // Still rising lately: above the count at the latest point at or before
    // `recent_share` of the span before the end.
    const uint64_t span = s.back().t_ns - s.front().t_ns;
    const uint64_t cutoff = s.back().t_ns - static_cast<uint64_t>(static_cast<double>(span) * rule.recent_share);
    uint64_t earlier = first;
    for (const SitePoint& p : s)
        if (p.t_ns <= cutoff) earlier = p.*count;
    if (rule.recent_share > 0 && last <= earlier) return t;
    const std::optional<double> tau = growth_steadiness(s, count);  // the costly test last
    t.rises = tau && *tau >= rule.min_steadiness;
    return t;
}

}  // namespace

// Each point against all strictly earlier ones, in time order, the earlier
// points' weights summed by count rank in a Fenwick tree: O(n log n), where the
// pairs themselves are O(n^2) (half a million for a 1000-point series).
std::optional<double> growth_steadiness(const std::vector<SitePoint>& s, uint64_t SitePoint::*count) {
    const std::vector<double> w = time_weights(s);
    std::vector<uint64_t> values;
    values.reserve(s.size());
    for (const SitePoint& p : s) values.push_back(p.*count);
    std::sort(values.begin(), values.end());
    values.erase(std::unique(values.begin(), values.end()), values.end());
    auto rank_of = [&](const SitePoint& p) {
        return static_cast<size_t>(std::lower_bound(values.begin(), values.end(), p.*count) - values.begin());
    };

    WeightByRank earlier(values.size());
    double earlier_total = 0, numerator = 0, denominator = 0;
    for (size_t group = 0; group < s.size();) {
        size_t end = group;
        while (end < s.size() && s[end].t_ns == s[group].t_ns) ++end;
        // Each point against every strictly earlier one, then the group joins them.
        for (size_t j = group; j < end; ++j) {
            const size_t r = rank_of(s[j]);
            const double lower = earlier.below(r);
            const double higher = earlier_total - earlier.below(r + 1);
            numerator += w[j] * (lower - higher);
            denominator += w[j] * earlier_total;
        }
        for (size_t j = group; j < end; ++j) {
            earlier.add(rank_of(s[j]), w[j]);
            earlier_total += w[j];
        }
        group = end;
    }
    if (denominator <= 0) return std::nullopt;
    return numerator / denominator;
}

GrowthVerdict judge_growth(const std::vector<SitePoint>& series, uint64_t created, uint64_t exited,
                           const GrowthRule& rule) {
    // The contract is oldest first; a caller's mistake must not make weights negative.
    std::vector<SitePoint> sorted;
    const std::vector<SitePoint>* s = &series;
    auto by_time = [](const SitePoint& a, const SitePoint& b) { return a.t_ns < b.t_ns; };
    if (!std::is_sorted(series.begin(), series.end(), by_time)) {
        sorted = series;
        std::stable_sort(sorted.begin(), sorted.end(), by_time);
        s = &sorted;
    }

    // Multiplied, not divided: created == 0 needs no special case.
    const bool few_exited = static_cast<double>(exited) <= rule.max_exited_share * static_cast<double>(created);
    const Trend alive = judge_series(*s, &SitePoint::alive, few_exited, rule);
    const Trend parked = judge_series(*s, &SitePoint::parked, few_exited, rule);

    // Report the series the verdict rests on: the one that rises (the faster
    // if both do); when neither does, parked only if it grows, and faster than
    // alive: a falling alive count is not hidden behind a flat parked one.
    auto parked_faster = [&] {
        return parked.slope && *parked.slope > 0 && (!alive.slope || *parked.slope > *alive.slope);
    };
    const Trend& judged = alive.rises != parked.rises ? (alive.rises ? alive : parked)
                          : parked_faster()           ? parked
                                                      : alive;

    GrowthVerdict v;
    v.slope_per_min = judged.slope;
    if (judged.slope)
        v.projected_24h = std::max(0.0, static_cast<double>(s->back().*judged.count) + *judged.slope * kMinutesPerDay);

    const uint64_t span_ns = s->empty() ? 0 : s->back().t_ns - s->front().t_ns;
    const auto min_span = std::max<int64_t>(0, rule.min_observation.count());
    if (s->empty() || s->size() < rule.min_points || span_ns < static_cast<uint64_t>(min_span))
        v.verdict = SiteVerdict::TooEarly;
    else if (alive.rises || parked.rises)
        v.verdict = SiteVerdict::Leaking;
    else if (s->back().parked > 0)
        v.verdict = SiteVerdict::Parked;
    else
        v.verdict = SiteVerdict::Ok;
    return v;
}

}  // namespace threadleak
