#include "analyze/report_pipeline.h"

#include "analyze/leak_grouping.h"
#include "analyze/leak_resolver.h"

namespace threadleak {

Report build_report(const ThreadTracker& tracker, SessionInfo session, Health health) {
    Report r;
    r.session = std::move(session);
    r.health = health;
    r.processes = tracker.processes();
    r.leaks = group_leaks(resolve_leaks(tracker.leaks()));
    return r;
}

}  // namespace threadleak
