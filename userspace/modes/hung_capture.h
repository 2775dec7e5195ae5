// When --timeout expires: every live thread of every traced process is
// recorded in the tracker as a hung leak, with its blocking (or running)
// stack and its creation stack if that was traced.
#pragma once

#include <cstddef>
#include <functional>

#include "capture/bpf_session.h"
#include "report/report.h"
#include "track/thread_tracker.h"

namespace threadleak {

/// Blocked threads are read first, undisturbed. Threads that were on a CPU
/// have no saved registers, so then `stop_all()` is called once (it must stop
/// every traced process: they are about to be killed anyway) and those are
/// read again. Threads that stay unreadable are counted in `health`. How long
/// each was blocked comes from a sample `session` takes first.
void capture_hung_threads(ThreadTracker& tracker, BpfSession& session, const std::function<void()>& stop_all,
                          size_t stack_size, Health& health);

}  // namespace threadleak
