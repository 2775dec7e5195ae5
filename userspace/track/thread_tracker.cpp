#include "track/thread_tracker.h"

#include <sys/wait.h>

#include <algorithm>

#include "common/wait_status.h"

namespace threadleak {

ThreadTracker::ThreadTracker(ImageFactory make_image) : make_image_(std::move(make_image)) {}

ThreadTracker::Process& ThreadTracker::process(int pid) {
    auto it = processes_.find(pid);
    return it != processes_.end() ? it->second : new_process(pid);
}

ThreadTracker::Process& ThreadTracker::new_process(int pid) {
    auto it = processes_.find(pid);
    if (it != processes_.end()) {
        // The pid was reused by a new process: file the old one away.
        finished_.push_back(std::move(it->second.info));
        processes_.erase(it);
    }
    Process& p = processes_[pid];
    p.info.pid = pid;
    p.image = make_image_(pid);
    return p;
}

void ThreadTracker::relabel_leaks(Process& p, LeakKind kind) {
    for (size_t i : p.leaks)
        if (leaks_[i].kind == LeakKind::Unjoined) leaks_[i].kind = kind;
}

void ThreadTracker::add_root_process(int pid, int ppid, const std::string& exe) {
    Process& p = new_process(pid);
    p.info.ppid = ppid;
    p.info.exe = exe;
}

void ThreadTracker::add_attached_process(int pid, int ppid, const std::string& exe, const std::string& comm) {
    Process& p = new_process(pid);
    p.info.ppid = ppid;
    p.info.exe = exe;
    p.info.comm = comm;
    p.parent_exe = "";
}

void ThreadTracker::add_existing_thread(int pid, int tid, std::optional<int64_t> start_unix_ns, bool ignored) {
    Thread& t = process(pid).threads[tid];
    t.before_attach = true;
    t.ignored = ignored;
    t.start_unix_ns = start_unix_ns;
}

bool ThreadTracker::is_ignored(int pid, int tid) const {
    auto p = processes_.find(pid);
    if (p == processes_.end()) return false;
    auto t = p->second.threads.find(tid);
    return t != p->second.threads.end() && t->second.ignored;
}

void ThreadTracker::on_event(TraceEvent event) {
    std::visit([this](auto& e) { on(e); }, event);
}

// The kernel sends an address space's mappings once (and again after dlopen),
// before the first stack that needs them.
void ThreadTracker::on(const ModulesEvent& e) {
    Process& p = process(e.pid);
    for (const Mapping& m : e.mappings) p.image->add_mapping(m);
}

// Kernels without the VMA iterator (Linux < 6.7, or the fallback forced): the
// kernel cannot list the mappings, so they are read from /proc/PID/maps here,
// when the record arrives, the moment the kernel would have sent them (before a
// stack of a new or changed address space). The record wakes the reader, so
// this runs tens of microseconds later, while the thread that was just created
// (or the dlopen that changed them) usually keeps the process alive. A race
// remains: a process that exits (its maps read empty) or execs (they are the
// next program's) before the read. Then this address space's stacks lack those
// modules' symbols, which is counted, never silent. An exit-time request (a
// dlopen after the last thread creation) always loses: the process is dying.
void ThreadTracker::on(const ReadMapsEvent& e) {
    Process& p = process(e.pid);
    if (!p.image || p.exited || !p.image->load_proc_maps()) unreadable_maps_++;
}

void ThreadTracker::on(ProcessForkEvent& e) {
    Process& parent = process(e.parent_pid);
    Process& child = new_process(e.pid);
    child.info.ppid = e.parent_pid;
    child.info.exe = parent.info.exe;  // until it execs
    child.info.comm = e.comm;
    child.parent_exe = parent.info.exe;
    child.creator_tid = e.creator_tid;
    // The creator's stack belongs to the parent's address space as it is now.
    child.creation = PendingStack{std::move(e.creator_stack), parent.image};
    // Until it execs, the child maps what its parent mapped at the fork.
    if (child.image && parent.image) child.image->inherit_mappings(*parent.image);
}

void ThreadTracker::on(const ExecEvent& e) {
    Process& p = process(e.pid);
    // A new address space: stacks captured from now on belong to a new image;
    // leaks already pending keep the old one alive, and it needs no more files.
    if (p.image) p.image->close_files();
    p.image = make_image_(e.pid);
    p.info.exe = e.filename;
    p.info.comm = e.comm;
    // exec killed every other thread (their exits came first): not at the process's exit.
    relabel_leaks(p, LeakKind::KilledByExec);
    p.leaks.clear();
    p.threads.clear();
}

void ThreadTracker::on(ThreadCreateEvent& e) {
    Process& p = process(e.pid);
    if (p.info.comm.empty()) p.info.comm = e.creator_comm;
    std::optional<RunningTest> test = test_of_new_thread(p, e.creator_tid);
    Thread& t = p.threads[e.tid];
    t = Thread{};  // attach: listed as alive at attach while its creation record was on its way
    t.creator_tid = e.creator_tid;
    t.creation = PendingStack{std::move(e.creator_stack), p.image};
    t.test = std::move(test);
}

std::optional<ThreadTracker::RunningTest> ThreadTracker::test_of_new_thread(const Process& p, int creator_tid) {
    if (auto it = p.threads.find(creator_tid); it != p.threads.end() && it->second.test) return it->second.test;
    if (auto it = p.running_tests.find(creator_tid); it != p.running_tests.end() && it->second.test)
        return it->second.test;
    std::optional<RunningTest> only;
    for (const auto& [tid, calls] : p.running_tests) {
        if (!calls.test) continue;
        if (only) return std::nullopt;  // several at once: whose is unknown
        only = calls.test;
    }
    return only;
}

void ThreadTracker::on(const TestEvent& e) {
    Process& p = process(e.pid);
    if (e.begin) {
        auto& calls = p.running_tests[e.tid];
        calls.depth++;
        if (e.is_test && !calls.test) {
            calls.test = RunningTest{++p.tests_begun, e.name};
            calls.test_depth = calls.depth;
        }
        return;
    }
    auto it = p.running_tests.find(e.tid);
    if (it == p.running_tests.end()) return;  // its beginning came before the probes
    auto& calls = it->second;
    if (calls.test && calls.depth == calls.test_depth) {
        ended_tests_.push_back({e.pid, calls.test->ordinal, calls.test->name, e.time_ns, {}});
        calls.test.reset();
    }
    if (--calls.depth <= 0) p.running_tests.erase(it);
}

std::vector<EndedTest> ThreadTracker::take_ended_tests(uint64_t cutoff_ns) {
    std::vector<EndedTest> out;
    while (!ended_tests_.empty() && ended_tests_.front().end_ns <= cutoff_ns) {
        EndedTest t = std::move(ended_tests_.front());
        ended_tests_.pop_front();
        auto p = processes_.find(t.pid);
        if (p != processes_.end() && !p->second.exited)
            for (const auto& [tid, thread] : p->second.threads)
                if (thread.test && thread.test->ordinal == t.ordinal && !thread.outlived) t.tids.push_back(tid);
        out.push_back(std::move(t));
    }
    return out;
}

void ThreadTracker::mark_outlived(int pid, int tid, const std::string& name, CapturedStack stack,
                                  std::optional<BlockedFor> blocked_for) {
    Process& p = process(pid);
    auto it = p.threads.find(tid);
    if (it == p.threads.end()) return;  // its exit was seen meanwhile
    it->second.outlived = std::make_shared<PendingLeak>(
        make_leak(LeakKind::OutlivedTest, p, tid, name, it->second, std::move(stack), blocked_for));
}

void ThreadTracker::on(ThreadExitEvent& e) {
    Process& p = process(e.pid);
    auto it = p.threads.find(e.tid);
    std::optional<Thread> thread;
    if (it != p.threads.end()) {
        thread = std::move(it->second);
        p.threads.erase(it);
    }
    if (e.tid == e.pid && p.info.comm.empty()) p.info.comm = e.comm;
    // It outlived its test, then ended while its process lived on: still that test's leak.
    if (judging_exits_ && e.how != ExitHow::Killed && thread && thread->outlived) {
        p.leaks.push_back(leaks_.size());
        leaks_.push_back(std::move(*thread->outlived));
        return;
    }
    // The main thread is nobody's to join; a thread that ended itself or ended
    // the process is not leaked.
    if (!judging_exits_ || e.how != ExitHow::Killed || e.tid == e.pid || !e.stack) return;
    if (thread && thread->ignored) return;  // attach --baseline

    add_leak(LeakKind::Unjoined, p, e.tid, e.comm, std::move(thread), std::move(*e.stack), e.blocked_for);
}

PendingLeak ThreadTracker::make_leak(LeakKind kind, const Process& p, int tid, const std::string& name,
                                     std::optional<Thread> thread, CapturedStack stack,
                                     std::optional<BlockedFor> blocked_for) const {
    PendingLeak leak;
    leak.kind = kind;
    leak.thread = ThreadIdentity{p.info.pid, p.info.exe, tid, name, std::nullopt, std::nullopt};
    if (thread) {
        leak.thread.creator_tid = thread->creator_tid;
        leak.thread.start_unix_ns = thread->start_unix_ns;
        leak.created_before_attach = thread->before_attach;
        leak.creation = std::move(thread->creation);
        if (thread->test) {
            leak.test = thread->test->name;
            leak.test_ordinal = thread->test->ordinal;
        }
    }
    leak.at_exit = PendingStack{std::move(stack), p.image};
    leak.blocked_for = blocked_for;
    // A signal that killed the process already: its threads did not leak, they died with it.
    if (kind == LeakKind::Unjoined && p.exited && p.info.signal) leak.kind = LeakKind::AliveAtCrash;
    return leak;
}

void ThreadTracker::add_leak(LeakKind kind, Process& p, int tid, const std::string& name,
                             std::optional<Thread> thread, CapturedStack stack,
                             std::optional<BlockedFor> blocked_for) {
    p.leaks.push_back(leaks_.size());
    leaks_.push_back(make_leak(kind, p, tid, name, std::move(thread), std::move(stack), blocked_for));
}

std::optional<ThreadTracker::Thread> ThreadTracker::thread_of(const Process& p, int tid) {
    auto it = p.threads.find(tid);
    if (it == p.threads.end()) return std::nullopt;
    return it->second;
}

void ThreadTracker::add_live_leak(LeakKind kind, int pid, int tid, const std::string& name,
                                  CapturedStack stack, std::optional<BlockedFor> blocked_for) {
    Process& p = process(pid);
    add_leak(kind, p, tid, name, thread_of(p, tid), std::move(stack), blocked_for);
}

PendingLeak ThreadTracker::live_leak(LeakKind kind, int pid, int tid, const std::string& name,
                                     CapturedStack stack, std::optional<BlockedFor> blocked_for) {
    const Process& p = process(pid);
    return make_leak(kind, p, tid, name, thread_of(p, tid), std::move(stack), blocked_for);
}

void ThreadTracker::add_leaked_process(int pid, ProcCmdline cmdline, std::vector<LiveThread> threads) {
    const Process& p = process(pid);
    PendingProcessLeak leak;
    leak.pid = pid;
    leak.exe = p.info.exe;
    leak.cmdline = std::move(cmdline);
    leak.ppid = p.info.ppid;
    leak.parent_exe = p.parent_exe;
    leak.creator_tid = p.creator_tid;
    leak.creation = p.creation;
    for (LiveThread& t : threads)
        leak.threads.push_back(make_leak(LeakKind::LeftRunning, p, t.tid, t.comm, thread_of(p, t.tid),
                                         std::move(t.stack), t.blocked_for));
    leaked_processes_.push_back(std::move(leak));
}

void ThreadTracker::on(const ProcessExitEvent& e) {
    Process& p = process(e.pid);
    p.exited = true;
    const bool timers_open =
        std::any_of(p.timers.begin(), p.timers.end(), [](const PendingTimer& t) { return t.open_at_exit; });
    if (timers_open && judging_exits_) leaked_timers_.push_back({e.pid, p.info.exe, std::move(p.timers)});
    p.timers.clear();
    // Exit records of its other threads may still be on their way (each CPU
    // submits its own): keep its threads and image for them a little longer.
    // Then drop them: pending leaks keep the image they need, with its root
    // closed, so a long run of short processes does not pile up descriptors.
    recently_exited_.push_back(e.pid);
    if (recently_exited_.size() > kKeepExited) {
        auto it = processes_.find(recently_exited_.front());
        recently_exited_.pop_front();
        if (it != processes_.end() && it->second.exited) {
            it->second.threads.clear();
            if (it->second.image) it->second.image->close_files();
            it->second.image.reset();
            it->second.creation.reset();
        }
    }
    int status = e.wait_status;
    if (WIFSIGNALED(status)) {
        p.info.signal = signal_name(WTERMSIG(status));
        p.info.exit_code.reset();
        relabel_leaks(p, LeakKind::AliveAtCrash);
    } else {
        p.info.exit_code = WEXITSTATUS(status);
        p.info.signal.reset();
    }
}

// A timer is remembered with its creation stack until its process exits;
// the kernel side says at that exit which were still open.
void ThreadTracker::on(TimerCreateEvent& e) {
    Process& p = process(e.pid);
    p.timers.push_back({e.fd, e.tid, PendingStack{std::move(e.creator_stack), p.image}, false, 0, false});
}

void ThreadTracker::on(const TimerOpenEvent& e) {
    Process& p = process(e.pid);
    // The latest timer made with that fd: an earlier one was closed and its fd reused.
    for (auto it = p.timers.rbegin(); it != p.timers.rend(); ++it) {
        if (it->fd != e.fd) continue;
        it->open_at_exit = true;
        it->interval_ns = e.interval_ns;
        it->armed = e.armed;
        break;
    }
}

std::vector<ProcessInfo> ThreadTracker::processes() const {
    std::vector<ProcessInfo> out = finished_;
    for (const auto& [pid, p] : processes_) out.push_back(p.info);
    return out;
}

std::vector<int> ThreadTracker::live_pids() const {
    std::vector<int> out;
    for (const auto& [pid, p] : processes_)
        if (!p.exited) out.push_back(pid);
    return out;
}

std::shared_ptr<ProcessImage> ThreadTracker::image(int pid) const {
    auto it = processes_.find(pid);
    return it == processes_.end() ? nullptr : it->second.image;
}

}  // namespace threadleak
