#include "track/thread_tracker.h"

#include <signal.h>
#include <string.h>
#include <sys/wait.h>

namespace threadleak {

std::string signal_name(int sig) {
    const char* abbrev = sigabbrev_np(sig);
    return abbrev ? std::string("SIG") + abbrev : "SIG" + std::to_string(sig);
}

ThreadTracker::ThreadTracker(ImageFactory make_image) : make_image_(std::move(make_image)) {}

ThreadTracker::Process& ThreadTracker::process(int pid) {
    auto it = processes_.find(pid);
    if (it != processes_.end()) {
        if (!it->second.exited) return it->second;
        // The pid was reused by a new process: file the old one away.
        finished_.push_back(std::move(it->second.info));
        processes_.erase(it);
    }
    Process& p = processes_[pid];
    p.info.pid = pid;
    p.image = make_image_(pid);
    return p;
}

void ThreadTracker::add_root_process(int pid, int ppid, const std::string& exe) {
    Process& p = process(pid);
    p.info.ppid = ppid;
    p.info.exe = exe;
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

void ThreadTracker::on(const ProcessForkEvent& e) {
    Process& parent = process(e.parent_pid);
    Process& child = process(e.pid);
    child.info.ppid = e.parent_pid;
    child.info.exe = parent.info.exe;  // until it execs
    child.info.comm = e.comm;
}

void ThreadTracker::on(const ExecEvent& e) {
    Process& p = process(e.pid);
    // A new address space: stacks captured from now on belong to a new image;
    // leaks already pending keep the old one alive.
    p.image = make_image_(e.pid);
    p.info.exe = e.filename;
    p.info.comm = e.comm;
    p.threads.clear();  // exec killed every other thread (their exits came first)
}

void ThreadTracker::on(ThreadCreateEvent& e) {
    Process& p = process(e.pid);
    if (p.info.comm.empty()) p.info.comm = e.creator_comm;
    Thread& t = p.threads[e.tid];
    t.creator_tid = e.creator_tid;
    t.creation = PendingStack{std::move(e.creator_stack), p.image};
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
    // The main thread is nobody's to join; a thread that ended itself or ended
    // the process is not leaked.
    if (!judging_exits_ || e.how != ExitHow::Killed || e.tid == e.pid || !e.stack) return;

    PendingLeak leak;
    leak.kind = LeakKind::Unjoined;
    leak.pid = e.pid;
    leak.exe = p.info.exe;
    leak.tid = e.tid;
    leak.thread_name = e.comm;
    if (thread) {
        leak.creator_tid = thread->creator_tid;
        leak.creation = std::move(thread->creation);
    }
    leak.at_exit = PendingStack{std::move(*e.stack), p.image};
    leak.blocked_for_ns = e.blocked_for_ns;
    leaks_.push_back(std::move(leak));
}

void ThreadTracker::on(const ProcessExitEvent& e) {
    Process& p = process(e.pid);
    p.exited = true;
    p.threads.clear();
    // Pending leaks keep the image they need; dropping ours closes its root fd,
    // so a long run of short processes does not pile up descriptors.
    p.image.reset();
    int status = e.wait_status;
    if (WIFSIGNALED(status)) {
        p.info.signal = signal_name(WTERMSIG(status));
        p.info.exit_code.reset();
    } else {
        p.info.exit_code = WEXITSTATUS(status);
        p.info.signal.reset();
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

std::string ThreadTracker::exe(int pid) const {
    auto it = processes_.find(pid);
    return it == processes_.end() ? std::string() : it->second.info.exe;
}

std::optional<std::pair<int, PendingStack>> ThreadTracker::creation_of(int pid, int tid) const {
    auto p = processes_.find(pid);
    if (p == processes_.end()) return std::nullopt;
    auto t = p->second.threads.find(tid);
    if (t == p->second.threads.end() || !t->second.creation || !t->second.creator_tid)
        return std::nullopt;
    return std::make_pair(*t->second.creator_tid, *t->second.creation);
}

}  // namespace threadleak
