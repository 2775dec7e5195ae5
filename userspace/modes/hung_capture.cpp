#include "modes/hung_capture.h"

#include <sys/stat.h>

#include <chrono>
#include <map>
#include <set>
#include <thread>
#include <utility>
#include <vector>

#include "capture/live_snapshot.h"
#include "capture/pipe_holders.h"

namespace threadleak {
namespace {

/// Rereads the threads that were on a CPU (no saved registers) once stopped.
void reread_running_threads(int pid, std::vector<LiveThread>& threads, size_t stack_size) {
    for (auto& t : threads) {
        if (t.has_registers) continue;
        for (int attempt = 0; attempt < 100; attempt++) {
            auto again = snapshot_thread(pid, t.tid, stack_size);
            if (!again) break;
            if (again->has_registers) {
                again->state = 'R';  // it was running before the stop
                t = std::move(*again);
                break;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(2));
        }
    }
}

}  // namespace

LiveThreadsOf capture_live_threads(ThreadTracker& tracker, BpfSession& session, const std::vector<int>& pids,
                                   const std::function<void()>& stop_all, size_t stack_size,
                                   Health& health) {
    // A sample now: a thread asleep since the last one is seen, and its
    // switch count matches /proc's while it stays in that sleep.
    session.sample_sleepers();
    LiveThreadsOf snapshots;
    bool any_running = false;
    for (int pid : pids) {
        auto image = tracker.image(pid);
        if (!image) continue;
        image->load_proc_maps();
        snapshots.emplace_back(pid, snapshot_live_threads(pid, stack_size));
        for (const auto& t : snapshots.back().second) any_running |= !t.has_registers;
    }
    if (any_running) {
        stop_all();
        for (auto& [pid, threads] : snapshots) reread_running_threads(pid, threads, stack_size);
    }
    for (const auto& [pid, threads] : snapshots)
        for (const LiveThread& t : threads)
            if (!t.has_registers) health.unreadable_memory++;
    // Who holds each pipe they wait on, before the processes are ended.
    std::set<uint64_t> pipes;
    for (const auto& [pid, threads] : snapshots)
        for (const LiveThread& t : threads)
            if ((t.stack.syscall.fd_mode & S_IFMT) == S_IFIFO && t.stack.syscall.object.fd_ino)
                pipes.insert(t.stack.syscall.object.fd_ino);
    const std::map<uint64_t, std::vector<PipeEnd>> holders = pipe_holders(pipes);
    for (auto& [pid, threads] : snapshots)
        for (LiveThread& t : threads)
            if (auto it = holders.find(t.stack.syscall.object.fd_ino);
                it != holders.end() && (t.stack.syscall.fd_mode & S_IFMT) == S_IFIFO)
                t.stack.syscall.object.pipe_ends = it->second;
    for (auto& [pid, threads] : snapshots)
        for (LiveThread& t : threads) {
            const std::optional<SleepSample> sample = session.sleep_sample(t.tid);
            t.blocked_for = blocked_for(t, sample);
            session.add_wake_facts(pid, t.tid, t.stack.syscall.nr, t.stack.syscall.args[0], &t.stack.syscall.object);
            if (sample && sample->same_sleeps && sample->regs[16] == t.stack.snapshot.regs[16]) {
                t.stack.syscall.object.same_sleeps = sample->same_sleeps;
                t.stack.syscall.object.same_sleeps_span_ns = t.seen_ns - sample->first_same_ns;
            }
        }
    return snapshots;
}

void capture_hung_threads(ThreadTracker& tracker, BpfSession& session, const std::function<void()>& stop_all,
                          size_t stack_size, Health& health) {
    for (auto& [pid, threads] :
         capture_live_threads(tracker, session, tracker.live_pids(), stop_all, stack_size, health))
        for (LiveThread& t : threads)
            tracker.add_live_leak(LeakKind::Hung, pid, t.tid, t.comm, std::move(t.stack), t.blocked_for);
}

}  // namespace threadleak
