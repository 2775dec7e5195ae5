// Unit tests for userspace/syscalls/syscall_decode.cpp and futex.cpp: the typed
// facts a decode yields (futex address and op, fd and its kind, timeout form,
// length, deadline and clock). How they read in a report is tested in
// tests/unit/formats/syscall_text_test.cpp.
#include <gtest/gtest.h>

#include <sys/stat.h>

#include "syscalls/syscall_decode.h"
#include "../support/raw_syscall.h"

namespace threadleak {
namespace {

using enum ArgType;

using test::call;
using test::with_timeout;

const SyscallArg* find_arg(const DecodedSyscall& d, const std::string& name) {
    for (const auto& a : d.args)
        if (a.name == name) return &a;
    return nullptr;
}

/// The argument `name`, which must be there with type `type`; its raw register.
uint64_t arg(const DecodedSyscall& d, const std::string& name, ArgType type) {
    const SyscallArg* a = find_arg(d, name);
    EXPECT_NE(a, nullptr) << name;
    if (!a) return 0xdeadbeef;
    EXPECT_EQ(a->type, type) << name;
    return a->raw;
}

constexpr int64_t kRead = 0, kPoll = 7, kFutex = 202, kClockNanosleep = 230,
                  kEpollWait = 232, kSelect = 23, kIoUringEnter = 426, kFutexWaitv = 449;
constexpr int64_t kRealtime = 0, kMonotonic = 1;

TEST(SyscallDecodeTest, UnknownSyscallKeepsRawArgs) {
    DecodedSyscall d = decode_syscall(call(999, {1, 2, 3, 4, 5, 0xff}));
    EXPECT_EQ(d.nr, 999);
    EXPECT_EQ(d.syscall, "syscall_999");
    ASSERT_EQ(d.args.size(), 6u);
    EXPECT_EQ(d.args[5], (SyscallArg{"arg5", Raw, 0xff}));
    EXPECT_EQ(d.args[0], (SyscallArg{"arg0", Raw, 1}));
    EXPECT_FALSE(d.timeout_ns);
    EXPECT_FALSE(d.timeout);
    EXPECT_FALSE(d.fd);
    EXPECT_FALSE(d.futex);
}

TEST(SyscallDecodeTest, FutexWaitPrivateWithoutTimeoutWaitsForever) {
    DecodedSyscall d = decode_syscall(call(kFutex, {0x7f3e9c0010a8, 128, 0, 0, 0, 0}));
    EXPECT_EQ(d.syscall, "futex");
    ASSERT_TRUE(d.futex);
    EXPECT_EQ(d.futex->uaddr, 0x7f3e9c0010a8u);
    EXPECT_EQ(d.futex->cmd, FutexCmd::Wait);
    EXPECT_TRUE(d.futex->is_private);
    EXPECT_FALSE(d.futex->clock_realtime);
    EXPECT_EQ(d.futex->val, 0);
    EXPECT_FALSE(d.futex->uaddr2);
    EXPECT_FALSE(d.futex->val3);
    ASSERT_TRUE(d.timeout);
    EXPECT_EQ(d.timeout->form, TimeoutForm::None);
    EXPECT_FALSE(d.timeout->absolute);
    EXPECT_FALSE(d.timeout_ns);
    ASSERT_EQ(d.args.size(), 4u);
    EXPECT_EQ(d.args[0], (SyscallArg{"uaddr", Address, 0x7f3e9c0010a8}));
    EXPECT_EQ(d.args[1], (SyscallArg{"op", FutexOp, 128}));
    EXPECT_EQ(d.args[2], (SyscallArg{"val", Int, 0}));
    EXPECT_EQ(d.args[3], (SyscallArg{"timeout", Timeout, 0}));
}

TEST(SyscallDecodeTest, FutexWaitRelativeTimeoutGivesTimeoutNs) {
    const RawSyscall r = call(kFutex, {0x1000, 0, 2, 0x7ffd0000, 0, 0});
    DecodedSyscall d = decode_syscall(with_timeout(r, 2, 500'000'000));
    ASSERT_TRUE(d.futex);
    EXPECT_EQ(d.futex->cmd, FutexCmd::Wait);
    EXPECT_FALSE(d.futex->is_private);
    EXPECT_EQ(d.futex->val, 2);
    ASSERT_TRUE(d.timeout);
    EXPECT_EQ(d.timeout->form, TimeoutForm::Relative);
    EXPECT_FALSE(d.timeout->absolute);
    EXPECT_EQ(d.timeout->relative_ns, 2'500'000'000);
    EXPECT_EQ(d.timeout->pointer, 0x7ffd0000u);
    ASSERT_TRUE(d.timeout_ns);
    EXPECT_EQ(*d.timeout_ns, 2'500'000'000);
}

TEST(SyscallDecodeTest, FutexTimeoutPointerNotReadIsNotForever) {
    DecodedSyscall d = decode_syscall(call(kFutex, {0x1000, 128, 0, 0x7ffd0010, 0, 0}));
    ASSERT_TRUE(d.timeout);
    EXPECT_EQ(d.timeout->form, TimeoutForm::Unread);
    EXPECT_FALSE(d.timeout->absolute);
    EXPECT_EQ(d.timeout->pointer, 0x7ffd0010u);
    EXPECT_FALSE(d.timeout_ns);
}

TEST(SyscallDecodeTest, FutexWaitBitsetIsAnAbsoluteDeadline) {
    DecodedSyscall d = decode_syscall(
        with_timeout(call(kFutex, {0x1000, 9 | 128 | 256, 0, 0x7ffd0000, 0, 0xffffffff}),
                     1700000000, 5));
    ASSERT_TRUE(d.futex);
    EXPECT_EQ(d.futex->uaddr, 0x1000u);
    EXPECT_EQ(d.futex->cmd, FutexCmd::WaitBitset);
    EXPECT_TRUE(d.futex->is_private);
    EXPECT_TRUE(d.futex->clock_realtime);
    EXPECT_EQ(d.futex->val, 0);
    EXPECT_EQ(d.futex->val3, 0xffffffffu);
    ASSERT_TRUE(d.timeout);
    EXPECT_EQ(d.timeout->form, TimeoutForm::Absolute);
    EXPECT_TRUE(d.timeout->absolute);
    EXPECT_EQ(d.timeout->deadline_sec, 1700000000);
    EXPECT_EQ(d.timeout->deadline_nsec, 5);
    EXPECT_EQ(d.timeout->clock_id, kRealtime);
    EXPECT_EQ(arg(d, "bitset", Bitset), 0xffffffffu);
    EXPECT_FALSE(d.timeout_ns);
}

TEST(SyscallDecodeTest, FutexWaitBitsetDefaultsToMonotonic) {
    DecodedSyscall d = decode_syscall(
        with_timeout(call(kFutex, {0x1000, 9, 0, 0x7ffd0000, 0, 0xffffffff}), 12, 0));
    ASSERT_TRUE(d.timeout);
    EXPECT_EQ(d.timeout->form, TimeoutForm::Absolute);
    EXPECT_EQ(d.timeout->clock_id, kMonotonic);
    EXPECT_EQ(d.timeout->deadline_sec, 12);
    EXPECT_EQ(d.timeout->deadline_nsec, 0);

    DecodedSyscall forever = decode_syscall(call(kFutex, {0x1000, 9 | 128, 0, 0, 0, 0xffffffff}));
    ASSERT_TRUE(forever.timeout);
    EXPECT_EQ(forever.timeout->form, TimeoutForm::None);
    EXPECT_TRUE(forever.timeout->absolute);
    EXPECT_FALSE(forever.timeout_ns);
}

TEST(SyscallDecodeTest, FutexPiOps) {
    DecodedSyscall lock = decode_syscall(call(kFutex, {0x1000, 6, 0, 0, 0, 0}));
    ASSERT_TRUE(lock.futex);
    EXPECT_EQ(lock.futex->cmd, FutexCmd::LockPi);
    EXPECT_FALSE(lock.futex->is_private);
    EXPECT_FALSE(lock.futex->val);  // LOCK_PI ignores val
    EXPECT_FALSE(find_arg(lock, "val"));

    DecodedSyscall priv = decode_syscall(call(kFutex, {0x1000, 6 | 128, 0, 0, 0, 0}));
    ASSERT_TRUE(priv.futex);
    EXPECT_EQ(priv.futex->cmd, FutexCmd::LockPi);
    EXPECT_TRUE(priv.futex->is_private);

    DecodedSyscall timed =
        decode_syscall(with_timeout(call(kFutex, {0x1000, 6 | 128, 0, 0x7ffd0000, 0, 0}), 3, 0));
    ASSERT_TRUE(timed.timeout);
    EXPECT_EQ(timed.timeout->form, TimeoutForm::Absolute);
    EXPECT_EQ(timed.timeout->clock_id, kRealtime);  // LOCK_PI: CLOCK_REALTIME always
    EXPECT_EQ(timed.timeout->deadline_sec, 3);

    DecodedSyscall requeue = decode_syscall(call(kFutex, {0x1000, 11 | 128, 7, 0, 0x2000, 0}));
    ASSERT_TRUE(requeue.futex);
    EXPECT_EQ(requeue.futex->cmd, FutexCmd::WaitRequeuePi);
    EXPECT_TRUE(requeue.futex->is_private);
    EXPECT_EQ(requeue.futex->uaddr2, 0x2000u);
    EXPECT_EQ(requeue.futex->val, 7);
    EXPECT_EQ(arg(requeue, "uaddr2", Address), 0x2000u);
    EXPECT_EQ(arg(requeue, "val", Int), 7u);
}

TEST(SyscallDecodeTest, FutexRequeueOpsCarryTheirSecondFutex) {
    DecodedSyscall d = decode_syscall(call(kFutex, {0x1000, 4 | 128, 1, 0x7fffffff, 0x3000, 5}));
    ASSERT_TRUE(d.futex);
    EXPECT_EQ(d.futex->cmd, FutexCmd::CmpRequeue);
    EXPECT_EQ(d.futex->val, 1);
    EXPECT_EQ(d.futex->val2, 0x7fffffff);
    EXPECT_EQ(d.futex->uaddr2, 0x3000u);
    EXPECT_EQ(d.futex->val3, 5u);
    EXPECT_FALSE(d.timeout);  // the timeout slot is val2 here
}

TEST(SyscallDecodeTest, FutexUnknownOpHasNoCommand) {
    DecodedSyscall d = decode_syscall(call(kFutex, {0x1000, 0x1f, 0, 0, 0, 0}));
    ASSERT_TRUE(d.futex);
    EXPECT_FALSE(d.futex->cmd);
    EXPECT_EQ(d.futex->op, 0x1fu);
    EXPECT_EQ(arg(d, "op", FutexOp), 0x1fu);
}

TEST(SyscallDecodeTest, PollForeverVersus100ms) {
    DecodedSyscall forever = decode_syscall(call(kPoll, {0x7ffd1000, 2, 0xffffffff, 0, 0, 0}));
    EXPECT_EQ(forever.syscall, "poll");
    EXPECT_EQ(arg(forever, "nfds", Long), 2u);
    EXPECT_EQ(arg(forever, "timeout_ms", TimeoutMs), 0xffffffffu);
    ASSERT_TRUE(forever.timeout);
    EXPECT_EQ(forever.timeout->form, TimeoutForm::None);
    EXPECT_FALSE(forever.timeout_ns);

    DecodedSyscall bounded = decode_syscall(call(kPoll, {0x7ffd1000, 1, 100, 0, 0, 0}));
    ASSERT_TRUE(bounded.timeout);
    EXPECT_EQ(bounded.timeout->form, TimeoutForm::Relative);
    EXPECT_EQ(bounded.timeout->relative_ns, 100'000'000);
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
    DecodedSyscall d = decode_syscall(r);
    EXPECT_EQ(d.syscall, "read");
    ASSERT_EQ(d.args.size(), 3u);
    EXPECT_EQ(d.args[0], (SyscallArg{"fd", Fd, 3}));
    EXPECT_EQ(d.args[1], (SyscallArg{"buf", Address, 0x7ffd2000}));
    EXPECT_EQ(d.args[2], (SyscallArg{"count", Long, 4096}));
    ASSERT_TRUE(d.fd);
    EXPECT_EQ(*d.fd, (FdFact{.number = 3, .kind = FdKind::Pipe}));
    EXPECT_FALSE(d.timeout);
    EXPECT_FALSE(d.timeout_ns);
}

TEST(SyscallDecodeTest, EpollWaitOnAnEpollFd) {
    RawSyscall r = call(kEpollWait, {5, 0x7ffd3000, 64, 0xffffffff, 0, 0});
    r.fd_mode = 0600;  // anon inode: no file type bits
    r.fd_name = "[eventpoll]";
    DecodedSyscall d = decode_syscall(r);
    EXPECT_EQ(d.syscall, "epoll_wait");
    ASSERT_TRUE(d.fd);
    EXPECT_EQ(d.fd->number, 5);
    EXPECT_EQ(d.fd->kind, FdKind::Epoll);
    EXPECT_EQ(arg(d, "maxevents", Int), 64u);
    EXPECT_EQ(arg(d, "timeout_ms", TimeoutMs), 0xffffffffu);
    ASSERT_TRUE(d.timeout);
    EXPECT_EQ(d.timeout->form, TimeoutForm::None);
    EXPECT_FALSE(d.timeout_ns);
}

TEST(SyscallDecodeTest, ClockNanosleepRelativeAndAbsolute) {
    DecodedSyscall d = decode_syscall(
        with_timeout(call(kClockNanosleep, {1, 0, 0x7ffd4000, 0, 0, 0}), 0, 250'000'000));
    EXPECT_EQ(arg(d, "clockid", ClockId), 1u);
    EXPECT_EQ(arg(d, "flags", SleepFlags), 0u);
    ASSERT_TRUE(d.timeout);
    EXPECT_EQ(d.timeout->form, TimeoutForm::Relative);
    EXPECT_FALSE(d.timeout->absolute);
    EXPECT_EQ(d.timeout->clock_id, kMonotonic);
    EXPECT_EQ(d.timeout->relative_ns, 250'000'000);
    ASSERT_TRUE(d.timeout_ns);
    EXPECT_EQ(*d.timeout_ns, 250'000'000);

    DecodedSyscall a = decode_syscall(
        with_timeout(call(kClockNanosleep, {0, 1, 0x7ffd4000, 0, 0, 0}), 1700000000, 123456789));
    EXPECT_EQ(arg(a, "clockid", ClockId), 0u);
    EXPECT_EQ(arg(a, "flags", SleepFlags), 1u);
    ASSERT_TRUE(a.timeout);
    EXPECT_EQ(a.timeout->form, TimeoutForm::Absolute);
    EXPECT_TRUE(a.timeout->absolute);
    EXPECT_EQ(a.timeout->clock_id, kRealtime);
    EXPECT_EQ(a.timeout->deadline_sec, 1700000000);
    EXPECT_EQ(a.timeout->deadline_nsec, 123456789);
    EXPECT_FALSE(a.timeout_ns);
}

TEST(SyscallDecodeTest, SelectReadsATimeval) {
    DecodedSyscall d =
        decode_syscall(with_timeout(call(kSelect, {4, 0x1000, 0, 0, 0x7ffd5000, 0}), 1, 500));
    ASSERT_TRUE(d.timeout);
    EXPECT_EQ(d.timeout->form, TimeoutForm::Relative);
    EXPECT_EQ(d.timeout->relative_ns, 1'000'500'000);  // tv_usec, not tv_nsec
    ASSERT_TRUE(d.timeout_ns);
    EXPECT_EQ(*d.timeout_ns, 1'000'500'000);
    EXPECT_EQ(arg(d, "nfds", Int), 4u);
    EXPECT_EQ(arg(d, "writefds", Address), 0u);
}

TEST(SyscallDecodeTest, InvalidTimespecIsNotATimeout) {
    DecodedSyscall d = decode_syscall(
        with_timeout(call(kFutex, {0x1000, 0, 0, 0x7ffd0000, 0, 0}), 1, 1'000'000'000));
    EXPECT_FALSE(d.timeout_ns);
    ASSERT_TRUE(d.timeout);
    EXPECT_EQ(d.timeout->form, TimeoutForm::Invalid);
    EXPECT_EQ(d.timeout->value_sec, 1);
    EXPECT_EQ(d.timeout->value_subsec, 1'000'000'000);
}

TEST(SyscallDecodeTest, FutexWaitvHasAnAbsoluteDeadlineOnItsClock) {
    DecodedSyscall d =
        decode_syscall(with_timeout(call(kFutexWaitv, {0x1000, 2, 0, 0x7ffd0000, 1, 0}), 5, 0));
    EXPECT_EQ(arg(d, "waiters", Address), 0x1000u);
    EXPECT_EQ(arg(d, "nr_futexes", UInt), 2u);
    ASSERT_TRUE(d.timeout);
    EXPECT_EQ(d.timeout->form, TimeoutForm::Absolute);
    EXPECT_EQ(d.timeout->clock_id, kMonotonic);
    EXPECT_EQ(d.timeout->deadline_sec, 5);
    EXPECT_FALSE(d.timeout_ns);
    EXPECT_FALSE(d.futex);  // futex(2) only
}

TEST(SyscallDecodeTest, IoUringEnterNamesItsFd) {
    RawSyscall r = call(kIoUringEnter, {7, 0, 1, 1, 0, 0});
    r.fd_name = "[io_uring]";
    DecodedSyscall d = decode_syscall(r);
    ASSERT_TRUE(d.fd);
    EXPECT_EQ(*d.fd, (FdFact{.number = 7, .kind = FdKind::IoUring}));
    EXPECT_EQ(arg(d, "min_complete", UInt), 1u);
}

TEST(SyscallDecodeTest, NegativeFdStaysNegative) {
    DecodedSyscall d = decode_syscall(call(kRead, {0xffffffff, 0, 1, 0, 0, 0}));
    ASSERT_TRUE(d.fd);
    EXPECT_EQ(d.fd->number, -1);
    EXPECT_EQ(d.fd->kind, FdKind::Unknown);
}

TEST(SyscallDecodeTest, OnlyTheFirstArgumentHasAnFdFact) {
    DecodedSyscall d = decode_syscall(call(35, {0x7ffd1000, 0, 0, 0, 0, 0}));  // nanosleep
    EXPECT_FALSE(d.fd);
    RawSyscall r = call(40, {4, 5, 0, 100, 0, 0});  // sendfile(out_fd, in_fd, ...)
    r.fd_mode = S_IFSOCK | 0777;
    DecodedSyscall s = decode_syscall(r);
    ASSERT_TRUE(s.fd);
    EXPECT_EQ(*s.fd, (FdFact{.number = 4, .kind = FdKind::Socket}));
    EXPECT_EQ(arg(s, "in_fd", Int), 5u);
}

TEST(SyscallDecodeTest, InterruptedSleepSharingItsRemainderBufferReportsOnlyTheTimeLeft) {
    RawSyscall raw = with_timeout(call(kClockNanosleep, {1, 0, 0x7ffd1000, 0x7ffd1000, 0, 0}), 0,
                                  2'500'000);
    raw.captured_after_interruption = true;
    DecodedSyscall d = decode_syscall(raw);
    EXPECT_FALSE(d.timeout_ns.has_value());
    ASSERT_TRUE(d.timeout);
    EXPECT_EQ(d.timeout->form, TimeoutForm::Overwritten);
    EXPECT_EQ(d.timeout->remaining_ns, 2'500'000);

    raw.captured_after_interruption = false;  // captured alive: the request is intact
    DecodedSyscall alive = decode_syscall(raw);
    ASSERT_TRUE(alive.timeout);
    EXPECT_EQ(alive.timeout->form, TimeoutForm::Relative);
    EXPECT_EQ(alive.timeout_ns, 2'500'000);
}

}  // namespace
}  // namespace threadleak
