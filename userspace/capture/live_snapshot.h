// Captures the live threads of a running process from /proc: what each one
// is blocked in, a copy of its stack for unwinding, and (with the kernel
// sampler's last sample of it) since when it has been blocked. Used when
// --timeout expires (the command hangs) and, later, by attach mode.
#pragma once

#include <optional>
#include <utility>
#include <string>
#include <vector>

#include "capture/capture_types.h"

namespace threadleak {

struct LiveThread {
    int tid = 0;
    std::string comm;
    char state = '?';                       ///< R, S, D, ... from /proc/.../stat
    bool has_registers = false;             ///< false while it was on a CPU
    CapturedStack stack;                    ///< no mappings: use ProcessImage::load_proc_maps
    std::optional<uint64_t> switches;       ///< voluntary context switches (one per sleep)
    uint64_t seen_ns = 0;                   ///< CLOCK_MONOTONIC when its state was read
    std::optional<BlockedFor> blocked_for;  ///< filled by the caller from the sampler (blocked_for())
};

/// How long `t` had been blocked when it was read, from the sampler's last
/// sample of it; nullopt unless it was asleep in that same sleep (S or D, and
/// no context switch since the sample).
std::optional<BlockedFor> blocked_for(const LiveThread& t, const std::optional<SleepSample>& sample);

/// A live process's memory and mappings, opened and read once for reading
/// many of its threads (a process with 10,000 threads has a long maps file).
class LiveProcess {
public:
    explicit LiveProcess(int pid);
    ~LiveProcess();
    LiveProcess(const LiveProcess&) = delete;
    LiveProcess& operator=(const LiveProcess&) = delete;

    /// One thread; nullopt if it is gone. Reads at most `stack_size` bytes of
    /// its stack, within the mapping that holds its stack pointer.
    std::optional<LiveThread> thread(int tid, size_t stack_size) const;

    /// The stack of a thread asleep where `sample` says: the registers and
    /// syscall come from the kernel's sampler, so only the stack memory (and
    /// a timeout the call points to) is read, and no /proc file of the thread.
    CapturedStack sleeping_stack(const SleepSample& sample, size_t stack_size) const;

private:
    uint64_t mapping_end(uint64_t addr) const;  ///< end of the mapping holding addr, 0 if none
    /// futex(2): the 16 bytes at uaddr (raw->object.futex_words), as the kernel side reads them.
    void read_futex_words(RawSyscall* raw) const;

    int pid_;
    int mem_ = -1;
    bool ia32_ = false;
    std::vector<std::pair<uint64_t, uint64_t>> ranges_;  ///< every mapping, from /proc/PID/maps
};

/// One thread; nullopt if it is gone. Reads at most `stack_size` bytes of its
/// stack through /proc/PID/mem.
std::optional<LiveThread> snapshot_thread(int pid, int tid, size_t stack_size);

/// How long a thread has been asleep at `now_ns` (CLOCK_MONOTONIC), for one
/// known to be in the sleep `sample` describes.
std::optional<BlockedFor> blocked_for_now(const SleepSample& sample, uint64_t now_ns);

/// Every thread of `pid` (empty if the process is gone). Reads at most
/// `stack_size` bytes of each stack through /proc/PID/mem.
std::vector<LiveThread> snapshot_live_threads(int pid, size_t stack_size);

/// Parses a /proc/PID/task/TID/syscall line into `raw` and sp/pc.
/// False for "running" (no registers available) or malformed text.
bool parse_proc_syscall(const std::string& text, RawSyscall* raw, uint64_t* sp, uint64_t* pc);

}  // namespace threadleak
