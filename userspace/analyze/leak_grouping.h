// Groups identical leaked threads into one LeakGroup, as sanitizers do.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "report/report.h"

namespace threadleak {

/// Threads with the same kind, pid, name shape (digits aside: "worker-1" and
/// "worker-2" match), creation stack, state, syscall and blocking (or running)
/// stack form one group. Frames compare by (module, offset): the creator tid,
/// the numbers in thread names, arguments and durations may differ in a group.
/// Groups are ordered by pid, then by size (largest first), then by lowest tid.
std::vector<LeakGroup> group_leaks(std::vector<LeakedThread> threads);

}  // namespace threadleak
