// The tracker decides which exits are leaks; fed with synthetic events, no root.
#include "track/thread_tracker.h"

#include <gtest/gtest.h>

#include "../support/tracker_events.h"
#include <sys/wait.h>
#include <unistd.h>

using namespace threadleak;

namespace {

using test::fake_image;
using test::stack_at;

ThreadCreateEvent created(int pid, int tid, int creator, uint64_t pc) {
    return ThreadCreateEvent{1, pid, tid, creator, "app", stack_at(pc, 435)};
}

ThreadExitEvent exited(int pid, int tid, ExitHow how, int64_t nr = 202) {
    ThreadExitEvent e{2, pid, tid, "worker", how, std::nullopt, std::nullopt};
    if (how == ExitHow::Killed) e.stack = stack_at(0x4000, nr);
    return e;
}

}  // namespace

TEST(ThreadTracker, ThreadKilledByProcessExitIsALeakWithItsCreationStack) {
    ThreadTracker t(fake_image);
    t.add_root_process(100, 1, "/bin/app");
    t.on_event(created(100, 101, 100, 0x1234));
    t.on_event(exited(100, 100, ExitHow::GroupLeader));
    t.on_event(exited(100, 101, ExitHow::Killed));
    t.on_event(ProcessExitEvent{3, 100, 0});

    ASSERT_EQ(t.leaks().size(), 1u);
    const PendingLeak& l = t.leaks()[0];
    EXPECT_EQ(l.thread.pid, 100);
    EXPECT_EQ(l.thread.tid, 101);
    EXPECT_EQ(l.thread.exe, "/bin/app");
    EXPECT_EQ(l.thread.name, "worker");
    EXPECT_EQ(l.thread.creator_tid, 100);
    ASSERT_TRUE(l.creation.has_value());
    EXPECT_EQ(l.creation->stack.snapshot.regs[16], 0x1234u);
    EXPECT_EQ(l.at_exit.stack.syscall.nr, 202);
    EXPECT_EQ(l.kind, LeakKind::Unjoined);
}

TEST(ThreadTracker, ThreadThatEndedItselfIsNotALeak) {
    ThreadTracker t(fake_image);
    t.add_root_process(100, 1, "/bin/app");
    t.on_event(created(100, 101, 100, 0x1234));
    t.on_event(exited(100, 101, ExitHow::Self));
    t.on_event(exited(100, 100, ExitHow::GroupLeader));
    EXPECT_TRUE(t.leaks().empty());
}

TEST(ThreadTracker, MainThreadKilledByAnotherThreadsExitIsNotALeak) {
    ThreadTracker t(fake_image);
    t.add_root_process(100, 1, "/bin/app");
    t.on_event(created(100, 101, 100, 0x1234));
    t.on_event(exited(100, 101, ExitHow::GroupLeader));
    t.on_event(exited(100, 100, ExitHow::Killed));
    EXPECT_TRUE(t.leaks().empty());
}

TEST(ThreadTracker, ThreadCreatedBeforeTracingHasNoCreationStack) {
    ThreadTracker t(fake_image);
    t.add_root_process(100, 1, "/bin/app");
    t.on_event(exited(100, 105, ExitHow::Killed));
    ASSERT_EQ(t.leaks().size(), 1u);
    EXPECT_FALSE(t.leaks()[0].creation.has_value());
    EXPECT_FALSE(t.leaks()[0].thread.creator_tid.has_value());
}

TEST(ThreadTracker, ForkedChildIsTrackedWithItsParentAndExitStatus) {
    ThreadTracker t(fake_image);
    t.add_root_process(100, 1, "/bin/app");
    t.on_event(ProcessForkEvent{1, 200, 100, 100, "app", {}});
    t.on_event(created(200, 201, 200, 0x99));
    t.on_event(exited(200, 201, ExitHow::Killed));
    t.on_event(ProcessExitEvent{3, 200, 3 << 8});

    ASSERT_EQ(t.leaks().size(), 1u);
    EXPECT_EQ(t.leaks()[0].thread.pid, 200);
    auto procs = t.processes();
    ASSERT_EQ(procs.size(), 2u);
    EXPECT_EQ(procs[1].pid, 200);
    EXPECT_EQ(procs[1].ppid, 100);
    EXPECT_EQ(procs[1].exit_code, 3);
    EXPECT_EQ(t.live_pids(), std::vector<int>{100});
}

