// The one place a Report is built, for every mode: the tracker's pending
// leaks are resolved (unwound, symbolized, decoded), then grouped. Later
// stages (suppress, classify waits, find deadlocks, sort) are steps here.
#pragma once

#include "report/report.h"
#include "track/thread_tracker.h"

namespace threadleak {

/// `session` and `health` are the mode's; processes and leaks come from `tracker`.
Report build_report(const ThreadTracker& tracker, SessionInfo session, Health health);

}  // namespace threadleak
