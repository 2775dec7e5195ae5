// Assembles the final Report from the tracker's state: resolves and groups leaks.
#pragma once

#include "report/report.h"
#include "track/thread_tracker.h"

namespace threadleak {

Report build_report(const ThreadTracker& tracker, std::vector<std::string> command);

}  // namespace threadleak
