// Reading the live threads of traced processes that are about to be killed:
// every thread when --timeout expires (recorded as hung leaks), and the
// threads of the processes the command left running when it exited.
#pragma once

#include <cstddef>
#include <functional>
#include <utility>
#include <vector>

#include "capture/bpf_session.h"
#include "capture/live_snapshot.h"
#include "report/report.h"
#include "track/thread_tracker.h"

namespace threadleak {

using LiveThreadsOf = std::vector<std::pair<int, std::vector<LiveThread>>>;

/// Every thread of each of `pids` (skipping those already gone) with its
/// blocking (or running) stack and how long it was blocked (from a sample
/// `session` takes first); their address spaces are loaded from /proc
/// into the tracker's images. Blocked threads are read first, undisturbed.
/// Threads that were on a CPU have no saved registers, so then `stop_all()`
/// is called once (it must stop every process in `pids`: they are about to be
/// killed anyway) and those are read again. Threads that stay unreadable are
/// counted in `health`.
LiveThreadsOf capture_live_threads(ThreadTracker& tracker, BpfSession& session, const std::vector<int>& pids,
                                   const std::function<void()>& stop_all, size_t stack_size,
                                   Health& health);

/// When --timeout expires: every live thread of every traced process is
/// recorded in the tracker as a hung leak, with its creation stack if that was traced.
void capture_hung_threads(ThreadTracker& tracker, BpfSession& session, const std::function<void()>& stop_all,
                          size_t stack_size, Health& health);

}  // namespace threadleak
