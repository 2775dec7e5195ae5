// The one place a Report is built, for every mode: the tracker's pending
// leaks are resolved (unwound, symbolized, decoded), then grouped. Later
// stages (suppress, classify waits, find deadlocks, sort) are steps here.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <vector>

#include "analyze/suppressions.h"
#include "report/report.h"
#include "track/thread_tracker.h"

namespace threadleak {

struct ReportOptions {
    /// Leaks that a rule matches (checked per thread, after resolving, before
    /// grouping) are counted in Report::suppressed instead.
    std::vector<SuppressionRule> suppressions;
    /// Once it returns true (the user asked to stop), the remaining leaks are
    /// reported without stacks (Health::stacks_not_symbolized).
    std::function<bool()> stop_symbolizing;
    /// --per-test: each leak names its test (analyze/test_attribution).
    bool per_test = false;
    /// Who holds each of these pipes' ends now (capture/pipe_holders); unset:
    /// pipe waits name no peer.
    std::function<std::map<uint64_t, std::vector<PipeEnd>>(const std::set<uint64_t>&)> pipe_holders{};
};

/// `session` and `health` are the mode's; processes and leaks come from `tracker`.
Report build_report(const ThreadTracker& tracker, SessionInfo session, Health health,
                    const ReportOptions& options = {});

/// attach: also the leaks found in the live processes now (parked threads,
/// resolved already, reported afresh each time) and the creation sites.
Report build_report(const ThreadTracker& tracker, SessionInfo session, Health health, const ReportOptions& options,
                    std::vector<LeakedThread> live_leaks, std::vector<CreationSite> sites);

}  // namespace threadleak
