// What each blocked thread waits for, and what follows from all of them
// together: which waiter waits for which thread, the deadlocks, and the kind
// of a thread left alive at exit (parked, deadlock, busy or plain unjoined).
// Run on the resolved threads before they are suppressed and grouped.
#pragma once

#include <vector>

#include "report/report.h"

namespace threadleak {

/// The wait of one blocked thread: the runtime classifiers first, then the
/// syscall's own (analyze/wait_classifier.h).
WaitFacts classify_wait(const BlockedIn& b);

/// Classifies every blocked thread, links waiters to the threads they wait
/// for (analyze/wait_graph.h), and refines the kinds: a thread killed at exit
/// (Unjoined) is Deadlock in a cycle, Busy when running user code, Parked in a
/// wait with no timeout; attach's Parked threads in a cycle become Deadlock.
/// Returns the deadlocks; members point at theirs (LeakFindings::deadlock).
std::vector<Deadlock> explain_waits(std::vector<LeakedThread>& threads);

}  // namespace threadleak
