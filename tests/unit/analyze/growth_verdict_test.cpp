// The growth rule (docs/growth-verdict.md) on series shaped like the sites a
// user meets: a leaker, an idle pool, a pool that fills, noise, churn.
#include "analyze/growth_verdict.h"

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <random>

using namespace threadleak;

namespace {

constexpr uint64_t kSecond = 1'000'000'000;

/// One point per `step_s` seconds from 0 through `end_s`, counts from `f(t in seconds)`.
std::vector<SitePoint> sampled(double end_s, double step_s,
                               const std::function<std::pair<uint64_t, uint64_t>(double)>& f) {
    std::vector<SitePoint> s;
    for (int i = 0; i * step_s <= end_s + 1e-9; ++i) {
        const double t = i * step_s;
        const auto [alive, parked] = f(t);
        s.push_back({static_cast<uint64_t>(std::llround(t * 1e9)), alive, parked});
    }
    return s;
}

std::vector<SitePoint> at_times(const std::vector<double>& seconds,
                                const std::function<std::pair<uint64_t, uint64_t>(double)>& f) {
    std::vector<SitePoint> s;
    for (double t : seconds) {
        const auto [alive, parked] = f(t);
        s.push_back({static_cast<uint64_t>(std::llround(t * 1e9)), alive, parked});
    }
    return s;
}

uint64_t steps(double t, double every_s, uint64_t cap) {
    return std::min<uint64_t>(cap, static_cast<uint64_t>(std::floor(t / every_s + 1e-9)));
}

/// Kendall's tau-a by its definition, pair by pair, with the time weights of
/// growth_steadiness: what the O(n log n) version must reproduce.
double tau_by_pairs(const std::vector<SitePoint>& s, uint64_t SitePoint::*count) {
    const size_t n = s.size();
    std::vector<double> w(n);
    for (size_t i = 0; i < n; ++i) {
        const double before = i > 0 ? double(s[i].t_ns - s[i - 1].t_ns) : double(s[1].t_ns - s[0].t_ns);
        const double after = i + 1 < n ? double(s[i + 1].t_ns - s[i].t_ns) : double(s[n - 1].t_ns - s[n - 2].t_ns);
        w[i] = (before + after) / 2;
    }
    double num = 0, den = 0;
    for (size_t i = 0; i < n; ++i)
        for (size_t j = i + 1; j < n; ++j) {
            if (s[i].t_ns == s[j].t_ns) continue;
            const double ww = w[i] * w[j];
            den += ww;
            num += ww * ((s[j].*count > s[i].*count) - (s[j].*count < s[i].*count));
        }
    return num / den;
}

}  // namespace

TEST(GrowthVerdictTest, TenNewThreadsASecondForThirtySecondsIsLeakingAt600PerMinute) {
    const auto s = sampled(30, 1, [](double t) { return std::pair<uint64_t, uint64_t>(10 * t, 0); });
    const GrowthVerdict v = judge_growth(s, 300, 0);
    EXPECT_EQ(v.verdict, SiteVerdict::Leaking);
    ASSERT_TRUE(v.slope_per_min);
    EXPECT_NEAR(*v.slope_per_min, 600, 1e-9);
    ASSERT_TRUE(v.projected_24h);
    EXPECT_NEAR(*v.projected_24h, 300 + 600 * 1440, 1e-6);
}

TEST(GrowthVerdictTest, IdlePoolThatStaysFlatIsParkedWithSlopeZero) {
    const auto s = sampled(60, 1, [](double) { return std::pair<uint64_t, uint64_t>(8, 8); });
    const GrowthVerdict v = judge_growth(s, 8, 0);
    EXPECT_EQ(v.verdict, SiteVerdict::Parked);
    ASSERT_TRUE(v.slope_per_min);
    EXPECT_EQ(*v.slope_per_min, 0);
    EXPECT_EQ(*v.projected_24h, 8);
}

TEST(GrowthVerdictTest, FlatBusyPoolIsOk) {
    const auto s = sampled(60, 1, [](double) { return std::pair<uint64_t, uint64_t>(8, 0); });
    EXPECT_EQ(judge_growth(s, 8, 0).verdict, SiteVerdict::Ok);
}

