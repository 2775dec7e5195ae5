// attach: the growth rule. From a creation site's series of (alive, parked)
// counts and how many of its threads were created and exited, decide whether
// it leaks (its count keeps rising while few of its threads exit), holds an
// idle pool (parked, flat), or is fine; and with what slope. The rule and its
// parameters are explained in docs/growth-verdict.md.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <vector>

#include "report/report.h"

namespace threadleak {

/// The rule's parameters (defaults stated here only; docs/growth-verdict.md
/// and `threadleak attach --help` quote them).
struct GrowthRule {
    /// No verdict but TooEarly before the series spans this long ...
    std::chrono::nanoseconds min_observation = std::chrono::seconds(30);
    /// ... or holds fewer points than this.
    size_t min_points = 4;
    /// A rising count must have risen by at least this many threads (last point minus first).
    uint64_t min_rise = 2;
    /// ... and steadily: Kendall's tau of the counts against time at least this
    /// (1 = every later point higher, 0 = no trend).
    double min_steadiness = 0.6;
    /// ... while at most this share of the threads created during the observation exited.
    double max_exited_share = 0.5;
    /// ... and it still rose in the latest part of the observation: the last
    /// count is above the count this share of the span earlier (a pool that
    /// filled early and then stayed flat is not leaking). 0: not checked.
    double recent_share = 1.0 / 3;
};

struct GrowthVerdict {
    SiteVerdict verdict = SiteVerdict::TooEarly;
    std::optional<double> slope_per_min;  ///< least squares, threads per minute; nullopt if < 2 points
    std::optional<double> projected_24h;  ///< last count + slope * 24 h, at least 0; nullopt with the slope
};

/// Judges one site. `series` is oldest first, t_ns ascending.
GrowthVerdict judge_growth(const std::vector<SitePoint>& series, uint64_t created, uint64_t exited,
                           const GrowthRule& rule = {});

/// The steadiness the rule tests: Kendall's tau-a of `count` against time,
/// each pair of points weighted by the product of the times they stand for
/// (half the interval to each neighbour; the whole one interval at the ends).
/// That is the share of pairs of instants s < t with count(t) > count(s) minus
/// the share with count(t) < count(s): 1 for a count that rises at every
/// point, 0 for a flat one. Pairs tied in count stay in the denominator (a
/// plateau is evidence against "keeps rising"); pairs tied in time are left out.
/// With uniform spacing it is exactly Kendall's tau-a. `series` oldest first;
/// nullopt when no two points have different times.
std::optional<double> growth_steadiness(const std::vector<SitePoint>& series, uint64_t SitePoint::*count);

}  // namespace threadleak
