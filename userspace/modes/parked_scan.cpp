#include "modes/parked_scan.h"

#include "syscalls/syscall_decode.h"

namespace threadleak {

namespace {

/// restart_syscall(2): what a sleep interrupted by a signal (a stop and
/// SIGCONT, a handler) continues in. The kernel uses it for nanosleep,
/// clock_nanosleep, futex waits with a timeout, and poll, whose remaining
/// timeout it keeps where registers do not show it: not a wait known to be
/// untimed.
constexpr int64_t kRestartSyscall = 219;

}  // namespace

bool in_untimed_wait(const SleepSample& sample) {
    if (sample.syscall_nr < 0 || sample.ia32 || sample.syscall_nr == kRestartSyscall) return false;
    RawSyscall raw;
    raw.nr = sample.syscall_nr;
    raw.args = sample.args;
    // The timeout's value is not read here: a non-null pointer is a timeout
    // (Unread), and only a null one or a negative ms count waits forever.
    const DecodedSyscall d = decode_syscall(raw);
    return !d.timeout || d.timeout->form == TimeoutForm::None;
}

ParkedScan::ParkedScan(std::chrono::nanoseconds threshold)
    : threshold_ns_(static_cast<uint64_t>(threshold.count())) {}

void ParkedScan::scan(const std::vector<std::pair<int, int>>& threads,
                      const std::unordered_map<int, SleepSample>& samples, uint64_t now_ns) {
    parked_.clear();
    for (const auto& [pid, tid] : threads) {
        auto it = samples.find(tid);
        const SleepSample* sample = it == samples.end() ? nullptr : &it->second;
        if (!sample || sample->since_ns > now_ns || now_ns - sample->since_ns < threshold_ns_) continue;
        if (in_untimed_wait(*sample)) parked_.insert({pid, tid});
    }
}

}  // namespace threadleak