// A pool of 8 started at attach, one thread a second; its idle threads become
// parked 10 s (the threshold) after they start.
TEST(GrowthVerdictTest, PoolThatFillsThenStaysFlatIsParkedOnceObservedLong) {
    auto pool = [](double t) { return std::pair<uint64_t, uint64_t>(steps(t, 1, 8), t < 10 ? 0 : steps(t - 10, 1, 8)); };
    const GrowthVerdict v = judge_growth(sampled(120, 1, pool), 8, 0);
    EXPECT_EQ(v.verdict, SiteVerdict::Parked);
    EXPECT_LT(*growth_steadiness(sampled(120, 1, pool), &SitePoint::parked), 0.3);
    // The alive series alone is steady enough at 30 s (it rose during 8 of them) ...
    EXPECT_LT(*growth_steadiness(sampled(30, 1, pool), &SitePoint::alive), 0.6);
    // ... and the parked series, steady through the middle of those 30 s, has
    // not risen in their last third (recent_share): not leaking.
    EXPECT_EQ(judge_growth(sampled(30, 1, pool), 8, 0).verdict, SiteVerdict::Parked);
    GrowthRule without_recent;
    without_recent.recent_share = 0;
    EXPECT_EQ(judge_growth(sampled(30, 1, pool), 8, 0, without_recent).verdict, SiteVerdict::Leaking);
    EXPECT_EQ(judge_growth(sampled(50, 1, pool), 8, 0).verdict, SiteVerdict::Parked);
}

TEST(GrowthVerdictTest, PoolThatFillsSlowlyIsNotLeakingOnceFlatForTheLastThird) {
    // 8 threads over 20 s, one each 2.5 s, then flat; none parked (timed waits).
    auto pool = [](double t) { return std::pair<uint64_t, uint64_t>(steps(t, 2.5, 8), 0); };
    EXPECT_EQ(judge_growth(sampled(30, 1, pool), 8, 0).verdict, SiteVerdict::Ok);
    // Still filling in the last third of the observation: looks like a leak.
    EXPECT_EQ(judge_growth(sampled(24, 1, pool), 8, 0).verdict, SiteVerdict::TooEarly);
    GrowthRule short_rule;
    short_rule.min_observation = std::chrono::seconds(10);
    EXPECT_EQ(judge_growth(sampled(19, 1, pool), 8, 0, short_rule).verdict, SiteVerdict::Leaking);
    EXPECT_EQ(judge_growth(sampled(60, 1, pool), 8, 0).verdict, SiteVerdict::Ok);
    EXPECT_EQ(judge_growth(sampled(180, 1, pool), 8, 0).verdict, SiteVerdict::Ok);
}

TEST(GrowthVerdictTest, NoiseAroundAFlatLineIsOkEvenWhenTheEndsDifferAndTheSlopeIsPositive) {
    // mt19937's sequence is fixed by the standard; this seed's noise happens to drift up.
    std::mt19937 random(3);
    auto s = sampled(120, 1, [&](double) { return std::pair<uint64_t, uint64_t>(19 + random() % 3, 0); });
    s.front().alive = 19;
    s.back().alive = 21;  // a rise of 2 >= min_rise between the ends
    const GrowthVerdict v = judge_growth(s, 40, 0);
    ASSERT_TRUE(v.slope_per_min);
    ASSERT_GT(*v.slope_per_min, 0) << "the premise: only steadiness can reject this series";
    EXPECT_LT(std::abs(*growth_steadiness(s, &SitePoint::alive)), 0.2);
    EXPECT_EQ(v.verdict, SiteVerdict::Ok);
}

TEST(GrowthVerdictTest, SteadyLeakUnderNoiseIsStillLeaking) {
    std::mt19937 random(7);
    // +1 thread every 2 s, the count seen up to 3 threads off either way.
    auto s = sampled(120, 1, [&](double t) { return std::pair<uint64_t, uint64_t>(10 + t / 2 + random() % 7 - 3, 0); });
    const GrowthVerdict v = judge_growth(s, 60, 0);
    EXPECT_EQ(v.verdict, SiteVerdict::Leaking);
    EXPECT_NEAR(*v.slope_per_min, 30, 2);
}

TEST(GrowthVerdictTest, TooEarlyBeforeMinObservationEvenForAClearLeak) {
    auto leak = [](double t) { return std::pair<uint64_t, uint64_t>(10 * t, 0); };
    auto s = sampled(29, 1, leak);
    const GrowthVerdict v = judge_growth(s, 290, 0);
    EXPECT_EQ(v.verdict, SiteVerdict::TooEarly);
    ASSERT_TRUE(v.slope_per_min) << "the slope is reported while too early";
    EXPECT_NEAR(*v.slope_per_min, 600, 1e-9);
    s.push_back({30 * kSecond - 1, 299, 0});
    EXPECT_EQ(judge_growth(s, 299, 0).verdict, SiteVerdict::TooEarly) << "1 ns short";
    s.back().t_ns = 30 * kSecond;
    EXPECT_EQ(judge_growth(s, 299, 0).verdict, SiteVerdict::Leaking) << "exactly min_observation";
}

