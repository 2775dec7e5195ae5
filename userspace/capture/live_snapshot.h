// Captures the live threads of a running process from /proc: what each one
// is blocked in, since when, and a copy of its stack for unwinding. Used when
// --timeout expires (the command hangs) and, later, by attach mode.
#pragma once

#include <optional>
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
    std::optional<uint64_t> blocked_for_ns; ///< set when asleep
};

/// One thread; nullopt if it is gone. Reads at most `stack_size` bytes of its
/// stack through /proc/PID/mem.
std::optional<LiveThread> snapshot_thread(int pid, int tid, size_t stack_size);

/// Every thread of `pid` (empty if the process is gone). Reads at most
/// `stack_size` bytes of each stack through /proc/PID/mem.
std::vector<LiveThread> snapshot_live_threads(int pid, size_t stack_size);

/// Parses a /proc/PID/task/TID/syscall line into `raw` and sp/pc.
/// False for "running" (no registers available) or malformed text.
bool parse_proc_syscall(const std::string& text, RawSyscall* raw, uint64_t* sp, uint64_t* pc);

}  // namespace threadleak
