// /proc/PID/task/TID/syscall lines, as the live snapshot reads them
// (userspace/capture/live_snapshot.h).
#include <gtest/gtest.h>

#include "capture/live_snapshot.h"

using namespace threadleak;

TEST(ParseProcSyscall, BlockedThreadGivesArgsSpAndPc) {
    RawSyscall raw;
    uint64_t sp = 0, pc = 0;
    ASSERT_TRUE(parse_proc_syscall("202 0x55d0 0x80 0x0 0x0 0x0 0xffffffff 0x7ffd10 0x7f0012\n", &raw, &sp, &pc));
    EXPECT_EQ(raw.nr, 202);
    EXPECT_EQ(raw.args[0], 0x55d0u);
    EXPECT_EQ(raw.args[1], 0x80u);
    EXPECT_EQ(raw.args[5], 0xffffffffu);
    EXPECT_EQ(sp, 0x7ffd10u);
    EXPECT_EQ(pc, 0x7f0012u);
}

TEST(ParseProcSyscall, UserCodeAndRunning) {
    RawSyscall raw;
    uint64_t sp = 0, pc = 0;
    ASSERT_TRUE(parse_proc_syscall("-1 0x7ffd10 0x401000\n", &raw, &sp, &pc));
    EXPECT_EQ(raw.nr, -1);
    EXPECT_EQ(pc, 0x401000u);
    EXPECT_FALSE(parse_proc_syscall("running\n", &raw, &sp, &pc));
    EXPECT_FALSE(parse_proc_syscall("", &raw, &sp, &pc));
    EXPECT_FALSE(parse_proc_syscall("202 0x1 0x2\n", &raw, &sp, &pc));
}

/// A sample of a sleep: its switch count, start and the start's uncertainty.
static SleepSample sample_of(uint64_t switches, uint64_t since_ns, uint64_t uncertainty_ns) {
    SleepSample s;
    s.switches = switches;
    s.since_ns = since_ns;
    s.uncertainty_ns = uncertainty_ns;
    return s;
}

TEST(LiveBlockedFor, SameSleepAsTheSamplersGivesTheTimeSinceItsStart) {
    LiveThread t;
    t.state = 'S';
    t.switches = 12;
    t.seen_ns = 5'000'000'000;
    const SleepSample sample = sample_of(12, 4'750'000'000, 0);
    auto b = blocked_for(t, sample);
    ASSERT_TRUE(b.has_value());
    EXPECT_EQ(b->ns, 250'000'000u);
    EXPECT_TRUE(b->exact);

    t.state = 'D';
    b = blocked_for(t, sample_of(12, 4'750'000'000, UINT64_MAX));
    ASSERT_TRUE(b.has_value());
    EXPECT_FALSE(b->exact) << "a lower bound stays one";
    // Exact when the start is known to within 1% of the 250 ms (or 1 ms).
    EXPECT_TRUE(blocked_for(t, sample_of(12, 4'750'000'000, 2'500'000))->exact);
    EXPECT_FALSE(blocked_for(t, sample_of(12, 4'750'000'000, 2'600'000))->exact);
}

TEST(LiveBlockedFor, UnknownUnlessStillInTheSampledSleep) {
    LiveThread t;
    t.state = 'S';
    t.switches = 13;  // it ran (and slept again) after the sample
    t.seen_ns = 5'000'000'000;
    const SleepSample sample = sample_of(12, 4'750'000'000, 0);
    EXPECT_FALSE(blocked_for(t, sample).has_value());
    t.switches = 12;
    t.state = 'R';
    EXPECT_FALSE(blocked_for(t, sample).has_value());
    t.state = 'S';
    EXPECT_FALSE(blocked_for(t, std::nullopt).has_value()) << "never sampled asleep";
    t.switches.reset();
    EXPECT_FALSE(blocked_for(t, sample).has_value()) << "/proc status unreadable";
}
