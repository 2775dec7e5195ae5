// Unit tests for userspace/formats/syscall_text.cpp and syscall_value_names.cpp:
// decoded syscalls render to the (name, value) pairs of docs/json-schema.md,
// with exactly the strings the reports have always had.
#include <gtest/gtest.h>

#include <sys/stat.h>

#include "formats/syscall_text.h"
#include "formats/syscall_value_names.h"
#include "syscalls/syscall_decode.h"
#include "../support/raw_syscall.h"

namespace threadleak {
namespace {

using test::call;
using test::with_timeout;

std::vector<ArgPair> pairs(const RawSyscall& r) { return args_pairs(decode_syscall(r)); }

ArgPair S(const char* name, const char* value) { return {name, std::string(value)}; }
ArgPair I(const char* name, int64_t value) { return {name, value}; }

/// The value of `name`, as text; "<missing NAME>" or "<int N>" otherwise.
std::string str(const std::vector<ArgPair>& ps, const std::string& name) {
    for (const auto& p : ps) {
        if (p.name != name) continue;
        if (auto* s = std::get_if<std::string>(&p.value)) return *s;
        return "<int " + std::to_string(std::get<int64_t>(p.value)) + ">";
    }
    return "<missing " + name + ">";
}

constexpr int64_t kRead = 0, kPoll = 7, kFutex = 202, kClockNanosleep = 230,
                  kEpollWait = 232, kSelect = 23, kIoUringEnter = 426, kFutexWaitv = 449;

TEST(SyscallTextTest, UnknownSyscallShowsRawArgsInHex) {
    const auto ps = pairs(call(999, {1, 2, 3, 4, 5, 0xff}));
    ASSERT_EQ(ps.size(), 6u);
    EXPECT_EQ(ps[0], S("arg0", "0x1"));
    EXPECT_EQ(ps[5], S("arg5", "0xff"));
}

TEST(SyscallTextTest, FutexWaitPrivateWithoutTimeout) {
    EXPECT_EQ(pairs(call(kFutex, {0x7f3e9c0010a8, 128, 0, 0, 0, 0})),
              (std::vector<ArgPair>{S("uaddr", "0x7f3e9c0010a8"), S("op", "FUTEX_WAIT_PRIVATE"),
                                    I("val", 0), S("timeout", "none")}));
}

TEST(SyscallTextTest, FutexWaitRelativeTimeout) {
    EXPECT_EQ(pairs(with_timeout(call(kFutex, {0x1000, 0, 2, 0x7ffd0000, 0, 0}), 2, 500'000'000)),
              (std::vector<ArgPair>{S("uaddr", "0x1000"), S("op", "FUTEX_WAIT"), I("val", 2),
                                    S("timeout", "2.5s")}));
}

TEST(SyscallTextTest, FutexTimeoutPointerNotRead) {
    EXPECT_EQ(str(pairs(call(kFutex, {0x1000, 128, 0, 0x7ffd0010, 0, 0})), "timeout"),
              "0x7ffd0010 (unread)");
}

TEST(SyscallTextTest, FutexWaitBitsetDeadline) {
    const RawSyscall r = call(kFutex, {0x1000, 9 | 128 | 256, 0, 0x7ffd0000, 0, 0xffffffff});
    EXPECT_EQ(pairs(with_timeout(r, 1700000000, 5)),
              (std::vector<ArgPair>{S("uaddr", "0x1000"),
                                    S("op", "FUTEX_WAIT_BITSET_PRIVATE|FUTEX_CLOCK_REALTIME"),
                                    I("val", 0),
                                    S("deadline", "1700000000.000000005 (CLOCK_REALTIME)"),
                                    S("bitset", "0xffffffff")}));
}

TEST(SyscallTextTest, FutexWaitBitsetMonotonicAndForever) {
    const RawSyscall r = call(kFutex, {0x1000, 9, 0, 0x7ffd0000, 0, 0xffffffff});
    EXPECT_EQ(str(pairs(with_timeout(r, 12, 0)), "deadline"),
              "12.000000000 (CLOCK_MONOTONIC)");
    // A deadline call without one shows "timeout", like every call that waits forever.
    EXPECT_EQ(pairs(call(kFutex, {0x1000, 9 | 128, 0, 0, 0, 0xffffffff})),
              (std::vector<ArgPair>{S("uaddr", "0x1000"), S("op", "FUTEX_WAIT_BITSET_PRIVATE"),
                                    I("val", 0), S("timeout", "none"), S("bitset", "0xffffffff")}));
    EXPECT_EQ(str(pairs(call(kFutex, {0x1000, 9 | 128, 0, 0x7ffd0000, 0, 0xffffffff})), "deadline"),
              "0x7ffd0000 (unread)");
}

TEST(SyscallTextTest, FutexPiOps) {
    EXPECT_EQ(pairs(call(kFutex, {0x1000, 6, 0, 0, 0, 0})),
              (std::vector<ArgPair>{S("uaddr", "0x1000"), S("op", "FUTEX_LOCK_PI"),
                                    S("timeout", "none")}));
    EXPECT_EQ(str(pairs(call(kFutex, {0x1000, 6 | 128, 0, 0, 0, 0})), "op"),
              "FUTEX_LOCK_PI_PRIVATE");
    EXPECT_EQ(str(pairs(with_timeout(call(kFutex, {0x1000, 6 | 128, 0, 0x7ffd0000, 0, 0}), 3, 0)),
                  "deadline"),
              "3.000000000 (CLOCK_REALTIME)");
    EXPECT_EQ(pairs(call(kFutex, {0x1000, 11 | 128, 7, 0, 0x2000, 0})),
              (std::vector<ArgPair>{S("uaddr", "0x1000"), S("op", "FUTEX_WAIT_REQUEUE_PI_PRIVATE"),
                                    I("val", 7), S("timeout", "none"), S("uaddr2", "0x2000")}));
}

TEST(SyscallTextTest, FutexRequeueAndWakeOps) {
    EXPECT_EQ(pairs(call(kFutex, {0x1000, 4 | 128, 1, 0x7fffffff, 0x3000, 0x1'0000'0005})),
              (std::vector<ArgPair>{S("uaddr", "0x1000"), S("op", "FUTEX_CMP_REQUEUE_PRIVATE"),
                                    I("val", 1), I("val2", 0x7fffffff), S("uaddr2", "0x3000"),
                                    S("val3", "0x5")}));
    EXPECT_EQ(pairs(call(kFutex, {0x1000, 1 | 128, 0x7fffffff, 0, 0, 0})),
              (std::vector<ArgPair>{S("uaddr", "0x1000"), S("op", "FUTEX_WAKE_PRIVATE"),
                                    I("val", 0x7fffffff)}));
    EXPECT_EQ(pairs(call(kFutex, {0x1000, 7 | 128, 0, 0, 0, 0})),
              (std::vector<ArgPair>{S("uaddr", "0x1000"), S("op", "FUTEX_UNLOCK_PI_PRIVATE")}));
}

TEST(SyscallTextTest, FutexUnknownOpIsHex) {
    EXPECT_EQ(pairs(call(kFutex, {0x1000, 0x1f, 0, 0, 0, 0})),
              (std::vector<ArgPair>{S("uaddr", "0x1000"), S("op", "0x1f"), I("val", 0)}));
}

TEST(SyscallTextTest, PollTimeoutStaysMilliseconds) {
    EXPECT_EQ(pairs(call(kPoll, {0x7ffd1000, 2, 0xffffffff, 0, 0, 0})),
              (std::vector<ArgPair>{S("fds", "0x7ffd1000"), I("nfds", 2), I("timeout_ms", -1)}));
    EXPECT_EQ(str(pairs(call(kPoll, {0x7ffd1000, 1, 100, 0, 0, 0})), "timeout_ms"), "<int 100>");
}

TEST(SyscallTextTest, ReadOnAPipeHasFdKindRightAfterFd) {
    RawSyscall r = call(kRead, {3, 0x7ffd2000, 4096, 0, 0, 0});
    r.fd_mode = S_IFIFO | 0600;
    r.fd_name = "pipe:";
    EXPECT_EQ(pairs(r), (std::vector<ArgPair>{I("fd", 3), S("fd_kind", "pipe"),
                                              S("buf", "0x7ffd2000"), I("count", 4096)}));
    const DecodedSyscall d = decode_syscall(r);
    EXPECT_EQ(fd_kind_text(d, 0), "pipe");
    EXPECT_EQ(fd_kind_text(d, 1), std::nullopt);
}

TEST(SyscallTextTest, EpollWaitOnAnEpollFd) {
    RawSyscall r = call(kEpollWait, {5, 0x7ffd3000, 64, 0xffffffff, 0, 0});
    r.fd_mode = 0600;
    r.fd_name = "[eventpoll]";
    EXPECT_EQ(pairs(r), (std::vector<ArgPair>{I("fd", 5), S("fd_kind", "epoll"),
                                              S("events", "0x7ffd3000"), I("maxevents", 64),
                                              I("timeout_ms", -1)}));
}

TEST(SyscallTextTest, ClockNanosleepRelativeAndAbsolute) {
    const RawSyscall rel = call(kClockNanosleep, {1, 0, 0x7ffd4000, 0, 0, 0});
    EXPECT_EQ(pairs(with_timeout(rel, 0, 250'000'000)),
              (std::vector<ArgPair>{S("clockid", "CLOCK_MONOTONIC"), S("flags", "0"),
                                    S("timeout", "250ms")}));
    EXPECT_EQ(pairs(with_timeout(call(kClockNanosleep, {0, 1, 0x7ffd4000, 0, 0, 0}), 1700000000,
                                 123456789)),
              (std::vector<ArgPair>{S("clockid", "CLOCK_REALTIME"), S("flags", "TIMER_ABSTIME"),
                                    S("deadline", "1700000000.123456789 (CLOCK_REALTIME)")}));
}

TEST(SyscallTextTest, SelectTimevalAndItsFdSets) {
    const auto ps = pairs(with_timeout(call(kSelect, {4, 0x1000, 0, 0, 0x7ffd5000, 0}), 1, 500));
    EXPECT_EQ(ps, (std::vector<ArgPair>{I("nfds", 4), S("readfds", "0x1000"), S("writefds", "0x0"),
                                        S("exceptfds", "0x0"), S("timeout", "1.0005s")}));
}

TEST(SyscallTextTest, InvalidTimespec) {
    EXPECT_EQ(str(pairs(with_timeout(call(kFutex, {0x1000, 0, 0, 0x7ffd0000, 0, 0}), 1,
                                     1'000'000'000)),
                  "timeout"),
              "invalid {tv_sec=1, tv_nsec=1000000000}");
}

TEST(SyscallTextTest, FutexWaitvDeadlineOnItsClock) {
    EXPECT_EQ(pairs(with_timeout(call(kFutexWaitv, {0x1000, 2, 0, 0x7ffd0000, 1, 0}), 5, 0)),
              (std::vector<ArgPair>{S("waiters", "0x1000"), I("nr_futexes", 2), S("flags", "0x0"),
                                    S("deadline", "5.000000000 (CLOCK_MONOTONIC)")}));
}

TEST(SyscallTextTest, Futex2WaitDeadlineOnItsClock) {
    EXPECT_EQ(pairs(with_timeout(call(455, {0x1000, 3, 0xffffffff, 0x82, 0x7ffd0000, 0}), 7, 1)),
              (std::vector<ArgPair>{S("uaddr", "0x1000"), I("val", 3), S("mask", "0xffffffff"),
                                    S("flags", "0x82"),
                                    S("deadline", "7.000000001 (CLOCK_REALTIME)")}));
}

TEST(SyscallTextTest, IoUringEnterNamesItsFd) {
    RawSyscall r = call(kIoUringEnter, {7, 0, 1, 1, 0, 0});
    r.fd_name = "[io_uring]";
    const auto ps = pairs(r);
    EXPECT_EQ(str(ps, "fd_kind"), "io_uring");
    EXPECT_EQ(str(ps, "min_complete"), "<int 1>");
}

TEST(SyscallTextTest, NegativeFdStaysNegative) {
    const auto ps = pairs(call(kRead, {0xffffffff, 0, 1, 0, 0, 0}));
    EXPECT_EQ(str(ps, "fd"), "<int -1>");
    EXPECT_EQ(str(ps, "fd_kind"), "unknown");
}

TEST(SyscallTextTest, FlockFcntlAndOpenMode) {
    EXPECT_EQ(pairs(call(73, {4, 1 | 4, 0, 0, 0, 0})),  // flock(fd, LOCK_SH|LOCK_NB)
              (std::vector<ArgPair>{I("fd", 4), S("fd_kind", "unknown"),
                                    S("operation", "LOCK_SH|LOCK_NB")}));
    EXPECT_EQ(str(pairs(call(73, {4, 2, 0, 0, 0, 0})), "operation"), "LOCK_EX");
    EXPECT_EQ(str(pairs(call(73, {4, 8, 0, 0, 0, 0})), "operation"), "LOCK_UN");
    EXPECT_EQ(str(pairs(call(73, {4, 0x10 | 4, 0, 0, 0, 0})), "operation"), "0x10|LOCK_NB");
    EXPECT_EQ(pairs(call(72, {4, 7, 0x7ffd6000, 0, 0, 0})),  // fcntl(fd, F_SETLKW, &lock)
              (std::vector<ArgPair>{I("fd", 4), S("fd_kind", "unknown"), S("cmd", "F_SETLKW"),
                                    S("arg", "0x7ffd6000")}));
    EXPECT_EQ(str(pairs(call(72, {4, 38, 0, 0, 0, 0})), "cmd"), "F_OFD_SETLKW");
    EXPECT_EQ(str(pairs(call(72, {4, 99, 0, 0, 0, 0})), "cmd"), "99");
    EXPECT_EQ(str(pairs(call(2, {0x7ffd7000, 0x241, 0644, 0, 0, 0})), "mode"), "0644");
}

TEST(SyscallTextTest, InterruptedSleepShowsOnlyTheTimeLeft) {
    RawSyscall raw = with_timeout(call(kClockNanosleep, {1, 0, 0x7ffd1000, 0x7ffd1000, 0, 0}), 0,
                                  2'500'000);
    raw.captured_after_interruption = true;
    EXPECT_EQ(pairs(raw), (std::vector<ArgPair>{S("clockid", "CLOCK_MONOTONIC"), S("flags", "0"),
                                                S("timeout", "unknown"), S("remaining", "2.5ms")}));
}

TEST(SyscallTextTest, ExactDurations) {
    EXPECT_EQ(exact_duration(2'000'000'000), "2s");
    EXPECT_EQ(exact_duration(1'500'000'000), "1.5s");
    EXPECT_EQ(exact_duration(100'000'000), "100ms");
    EXPECT_EQ(exact_duration(9'512'368), "9.512368ms");
    EXPECT_EQ(exact_duration(250'000), "250us");
    EXPECT_EQ(exact_duration(7), "7ns");
    EXPECT_EQ(exact_duration(0), "0ns");
}

TEST(SyscallValueNamesTest, FdKindsByName) {
    auto name = [](FdKind k) { return fd_kind_name(FdFact{.number = 3, .kind = k}); };
    EXPECT_EQ(name(FdKind::Pipe), "pipe");
    EXPECT_EQ(name(FdKind::Socket), "socket");
    EXPECT_EQ(name(FdKind::CharDevice), "char device");
    EXPECT_EQ(name(FdKind::File), "file");
    EXPECT_EQ(name(FdKind::Directory), "directory");
    EXPECT_EQ(name(FdKind::BlockDevice), "block device");
    EXPECT_EQ(name(FdKind::Eventfd), "eventfd");
    EXPECT_EQ(name(FdKind::Timerfd), "timerfd");
    EXPECT_EQ(name(FdKind::Epoll), "epoll");
    EXPECT_EQ(name(FdKind::Signalfd), "signalfd");
    EXPECT_EQ(name(FdKind::IoUring), "io_uring");
    EXPECT_EQ(name(FdKind::Inotify), "inotify");
    EXPECT_EQ(name(FdKind::Pidfd), "pidfd");
    EXPECT_EQ(name(FdKind::BpfMap), "bpf map");
    EXPECT_EQ(name(FdKind::Unknown), "unknown");
    const FdFact anon{.number = 3, .kind = FdKind::OtherAnon, .anon_name = "[some_new_fd]"};
    EXPECT_EQ(fd_kind_name(anon), "some_new_fd");
}

TEST(SyscallValueNamesTest, ClocksAndFutexOps) {
    EXPECT_EQ(clock_name(0), "CLOCK_REALTIME");
    EXPECT_EQ(clock_name(11), "CLOCK_TAI");
    EXPECT_EQ(clock_name(10), "clock_10");
    EXPECT_EQ(clock_name(-6), "clock_-6");
    EXPECT_EQ(futex_op_name(13 | 128 | 256), "FUTEX_LOCK_PI2_PRIVATE|FUTEX_CLOCK_REALTIME");
    EXPECT_EQ(futex_op_name(14), "0xe");
}

}  // namespace
}  // namespace threadleak
