#include "analyze/report_pipeline.h"

#include "analyze/leak_grouping.h"
#include "analyze/leak_resolver.h"

namespace threadleak {

Report build_report(const ThreadTracker& tracker, SessionInfo session, Health health,
                    const std::function<bool()>& stop_symbolizing) {
    Report r;
    r.session = std::move(session);
    r.health = health;
    r.processes = tracker.processes();
    auto resolved = resolve_leaks(tracker.leaks(), stop_symbolizing, &r.health.stacks_not_symbolized);
    for (LeakGroup& g : group_leaks(std::move(resolved)))
        (is_leak(g.kind) ? r.leaks : r.alive_at_crash).push_back(std::move(g));
    return r;
}

}  // namespace threadleak
