// What a blocked thread waits for, from synthetic captures: the call and its
// arguments as the kernel side gives them (decoded the real way), the frames
// above it as symbolization names them, and the target's memory at the futex.
// Then the wait-for graph: chains, deadlocks of two and three threads, a
// mutex whose holder is gone, and the kinds a thread killed at exit gets.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include "analyze/wait_classification.h"
#include "syscalls/syscall_decode.h"

namespace threadleak {
namespace {

constexpr const char* kLibc = "/usr/lib/x86_64-linux-gnu/libc.so.6";
constexpr int64_t kFutex = 202, kRead = 0, kNanosleep = 35, kEpollWait = 232, kAccept4 = 288, kWait4 = 61;
constexpr uint64_t kWaitPrivate = 0 | 128, kWaitBitsetPrivate = 9 | 128, kLockPi = 6;

Frame frame(const std::string& function) {
    Frame f;
    f.module = kLibc;
    f.function = function;
    return f;
}

Stack frames(std::initializer_list<const char*> names) {
    Stack s;
    for (const char* n : names) s.push_back(frame(n));
    return s;
}

BlockedIn blocked(int64_t nr, std::array<uint64_t, 6> args, Stack stack = {}) {
    RawSyscall raw;
    raw.nr = nr;
    raw.args = args;
    BlockedIn b;
    static_cast<DecodedSyscall&>(b) = decode_syscall(raw);
    b.frames = std::move(stack);
    return b;
}

/// A futex wait at `uaddr` whose 16 bytes there are `words`.
BlockedIn futex_wait(uint64_t uaddr, int32_t val, Stack stack, std::array<uint64_t, 2> words = {0, 0}) {
    BlockedIn b = blocked(kFutex, {uaddr, kWaitPrivate, static_cast<uint64_t>(val), 0, 0, 0}, std::move(stack));
    b.object.futex_words = words;
    return b;
}

BlockedIn mutex_wait(uint64_t mutex, int owner) {
    return futex_wait(mutex, 2, frames({"__lll_lock_wait", "___pthread_mutex_lock", "transfer"}),
                      {2, static_cast<uint64_t>(owner)});
}

BlockedIn condvar_wait(uint64_t futex) {
    BlockedIn b = blocked(kFutex, {futex, kWaitBitsetPrivate, 0, 0, 0, 0xffffffff},
                          frames({"__futex_abstimed_wait_common", "__pthread_cond_wait_common",
                                  "pthread_cond_wait@@GLIBC_2.3.2", "worker_loop"}));
    b.object.futex_words = std::array<uint64_t, 2>{0, 0};
    return b;
}

LeakedThread thread(int tid, const std::string& name, BlockedIn b) {
    LeakedThread t;
    t.kind = LeakKind::Unjoined;
    t.thread = {100, "/opt/app", tid, name, 100};
    t.state = ThreadState::Blocked;
    t.blocked_in = std::move(b);
    return t;
}

TEST(WaitClassification, ACondvarWaitNamesItsFutexAndHasNoTimeout) {
    const WaitFacts w = classify_wait(condvar_wait(0x601048));
    EXPECT_EQ(w.kind, WaitKind::Condvar);
    EXPECT_EQ(w.object, 0x601048u);
    EXPECT_FALSE(w.timed);
    EXPECT_FALSE(w.owner_tid);
    EXPECT_FALSE(w.wakes_sent) << "wake tracking was off: not a zero";
}

TEST(WaitClassification, AMutexWaitReadsItsOwnerFromTheWordAfterTheLock) {
    const WaitFacts w = classify_wait(mutex_wait(0x601080, 4242));
    EXPECT_EQ(w.kind, WaitKind::Mutex);
    EXPECT_EQ(w.object, 0x601080u);
    EXPECT_EQ(w.owner_tid, 4242);
}

TEST(WaitClassification, AMutexWhoseMemoryWasNotReadHasNoOwner) {
    BlockedIn b = mutex_wait(0x601080, 4242);
    b.object.futex_words.reset();
    EXPECT_EQ(classify_wait(b).kind, WaitKind::Mutex);
    EXPECT_FALSE(classify_wait(b).owner_tid);
}

TEST(WaitClassification, APiMutexHoldsItsOwnerInTheFutexWord) {
    BlockedIn b = blocked(kFutex, {0x601100, kLockPi | 128, 0, 0, 0, 0},
                          frames({"__pthread_mutex_lock_full", "transfer"}));
    b.object.futex_words = std::array<uint64_t, 2>{0x80000000u | 777u, 0};  // FUTEX_WAITERS | tid
    const WaitFacts w = classify_wait(b);
    EXPECT_EQ(w.kind, WaitKind::Mutex);
    EXPECT_EQ(w.owner_tid, 777);
}

TEST(WaitClassification, TheInnermostKnownFrameWins) {
    // A condvar waiter re-taking its mutex is a mutex wait, not a condvar wait.
    BlockedIn b = futex_wait(0x601080, 2, frames({"__lll_lock_wait", "__pthread_cond_wait_common", "worker"}),
                             {2, 555});
    EXPECT_EQ(classify_wait(b).kind, WaitKind::Mutex);
}

TEST(WaitClassification, AJoinWaitsOnTheJoinedThreadsTidWord) {
    const WaitFacts w =
        classify_wait(futex_wait(0x7f00aa0990, 4301, frames({"__futex_abstimed_wait_common", "__pthread_clockjoin_ex",
                                                               "std::thread::join()", "shutdown"})));
    EXPECT_EQ(w.kind, WaitKind::Join);
    EXPECT_EQ(w.joins_tid, 4301);
}

TEST(WaitClassification, GlibcObjectsByTheirFunctions) {
    const std::pair<const char*, WaitKind> cases[] = {
        {"__new_sem_wait_slow64", WaitKind::Semaphore}, {"pthread_barrier_wait", WaitKind::Barrier},
        {"__pthread_once_slow", WaitKind::Once},        {"__cxa_guard_acquire", WaitKind::Once},
        {"__pthread_rwlock_rdlock_full64", WaitKind::Rwlock},
    };
    for (const auto& [function, kind] : cases)
        EXPECT_EQ(classify_wait(futex_wait(0x601000, 0, frames({"futex_wait", function, "caller"}))).kind, kind)
            << function;
    const WaitFacts w = classify_wait(futex_wait(0x601000, 0, frames({"__pthread_rwlock_wrlock_full64"})));
    EXPECT_EQ(w.for_write, true);
}

TEST(WaitClassification, AFutexOfAnUnknownObjectKeepsItsAddress) {
    const WaitFacts w = classify_wait(futex_wait(0x601000, 0, frames({"my_own_lock"})));
    EXPECT_EQ(w.kind, WaitKind::Unknown);
    EXPECT_EQ(w.object, 0x601000u);
}

TEST(WaitClassification, SyscallsWithoutARuntimeObject) {
    BlockedIn sleep = blocked(kNanosleep, {0x7ffd0000, 0, 0, 0, 0, 0});
    EXPECT_EQ(classify_wait(sleep).kind, WaitKind::Sleep);
    EXPECT_TRUE(classify_wait(sleep).timed);

    BlockedIn epoll = blocked(kEpollWait, {5, 0x7ffd0000, 16, static_cast<uint64_t>(-1), 0, 0});
    EXPECT_EQ(classify_wait(epoll).kind, WaitKind::Epoll);
    EXPECT_FALSE(classify_wait(epoll).timed) << "a timeout of -1 waits forever";
    EXPECT_EQ(classify_wait(epoll).fd, 5);

    BlockedIn timed_epoll = blocked(kEpollWait, {5, 0x7ffd0000, 16, 250, 0, 0});
    EXPECT_TRUE(classify_wait(timed_epoll).timed);
    EXPECT_EQ(classify_wait(timed_epoll).timeout_ns, 250'000'000);

    EXPECT_EQ(classify_wait(blocked(kAccept4, {3, 0, 0, 0, 0, 0})).kind, WaitKind::Accept);
    EXPECT_EQ(classify_wait(blocked(kWait4, {static_cast<uint64_t>(-1), 0, 0, 0, 0, 0})).kind, WaitKind::Child);
}

TEST(WaitClassification, AReadOnAPipeSaysHowManyWriteEndsAreOpen) {
    RawSyscall raw;
    raw.nr = kRead;
    raw.args = {7, 0x7ffd0000, 512, 0, 0, 0};
    raw.fd_mode = S_IFIFO | 0600;
    raw.fd_name = "pipe:";
    BlockedIn b;
    static_cast<DecodedSyscall&>(b) = decode_syscall(raw);
    b.object.pipe_writers = 1;
    b.object.fd_ino = 55501;
    const WaitFacts w = classify_wait(b);
    EXPECT_EQ(w.kind, WaitKind::Read);
    EXPECT_EQ(w.fd, 7);
    EXPECT_EQ(w.fd_kind, FdKind::Pipe);
    EXPECT_EQ(w.pipe_writers, 1u);
    EXPECT_EQ(w.fd_ino, 55501u);
}

/// read(4, ...) on a timerfd, as the kernel side describes its fd.
BlockedIn timerfd_read() {
    RawSyscall raw;
    raw.nr = kRead;
    raw.args = {4, 0x7ffd0000, 8, 0, 0, 0};
    raw.fd_name = "[timerfd]";
    BlockedIn b;
    static_cast<DecodedSyscall&>(b) = decode_syscall(raw);
    return b;
}

TEST(WaitClassification, AReadOnATimerfdIsATimerWait) {
    EXPECT_EQ(classify_wait(timerfd_read()).kind, WaitKind::Timerfd);
}

TEST(WaitGraph, AWaiterPointsAtTheHolderWhichIsListedFirst) {
    std::vector<LeakedThread> threads = {thread(201, "blocked-on-m", mutex_wait(0x601080, 200)),
                                         thread(200, "holder", condvar_wait(0x601048))};
    const std::vector<Deadlock> deadlocks = explain_waits(threads);
    EXPECT_TRUE(deadlocks.empty());
    ASSERT_TRUE(threads[0].waits_for);
    EXPECT_EQ(threads[0].waits_for->tid, 200);
    EXPECT_EQ(threads[0].waits_for->name, "holder");
    EXPECT_TRUE(threads[0].waits_for->found);
    EXPECT_EQ(threads[0].waits_for->waits_in, WaitKind::Condvar);
    EXPECT_EQ(threads[0].kind, LeakKind::Parked);
    EXPECT_EQ(threads[1].kind, LeakKind::Parked);
    EXPECT_FALSE(threads[1].waits_for);
}

TEST(WaitGraph, TwoThreadsInALockOrderDeadlock) {
    std::vector<LeakedThread> threads = {thread(300, "dl-a", mutex_wait(0x601080, 301)),
                                         thread(301, "dl-b", mutex_wait(0x6010c0, 300)),
                                         thread(302, "bystander", condvar_wait(0x601048))};
    const std::vector<Deadlock> deadlocks = explain_waits(threads);
    ASSERT_EQ(deadlocks.size(), 1u);
    const Deadlock& d = deadlocks[0];
    EXPECT_EQ(d.pid, 100);
    EXPECT_EQ(d.cycle, (std::vector<int>{300, 301}));
    ASSERT_EQ(d.edges.size(), 2u);
    EXPECT_EQ(d.edges[0].tid, 300);
    EXPECT_EQ(d.edges[0].held_by, 301);
    EXPECT_EQ(d.edges[0].object, 0x601080u);
    EXPECT_EQ(d.edges[1].held_by, 300);
    EXPECT_EQ(threads[0].kind, LeakKind::Deadlock);
    EXPECT_EQ(threads[1].kind, LeakKind::Deadlock);
    EXPECT_EQ(threads[0].deadlock, 0u);
    EXPECT_EQ(threads[2].kind, LeakKind::Parked);
    EXPECT_FALSE(threads[2].deadlock);
}

TEST(WaitGraph, AThreeThreadRingAndAWaiterOutsideIt) {
    std::vector<LeakedThread> threads = {thread(400, "ring-0", mutex_wait(0x1000, 401)),
                                         thread(401, "ring-1", mutex_wait(0x2000, 402)),
                                         thread(402, "ring-2", mutex_wait(0x3000, 400)),
                                         thread(403, "late", mutex_wait(0x1000, 401))};
    const std::vector<Deadlock> deadlocks = explain_waits(threads);
    ASSERT_EQ(deadlocks.size(), 1u);
    EXPECT_EQ(deadlocks[0].cycle, (std::vector<int>{400, 401, 402}));
    EXPECT_EQ(threads[3].kind, LeakKind::Parked) << "it waits on the ring, but is not in it";
    EXPECT_EQ(threads[3].waits_for->tid, 401);
}

TEST(WaitGraph, AMutexWhoseHolderExitedSaysSo) {
    std::vector<LeakedThread> threads = {thread(500, "waiter", mutex_wait(0x1000, 499))};
    explain_waits(threads);
    ASSERT_TRUE(threads[0].waits_for);
    EXPECT_EQ(threads[0].waits_for->tid, 499);
    EXPECT_FALSE(threads[0].waits_for->found);
}

TEST(WaitGraph, ThreadsOfAnotherProcessAreNotConfused) {
    LeakedThread other = thread(200, "holder", condvar_wait(0x601048));
    other.thread.pid = 999;
    std::vector<LeakedThread> threads = {thread(201, "waiter", mutex_wait(0x601080, 200)), other};
    explain_waits(threads);
    EXPECT_FALSE(threads[0].waits_for->found);
}

TEST(WaitKinds, BusyTimedAndHungThreads) {
    LeakedThread busy = thread(600, "spin", {});
    busy.blocked_in.reset();
    busy.state = ThreadState::Running;
    LeakedThread sleeper = thread(601, "sleeper", blocked(kNanosleep, {0x7ffd0000, 0, 0, 0, 0, 0}));
    LeakedThread hung = thread(602, "hung", condvar_wait(0x601048));
    hung.kind = LeakKind::Hung;
    std::vector<LeakedThread> threads = {busy, sleeper, hung};
    explain_waits(threads);
    EXPECT_EQ(threads[0].kind, LeakKind::Busy);
    EXPECT_EQ(threads[1].kind, LeakKind::Unjoined) << "a timed sleep is not parked";
    EXPECT_EQ(threads[2].kind, LeakKind::Hung) << "--timeout keeps its own kind";
    EXPECT_EQ(threads[2].wait->kind, WaitKind::Condvar);
}


TEST(WaitKinds, ATimedWaitSeenToComeBackTicksAtItsTimeout) {
    BlockedIn b = blocked(kNanosleep, {0x7ffd0000, 0, 0, 0, 0, 0});
    b.timeout_ns = 50'000'000;
    b.object.same_sleeps = 4;
    b.object.same_sleeps_span_ns = 230'000'000;
    std::vector<LeakedThread> threads = {thread(700, "heartbeat", b)};
    explain_waits(threads);
    EXPECT_EQ(threads[0].kind, LeakKind::Ticking);
    EXPECT_EQ(threads[0].wait->period_ns, 50'000'000u) << "the timeout, not the sampled span";
    EXPECT_EQ(threads[0].wait->sleeps_seen, 4u);

    b.timeout_ns.reset();  // overwritten by the interruption at exit: the span per sleep
    threads = {thread(700, "heartbeat", b)};
    explain_waits(threads);
    EXPECT_EQ(threads[0].wait->period_ns, 230'000'000u / 4);
}

TEST(WaitKinds, AnUntimedWaitThatCameBackIsNotTicking) {
    BlockedIn b = condvar_wait(0x601048);
    b.object.same_sleeps = 3;  // a pool worker woken for work three times: still parked now
    b.object.same_sleeps_span_ns = 300'000'000;
    std::vector<LeakedThread> threads = {thread(701, "worker", b)};
    explain_waits(threads);
    EXPECT_EQ(threads[0].kind, LeakKind::Parked);
    EXPECT_FALSE(threads[0].wait->period_ns);
}

TEST(WaitKinds, APeriodicTimerfdTicksEvenUnseen) {
    BlockedIn b = timerfd_read();
    b.object.timer_interval_ns = 50'000'000;
    std::vector<LeakedThread> threads = {thread(702, "tick", b)};
    explain_waits(threads);
    EXPECT_EQ(threads[0].kind, LeakKind::Ticking);
    EXPECT_EQ(threads[0].wait->period_ns, 50'000'000u);

    b.object.timer_interval_ns = 0;  // a timer with no interval
    threads = {thread(702, "tick", b)};
    explain_waits(threads);
    EXPECT_EQ(threads[0].kind, LeakKind::Parked);
}

}  // namespace
}  // namespace threadleak
