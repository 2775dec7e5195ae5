#include "analyze/wait_graph.h"

#include <map>
#include <utility>

namespace threadleak {
namespace {

/// The thread `w` waits for, if its wait names one.
std::optional<int> target_of(const WaitFacts& w) {
    if (w.owner_tid) return w.owner_tid;
    if (w.joins_tid) return w.joins_tid;
    return std::nullopt;
}

}  // namespace

std::vector<Deadlock> link_waiters(std::vector<LeakedThread>& threads) {
    std::map<std::pair<int, int>, size_t> by_tid;  // (pid, tid) -> index
    for (size_t i = 0; i < threads.size(); i++) by_tid[{threads[i].thread.pid, threads[i].thread.tid}] = i;

    // next[i]: the index of the thread i waits for, or npos.
    constexpr size_t npos = static_cast<size_t>(-1);
    std::vector<size_t> next(threads.size(), npos);
    for (size_t i = 0; i < threads.size(); i++) {
        LeakedThread& t = threads[i];
        if (!t.wait) continue;
        const std::optional<int> target = target_of(*t.wait);
        if (!target || *target == t.thread.tid) continue;
        WaitsFor wf;
        wf.tid = *target;
        if (auto it = by_tid.find({t.thread.pid, *target}); it != by_tid.end()) {
            const LeakedThread& other = threads[it->second];
            wf.found = true;
            wf.name = other.thread.name;
            if (other.wait) wf.waits_in = other.wait->kind;
            next[i] = it->second;
        }
        t.waits_for = std::move(wf);
    }

    // Each node has at most one edge out: walk from every node, marking the
    // walk; meeting the current walk again closes a cycle.
    std::vector<Deadlock> deadlocks;
    std::vector<size_t> walk_of(threads.size(), npos);
    for (size_t start = 0; start < threads.size(); start++) {
        size_t i = start;
        while (i != npos && walk_of[i] == npos) {
            walk_of[i] = start;
            i = next[i];
        }
        if (i == npos || walk_of[i] != start) continue;  // ended, or ran into an earlier walk
        Deadlock d;
        d.pid = threads[i].thread.pid;
        size_t j = i;
        do {
            const LeakedThread& t = threads[j];
            d.cycle.push_back(t.thread.tid);
            d.edges.push_back({t.thread.tid, t.thread.name, t.wait->kind, t.wait->object,
                               threads[next[j]].thread.tid});
            threads[j].deadlock = deadlocks.size();
            j = next[j];
        } while (j != i);
        deadlocks.push_back(std::move(d));
    }
    return deadlocks;
}

}  // namespace threadleak
