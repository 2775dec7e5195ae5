// The wait-for graph of the reported threads: a mutex waiter points at the
// mutex's holder, a joiner at the thread it joins. Each thread waits for at
// most one other, so every cycle is found by following the edges.
#pragma once

#include <vector>

#include "report/report.h"

namespace threadleak {

/// Sets `waits_for` on every thread whose wait names another thread of its
/// process, and returns the cycles, each member's `deadlock` set to its index.
std::vector<Deadlock> link_waiters(std::vector<LeakedThread>& threads);

}  // namespace threadleak
