#include "modes/parked_reader.h"

#include "common/monotonic_clock.h"


#include <memory>

#include "analyze/leak_resolver.h"
#include "capture/live_snapshot.h"
#include "modes/parked_scan.h"

namespace threadleak {
namespace {

bool same_sleep(const SleepSample& now, uint64_t switches, uint64_t since_ns) {
    return now.switches == switches && now.since_ns == since_ns;
}

}  // namespace

std::vector<LeakedThread> ParkedReader::read(ThreadTracker& tracker, BpfSession& session,
                                             const std::set<std::pair<int, int>>& parked,
                                             const std::function<bool(int)>& reported, size_t stack_size,
                                             Health& health) {
    session.sample_sleepers();  // who still sleeps where, now
    const uint64_t now = monotonic_ns();
    const std::unordered_map<int, SleepSample> samples = session.sleep_samples();
    std::map<std::pair<int, int>, Resolved> resolved;
    std::vector<std::pair<int, int>> read_now;
    std::map<int, std::unique_ptr<LiveProcess>> processes;
    for (const auto& key : parked) {
        const auto& [pid, tid] = key;
        if (!reported(pid) || tracker.is_ignored(pid, tid)) continue;
        auto found = samples.find(tid);
        if (found == samples.end() || !in_untimed_wait(found->second)) continue;  // woke up since the scan
        const SleepSample* sample = &found->second;
        const std::optional<BlockedFor> blocked = blocked_for_now(*sample, now);
        if (auto old = resolved_.find(key);
            old != resolved_.end() && old->second.switches == sample->switches &&
            old->second.since_ns == sample->since_ns) {
            Resolved r = std::move(old->second);
            if (BlockedIn* b = r.thread.blocked_in ? &*r.thread.blocked_in : nullptr) {
                b->blocked_for = blocked;
                // The wakes sent to it since it was read may have grown.
                session.add_wake_facts(pid, tid, b->nr, b->futex ? b->futex->uaddr : 0, &b->object);
            }
            resolved.emplace(key, std::move(r));
            continue;
        }
        auto proc = processes.find(pid);
        if (proc == processes.end()) {
            auto image = tracker.image(pid);
            if (!image) continue;  // exited since the scan
            image->load_proc_maps();  // the libraries its waits are in, not only those its creations used
            proc = processes.emplace(pid, std::make_unique<LiveProcess>(pid)).first;
        }
        CapturedStack stack = proc->second->sleeping_stack(*sample, stack_size);
        session.add_wake_facts(pid, tid, stack.syscall.nr, stack.syscall.args[0], &stack.syscall.object);
        if (stack.snapshot.stack.empty()) health.unreadable_memory++;  // /proc/PID/mem refused
        PendingLeak leak = tracker.live_leak(LeakKind::Parked, pid, tid, sample->comm, std::move(stack), blocked);
        resolved.emplace(key, Resolved{sample->switches, sample->since_ns, resolve_leak(leak)});
        read_now.push_back(key);
    }
    // A thread that woke while its stack was read may have been read
    // elsewhere than where it slept: left out (it is not parked any more).
    if (!read_now.empty()) {
        session.sample_sleepers();
        const std::unordered_map<int, SleepSample> after = session.sleep_samples();
        for (const auto& key : read_now) {
            const Resolved& r = resolved.at(key);
            auto again = after.find(key.second);
            if (again == after.end() || !same_sleep(again->second, r.switches, r.since_ns)) resolved.erase(key);
        }
    }
    resolved_ = std::move(resolved);
    std::vector<LeakedThread> out;
    out.reserve(resolved_.size());
    for (const auto& [key, r] : resolved_) out.push_back(r.thread);
    return out;
}

}  // namespace threadleak