TEST(ThreadTracker, SignalDeathIsReportedByName) {
    ThreadTracker t(fake_image);
    t.add_root_process(100, 1, "/bin/app");
    t.on_event(ProcessExitEvent{3, 100, SIGKILL});
    auto procs = t.processes();
    ASSERT_EQ(procs.size(), 1u);
    EXPECT_EQ(procs[0].signal, "SIGKILL");
    EXPECT_FALSE(procs[0].exit_code.has_value());
}

TEST(ThreadTracker, ExecStartsANewImageAndForgetsOldThreads) {
    ThreadTracker t(fake_image);
    t.add_root_process(100, 1, "/bin/sh");
    auto before = t.image(100);
    t.on_event(created(100, 101, 100, 0x1234));
    t.on_event(exited(100, 101, ExitHow::Killed));  // killed by the exec
    t.on_event(ExecEvent{2, 100, "/bin/app", "app"});
    EXPECT_NE(t.image(100), before);
    ASSERT_EQ(t.leaks().size(), 1u);
    EXPECT_EQ(t.leaks()[0].at_exit.image, before);  // symbolized in the old image
    EXPECT_EQ(t.processes()[0].exe, "/bin/app");
    // A thread with tid 101 seen alive after the exec is a new one: no creation known.
    t.add_live_leak(LeakKind::Hung, 100, 101, "w", stack_at(0x5000, 202), std::nullopt);
    ASSERT_EQ(t.leaks().size(), 2u);
    EXPECT_FALSE(t.leaks()[1].creation.has_value());
    EXPECT_EQ(t.leaks()[1].thread.exe, "/bin/app");
}

TEST(ThreadTracker, ExitsAfterStopJudgingAreNotLeaks) {
    ThreadTracker t(fake_image);
    t.add_root_process(100, 1, "/bin/app");
    t.on_event(created(100, 101, 100, 0x1234));
    t.stop_judging_exits();
    t.on_event(exited(100, 101, ExitHow::Killed));
    EXPECT_TRUE(t.leaks().empty());
}

TEST(ThreadTracker, HungLiveThreadKeepsItsTracedCreation) {
    ThreadTracker t(fake_image);
    t.add_root_process(100, 1, "/bin/app");
    t.on_event(created(100, 101, 100, 0x1234));
    t.add_live_leak(LeakKind::Hung, 100, 101, "worker", stack_at(0x5000, 202), BlockedFor{7, false});
    ASSERT_EQ(t.leaks().size(), 1u);
    const PendingLeak& l = t.leaks()[0];
    EXPECT_EQ(l.kind, LeakKind::Hung);
    EXPECT_EQ(l.thread.creator_tid, 100);
    ASSERT_TRUE(l.creation.has_value());
    EXPECT_EQ(l.creation->stack.snapshot.regs[16], 0x1234u);
    EXPECT_EQ(l.at_exit.stack.snapshot.regs[16], 0x5000u);
    EXPECT_EQ(l.at_exit.image, t.image(100));
    ASSERT_TRUE(l.blocked_for.has_value());
    EXPECT_EQ(l.blocked_for->ns, 7u);
    EXPECT_FALSE(l.blocked_for->exact);
}

TEST(ThreadTracker, ReusedPidStartsAFreshProcessAndKeepsTheOldOneInTheReport) {
    ThreadTracker t(fake_image);
    t.add_root_process(100, 1, "/bin/app");
    t.on_event(ProcessForkEvent{1, 200, 100, 100, "app", {}});
    t.on_event(ProcessExitEvent{2, 200, 0});
    t.on_event(ProcessForkEvent{3, 200, 100, 100, "app", {}});  // pid 200 again
    t.on_event(ExecEvent{4, 200, "/bin/other", "other"});
    EXPECT_NE(t.image(200), nullptr);
    EXPECT_EQ(t.live_pids(), (std::vector<int>{100, 200}));
    auto procs = t.processes();
    ASSERT_EQ(procs.size(), 3u);
    EXPECT_EQ(procs[0].pid, 200);
    EXPECT_EQ(procs[0].exit_code, 0);
    EXPECT_EQ(procs[2].pid, 200);
    EXPECT_EQ(procs[2].exe, "/bin/other");
    EXPECT_FALSE(procs[2].exit_code.has_value());
}

