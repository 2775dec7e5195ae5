// attach: which threads are parked now. A thread is parked when it has been
// asleep in one wait with no timeout, never woken (its voluntary switch count
// unchanged, as the kernel sampler saw it), for at least --threshold.
// Cheap enough to run every interval over 10,000 threads: the sampler's map
// says who sleeps since when; only a thread in a new sleep past the threshold
// has its /proc/.../syscall read, once per sleep.
#pragma once

#include <chrono>
#include <cstdint>
#include <set>
#include <unordered_map>
#include <utility>
#include <vector>

#include "capture/bpf_session.h"

namespace threadleak {

class ParkedScan {
public:
    ParkedScan(const BpfSession& session, std::chrono::nanoseconds threshold);

    /// Decides for each of `threads` ((pid, tid)) whether it is parked at `now_ns`
    /// (CLOCK_MONOTONIC). The sampler must have run just before.
    void scan(const std::vector<std::pair<int, int>>& threads, uint64_t now_ns);
    bool is_parked(int pid, int tid) const { return parked_.count({pid, tid}) > 0; }
    const std::set<std::pair<int, int>>& parked() const { return parked_; }

private:
    /// What was decided for a thread's current sleep (its switch count).
    struct SleepSeen {
        uint64_t switches = 0;
        bool untimed = false;
    };

    const BpfSession& session_;
    uint64_t threshold_ns_;
    std::unordered_map<int, SleepSeen> seen_;  ///< by tid
    std::set<std::pair<int, int>> parked_;
};

/// True if the wait `/proc/PID/task/TID/syscall` shows has no timeout (futex
/// without one, read, accept, poll with -1, pause ...). False for a timed
/// wait, a thread in no syscall, or one that is gone.
bool in_untimed_wait(int pid, int tid);

}  // namespace threadleak
