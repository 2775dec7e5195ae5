// attach: the parked threads as report entries. Each one's stack is read
// from /proc/PID/mem with the registers the kernel's sampler saved (the
// process keeps running), then resolved at once, so no raw stack is kept; a
// thread still in the sleep it was resolved in is not read again.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <utility>
#include <vector>

#include "capture/bpf_session.h"
#include "report/report.h"
#include "track/thread_tracker.h"

namespace threadleak {

class ParkedReader {
public:
    /// `parked`: (pid, tid) of the threads found parked (modes/parked_scan.h);
    /// those whose process `reported()` rejects, or --baseline ignores, are skipped.
    std::vector<LeakedThread> read(ThreadTracker& tracker, BpfSession& session,
                                   const std::set<std::pair<int, int>>& parked,
                                   const std::function<bool(int)>& reported, size_t stack_size, Health& health);

private:
    struct Resolved {
        uint64_t switches = 0;  ///< the sleep it was resolved in
        uint64_t since_ns = 0;
        LeakedThread thread;
    };
    std::map<std::pair<int, int>, Resolved> resolved_;
};

}  // namespace threadleak
