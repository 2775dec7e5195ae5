#include "analyze/report_pipeline.h"

#include "analyze/leak_grouping.h"
#include "analyze/leak_resolver.h"

namespace threadleak {

Report build_report(const ThreadTracker& tracker, SessionInfo session, Health health,
                    const std::vector<SuppressionRule>& suppressions) {
    Report r;
    r.session = std::move(session);
    r.health = health;
    r.processes = tracker.processes();
    std::vector<LeakedThread> threads = resolve_leaks(tracker.leaks());
    r.suppressed = apply_suppressions(suppressions, threads);
    for (LeakGroup& g : group_leaks(std::move(threads)))
        (is_leak(g.kind) ? r.leaks : r.alive_at_crash).push_back(std::move(g));
    return r;
}

}  // namespace threadleak
