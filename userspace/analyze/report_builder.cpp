#include "analyze/report_builder.h"

#include "analyze/leak_grouping.h"
#include "analyze/leak_resolver.h"

namespace threadleak {

Report build_report(const ThreadTracker& tracker, std::vector<std::string> command) {
    Report r;
    r.command = std::move(command);
    r.processes = tracker.processes();
    r.leaks = group_leaks(resolve_leaks(tracker.leaks()));
    return r;
}

}  // namespace threadleak