TEST(ThreadTracker, ThreadsKilledByExecAreKilledByExecNotUnjoined) {
    ThreadTracker t(fake_image);
    t.add_root_process(100, 1, "/bin/sh");
    t.on_event(created(100, 101, 100, 0x1234));
    t.on_event(exited(100, 101, ExitHow::Killed));
    t.on_event(ExecEvent{2, 100, "/bin/app", "app"});
    t.on_event(created(100, 102, 100, 0x1234));
    t.on_event(exited(100, 102, ExitHow::Killed));
    t.on_event(ProcessExitEvent{3, 100, 0});
    ASSERT_EQ(t.leaks().size(), 2u);
    EXPECT_EQ(t.leaks()[0].kind, LeakKind::KilledByExec);
    EXPECT_EQ(t.leaks()[1].kind, LeakKind::Unjoined);  // the exec'd program's own leak
}

TEST(ThreadTracker, ThreadsOfAProcessASignalKilledAreAliveAtCrash) {
    ThreadTracker t(fake_image);
    t.add_root_process(100, 1, "/bin/app");
    t.on_event(ProcessForkEvent{1, 200, 100, 100, "app", {}});
    t.on_event(created(100, 101, 100, 0x1234));
    t.on_event(created(200, 201, 200, 0x1234));
    t.on_event(exited(200, 201, ExitHow::Killed));
    t.on_event(ProcessExitEvent{2, 200, 0});  // the child exited 0, leaking 201
    t.on_event(exited(100, 101, ExitHow::Killed));
    t.on_event(ProcessExitEvent{3, 100, SIGABRT});
    // A thread's exit record may come after its process's: it died with it too.
    t.on_event(exited(100, 102, ExitHow::Killed));
    ASSERT_EQ(t.leaks().size(), 3u);
    EXPECT_EQ(t.leaks()[0].kind, LeakKind::Unjoined);
    EXPECT_EQ(t.leaks()[0].thread.pid, 200);
    EXPECT_EQ(t.leaks()[1].kind, LeakKind::AliveAtCrash);
    EXPECT_EQ(t.leaks()[2].kind, LeakKind::AliveAtCrash);
    EXPECT_EQ(t.processes().size(), 2u);  // the late record made no new process
}

TEST(ThreadTracker, ExitedProcessKeepsItsImageForLateRecordsThenReleasesIt) {
    ThreadTracker t(fake_image);
    t.add_root_process(100, 1, "/bin/app");
    t.on_event(ProcessForkEvent{1, 200, 100, 100, "app", {}});
    t.on_event(created(200, 201, 200, 0x1234));
    t.on_event(ProcessExitEvent{2, 200, 0});
    // 201's exit record, submitted on another CPU, arrives after its process's.
    t.on_event(exited(200, 201, ExitHow::Killed));
    ASSERT_EQ(t.leaks().size(), 1u);
    EXPECT_EQ(t.leaks()[0].thread.creator_tid, 200);
    ASSERT_TRUE(t.leaks()[0].creation.has_value());
    EXPECT_NE(t.leaks()[0].at_exit.image, nullptr);
    // Sixteen later exits release it: a long run of short processes holds no more.
    for (int pid = 300; pid < 316; ++pid) {
        t.on_event(ProcessForkEvent{3, pid, 100, 100, "app", {}});
        t.on_event(ProcessExitEvent{4, pid, 0});
    }
    EXPECT_EQ(t.image(200), nullptr);
    EXPECT_NE(t.image(315), nullptr);
}

// Kernels without the BPF VMA iterator: the record asks for /proc/PID/maps.
__attribute__((noinline)) void function_only_in_this_binary() { asm volatile(""); }

TEST(ThreadTracker, ReadMapsRequestLoadsTheLiveProcessesMappingsFromProc) {
    const int self = getpid();
    ThreadTracker t(fake_image);
    t.add_root_process(self, 1, "/proc/self/exe");
    const uint64_t pc = reinterpret_cast<uint64_t>(&function_only_in_this_binary);
    EXPECT_EQ(t.image(self)->symbolize(RawFrame{pc, false}).module, "[unknown]");

    t.on_event(ReadMapsEvent{1, self});

    EXPECT_EQ(t.unreadable_maps(), 0u);
    const Frame f = t.image(self)->symbolize(RawFrame{pc, false});
    EXPECT_NE(f.module, "[unknown]");
    ASSERT_TRUE(f.function.has_value());
    EXPECT_EQ(*f.function, "function_only_in_this_binary()");
}

