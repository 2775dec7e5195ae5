// The one place a Report is built, for every mode: the tracker's pending
// leaks are resolved (unwound, symbolized, decoded), then grouped. Later
// stages (suppress, classify waits, find deadlocks, sort) are steps here.
#pragma once

#include <functional>
#include <vector>

#include "analyze/suppressions.h"
#include "report/report.h"
#include "track/thread_tracker.h"

namespace threadleak {

/// `session` and `health` are the mode's; processes and leaks come from `tracker`.
/// Leaks that a rule of `suppressions` matches (checked per thread, after
/// resolving, before grouping) are counted in Report::suppressed instead.
/// Once `stop_symbolizing()` returns true (the user asked to stop), the
/// remaining leaks are reported without stacks (Health::stacks_not_symbolized).
Report build_report(const ThreadTracker& tracker, SessionInfo session, Health health,
                    const std::vector<SuppressionRule>& suppressions = {},
                    const std::function<bool()>& stop_symbolizing = {});

}  // namespace threadleak
