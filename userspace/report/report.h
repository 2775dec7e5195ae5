// The one report model every output format renders. Built by report_builder.cpp
// from the tracker's leaks; knows nothing about BPF or /proc.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace threadleak {

/// One symbolized stack frame. `module` is always set (a path, or "[unknown]").
struct Frame {
    uint64_t address = 0;               ///< absolute address in the process
    std::string module;                 ///< file of the mapping holding `address`
    uint64_t offset = 0;                ///< `address` relative to the module's load bias
    std::optional<std::string> function;///< demangled; nullopt if no symbol covers it
    uint64_t function_offset = 0;       ///< `address` - symbol start, when function is set
    std::optional<std::string> file;    ///< source file, when debug info has it
    std::optional<int> line;
};
using Stack = std::vector<Frame>;

/// A decoded syscall argument: integers stay integers, the rest are strings.
struct SyscallArg {
    std::string name;
    std::variant<int64_t, std::string> value;
    bool operator==(const SyscallArg&) const = default;
};

/// What a thread sat in when it was captured.
struct BlockedIn {
    std::string syscall;                ///< "futex", "read", ... or "syscall_<nr>"
    std::vector<SyscallArg> args;
    std::optional<int64_t> timeout_ns;  ///< nullopt = waits forever
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
