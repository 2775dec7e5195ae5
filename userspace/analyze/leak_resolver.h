// Turns pending leaks (raw registers and stack copies) into report-ready
// LeakedThreads: unwinds, symbolizes and decodes the syscall.
#pragma once

#include <vector>

#include "report/report.h"
#include "track/thread_tracker.h"

namespace threadleak {

/// What a captured thread was doing, from its syscall and registers.
ThreadState state_of(const CapturedStack& captured);

/// Unwinds and symbolizes one captured stack in its own address space.
Stack resolve(const PendingStack& pending);

LeakedThread resolve_leak(const PendingLeak& leak);

std::vector<LeakedThread> resolve_leaks(const std::vector<PendingLeak>& leaks);

}  // namespace threadleak
