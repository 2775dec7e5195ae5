#include "analyze/report_pipeline.h"

#include <algorithm>
#include <map>

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

/// Each pipe wait's other end: the processes holding the pipe open the other
/// way (a reader's writers, a writer's readers), its own descriptor left out.
void add_pipe_peers(std::vector<LeakedThread>& threads, const ReportOptions& options) {
    auto pipe_wait = [](LeakedThread& t) -> WaitFacts* {
        if (!t.wait || t.wait->fd_kind != FdKind::Pipe || !t.wait->fd_ino) return nullptr;
        return t.wait->kind == WaitKind::Read || t.wait->kind == WaitKind::Write ? &*t.wait : nullptr;
    };
    // Ends read while the processes lived (--timeout) come with the capture;
    // the others are looked up now.
    std::set<uint64_t> inodes;
    for (LeakedThread& t : threads)
        if (WaitFacts* w = pipe_wait(t); w && t.blocked_in->object.pipe_ends.empty()) inodes.insert(*w->fd_ino);
    const std::map<uint64_t, std::vector<PipeEnd>> holders =
        inodes.empty() || !options.pipe_holders ? std::map<uint64_t, std::vector<PipeEnd>>{}
                                                : options.pipe_holders(inodes);
    for (LeakedThread& t : threads) {
        WaitFacts* w = pipe_wait(t);
        if (!w) continue;
        const std::vector<PipeEnd>* ends = &t.blocked_in->object.pipe_ends;
        if (ends->empty()) {
            auto it = holders.find(*w->fd_ino);
            if (it == holders.end()) continue;
            ends = &it->second;
        }
        const bool wants_writer = w->kind == WaitKind::Read;
        for (const PipeEnd& end : *ends)
            if (end.writes == wants_writer && !(end.pid == t.thread.pid && w->fd == end.fd))
                w->pipe_peers.push_back(end);
    }
}

/// A process's timers grouped by creation stack (module + offset), in order of creation.
std::vector<LeakedTimers> resolve_timers(const PendingTimers& p) {
    std::vector<LeakedTimers> out;
    std::map<std::vector<std::pair<std::string, uint64_t>>, size_t> by_site;
    for (const PendingTimer& t : p.timers) {
        Stack frames = resolve(t.creation);
        std::vector<std::pair<std::string, uint64_t>> key;
        for (const Frame& f : frames) key.emplace_back(f.module, f.offset);
        auto [it, added] = by_site.emplace(std::move(key), out.size());
        if (added) {
            LeakedTimers site;
            site.pid = p.pid;
            site.exe = p.exe;
            site.creator_tid = t.creator_tid;
            site.created_by = std::move(frames);
            out.push_back(std::move(site));
        }
        LeakedTimers& site = out[it->second];
        site.created++;
        site.creator_tid = std::min(site.creator_tid, t.creator_tid);
        if (!t.open_at_exit) {
            site.closed++;
            continue;
        }
        if (site.fds.empty()) site.interval_ns = t.interval_ns;
        site.fds.push_back(t.fd);
        site.armed = site.armed || t.armed;
    }
    std::erase_if(out, [](const LeakedTimers& s) { return s.fds.empty(); });  // every timer of the site closed
    for (LeakedTimers& s : out) std::sort(s.fds.begin(), s.fds.end());
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
    add_pipe_peers(threads, options);
    r.suppressed = apply_suppressions(options.suppressions, threads);
    for (LeakGroup& g : group_leaks(std::move(threads)))
        (is_leak(g.kind) ? r.leaks : r.alive_at_crash).push_back(std::move(g));
    for (const PendingProcessLeak& p : tracker.leaked_processes())
        r.leaked_processes.push_back(resolve_leaked_process(p, &r.deadlocks));
    for (const PendingTimers& p : tracker.leaked_timers())
        for (LeakedTimers& t : resolve_timers(p)) r.timers.push_back(std::move(t));
    apply_timer_suppressions(options.suppressions, r.timers, r.suppressed);
    r.sites = std::move(sites);
    return r;
}

}  // namespace threadleak
