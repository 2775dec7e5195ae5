#include "modes/descendants.h"

#include <poll.h>
#include <signal.h>
#include <unistd.h>

// glibc 2.36's <sys/pidfd.h> lacks the extern "C" block (fixed in 2.37).
extern "C" {
#include <sys/pidfd.h>
}

#include <algorithm>
#include <chrono>
#include <cstdio>

#include "capture/proc_cmdline.h"
#include "modes/hung_capture.h"

namespace threadleak {
namespace {

using Clock = std::chrono::steady_clock;

/// Pidfds of those of `pids` still traced, each signalled with `sig`.
std::vector<int> signal_and_hold(const std::vector<int>& pids, const BpfSession& session, int sig) {
    std::vector<int> fds;
    for (int pid : pids) {
        const int fd = pidfd_open(pid, 0);
        if (fd < 0) continue;  // gone
        // Checked after the open: the pidfd now names the traced process, or
        // the pid was reused and it is no longer traced.
        if (!session.is_traced(pid) || pidfd_send_signal(fd, sig, nullptr, 0) != 0) {
            close(fd);
            continue;
        }
        fds.push_back(fd);
    }
    return fds;
}

/// Waits until every process behind `fds` has exited (a pidfd turns readable) or `deadline`; closes them.
void wait_exited(std::vector<int>& fds, Clock::time_point deadline) {
    std::vector<pollfd> waiting;
    for (int fd : fds) waiting.push_back({fd, POLLIN, 0});
    while (!waiting.empty() && Clock::now() < deadline) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
        if (poll(waiting.data(), waiting.size(), static_cast<int>(left.count()) + 1) < 0) continue;  // EINTR
        std::erase_if(waiting, [](const pollfd& p) { return p.revents != 0; });
    }
    for (int fd : fds) close(fd);
    fds.clear();
}

}  // namespace

std::vector<int> running_traced(const ThreadTracker& tracker, const BpfSession& session) {
    std::vector<int> out;
    for (int pid : tracker.live_pids())
        if (session.is_traced(pid)) out.push_back(pid);
    return out;
}

void signal_traced(const std::vector<int>& pids, const BpfSession& session, int sig) {
    for (int fd : signal_and_hold(pids, session, sig)) close(fd);
}

void capture_leaked_processes(ThreadTracker& tracker, BpfSession& session,
                              const std::vector<int>& pids, size_t stack_size, Health& health) {
    std::vector<ProcCmdline> cmdlines;
    for (int pid : pids) cmdlines.push_back(read_proc_cmdline(pid));
    LiveThreadsOf live = capture_live_threads(
        tracker, session, pids, [&] { signal_traced(pids, session, SIGSTOP); }, stack_size, health);
    for (auto& [pid, threads] : live) {
        if (threads.empty()) continue;  // it exited meanwhile
        const size_t i = std::find(pids.begin(), pids.end(), pid) - pids.begin();
        tracker.add_leaked_process(pid, std::move(cmdlines[i]), std::move(threads));
    }
}

void kill_running_traced(ThreadTracker& tracker, BpfSession& session) {
    const auto deadline = Clock::now() + std::chrono::seconds(2);
    // A process may fork while it is being killed: kill again what appeared.
    for (int round = 0; round < 10 && Clock::now() < deadline; round++) {
        session.drain();
        std::vector<int> fds = signal_and_hold(running_traced(tracker, session), session, SIGKILL);
        if (fds.empty()) break;
        wait_exited(fds, deadline);
    }
    session.drain();
    // A process in uninterruptible sleep dies only when its I/O ends: say so.
    for (int pid : running_traced(tracker, session))
        fprintf(stderr, "threadleak: warning: traced process %d is still alive 2 s after SIGKILL\n", pid);
}

}  // namespace threadleak
