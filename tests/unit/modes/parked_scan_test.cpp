// Parked threads (modes/parked_scan.h): which sampled sleeps are waits with
// no timeout (x86_64 syscall numbers and argument registers as the sampler
// saves them), and which threads have been in one for at least the threshold.
#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <set>
#include <unordered_map>
#include <utility>

#include "modes/parked_scan.h"

namespace threadleak {
namespace {

using namespace std::chrono_literals;

constexpr int64_t kRead = 0, kPoll = 7, kNanosleep = 35, kFutex = 202, kEpollWait = 232, kRestartSyscall = 219;
constexpr uint64_t kFutexWait = 0, kFutexWaitBitset = 9, kFutexPrivate = 128;
constexpr uint64_t kTimespecPtr = 0x7ffc2a1b3e40;  // where the call's struct timespec lives
constexpr uint64_t kMinusOne = ~uint64_t{0};

SleepSample in_call(int64_t nr, std::array<uint64_t, 6> args = {}) {
    SleepSample s;
    s.syscall_nr = nr;
    s.args = args;
    return s;
}

TEST(InUntimedWait, FutexWaitWithoutTimeoutIsUntimed) {
    EXPECT_TRUE(in_untimed_wait(in_call(kFutex, {0x5600aa10, kFutexWait | kFutexPrivate, 0, 0, 0, 0})));
    EXPECT_TRUE(in_untimed_wait(in_call(kFutex, {0x5600aa10, kFutexWait, 2, 0, 0, 0})));
    EXPECT_FALSE(in_untimed_wait(in_call(kFutex, {0x5600aa10, kFutexWait | kFutexPrivate, 0, kTimespecPtr, 0, 0})));
}

TEST(InUntimedWait, FutexWaitBitsetWithoutDeadlineIsUntimed) {
    // pthread_cond_wait: FUTEX_WAIT_BITSET, bitset ~0, no deadline.
    EXPECT_TRUE(in_untimed_wait(
        in_call(kFutex, {0x5600aa10, kFutexWaitBitset | kFutexPrivate, 0, 0, 0, 0xffffffff})));
    EXPECT_FALSE(in_untimed_wait(
        in_call(kFutex, {0x5600aa10, kFutexWaitBitset | kFutexPrivate, 0, kTimespecPtr, 0, 0xffffffff})));
}

TEST(InUntimedWait, CallsWithoutTimeoutAreUntimed) {
    EXPECT_TRUE(in_untimed_wait(in_call(kRead, {3, 0x7ffc00001000, 4096, 0, 0, 0})));
}

TEST(InUntimedWait, SleepsAreTimed) {
    EXPECT_FALSE(in_untimed_wait(in_call(kNanosleep, {kTimespecPtr, 0, 0, 0, 0, 0})));
    EXPECT_FALSE(in_untimed_wait(in_call(kNanosleep, {kTimespecPtr, kTimespecPtr, 0, 0, 0, 0})));
}

TEST(InUntimedWait, MillisecondTimeoutsWaitForeverOnlyWhenNegative) {
    EXPECT_TRUE(in_untimed_wait(in_call(kEpollWait, {5, 0x7ffc00002000, 64, kMinusOne, 0, 0})));
    EXPECT_TRUE(in_untimed_wait(in_call(kEpollWait, {5, 0x7ffc00002000, 64, 0xffffffff, 0, 0})));  // int -1
    EXPECT_FALSE(in_untimed_wait(in_call(kEpollWait, {5, 0x7ffc00002000, 64, 100, 0, 0})));
    EXPECT_TRUE(in_untimed_wait(in_call(kPoll, {0x7ffc00003000, 2, kMinusOne, 0, 0, 0})));
    EXPECT_FALSE(in_untimed_wait(in_call(kPoll, {0x7ffc00003000, 2, 0, 0, 0, 0})));
}

TEST(InUntimedWait, RestartedSleepIsNotKnownUntimed) {
    // A timed futex wait or nanosleep stopped and continued (SIGSTOP, SIGCONT)
    // goes on in restart_syscall, whose timeout no register shows.
    EXPECT_FALSE(in_untimed_wait(in_call(kRestartSyscall)));
}

TEST(InUntimedWait, OutsideASyscallOrIn32BitCodeIsNot) {
    EXPECT_FALSE(in_untimed_wait(in_call(-1)));  // a page fault, or preempted user code
    SleepSample ia32 = in_call(kRead, {3, 0, 1, 0, 0, 0});
    ia32.ia32 = true;  // its numbers are the ia32 table's (0 is restart_syscall there)
    EXPECT_FALSE(in_untimed_wait(ia32));
}

SleepSample asleep_since(uint64_t since_ns, bool untimed) {
    SleepSample s = untimed ? in_call(kFutex, {0x5600aa10, kFutexWait | kFutexPrivate, 0, 0, 0, 0})
                            : in_call(kNanosleep, {kTimespecPtr, 0, 0, 0, 0, 0});
    s.since_ns = since_ns;
    return s;
}

TEST(ParkedScan, UntimedWaitOlderThanTheThresholdIsParked) {
    constexpr uint64_t kNow = 500'000'000'000;
    constexpr uint64_t kSec = 1'000'000'000;
    ParkedScan scan(10s);
    const std::unordered_map<int, SleepSample> samples = {
        {11, asleep_since(kNow - 30 * kSec, true)},   // parked
        {12, asleep_since(kNow - 10 * kSec, true)},   // exactly the threshold: parked
        {13, asleep_since(kNow - 9 * kSec, true)},    // too recent
        {14, asleep_since(kNow - 60 * kSec, false)},  // long, but a timed sleep
        {15, asleep_since(kNow + kSec, true)},        // sampled after `now`
        {21, asleep_since(kNow - 30 * kSec, true)},   // not among the threads asked about
    };
    scan.scan({{1, 11}, {1, 12}, {1, 13}, {1, 14}, {1, 15}, {1, 16}, {2, 17}}, samples, kNow);
    EXPECT_EQ(scan.parked(), (std::set<std::pair<int, int>>{{1, 11}, {1, 12}}));
    EXPECT_TRUE(scan.is_parked(1, 11));
    EXPECT_FALSE(scan.is_parked(1, 13));
    EXPECT_FALSE(scan.is_parked(1, 16));  // no sample: running, or not seen asleep
    EXPECT_FALSE(scan.is_parked(2, 21));

    // Each scan starts over: a thread that woke is no longer parked.
    scan.scan({{1, 11}}, {}, kNow + kSec);
    EXPECT_TRUE(scan.parked().empty());
}

}  // namespace
}  // namespace threadleak
