// When a sleep began, converted from the clock_task of the CPU the thread slept
// on (bpf/sleep_clock.h): fed the runqueue clocks of two CPUs whose steal time
// differs by seconds, as on the VMs where "blocked for 4.57s" was reported for
// a 200 ms wait.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <random>

extern "C" {
#include "sleep_clock.h"
}

namespace {

constexpr uint64_t kMs = 1'000'000;
constexpr uint64_t kSec = 1000 * kMs;
constexpr int64_t kSchedMinusKtime = 1'440'000;  // sched_clock runs 1.44 ms ahead of ktime

/// One CPU of a machine where sched_clock = ktime + kSchedMinusKtime and the
/// CPU's clock_task lags sched_clock by `lag` (its steal time so far).
struct Cpu {
    uint64_t lag;
    /// Its runqueue clocks as updated at ktime `t`.
    tl_cpu_clock at(uint64_t t) const { return {t + kSchedMinusKtime, t + kSchedMinusKtime - lag}; }
    /// The exec_start of a thread that switched out on it at ktime `t`.
    uint64_t exec_start_at(uint64_t t) const { return t + kSchedMinusKtime - lag; }
};

const Cpu kCpu0{1500 * kMs};
const Cpu kCpu1{6000 * kMs};  // 4.5 s more steal than CPU 0

TEST(SleepClock, SleepOnAStealHeavyCpuIsPlacedAtItsStartNotSecondsOff) {
    const uint64_t slept = 100 * kSec;
    const tl_cpu_clock prev = kCpu1.at(slept - 10 * kMs);
    const tl_cpu_clock now = kCpu1.at(slept + 10 * kMs);
    const tl_sleep_since s =
        tl_sleep_start(kCpu1.exec_start_at(slept), &now, &prev, kSchedMinusKtime, slept + 11 * kMs);
    EXPECT_EQ(s.since_ns, slept);
    EXPECT_EQ(s.uncertainty_ns, 0u) << "no steal between the readings";

    // Killed 200 ms later on CPU 0: the duration is 200 ms, where comparing
    // exec_start with CPU 0's clock_task would say 4.7 s.
    __u64 blocked = 0;
    int exact = 0;
    ASSERT_EQ(tl_blocked_for(&s, 1, slept + 200 * kMs, &blocked, &exact), 1);
    EXPECT_EQ(blocked, 200 * kMs);
    EXPECT_EQ(exact, 1);
    EXPECT_EQ(kCpu0.exec_start_at(slept + 200 * kMs) - kCpu1.exec_start_at(slept), 4700 * kMs);
}

TEST(SleepClock, StealAfterTheSleepBeganMakesTheDurationShorterNeverLonger) {
    const uint64_t slept = 50 * kSec;
    const tl_cpu_clock prev = kCpu1.at(slept - 5 * kMs);
    const Cpu stolen_after{kCpu1.lag + 3 * kMs};  // 3 ms stolen between the sleep and the sample
    const tl_cpu_clock now = stolen_after.at(slept + 15 * kMs);
    const tl_sleep_since s =
        tl_sleep_start(kCpu1.exec_start_at(slept), &now, &prev, kSchedMinusKtime, slept + 15 * kMs);
    EXPECT_EQ(s.since_ns, slept + 3 * kMs);
    EXPECT_EQ(s.uncertainty_ns, 3 * kMs) << "the steal between the two readings";
    // Exact when that is within 1% of the duration (or 1 ms), else "at least".
    __u64 blocked = 0;
    int exact = 0;
    ASSERT_EQ(tl_blocked_for(&s, 1, slept + 3 * kMs + 200 * kMs, &blocked, &exact), 1);
    EXPECT_EQ(blocked, 200 * kMs);
    EXPECT_EQ(exact, 0) << "3 ms unknown in 200 ms";
    ASSERT_EQ(tl_blocked_for(&s, 1, slept + 3 * kMs + 300 * kMs, &blocked, &exact), 1);
    EXPECT_EQ(exact, 1) << "3 ms unknown in 300 ms";

    const Cpu little_stolen{kCpu1.lag + kMs / 2};
    const tl_cpu_clock now2 = little_stolen.at(slept + 15 * kMs);
    const tl_sleep_since s2 =
        tl_sleep_start(kCpu1.exec_start_at(slept), &now2, &prev, kSchedMinusKtime, slept + 15 * kMs);
    EXPECT_EQ(s2.since_ns, slept + kMs / 2);
    ASSERT_EQ(tl_blocked_for(&s2, 1, slept + 20 * kMs, &blocked, &exact), 1);
    EXPECT_EQ(exact, 1) << "0.5 ms unknown: within TL_EXACT_MIN_NS";
}

TEST(SleepClock, AsleepSinceBeforeThePreviousReadingIsALowerBoundFromThatReading) {
    const uint64_t slept = 20 * kSec;
    const Cpu later{kCpu1.lag + 40 * kMs};  // steal after the sleep, before the previous reading
    const Cpu latest{kCpu1.lag + 90 * kMs};
    const tl_cpu_clock prev = later.at(slept + 1 * kSec);
    const tl_cpu_clock now = latest.at(slept + 2 * kSec);
    const tl_sleep_since s =
        tl_sleep_start(kCpu1.exec_start_at(slept), &now, &prev, kSchedMinusKtime, slept + 2 * kSec);
    EXPECT_EQ(s.since_ns, slept + 40 * kMs) << "the previous reading's lag: the closer bound";
    EXPECT_EQ(s.uncertainty_ns, TL_UNBOUNDED);
}

TEST(SleepClock, WithoutAPreviousReadingTheStartIsOnlyALowerBound) {
    const uint64_t slept = 20 * kSec;
    const tl_cpu_clock none{};
    const tl_cpu_clock now = kCpu0.at(slept + 7 * kMs);
    const tl_sleep_since s =
        tl_sleep_start(kCpu0.exec_start_at(slept), &now, &none, kSchedMinusKtime, slept + 7 * kMs);
    EXPECT_EQ(s.since_ns, slept);
    EXPECT_EQ(s.uncertainty_ns, TL_UNBOUNDED);
}

TEST(SleepClock, UnusableReadingsFallBackToTheTimeTheSleepWasFirstSeen) {
    const uint64_t seen = 30 * kSec;
    const tl_cpu_clock prev = kCpu0.at(seen - 20 * kMs);
    const tl_cpu_clock now = kCpu0.at(seen);
    const uint64_t exec_start = kCpu0.exec_start_at(seen - 10 * kMs);
    // exec_start 0: never ran, or migrated while asleep (the scheduler resets it).
    tl_sleep_since s = tl_sleep_start(0, &now, &prev, kSchedMinusKtime, seen);
    EXPECT_EQ(s.since_ns, seen);
    EXPECT_EQ(s.uncertainty_ns, TL_UNBOUNDED);
    // The CPU's clock_task is below exec_start: the reading is not of that CPU's last update.
    const tl_cpu_clock stale = kCpu0.at(seen - 15 * kMs);
    s = tl_sleep_start(exec_start, &stale, &prev, kSchedMinusKtime, seen);
    EXPECT_EQ(s.since_ns, seen);
    EXPECT_EQ(s.uncertainty_ns, TL_UNBOUNDED);
    // No reading of the CPU at all.
    const tl_cpu_clock none{};
    s = tl_sleep_start(exec_start, &none, &prev, kSchedMinusKtime, seen);
    EXPECT_EQ(s.since_ns, seen);
    // A conversion that lands after "now" is no better than "now".
    s = tl_sleep_start(exec_start, &now, &prev, kSchedMinusKtime - int64_t(20 * kMs), seen);
    EXPECT_EQ(s.since_ns, seen);
    EXPECT_EQ(s.uncertainty_ns, TL_UNBOUNDED);
}

TEST(SleepClock, SchedClockBehindKtimeConvertsToo) {
    const uint64_t slept = 9 * kSec;
    const int64_t behind = -39'123'641;
    const tl_cpu_clock prev{slept - 5 * kMs + behind, slept - 5 * kMs + behind - 2 * kSec};
    const tl_cpu_clock now{slept + 5 * kMs + behind, slept + 5 * kMs + behind - 2 * kSec};
    const tl_sleep_since s = tl_sleep_start(slept + behind - 2 * kSec, &now, &prev, behind, slept + 5 * kMs);
    EXPECT_EQ(s.since_ns, slept);
    EXPECT_EQ(s.uncertainty_ns, 0u);
}

TEST(SleepClock, ADurationIsUnknownOnceTheThreadSwitchedOutAgain) {
    const tl_sleep_since s{10 * kSec, 0};
    __u64 blocked = 77;
    int exact = 0;
    EXPECT_EQ(tl_blocked_for(&s, 0, 11 * kSec, &blocked, &exact), 0);
    EXPECT_EQ(tl_blocked_for(&s, 1, 9 * kSec, &blocked, &exact), 0) << "now before the start";
    EXPECT_EQ(blocked, 77u);
}

// Random machines: steal arriving at random times on the CPU, a sampler whose
// sched_clock - ktime reading is late by up to a tick. The start is never
// before the truth (a duration never longer than the thread slept), never
// after the time it was seen, and its uncertainty covers the truth.
TEST(SleepClock, NeverEarlierThanTheSleepAndTheUncertaintyCoversTheTruth) {
    std::mt19937_64 rng(12345);
    auto uniform = [&](uint64_t lo, uint64_t hi) { return std::uniform_int_distribution<uint64_t>(lo, hi)(rng); };
    int bounded = 0;
    for (int i = 0; i < 100000; ++i) {
        const int64_t k = int64_t(uniform(0, 80 * kMs)) - int64_t(40 * kMs);
        const uint64_t t_prev = uniform(10 * kSec, 1000 * kSec);
        const uint64_t t_sleep = t_prev + uniform(0, 40 * kMs) - (i % 4 == 0 ? 30 * kMs : 0);
        const uint64_t t_now = std::max(t_prev, t_sleep) + uniform(0, 40 * kMs);
        // lag(t) grows: lag0 at the first of the sleep and the previous reading, s2 and s3 more after each.
        const uint64_t lag0 = uniform(0, 20 * kSec);
        // Steal never exceeds the time it falls in: clock_task does not run backwards.
        const bool sleep_first = t_sleep < t_prev;
        const uint64_t gap2 = sleep_first ? t_prev - t_sleep : t_sleep - t_prev;
        const uint64_t gap3 = t_now - std::max(t_prev, t_sleep);
        const uint64_t s2 = std::min(gap2, uniform(0, 3) == 0 ? uniform(0, 5 * kMs) : uniform(0, kMs / 4));
        const uint64_t s3 = std::min(gap3, uniform(0, 3) == 0 ? uniform(0, 5 * kMs) : uniform(0, kMs / 4));
        const uint64_t lag_prev = sleep_first ? lag0 + s2 : lag0;
        const uint64_t lag_sleep = sleep_first ? lag0 : lag0 + s2;
        const uint64_t lag_now = lag0 + s2 + s3;
        auto clocks = [&](uint64_t t, uint64_t lag) {
            return tl_cpu_clock{uint64_t(int64_t(t) + k), uint64_t(int64_t(t) + k) - lag};
        };
        const tl_cpu_clock prev = clocks(t_prev, lag_prev), now = clocks(t_now, lag_now);
        const uint64_t exec_start = uint64_t(int64_t(t_sleep) + k) - lag_sleep;
        const uint64_t seen = t_now + uniform(0, kMs);
        const int64_t k_read = k - int64_t(uniform(0, 4 * kMs));  // late by up to a tick
        const tl_sleep_since s = tl_sleep_start(exec_start, &now, &prev, k_read, seen);
        ASSERT_GE(s.since_ns, t_sleep) << "run " << i;
        ASSERT_LE(s.since_ns, seen) << "run " << i;
        if (s.uncertainty_ns != TL_UNBOUNDED) {
            ASSERT_LE(s.since_ns - t_sleep, s.uncertainty_ns + uint64_t(k - k_read)) << "run " << i;
            ++bounded;
        }
    }
    EXPECT_GT(bounded, 60000) << "a sleep after the previous reading is placed within a bound";
}

}  // namespace