TEST(ThreadTracker, ReadMapsRequestForAProcessAlreadyGoneIsCounted) {
    const pid_t child = fork();
    ASSERT_GE(child, 0);
    if (child == 0) _exit(0);
    ASSERT_EQ(waitpid(child, nullptr, 0), child);  // reaped: /proc/CHILD is gone
    ThreadTracker t(fake_image);
    t.add_root_process(child, 1, "/bin/app");

    t.on_event(ReadMapsEvent{1, child});

    EXPECT_EQ(t.unreadable_maps(), 1u);
}

namespace {

ProcessForkEvent forked(int pid, int parent, int creator, uint64_t pc) {
    return ProcessForkEvent{1, pid, parent, creator, "app", stack_at(pc, 56)};
}

LiveThread live(int tid, const std::string& comm, uint64_t pc, int64_t nr) {
    LiveThread t;
    t.tid = tid;
    t.comm = comm;
    t.has_registers = true;
    t.stack = stack_at(pc, nr);
    t.blocked_for = BlockedFor{11, true};
    return t;
}

}  // namespace

TEST(ThreadTracker, LeakedProcessCarriesItsForkSiteInTheParentsImage) {
    ThreadTracker t(fake_image);
    t.add_root_process(100, 1, "/bin/test");
    const auto parent_image = t.image(100);
    t.on_event(forked(200, 100, 101, 0xf00));
    t.on_event(ExecEvent{2, 200, "/usr/bin/server", "server"});
    t.on_event(created(200, 201, 200, 0x2222));
    t.on_event(exited(100, 100, ExitHow::GroupLeader));
    t.on_event(ProcessExitEvent{3, 100, 0});
    ASSERT_EQ(t.live_pids(), std::vector<int>{200});

    t.add_leaked_process(200, ProcCmdline{{"server", "--port", "0"}, false},
                         {live(200, "server", 0x3000, 43), live(201, "reader", 0x4000, 0)});
    EXPECT_TRUE(t.leaks().empty()) << "its threads belong to the leaked process, not to the leaks";
    ASSERT_EQ(t.leaked_processes().size(), 1u);
    const PendingProcessLeak& p = t.leaked_processes()[0];
    EXPECT_EQ(p.pid, 200);
    EXPECT_EQ(p.exe, "/usr/bin/server");
    EXPECT_EQ(p.cmdline.args, (std::vector<std::string>{"server", "--port", "0"}));
    EXPECT_EQ(p.ppid, 100);
    EXPECT_EQ(p.parent_exe, "/bin/test");
    EXPECT_EQ(p.creator_tid, 101);
    ASSERT_TRUE(p.creation.has_value());
    EXPECT_EQ(p.creation->stack.snapshot.regs[16], 0xf00u);
    EXPECT_EQ(p.creation->image, parent_image) << "the fork stack is the parent's, unwound in its image";

    ASSERT_EQ(p.threads.size(), 2u);
    EXPECT_EQ(p.threads[0].kind, LeakKind::LeftRunning);
    EXPECT_EQ(p.threads[0].thread.tid, 200);
    EXPECT_FALSE(p.threads[0].creation.has_value()) << "the main thread was not created by clone";
    EXPECT_EQ(p.threads[0].at_exit.image, t.image(200));
    ASSERT_TRUE(p.threads[0].blocked_for.has_value());
    EXPECT_EQ(p.threads[0].blocked_for->ns, 11u);
    EXPECT_EQ(p.threads[1].thread.tid, 201);
    EXPECT_EQ(p.threads[1].thread.name, "reader");
    EXPECT_EQ(p.threads[1].thread.exe, "/usr/bin/server");
    ASSERT_TRUE(p.threads[1].creation.has_value());
    EXPECT_EQ(p.threads[1].creation->stack.snapshot.regs[16], 0x2222u);
}

TEST(ThreadTracker, ProcessWhoseForkWasNotSeenHasNoCreationSite) {
    ThreadTracker t(fake_image);
    t.add_root_process(100, 1, "/bin/test");
    t.add_leaked_process(100, ProcCmdline{}, {live(100, "test", 0x3000, 7)});
    ASSERT_EQ(t.leaked_processes().size(), 1u);
    EXPECT_FALSE(t.leaked_processes()[0].creation.has_value());
    EXPECT_FALSE(t.leaked_processes()[0].creator_tid.has_value());
    EXPECT_EQ(t.leaked_processes()[0].ppid, 1);
}

