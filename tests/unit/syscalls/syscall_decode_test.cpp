// Unit tests for userspace/syscalls/syscall_decode.cpp: names, futex ops, timeouts, fd kinds.
#include <gtest/gtest.h>

#include <sys/stat.h>

#include "syscalls/syscall_decode.h"

namespace threadleak {
namespace {

RawSyscall call(int64_t nr, std::array<uint64_t, 6> args) {
    RawSyscall r;
    r.nr = nr;
    r.args = args;
    return r;
}

const SyscallArg* find_arg(const DecodedSyscall& b, const std::string& name) {
    for (const auto& a : b.args)
        if (a.name == name) return &a;
    return nullptr;
}

std::string str_arg(const DecodedSyscall& b, const std::string& name) {
    const SyscallArg* a = find_arg(b, name);
    if (!a) return "<missing " + name + ">";
    if (auto* s = std::get_if<std::string>(&a->value)) return *s;
    return "<int " + std::to_string(std::get<int64_t>(a->value)) + ">";
}

int64_t int_arg(const DecodedSyscall& b, const std::string& name) {
    const SyscallArg* a = find_arg(b, name);
    EXPECT_NE(a, nullptr) << name;
    if (!a) return -12345;
    EXPECT_TRUE(std::holds_alternative<int64_t>(a->value)) << name;
    return std::holds_alternative<int64_t>(a->value) ? std::get<int64_t>(a->value) : -12345;
}

constexpr int64_t kRead = 0, kPoll = 7, kFutex = 202, kClockNanosleep = 230,
                  kEpollWait = 232, kSelect = 23, kIoUringEnter = 426, kFutexWaitv = 449;

TEST(SyscallNameTest, KnowsTheWholeX86_64Table) {
    EXPECT_EQ(syscall_name(0), "read");
    EXPECT_EQ(syscall_name(7), "poll");
    EXPECT_EQ(syscall_name(202), "futex");
    EXPECT_EQ(syscall_name(230), "clock_nanosleep");
    EXPECT_EQ(syscall_name(231), "exit_group");
    EXPECT_EQ(syscall_name(334), "rseq");
    EXPECT_EQ(syscall_name(424), "pidfd_send_signal");
    EXPECT_EQ(syscall_name(435), "clone3");
    EXPECT_EQ(syscall_name(449), "futex_waitv");
    EXPECT_EQ(syscall_name(462), "mseal");
}

TEST(SyscallNameTest, UnknownNumbersAreSyscallN) {
    EXPECT_EQ(syscall_name(999), "syscall_999");
    EXPECT_EQ(syscall_name(400), "syscall_400");  // the x86_64 hole 336..423
    EXPECT_EQ(syscall_name(463), "syscall_463");
    EXPECT_EQ(syscall_name(-1), "syscall_-1");
}

TEST(SyscallDecodeTest, UnknownSyscallKeepsRawArgs) {
    DecodedSyscall b = decode_syscall(call(999, {1, 2, 3, 4, 5, 0xff}));
    EXPECT_EQ(b.syscall, "syscall_999");
    ASSERT_EQ(b.args.size(), 6u);
    EXPECT_EQ(str_arg(b, "arg5"), "0xff");
    EXPECT_FALSE(b.timeout_ns);
}

TEST(SyscallDecodeTest, FutexWaitPrivateWithoutTimeoutWaitsForever) {
    DecodedSyscall b = decode_syscall(call(kFutex, {0x7f3e9c0010a8, 128, 0, 0, 0, 0}));
    EXPECT_EQ(b.syscall, "futex");
    EXPECT_EQ(str_arg(b, "uaddr"), "0x7f3e9c0010a8");
    EXPECT_EQ(str_arg(b, "op"), "FUTEX_WAIT_PRIVATE");
    EXPECT_EQ(int_arg(b, "val"), 0);
    EXPECT_EQ(str_arg(b, "timeout"), "none");
    EXPECT_FALSE(b.timeout_ns);
    EXPECT_EQ(b.args[0].name, "uaddr");
    EXPECT_EQ(b.args[1].name, "op");
}

TEST(SyscallDecodeTest, FutexWaitRelativeTimeoutGivesTimeoutNs) {
    RawSyscall r = call(kFutex, {0x1000, 0, 2, 0x7ffd0000, 0, 0});
    r.timeout_valid = true;
    r.timeout = {2, 500'000'000};
    DecodedSyscall b = decode_syscall(r);
    EXPECT_EQ(str_arg(b, "op"), "FUTEX_WAIT");
    EXPECT_EQ(int_arg(b, "val"), 2);
    ASSERT_TRUE(b.timeout_ns);
    EXPECT_EQ(*b.timeout_ns, 2'500'000'000);
    EXPECT_EQ(str_arg(b, "timeout"), "2.5s");
}

TEST(SyscallDecodeTest, FutexTimeoutPointerNotReadIsNotForever) {
    DecodedSyscall b = decode_syscall(call(kFutex, {0x1000, 128, 0, 0x7ffd0010, 0, 0}));
    EXPECT_EQ(str_arg(b, "timeout"), "0x7ffd0010 (unread)");
    EXPECT_FALSE(b.timeout_ns);
}

TEST(SyscallDecodeTest, FutexWaitBitsetIsAnAbsoluteDeadline) {
    RawSyscall r = call(kFutex, {0x1000, 9 | 128 | 256, 0, 0x7ffd0000, 0, 0xffffffff});
    r.timeout_valid = true;
    r.timeout = {1700000000, 5};
    DecodedSyscall b = decode_syscall(r);
    EXPECT_EQ(str_arg(b, "op"), "FUTEX_WAIT_BITSET_PRIVATE|FUTEX_CLOCK_REALTIME");
    EXPECT_EQ(str_arg(b, "deadline"), "1700000000.000000005 (CLOCK_REALTIME)");
    EXPECT_EQ(str_arg(b, "bitset"), "0xffffffff");
    EXPECT_FALSE(b.timeout_ns);
}

TEST(SyscallDecodeTest, FutexWaitBitsetDefaultsToMonotonic) {
    RawSyscall r = call(kFutex, {0x1000, 9, 0, 0x7ffd0000, 0, 0xffffffff});
    r.timeout_valid = true;
    r.timeout = {12, 0};
    EXPECT_EQ(str_arg(decode_syscall(r), "deadline"), "12.000000000 (CLOCK_MONOTONIC)");
    EXPECT_EQ(str_arg(decode_syscall(call(kFutex, {0x1000, 9 | 128, 0, 0, 0, 0xffffffff})),
                      "timeout"),
              "none");
}

TEST(SyscallDecodeTest, FutexPiOps) {
    EXPECT_EQ(str_arg(decode_syscall(call(kFutex, {0x1000, 6, 0, 0, 0, 0})), "op"),
              "FUTEX_LOCK_PI");
    EXPECT_EQ(str_arg(decode_syscall(call(kFutex, {0x1000, 6 | 128, 0, 0, 0, 0})), "op"),
              "FUTEX_LOCK_PI_PRIVATE");
    RawSyscall r = call(kFutex, {0x1000, 6 | 128, 0, 0x7ffd0000, 0, 0});
    r.timeout_valid = true;
    r.timeout = {3, 0};
    EXPECT_EQ(str_arg(decode_syscall(r), "deadline"), "3.000000000 (CLOCK_REALTIME)");

    DecodedSyscall b = decode_syscall(call(kFutex, {0x1000, 11 | 128, 7, 0, 0x2000, 0}));
    EXPECT_EQ(str_arg(b, "op"), "FUTEX_WAIT_REQUEUE_PI_PRIVATE");
    EXPECT_EQ(str_arg(b, "uaddr2"), "0x2000");
    EXPECT_EQ(int_arg(b, "val"), 7);
}

TEST(SyscallDecodeTest, FutexUnknownOpIsHex) {
    EXPECT_EQ(str_arg(decode_syscall(call(kFutex, {0x1000, 0x1f, 0, 0, 0, 0})), "op"), "0x1f");
}

TEST(SyscallDecodeTest, PollForeverVersus100ms) {
    DecodedSyscall forever = decode_syscall(call(kPoll, {0x7ffd1000, 2, 0xffffffff, 0, 0, 0}));
    EXPECT_EQ(forever.syscall, "poll");
    EXPECT_EQ(int_arg(forever, "nfds"), 2);
    EXPECT_EQ(int_arg(forever, "timeout_ms"), -1);
    EXPECT_FALSE(forever.timeout_ns);

    DecodedSyscall bounded = decode_syscall(call(kPoll, {0x7ffd1000, 1, 100, 0, 0, 0}));
    ASSERT_TRUE(bounded.timeout_ns);
    EXPECT_EQ(*bounded.timeout_ns, 100'000'000);

    DecodedSyscall zero = decode_syscall(call(kPoll, {0x7ffd1000, 1, 0, 0, 0, 0}));
    ASSERT_TRUE(zero.timeout_ns);
    EXPECT_EQ(*zero.timeout_ns, 0);
}

TEST(SyscallDecodeTest, ReadOnAPipe) {
    RawSyscall r = call(kRead, {3, 0x7ffd2000, 4096, 0, 0, 0});
    r.fd_mode = S_IFIFO | 0600;
    r.fd_name = "pipe:";
    DecodedSyscall b = decode_syscall(r);
    EXPECT_EQ(b.syscall, "read");
    ASSERT_EQ(b.args.size(), 4u);
    EXPECT_EQ(b.args[0], (SyscallArg{"fd", int64_t{3}}));
    EXPECT_EQ(b.args[1], (SyscallArg{"fd_kind", std::string("pipe")}));
    EXPECT_EQ(str_arg(b, "buf"), "0x7ffd2000");
    EXPECT_EQ(int_arg(b, "count"), 4096);
    EXPECT_FALSE(b.timeout_ns);
}

TEST(SyscallDecodeTest, EpollWaitOnAnEpollFd) {
    RawSyscall r = call(kEpollWait, {5, 0x7ffd3000, 64, 0xffffffff, 0, 0});
    r.fd_mode = 0600;  // anon inode: no file type bits
    r.fd_name = "[eventpoll]";
    DecodedSyscall b = decode_syscall(r);
    EXPECT_EQ(b.syscall, "epoll_wait");
    EXPECT_EQ(int_arg(b, "fd"), 5);
    EXPECT_EQ(str_arg(b, "fd_kind"), "epoll");
    EXPECT_EQ(int_arg(b, "maxevents"), 64);
    EXPECT_EQ(int_arg(b, "timeout_ms"), -1);
    EXPECT_FALSE(b.timeout_ns);
}

TEST(SyscallDecodeTest, ClockNanosleepRelativeAndAbsolute) {
    RawSyscall rel = call(kClockNanosleep, {1, 0, 0x7ffd4000, 0, 0, 0});
    rel.timeout_valid = true;
    rel.timeout = {0, 250'000'000};
    DecodedSyscall b = decode_syscall(rel);
    EXPECT_EQ(str_arg(b, "clockid"), "CLOCK_MONOTONIC");
    EXPECT_EQ(str_arg(b, "flags"), "0");
    ASSERT_TRUE(b.timeout_ns);
    EXPECT_EQ(*b.timeout_ns, 250'000'000);
    EXPECT_EQ(str_arg(b, "timeout"), "250ms");

    RawSyscall abs = call(kClockNanosleep, {0, 1, 0x7ffd4000, 0, 0, 0});
    abs.timeout_valid = true;
    abs.timeout = {1700000000, 123456789};
    DecodedSyscall a = decode_syscall(abs);
    EXPECT_EQ(str_arg(a, "clockid"), "CLOCK_REALTIME");
    EXPECT_EQ(str_arg(a, "flags"), "TIMER_ABSTIME");
    EXPECT_EQ(str_arg(a, "deadline"), "1700000000.123456789 (CLOCK_REALTIME)");
    EXPECT_FALSE(a.timeout_ns);
}

TEST(SyscallDecodeTest, SelectReadsATimeval) {
    RawSyscall r = call(kSelect, {4, 0x1000, 0, 0, 0x7ffd5000, 0});
    r.timeout_valid = true;
    r.timeout = {1, 500};  // tv_sec, tv_usec
    DecodedSyscall b = decode_syscall(r);
    ASSERT_TRUE(b.timeout_ns);
    EXPECT_EQ(*b.timeout_ns, 1'000'500'000);
    EXPECT_EQ(str_arg(b, "writefds"), "0x0");
}

TEST(SyscallDecodeTest, InvalidTimespecIsNotATimeout) {
    RawSyscall r = call(kFutex, {0x1000, 0, 0, 0x7ffd0000, 0, 0});
    r.timeout_valid = true;
    r.timeout = {1, 1'000'000'000};
    DecodedSyscall b = decode_syscall(r);
    EXPECT_FALSE(b.timeout_ns);
    EXPECT_EQ(str_arg(b, "timeout"), "invalid {tv_sec=1, tv_nsec=1000000000}");
}

TEST(SyscallDecodeTest, FutexWaitvHasAnAbsoluteDeadlineOnItsClock) {
    RawSyscall r = call(kFutexWaitv, {0x1000, 2, 0, 0x7ffd0000, 1, 0});
    r.timeout_valid = true;
    r.timeout = {5, 0};
    DecodedSyscall b = decode_syscall(r);
    EXPECT_EQ(int_arg(b, "nr_futexes"), 2);
    EXPECT_EQ(str_arg(b, "deadline"), "5.000000000 (CLOCK_MONOTONIC)");
}

TEST(SyscallDecodeTest, IoUringEnterNamesItsFd) {
    RawSyscall r = call(kIoUringEnter, {7, 0, 1, 1, 0, 0});
    r.fd_name = "[io_uring]";
    DecodedSyscall b = decode_syscall(r);
    EXPECT_EQ(str_arg(b, "fd_kind"), "io_uring");
    EXPECT_EQ(int_arg(b, "min_complete"), 1);
}

TEST(SyscallDecodeTest, NegativeFdStaysNegative) {
    DecodedSyscall b = decode_syscall(call(kRead, {0xffffffff, 0, 1, 0, 0, 0}));
    EXPECT_EQ(int_arg(b, "fd"), -1);
    EXPECT_EQ(str_arg(b, "fd_kind"), "unknown");
}

TEST(SyscallDescribeFdKindTest, ByInodeType) {
    EXPECT_EQ(describe_fd_kind(S_IFIFO | 0600, "pipe:"), "pipe");
    EXPECT_EQ(describe_fd_kind(S_IFSOCK | 0777, "TCP"), "socket");
    EXPECT_EQ(describe_fd_kind(S_IFCHR | 0620, "pts"), "char device");
    EXPECT_EQ(describe_fd_kind(S_IFREG | 0644, "data.log"), "file");
    EXPECT_EQ(describe_fd_kind(S_IFDIR | 0755, "tmp"), "directory");
    EXPECT_EQ(describe_fd_kind(S_IFBLK | 0660, "sda"), "block device");
}

TEST(SyscallDescribeFdKindTest, AnonInodesByName) {
    EXPECT_EQ(describe_fd_kind(0600, "[eventfd]"), "eventfd");
    EXPECT_EQ(describe_fd_kind(0600, "[timerfd]"), "timerfd");
    EXPECT_EQ(describe_fd_kind(0600, "[eventpoll]"), "epoll");
    EXPECT_EQ(describe_fd_kind(0600, "[signalfd]"), "signalfd");
    EXPECT_EQ(describe_fd_kind(0600, "[io_uring]"), "io_uring");
    EXPECT_EQ(describe_fd_kind(0, "inotify"), "inotify");
    EXPECT_EQ(describe_fd_kind(S_IFREG | 0600, "[pidfd]"), "pidfd");  // pidfs, 6.9+
    EXPECT_EQ(describe_fd_kind(0600, "[some_new_fd]"), "some_new_fd");
}

TEST(SyscallDescribeFdKindTest, NothingKnownIsUnknown) {
    EXPECT_EQ(describe_fd_kind(0, ""), "unknown");
    EXPECT_EQ(describe_fd_kind(0, "x"), "unknown");
}

TEST(SyscallDecodeTest, InterruptedSleepSharingItsRemainderBufferReportsOnlyTheTimeLeft) {
    RawSyscall raw;
    raw.nr = 230;  // clock_nanosleep(CLOCK_MONOTONIC, 0, req, rem == req)
    raw.args = {1, 0, 0x7ffd1000, 0x7ffd1000, 0, 0};
    raw.timeout_valid = true;
    raw.timeout = {0, 2'500'000};
    EXPECT_TRUE(interruption_rewrites_timeout(raw));
    raw.captured_after_interruption = true;
    DecodedSyscall b = decode_syscall(raw);
    EXPECT_FALSE(b.timeout_ns.has_value());
    EXPECT_NE(std::find(b.args.begin(), b.args.end(), SyscallArg{"timeout", std::string("unknown")}),
              b.args.end());
    EXPECT_NE(std::find(b.args.begin(), b.args.end(), SyscallArg{"remaining", std::string("2.5ms")}),
              b.args.end());
}

TEST(SyscallDecodeTest, SleepWithSeparateRemainderBufferKeepsItsRequest) {
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

}  // namespace
}  // namespace threadleak
