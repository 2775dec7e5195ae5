// The one report model every output format renders. Built by report_builder.cpp
// from the tracker's leaks; knows nothing about BPF or /proc.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "stacks/stack_types.h"
#include "syscalls/syscall_types.h"

namespace threadleak {

/// What a thread sat in when it was captured.
struct BlockedIn : DecodedSyscall {
    std::optional<uint64_t> blocked_for_ns; ///< nullopt = not measured
    Stack frames;
};

enum class LeakKind { Unjoined, Hung };
enum class ThreadState { Blocked, Running };

/// Identical leaked threads (same creation stack, same state and blocking stack).
struct LeakGroup {
    LeakKind kind = LeakKind::Unjoined;
    int pid = 0;
    std::string exe;
    std::string comm;                   ///< thread name (comm) of the first tid
    std::vector<int> tids;              ///< sorted ascending
    std::vector<std::string> thread_names; ///< comm of each tid, same order
    std::optional<int> creator_tid;     ///< nullopt if created before tracing began
    Stack created_by;
    ThreadState state = ThreadState::Blocked;
    std::optional<BlockedIn> blocked_in;///< set when state == Blocked
    Stack running_frames;               ///< set when state == Running
};

struct ProcessInfo {
    int pid = 0;
    int ppid = 0;
    std::string exe;
    std::string comm;
    std::optional<int> exit_code;       ///< set when it exited normally
    std::optional<std::string> signal;  ///< "SIGKILL" etc. when a signal ended it
};

struct Report {
    std::vector<std::string> command;
    std::optional<int> exit_code;
    std::optional<std::string> signal;
    bool timed_out = false;
    uint64_t lost_events = 0;
    std::vector<ProcessInfo> processes;
    std::vector<LeakGroup> leaks;

    /// Total leaked threads over all groups.
    size_t leaked_thread_count() const {
        size_t n = 0;
        for (const auto& g : leaks) n += g.tids.size();
        return n;
    }
};

const char* to_string(LeakKind k);
const char* to_string(ThreadState s);

}  // namespace threadleak
