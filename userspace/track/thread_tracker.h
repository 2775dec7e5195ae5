// Per-process and per-thread state of everything traced, fed with decoded
// kernel events in arrival order. Decides which exits are leaks; does no
// unwinding itself (stacks stay raw until the report is built).
#pragma once

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "report/report.h"
#include "capture/live_snapshot.h"
#include "capture/proc_cmdline.h"
#include "capture/trace_events.h"
#include "stacks/process_image.h"

namespace threadleak {

/// Makes the ProcessImage for a (new or just exec'd) process. Injected so
/// unit tests need no /proc.
using ImageFactory = std::function<std::shared_ptr<ProcessImage>(int pid)>;

/// A stack still to be unwound, with the address space it belongs to.
struct PendingStack {
    CapturedStack stack;
    std::shared_ptr<ProcessImage> image;
};

/// A leaked thread before symbolization.
struct PendingLeak {
    LeakKind kind = LeakKind::Unjoined;
    ThreadIdentity thread;
    std::optional<PendingStack> creation;   ///< nullopt: created before tracing began
    PendingStack at_exit;                   ///< where it was blocked/running
    std::optional<BlockedFor> blocked_for;  ///< nullopt: not measured
    /// --per-test: the test during which it was created, when its probe named it.
    std::optional<std::string> test;
    /// --per-test: created during the Nth test of its process (1-based), named or not.
    std::optional<int> test_ordinal;
    /// attach: it was alive when threadleak attached (its creation was not seen).
    bool created_before_attach = false;
};

/// --per-test: a test that has ended, with the threads created during it
/// that were alive when its end was seen.
struct EndedTest {
    int pid = 0;
    int ordinal = 0;
    std::optional<std::string> name;
    uint64_t end_ns = 0;            ///< bpf_ktime_get_ns (CLOCK_MONOTONIC)
    std::vector<int> tids;          ///< alive when take_ended_tests() ran
};

/// A process still running when the command exited, before symbolization.
struct PendingProcessLeak {
    int pid = 0;
    std::string exe;
    ProcCmdline cmdline;
    int ppid = 0;
    std::string parent_exe;
    std::optional<int> creator_tid;
    std::optional<PendingStack> creation;   ///< nullopt: its fork was not seen
    std::vector<PendingLeak> threads;       ///< kind LeftRunning
};

/// One timerfd a process created, before symbolization.
struct PendingTimer {
    int fd = -1;
    int creator_tid = 0;
    PendingStack creation;                  ///< where timerfd_create returned
    bool open_at_exit = false;
    uint64_t interval_ns = 0;               ///< open_at_exit: its it_interval
    bool armed = false;                     ///< open_at_exit: set to fire
};

/// The timerfds of a process that exited with some still open: all it
/// created (the report counts created and closed per creation site).
struct PendingTimers {
    int pid = 0;
    std::string exe;
    std::vector<PendingTimer> timers;
};

class ThreadTracker {
public:
    explicit ThreadTracker(ImageFactory make_image);

    /// The process threadleak started itself (its fork event is not seen).
    void add_root_process(int pid, int ppid, const std::string& exe);
    /// attach: a running process threadleak attached to (its fork was not seen).
    void add_attached_process(int pid, int ppid, const std::string& exe, const std::string& comm);
    /// attach: thread `tid` of attached process `pid` was alive at attach.
    /// `ignored` (--baseline): it is never reported, not even if its process
    /// ends while it runs.
    void add_existing_thread(int pid, int tid, std::optional<int64_t> start_unix_ns, bool ignored);
    /// attach: true if `tid` was alive at attach and --baseline ignores it.
    bool is_ignored(int pid, int tid) const;
    /// Takes the event: stacks are moved, not copied (one per live thread).
    void on_event(TraceEvent event);
    /// After this, exits are no longer leaks (threadleak is killing the command).
    void stop_judging_exits() { judging_exits_ = false; }

