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
};

class ThreadTracker {
public:
    explicit ThreadTracker(ImageFactory make_image);

    /// The process threadleak started itself (its fork event is not seen).
    void add_root_process(int pid, int ppid, const std::string& exe);
    /// Takes the event: stacks are moved, not copied (one per live thread).
    void on_event(TraceEvent event);
    /// After this, exits are no longer leaks (threadleak is killing the command).
    void stop_judging_exits() { judging_exits_ = false; }

    const std::vector<PendingLeak>& leaks() const { return leaks_; }
    /// Records a thread of a live process as a leak of `kind` (a hung thread
    /// read from /proc): its identity and creation come from what was traced.
    void add_live_leak(LeakKind kind, int pid, int tid, const std::string& name,
                       CapturedStack stack, std::optional<BlockedFor> blocked_for);
    std::vector<ProcessInfo> processes() const;
    /// Pids of traced processes that have not exited.
    std::vector<int> live_pids() const;
    /// The current address space of a live process (nullptr once it exited).
    std::shared_ptr<ProcessImage> image(int pid) const;

private:
    struct Thread {
        std::optional<int> creator_tid;
        std::optional<PendingStack> creation;
    };
    struct Process {
        ProcessInfo info;
        std::shared_ptr<ProcessImage> image;
        bool exited = false;
        std::map<int, Thread> threads;
        std::vector<size_t> leaks;  ///< indices in leaks_ of this address space's leaks
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
    void add_leak(LeakKind kind, Process& p, int tid, const std::string& name, std::optional<Thread> thread,
                  CapturedStack stack, std::optional<BlockedFor> blocked_for);

    void on(const ProcessForkEvent& e);
    void on(const ExecEvent& e);
    void on(ThreadCreateEvent& e);
    void on(ThreadExitEvent& e);
    void on(const ProcessExitEvent& e);
    void on(const ModulesEvent& e);

    ImageFactory make_image_;
    std::map<int, Process> processes_;
    std::vector<ProcessInfo> finished_;  ///< processes whose pid was reused since
    /// Exited processes whose threads and image are kept for late exit records.
    static constexpr size_t kKeepExited = 16;
    std::deque<int> recently_exited_;
    std::vector<PendingLeak> leaks_;
    bool judging_exits_ = true;
};

}  // namespace threadleak