TEST(GrowthVerdictTest, TooEarlyWithFewerThanMinPointsWhateverTheSpan) {
    auto leak = [](double t) { return std::pair<uint64_t, uint64_t>(t, 0); };
    EXPECT_EQ(judge_growth(at_times({0, 60, 120}, leak), 120, 0).verdict, SiteVerdict::TooEarly);
    EXPECT_EQ(judge_growth(at_times({0, 60, 120, 180}, leak), 180, 0).verdict, SiteVerdict::Leaking);
}

TEST(GrowthVerdictTest, NoSlopeWithoutTwoPointsAtDifferentTimes) {
    EXPECT_EQ(judge_growth({}, 0, 0).verdict, SiteVerdict::TooEarly);
    EXPECT_FALSE(judge_growth({}, 0, 0).slope_per_min);
    EXPECT_FALSE(judge_growth({{5 * kSecond, 3, 0}}, 3, 0).slope_per_min);
    const std::vector<SitePoint> same_time = {{kSecond, 1, 0}, {kSecond, 5, 0}, {kSecond, 9, 0}};
    const GrowthVerdict v = judge_growth(same_time, 9, 0, GrowthRule{std::chrono::seconds(0), 2});
    EXPECT_FALSE(v.slope_per_min);
    EXPECT_FALSE(v.projected_24h);
    EXPECT_EQ(v.verdict, SiteVerdict::Ok);
    EXPECT_FALSE(growth_steadiness(same_time, &SitePoint::alive));
}

TEST(GrowthVerdictTest, ChurnWhereEveryThreadExitsIsOk) {
    std::mt19937 random(3);
    auto s = sampled(60, 1, [&](double) { return std::pair<uint64_t, uint64_t>(random() % 20, 0); });
    s.back().alive = 0;
    EXPECT_EQ(judge_growth(s, 5000, 5000).verdict, SiteVerdict::Ok);
}

TEST(GrowthVerdictTest, SlowLeakInASiteWhereMostThreadsExitIsOkTheKnownLimit) {
    // +30 a minute kept, among 3000 created: the exited-share clause clears it.
    auto s = sampled(60, 1, [](double t) { return std::pair<uint64_t, uint64_t>(t / 2, 0); });
    const GrowthVerdict v = judge_growth(s, 3000, 2970);
    EXPECT_EQ(v.verdict, SiteVerdict::Ok);
    EXPECT_NEAR(*v.slope_per_min, 30, 0.5) << "the slope is still reported";
    // At exactly max_exited_share it is leaking; one exit more, not.
    EXPECT_EQ(judge_growth(s, 60, 30).verdict, SiteVerdict::Leaking);
    EXPECT_EQ(judge_growth(s, 60, 31).verdict, SiteVerdict::Ok);
}

TEST(GrowthVerdictTest, RiseWithNothingCreatedDividesByNothing) {
    // Not a real site (a rise needs creations), but no division by zero: exited 0 <= 0.5 * 0.
    const auto s = sampled(30, 1, [](double t) { return std::pair<uint64_t, uint64_t>(t, 0); });
    EXPECT_EQ(judge_growth(s, 0, 0).verdict, SiteVerdict::Leaking);
    EXPECT_EQ(judge_growth(s, 0, 1).verdict, SiteVerdict::Ok);
}

TEST(GrowthVerdictTest, ParkedRisingWhileAliveStaysFlatIsLeakingFromTheParkedSeries) {
    // A pool of 20 whose workers get stuck one by one, one each 4 s.
    const auto s = sampled(60, 4, [](double t) { return std::pair<uint64_t, uint64_t>(20, t / 4); });
    const GrowthVerdict v = judge_growth(s, 20, 0);
    EXPECT_EQ(v.verdict, SiteVerdict::Leaking);
    ASSERT_TRUE(v.slope_per_min);
    EXPECT_NEAR(*v.slope_per_min, 15, 1e-9) << "the parked series' slope, not alive's 0";
    EXPECT_NEAR(*v.projected_24h, 15 + 15 * 1440, 1e-6);
}

