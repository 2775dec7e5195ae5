#include "analyze/report_pipeline.h"

#include "analyze/leak_grouping.h"
#include "analyze/leak_resolver.h"
#include "analyze/test_attribution.h"
#include "analyze/wait_classification.h"

namespace threadleak {

namespace {

/// `deadlocks` numbered from `first` on (they join the report's list).
void append_deadlocks(std::vector<Deadlock> found, std::vector<LeakedThread>& threads, std::vector<Deadlock>* all) {
    const size_t first = all->size();
    for (LeakedThread& t : threads)
        if (t.deadlock) *t.deadlock += first;
    for (Deadlock& d : found) all->push_back(std::move(d));
}

LeakedProcess resolve_leaked_process(const PendingProcessLeak& p, std::vector<Deadlock>* deadlocks) {
    LeakedProcess out;
    out.pid = p.pid;
    out.exe = p.exe;
    out.cmdline = p.cmdline.args;
    out.cmdline_truncated = p.cmdline.truncated;
    out.ppid = p.ppid;
    out.parent_exe = p.parent_exe;
    out.creator_tid = p.creator_tid;
    if (p.creation) out.created_by = resolve(*p.creation);
    std::vector<LeakedThread> threads = resolve_leaks(p.threads);
    append_deadlocks(explain_waits(threads), threads, deadlocks);
    out.threads = group_leaks(std::move(threads));
    return out;
}

}  // namespace

Report build_report(const ThreadTracker& tracker, SessionInfo session, Health health,
                    const ReportOptions& options) {
    return build_report(tracker, std::move(session), health, options, {}, {});
}

Report build_report(const ThreadTracker& tracker, SessionInfo session, Health health, const ReportOptions& options,
                    std::vector<LeakedThread> live_leaks, std::vector<CreationSite> sites) {
    Report r;
    r.session = std::move(session);
    r.health = health;
    r.processes = tracker.processes();
    std::vector<LeakedThread> threads =
        resolve_leaks(tracker.leaks(), options.stop_symbolizing, &r.health.stacks_not_symbolized);
    if (options.per_test)  // resolve_leaks keeps the order of the pending leaks
        for (size_t i = 0; i < threads.size(); i++)
            threads[i].test = test_of(tracker.leaks()[i], threads[i].created_by);
    for (LeakedThread& t : live_leaks) threads.push_back(std::move(t));
    append_deadlocks(explain_waits(threads), threads, &r.deadlocks);
    r.suppressed = apply_suppressions(options.suppressions, threads);
    for (LeakGroup& g : group_leaks(std::move(threads)))
        (is_leak(g.kind) ? r.leaks : r.alive_at_crash).push_back(std::move(g));
    for (const PendingProcessLeak& p : tracker.leaked_processes())
        r.leaked_processes.push_back(resolve_leaked_process(p, &r.deadlocks));
    r.sites = std::move(sites);
    return r;
}

}  // namespace threadleak
