// Unit tests for userspace/syscalls/timeouts.cpp: which interrupted calls
// overwrite their timeout with the time left.
#include <gtest/gtest.h>

#include "syscalls/timeouts.h"

namespace threadleak {
namespace {

TEST(TimeoutsTest, SleepSharingItsRemainderBufferIsRewrittenByAnInterruption) {
    RawSyscall raw;
    raw.nr = 230;  // clock_nanosleep(CLOCK_MONOTONIC, 0, req, rem == req)
    raw.args = {1, 0, 0x7ffd1000, 0x7ffd1000, 0, 0};
    EXPECT_TRUE(interruption_rewrites_timeout(raw));
    raw.nr = 35;  // nanosleep(req, rem == req)
    raw.args = {0x7ffd1000, 0x7ffd1000, 0, 0, 0, 0};
    EXPECT_TRUE(interruption_rewrites_timeout(raw));
}

TEST(TimeoutsTest, SleepWithSeparateRemainderBufferKeepsItsRequest) {
    RawSyscall raw;
    raw.nr = 35;  // nanosleep(req, rem) with rem elsewhere: req is intact
    raw.args = {0x7ffd1000, 0x7ffd2000, 0, 0, 0, 0};
    EXPECT_FALSE(interruption_rewrites_timeout(raw));
    raw.args[1] = 0;
    EXPECT_FALSE(interruption_rewrites_timeout(raw));
    raw.nr = 230;  // absolute clock_nanosleep never writes back
    raw.args = {1, 1, 0x7ffd1000, 0x7ffd1000, 0, 0};
    EXPECT_FALSE(interruption_rewrites_timeout(raw));
    raw.nr = 271;  // ppoll always does
    EXPECT_TRUE(interruption_rewrites_timeout(raw));
}

TEST(TimeoutsTest, OverwrittenWithAnInvalidValueHasNoRemaining) {
    RawSyscall raw;
    raw.nr = 23;  // select: always rewrites its timeval
    raw.timeout_valid = true;
    raw.captured_after_interruption = true;
    raw.timeout = {0, 1'000'000};  // tv_usec out of range
    const TimeoutFact t = relative_timeout(raw, 0x7ffd5000, 1'000);
    EXPECT_EQ(t.form, TimeoutForm::Overwritten);
    EXPECT_FALSE(t.remaining_ns);
}

TEST(TimeoutsTest, AnInterruptionThatWritesNothingKeepsTheRequest) {
    RawSyscall raw;
    raw.nr = 202;  // futex: the kernel never writes its timeout back
    raw.args = {0x1000, 0, 0, 0x7ffd0000, 0, 0};
    raw.timeout_valid = true;
    raw.captured_after_interruption = true;
    raw.timeout = {1, 0};
    const TimeoutFact t = relative_timeout(raw, raw.args[3], 1);
    EXPECT_EQ(t.form, TimeoutForm::Relative);
    EXPECT_EQ(t.relative_ns, 1'000'000'000);
}

}  // namespace
}  // namespace threadleak