TEST(GrowthVerdictTest, FallingCountIsOkAndItsProjectionStopsAtZero) {
    const auto s = sampled(60, 1, [](double t) { return std::pair<uint64_t, uint64_t>(60 - t, 0); });
    const GrowthVerdict v = judge_growth(s, 0, 60);
    EXPECT_EQ(v.verdict, SiteVerdict::Ok);
    EXPECT_NEAR(*v.slope_per_min, -60, 1e-9);
    EXPECT_EQ(*v.projected_24h, 0);
}

TEST(GrowthVerdictTest, IrregularlySpacedLeakHasItsExactSlope) {
    const auto s = at_times({0, 1, 3, 4, 10, 11, 25, 30, 31},
                            [](double t) { return std::pair<uint64_t, uint64_t>(10 * t, 0); });
    const GrowthVerdict v = judge_growth(s, 310, 0);
    EXPECT_EQ(v.verdict, SiteVerdict::Leaking);
    EXPECT_NEAR(*v.slope_per_min, 600, 1e-9);
}

TEST(GrowthVerdictTest, DenselySampledFillThenSparselySampledPlateauIsNotLeaking) {
    // 10 points 1 s apart while the pool fills, then 10 points a minute apart:
    // counted point by point the rise would weigh as much as the ten minutes of
    // plateau (tau-a 0.71); weighted by the time each point stands for it does not.
    std::vector<double> t;
    for (int i = 0; i < 10; ++i) t.push_back(i);
    for (int i = 1; i <= 10; ++i) t.push_back(60 * i);
    const auto s = at_times(t, [](double x) { return std::pair<uint64_t, uint64_t>(std::min(x, 9.0), 0); });
    EXPECT_LT(*growth_steadiness(s, &SitePoint::alive), 0.1);
    EXPECT_EQ(judge_growth(s, 9, 0).verdict, SiteVerdict::Ok);
}

TEST(GrowthVerdictTest, ThinningTheOlderHalfKeepsTheVerdict) {
    auto pool = [](double t) { return std::pair<uint64_t, uint64_t>(steps(t, 1, 8), 0); };
    auto leak = [](double t) { return std::pair<uint64_t, uint64_t>(t / 3, 0); };
    for (auto* f : {+pool, +leak}) {
        const auto full = sampled(300, 1, f);
        std::vector<SitePoint> thinned;
        for (size_t i = 0; i < full.size(); ++i)
            if (i >= full.size() / 2 || i % 8 == 0) thinned.push_back(full[i]);
        EXPECT_NEAR(*growth_steadiness(thinned, &SitePoint::alive), *growth_steadiness(full, &SitePoint::alive), 0.05);
        EXPECT_EQ(judge_growth(thinned, 100, 0).verdict, judge_growth(full, 100, 0).verdict);
    }
    EXPECT_EQ(judge_growth(sampled(300, 1, pool), 8, 0).verdict, SiteVerdict::Ok);
    EXPECT_EQ(judge_growth(sampled(300, 1, leak), 100, 0).verdict, SiteVerdict::Leaking);
}

TEST(GrowthVerdictTest, SteadinessIsTauAForUniformSpacingAndMatchesThePairwiseDefinition) {
    // Uniform: a single step up in the middle of 2k points is tau-a k^2 / C(2k, 2).
    const auto step = sampled(99, 1, [](double t) { return std::pair<uint64_t, uint64_t>(t < 50 ? 3 : 4, 0); });
    EXPECT_NEAR(*growth_steadiness(step, &SitePoint::alive), 50.0 * 50 / (100 * 99 / 2), 1e-12);
    const auto rise = sampled(10, 1, [](double t) { return std::pair<uint64_t, uint64_t>(t, 10 - t); });
    EXPECT_NEAR(*growth_steadiness(rise, &SitePoint::alive), 1, 1e-12);
    EXPECT_NEAR(*growth_steadiness(rise, &SitePoint::parked), -1, 1e-12);
    // Random counts with ties, random gaps (some zero: tied times).
    std::mt19937 random(11);
    for (int round = 0; round < 50; ++round) {
        std::vector<SitePoint> s;
        uint64_t t = 0;
        const size_t n = 2 + random() % 200;
        for (size_t i = 0; i < n; ++i) {
            t += (random() % 5) * kSecond / 2 + (i == 1 ? kSecond : 0);  // points 0 and 1 never tied
            s.push_back({t, random() % 12, 0});
        }
        EXPECT_NEAR(*growth_steadiness(s, &SitePoint::alive), tau_by_pairs(s, &SitePoint::alive), 1e-9)
            << "round " << round << ", " << n << " points";
    }
}
