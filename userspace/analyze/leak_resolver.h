// Turns pending leaks (raw registers and stack copies) into report-ready
// LeakedThreads: unwinds, symbolizes and decodes the syscall.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "report/report.h"
#include "track/thread_tracker.h"

namespace threadleak {

/// What a captured thread was doing, from its syscall and registers.
ThreadState state_of(const CapturedStack& captured);

/// Unwinds and symbolizes one captured stack in its own address space.
Stack resolve(const PendingStack& pending);

/// `with_stacks` false: everything but the stacks (identity, state, syscall),
/// for a report whose symbolization was stopped.
LeakedThread resolve_leak(const PendingLeak& leak, bool with_stacks = true);

/// Stacks a pending leak holds (creation and capture), for progress messages.
size_t stack_count(const std::vector<PendingLeak>& leaks);

/// Resolves every leak; once `stop()` returns true (checked between leaks) the
/// rest are resolved without stacks and counted in `*unsymbolized`.
std::vector<LeakedThread> resolve_leaks(const std::vector<PendingLeak>& leaks,
                                        const std::function<bool()>& stop = {},
                                        uint64_t* unsymbolized = nullptr);

}  // namespace threadleak