TEST(ThreadTracker, ReleasedImageOfAnExitedProcessClosesItsFilesButStaysWithItsLeaks) {
    ThreadTracker t(fake_image);
    t.add_root_process(100, 1, "/bin/app");
    t.on_event(ProcessForkEvent{1, 200, 100, 100, "app", {}});
    t.on_event(created(200, 201, 200, 0x1234));
    t.on_event(exited(200, 201, ExitHow::Killed));
    t.on_event(ProcessExitEvent{2, 200, 0});
    ASSERT_EQ(t.leaks().size(), 1u);
    const std::shared_ptr<ProcessImage> image = t.leaks()[0].at_exit.image;
    ASSERT_NE(image, nullptr);
    EXPECT_EQ(t.leaks()[0].creation->image, image);
    // Late records may still add mappings: its files stay open for them.
    EXPECT_FALSE(image->files_closed());
    for (int pid = 300; pid < 316; ++pid) {
        t.on_event(ProcessForkEvent{3, pid, 100, 100, "app", {}});
        t.on_event(ProcessExitEvent{4, pid, 0});
    }
    EXPECT_EQ(t.image(200), nullptr);
    EXPECT_TRUE(image->files_closed());
    EXPECT_EQ(t.leaks()[0].at_exit.image, image);  // still there to resolve the leak
    EXPECT_FALSE(t.image(315)->files_closed());
}

TEST(ThreadTracker, ExecClosesTheOldImagesFiles) {
    ThreadTracker t(fake_image);
    t.add_root_process(100, 1, "/bin/app");
    const std::shared_ptr<ProcessImage> old_image = t.image(100);
    t.on_event(ExecEvent{1, 100, "/bin/other", "other"});
    EXPECT_TRUE(old_image->files_closed());
    ASSERT_NE(t.image(100), old_image);
    EXPECT_FALSE(t.image(100)->files_closed());
}

// A forked child maps what its parent did: its stacks resolve even when it is
// gone before its own /proc/PID/maps could be read (kernels without the VMA iterator).
TEST(ThreadTracker, ForkedChildStartsWithItsParentsMappings) {
    const int self = getpid();
    ThreadTracker t(fake_image);
    t.add_root_process(self, 1, "/proc/self/exe");
    t.on_event(ReadMapsEvent{1, self});
    const int child = 4'000'000;  // above pid_max: no such process to read
    t.on_event(ProcessForkEvent{2, child, self, self, "app", {}});
    const uint64_t pc = reinterpret_cast<uint64_t>(&function_only_in_this_binary);
    const Frame f = t.image(child)->symbolize(RawFrame{pc, false});
    ASSERT_TRUE(f.function.has_value());
    EXPECT_EQ(*f.function, "function_only_in_this_binary()");
}

TEST(ThreadTracker, TimersStillOpenAtExitAreKeptWithEveryTimerTheProcessMade) {
    ThreadTracker t(fake_image);
    t.add_root_process(100, 1, "/bin/app");
    t.on_event(TimerCreateEvent{1, 100, 100, 3, stack_at(0x1111, -1)});  // closed later: fd 3 reused
    t.on_event(TimerCreateEvent{2, 100, 100, 3, stack_at(0x2222, -1)});
    t.on_event(TimerCreateEvent{3, 100, 101, 4, stack_at(0x3333, -1)});
    t.on_event(TimerOpenEvent{4, 100, 3, 50'000'000, true});
    t.on_event(ProcessExitEvent{5, 100, 0});

    ASSERT_EQ(t.leaked_timers().size(), 1u);
    const PendingTimers& p = t.leaked_timers()[0];
    EXPECT_EQ(p.pid, 100);
    EXPECT_EQ(p.exe, "/bin/app");
    ASSERT_EQ(p.timers.size(), 3u);
    EXPECT_FALSE(p.timers[0].open_at_exit) << "the earlier timer on fd 3 was closed: its fd was reused";
    EXPECT_TRUE(p.timers[1].open_at_exit);
    EXPECT_EQ(p.timers[1].interval_ns, 50'000'000u);
    EXPECT_TRUE(p.timers[1].armed);
    EXPECT_EQ(p.timers[1].creation.stack.snapshot.regs[16], 0x2222u);
    EXPECT_FALSE(p.timers[2].open_at_exit);
    EXPECT_EQ(p.timers[2].creator_tid, 101);
}

TEST(ThreadTracker, AProcessThatClosedEveryTimerLeaksNone) {
    ThreadTracker t(fake_image);
    t.add_root_process(100, 1, "/bin/app");
    t.on_event(TimerCreateEvent{1, 100, 100, 3, stack_at(0x1111, -1)});
    t.on_event(ProcessExitEvent{2, 100, 0});
    EXPECT_TRUE(t.leaked_timers().empty());
}
