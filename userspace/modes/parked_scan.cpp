#include "modes/parked_scan.h"

#include <fstream>
#include <sstream>
#include <string>

#include "capture/live_snapshot.h"
#include "syscalls/syscall_decode.h"

namespace threadleak {

bool in_untimed_wait(int pid, int tid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/task/" + std::to_string(tid) + "/syscall");
    std::stringstream text;
    text << in.rdbuf();
    RawSyscall raw;
    uint64_t sp = 0, pc = 0;
    if (!parse_proc_syscall(text.str(), &raw, &sp, &pc) || raw.nr < 0) return false;
    // The timeout's value is not read here: a non-null pointer is a timeout
    // (Unread), and only a null one or a negative ms count waits forever.
    const DecodedSyscall d = decode_syscall(raw);
    return !d.timeout || d.timeout->form == TimeoutForm::None;
}

ParkedScan::ParkedScan(const BpfSession& session, std::chrono::nanoseconds threshold)
    : session_(session), threshold_ns_(static_cast<uint64_t>(threshold.count())) {}

void ParkedScan::scan(const std::vector<std::pair<int, int>>& threads, uint64_t now_ns) {
    std::unordered_map<int, SleepSeen> seen;
    parked_.clear();
    for (const auto& [pid, tid] : threads) {
        const std::optional<SleepSample> sample = session_.sleep_sample(tid);
        if (!sample || sample->since_ns > now_ns || now_ns - sample->since_ns < threshold_ns_) continue;
        SleepSeen s;
        if (auto old = seen_.find(tid); old != seen_.end() && old->second.switches == sample->switches) {
            s = old->second;  // the same sleep: the same call
        } else {
            s.switches = sample->switches;
            s.untimed = in_untimed_wait(pid, tid);
        }
        seen.emplace(tid, s);
        if (s.untimed) parked_.insert({pid, tid});
    }
    seen_ = std::move(seen);
}

}  // namespace threadleak
