// Groups identical leaked threads, as sanitizers fold identical reports.
#include "analyze/leak_grouping.h"

#include <algorithm>
#include <map>
#include <set>
#include <utility>

namespace threadleak {
namespace {

using FrameKey = std::vector<std::pair<std::string, uint64_t>>;

/// What makes two leaked threads "the same leak". Addresses are left out on
/// purpose: (module, offset) is stable across threads whatever the load bias.
struct GroupKey {
    LeakKind kind;
    int pid;
    std::string name_shape;
    FrameKey created_by;
    ThreadState state;
    std::string syscall;
    FrameKey stack;  ///< blocking stack, or running frames
    std::optional<std::string> test;  ///< threads of different tests are different leaks
    /// What it waits on: threads waiting on different objects, or for
    /// different threads, are different leaks (each deadlock member its own).
    std::optional<uint64_t> object;
    std::optional<int> waits_for;
    std::optional<size_t> deadlock;
    auto operator<=>(const GroupKey&) const = default;
};

FrameKey frame_key(const Stack& stack) {
    FrameKey key;
    key.reserve(stack.size());
    for (const auto& f : stack) key.emplace_back(f.module, f.offset);
    return key;
}

/// "worker-12" -> "worker-#": pool threads numbered by their runtime stay one
/// group, while differently named threads whose stacks look alike (unwinding
/// stopped early, e.g. in JIT code) are not merged.
std::string name_shape(const std::string& name) {
    std::string shape;
    for (char c : name) {
        bool digit = c >= '0' && c <= '9';
        if (!digit) shape += c;
        else if (shape.empty() || shape.back() != '#') shape += '#';
    }
    return shape;
}

GroupKey key_of(const LeakedThread& t) {
    GroupKey k{t.kind, t.thread.pid, name_shape(t.thread.name), frame_key(t.created_by), t.state, {}, {}, t.test,
               t.wait ? t.wait->object : std::nullopt,
               t.waits_for ? std::optional<int>(t.waits_for->tid) : std::nullopt, t.deadlock};
    if (t.goroutine) {
        // Goroutines: the same `go` statement (created_by), wait reason and blocked frame.
        k.syscall = t.goroutine->status + "/" + t.goroutine->wait_reason;
        k.stack = t.goroutine->blocked_frame ? frame_key({*t.goroutine->blocked_frame}) : frame_key(t.goroutine->frames);
    } else if (t.state == ThreadState::Running) {
        k.stack = frame_key(t.running_frames);
    } else if (t.blocked_in) {
        k.syscall = t.blocked_in->syscall;
        k.stack = frame_key(t.blocked_in->frames);
    }
    return k;
}

/// `members` sorted by tid, not empty.
LeakGroup make_group(std::vector<LeakedThread>& members) {
    LeakGroup g;
    static_cast<LeakFindings&>(g) = std::move(members.front());
    for (size_t i = 0; i < members.size(); i++) {
        const LeakedThread& t = members[i];
        // An entry of goroutines is one member per goid (the first's findings were moved into g).
        const LeakFindings& findings = i == 0 ? static_cast<const LeakFindings&>(g) : t;
        for (size_t n = findings.goroutine ? findings.goroutine->goids.size() : 1; n > 0; n--)
            g.threads.push_back(t.thread);
        if (g.goroutine && t.goroutine && i > 0) {
            GoroutineFacts& f = *g.goroutine;
            f.goids.insert(f.goids.end(), t.goroutine->goids.begin(), t.goroutine->goids.end());
            if (t.goroutine->waiting_ns && (!f.waiting_ns || *t.goroutine->waiting_ns > *f.waiting_ns)) {
                f.waiting_ns = t.goroutine->waiting_ns;
                f.waiting_exact = t.goroutine->waiting_exact;
            }
        }
        // The group reports its longest-parked thread.
        if (g.blocked_in && t.blocked_in && t.blocked_in->blocked_for &&
            (!g.blocked_in->blocked_for || t.blocked_in->blocked_for->ns > g.blocked_in->blocked_for->ns))
            g.blocked_in->blocked_for = t.blocked_in->blocked_for;
    }
    if (g.goroutine) std::sort(g.goroutine->goids.begin(), g.goroutine->goids.end());
    return g;
}

}  // namespace

std::vector<LeakGroup> group_leaks(std::vector<LeakedThread> threads) {
    // Sorted by index: a LeakedThread is large, and moving each once is enough.
    std::vector<size_t> order(threads.size());
    for (size_t i = 0; i < order.size(); i++) order[i] = i;
    std::stable_sort(order.begin(), order.end(),
                     [&](size_t a, size_t b) { return threads[a].thread.tid < threads[b].thread.tid; });
    std::map<GroupKey, std::vector<LeakedThread>> by_key;
    for (size_t i : order) {
        GroupKey k = key_of(threads[i]);
        by_key[std::move(k)].push_back(std::move(threads[i]));
    }

    std::vector<LeakGroup> groups;
    groups.reserve(by_key.size());
    for (auto& [key, members] : by_key) groups.push_back(make_group(members));

    // The root of a chain first: a deadlock, then the threads others wait
    // for (the holder of the mutex, the thread being joined), then the rest.
    std::set<std::pair<int, int>> waited_for;
    for (const LeakGroup& g : groups)
        if (g.waits_for && g.waits_for->found) waited_for.insert({g.first().pid, g.waits_for->tid});
    auto rank = [&](const LeakGroup& g) {
        if (g.deadlock) return 0;
        for (const ThreadIdentity& t : g.threads)
            if (waited_for.count({t.pid, t.tid})) return 1;
        return 2;
    };
    std::sort(groups.begin(), groups.end(), [&](const LeakGroup& a, const LeakGroup& b) {
        if (a.first().pid != b.first().pid) return a.first().pid < b.first().pid;
        if (rank(a) != rank(b)) return rank(a) < rank(b);
        if (a.deadlock != b.deadlock) return a.deadlock < b.deadlock;
        if (a.threads.size() != b.threads.size()) return a.threads.size() > b.threads.size();
        return a.first().tid < b.first().tid;
    });
    return groups;
}

}  // namespace threadleak