    const std::vector<PendingLeak>& leaks() const { return leaks_; }
    /// Records a thread of a live process as a leak of `kind` (a hung thread
    /// read from /proc): its identity and creation come from what was traced.
    void add_live_leak(LeakKind kind, int pid, int tid, const std::string& name,
                       CapturedStack stack, std::optional<BlockedFor> blocked_for);
    /// The same leak, not recorded: attach reports what is parked now, afresh each time.
    PendingLeak live_leak(LeakKind kind, int pid, int tid, const std::string& name, CapturedStack stack,
                          std::optional<BlockedFor> blocked_for);
    /// Records live process `pid` as left running by the command, with its
    /// threads as read from /proc (each with its creation stack, if traced).
    void add_leaked_process(int pid, ProcCmdline cmdline, std::vector<LiveThread> threads);
    const std::vector<PendingProcessLeak>& leaked_processes() const { return leaked_processes_; }
    /// Processes that exited with timerfds they created still open.
    const std::vector<PendingTimers>& leaked_timers() const { return leaked_timers_; }
    /// --per-test: the tests that ended at or before `cutoff_ns`, each with its
    /// threads still alive now; each test is returned once.
    std::vector<EndedTest> take_ended_tests(uint64_t cutoff_ns);
    /// True when take_ended_tests(cutoff_ns) would return a test.
    bool ended_test_due(uint64_t cutoff_ns) const {
        return !ended_tests_.empty() && ended_tests_.front().end_ns <= cutoff_ns;
    }
    /// --per-test: thread `tid`, created during a test and alive (as read from
    /// /proc) after it ended, is a leak of that test: reported as OutlivedTest
    /// if it exits while its process lives on, as Unjoined (with its test) if
    /// it is still there at the process's exit.
    void mark_outlived(int pid, int tid, const std::string& name, CapturedStack stack,
                       std::optional<BlockedFor> blocked_for);
    std::vector<ProcessInfo> processes() const;
    /// Pids of traced processes that have not exited.
    std::vector<int> live_pids() const;
    /// The current address space of a live process (nullptr once it exited).
    std::shared_ptr<ProcessImage> image(int pid) const;
    /// Address spaces whose /proc/PID/maps could not be read when the kernel
    /// asked (ReadMapsEvent): the process was gone first.
    uint64_t unreadable_maps() const { return unreadable_maps_; }

private:
    /// A test running in one thread of a process (tests do not nest).
    struct RunningTest {
        int ordinal = 0;
        std::optional<std::string> name;
    };
    struct Thread {
        std::optional<int> creator_tid;
        std::optional<PendingStack> creation;
        std::optional<RunningTest> test;         ///< --per-test: created during it
        std::shared_ptr<PendingLeak> outlived;   ///< set by mark_outlived
        bool before_attach = false;              ///< attach: alive at attach
        bool ignored = false;                    ///< attach --baseline: never reported
        std::optional<int64_t> start_unix_ns;    ///< attach: from /proc, for one alive at attach
    };
    struct Process {
        ProcessInfo info;
        std::vector<PendingTimer> timers;   ///< every timerfd it created, in order
        std::string parent_exe;                 ///< its parent's executable when it forked
        std::optional<int> creator_tid;         ///< the thread that forked it
        std::optional<PendingStack> creation;   ///< kept while it lives: it may be left running
        std::shared_ptr<ProcessImage> image;
        bool exited = false;
        std::map<int, Thread> threads;
        std::vector<size_t> leaks;  ///< indices in leaks_ of this address space's leaks
        /// Per tid: how deep it is in probed calls, and the test it runs (from
        /// which depth). The probed function may also run non-tests (Boost
        /// fixtures), whose ends must not end the test.
        struct InProbedCalls {
            int depth = 0;
            int test_depth = 0;
            std::optional<RunningTest> test;
        };
        std::map<int, InProbedCalls> running_tests;
        int tests_begun = 0;
    };

    /// The process with this pid: the live one, or the last one if it exited
    /// (a thread's exit record can come after its process's).
    Process& process(int pid);
    /// A new process with this pid; an exited one with the same pid is filed away.
    Process& new_process(int pid);
    /// Gives the leaks recorded so far in `p` the kind that their end turned
    /// out to have (KilledByExec, AliveAtCrash).
    void relabel_leaks(Process& p, LeakKind kind);
    /// The one place a PendingLeak is made: `thread` is its entry in `p`, if its creation was seen.
    PendingLeak make_leak(LeakKind kind, const Process& p, int tid, const std::string& name,
                          std::optional<Thread> thread, CapturedStack stack,
                          std::optional<BlockedFor> blocked_for) const;
    void add_leak(LeakKind kind, Process& p, int tid, const std::string& name, std::optional<Thread> thread,
                  CapturedStack stack, std::optional<BlockedFor> blocked_for);
    /// `p`'s entry for thread `tid`, if its creation was seen.
    static std::optional<Thread> thread_of(const Process& p, int tid);

    void on(ProcessForkEvent& e);
    void on(const ExecEvent& e);
    void on(ThreadCreateEvent& e);
    void on(ThreadExitEvent& e);
    void on(const ProcessExitEvent& e);
    void on(const ModulesEvent& e);
    void on(const ReadMapsEvent& e);
    void on(const TestEvent& e);
    void on(TimerCreateEvent& e);
    void on(const TimerOpenEvent& e);
    /// The mode reads the goroutines (golang/): nothing for the threads to learn.
    void on(const GoExitEvent&) {}
    /// The test a thread created now by `creator_tid` belongs to: its
    /// creator's, else the one its creator is running, else the process's
    /// only running test.
    static std::optional<RunningTest> test_of_new_thread(const Process& p, int creator_tid);

    ImageFactory make_image_;
    std::map<int, Process> processes_;
    std::vector<ProcessInfo> finished_;  ///< processes whose pid was reused since
    /// Exited processes whose threads and image are kept for late exit records.
    static constexpr size_t kKeepExited = 16;
    std::deque<int> recently_exited_;
    std::vector<PendingLeak> leaks_;
    std::vector<PendingProcessLeak> leaked_processes_;
    std::vector<PendingTimers> leaked_timers_;
    std::deque<EndedTest> ended_tests_;  ///< tids filled in by take_ended_tests
    bool judging_exits_ = true;
    uint64_t unreadable_maps_ = 0;
};

}  // namespace threadleak
