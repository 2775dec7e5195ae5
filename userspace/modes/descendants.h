// The processes the command started: which of them still run once it has
// exited (leaked processes, or ones --wait-descendants waits for), and ending
// them all, so threadleak leaves nothing running behind it.
#pragma once

#include <cstddef>
#include <vector>

#include "capture/bpf_session.h"
#include "report/report.h"
#include "track/thread_tracker.h"

namespace threadleak {

/// Traced processes still running: the tracker has not seen them exit and the
/// kernel side still traces them (it drops a pid when the process exits, even
/// if the exit record is lost, so a zombie or a reused pid is never listed).
/// Call after a drain: a process forked since is not known to the tracker yet.
std::vector<int> running_traced(const ThreadTracker& tracker, const BpfSession& session);

/// Sends `sig` to each of `pids` that is still traced, through a pidfd opened
/// before the check, so a pid reused by another process is never signalled.
void signal_traced(const std::vector<int>& pids, const BpfSession& session, int sig);

/// Records each of `pids` in the tracker as a leaked process: its command
/// line and what each of its threads is doing (stopping them all if one was
/// on a CPU). Processes that are gone by then are skipped.
void capture_leaked_processes(ThreadTracker& tracker, BpfSession& session,
                              const std::vector<int>& pids, size_t stack_size, Health& health);

/// SIGKILLs every traced process still running, and those they fork
/// meanwhile, and waits (up to 2 s) until each is gone.
void kill_running_traced(ThreadTracker& tracker, BpfSession& session);

}  // namespace threadleak
