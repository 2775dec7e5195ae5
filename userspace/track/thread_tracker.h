// Per-process and per-thread state of everything traced, fed with decoded
// kernel events in arrival order. Decides which exits are leaks; does no
// unwinding itself (stacks stay raw until the report is built).
#pragma once

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
    int pid = 0;
    std::string exe;
    int tid = 0;
    std::string thread_name;
    std::optional<int> creator_tid;
    std::optional<PendingStack> creation;   ///< nullopt: created before tracing began
    PendingStack at_exit;                   ///< where it was blocked/running
    std::optional<uint64_t> blocked_for_ns;
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
    void add_leak(PendingLeak leak) { leaks_.push_back(std::move(leak)); }
    std::vector<ProcessInfo> processes() const;
    /// Pids of traced processes that have not exited.
    std::vector<int> live_pids() const;
    /// The current address space of a live process (nullptr once it exited).
    std::shared_ptr<ProcessImage> image(int pid) const;
    std::string exe(int pid) const;
    /// Creator and creation stack of a live thread, if its creation was seen.
    std::optional<std::pair<int, PendingStack>> creation_of(int pid, int tid) const;

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
    };

    Process& process(int pid);

    void on(const ProcessForkEvent& e);
    void on(const ExecEvent& e);
    void on(ThreadCreateEvent& e);
    void on(ThreadExitEvent& e);
    void on(const ProcessExitEvent& e);
    void on(const ModulesEvent& e);

    ImageFactory make_image_;
    std::map<int, Process> processes_;
    std::vector<ProcessInfo> finished_;  ///< processes whose pid was reused since
    std::vector<PendingLeak> leaks_;
    bool judging_exits_ = true;
};

/// "SIGKILL" for 9, "SIG42" when unnamed.
std::string signal_name(int sig);

}  // namespace threadleak
