// attach: which threads are parked now. A thread is parked when it has been
// asleep in one wait with no timeout, never woken (its voluntary switch count
// unchanged, as the kernel sampler saw it), for at least --threshold.
// Cheap enough to run every interval over 10,000 threads: the sampler's map
// says who sleeps since when, and in which call (no /proc file is read).
#pragma once

#include <chrono>
#include <cstdint>
#include <set>
#include <unordered_map>
#include <utility>
#include <vector>

#include "capture/capture_types.h"

namespace threadleak {

class ParkedScan {
public:
    explicit ParkedScan(std::chrono::nanoseconds threshold);

    /// Decides for each of `threads` ((pid, tid)) whether it is parked at `now_ns`
    /// (CLOCK_MONOTONIC), from `samples` (BpfSession::sleep_samples(), read just after a sample).
    void scan(const std::vector<std::pair<int, int>>& threads, const std::unordered_map<int, SleepSample>& samples,
              uint64_t now_ns);
    bool is_parked(int pid, int tid) const { return parked_.count({pid, tid}) > 0; }
    const std::set<std::pair<int, int>>& parked() const { return parked_; }

private:
    uint64_t threshold_ns_;
    std::set<std::pair<int, int>> parked_;
};

/// True if the call the sampler saw the thread asleep in has no timeout
/// (futex without one, read, accept, poll with -1, pause ...). False for a
/// timed wait, or a sleep outside a syscall (a page fault).
bool in_untimed_wait(const SleepSample& sample);

}  // namespace threadleak
