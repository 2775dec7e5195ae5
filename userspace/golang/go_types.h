// Value types of the goroutines read from a Go process (golang/goroutine_reader).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "stacks/stack_types.h"

namespace threadleak {

/// runtime.g's atomicstatus, without the _Gscan bit (runtime2.go; stable since Go 1.0).
enum class GoStatus : uint32_t {
    Idle = 0, Runnable = 1, Running = 2, Syscall = 3, Waiting = 4, Dead = 6, CopyStack = 8, Preempted = 9,
};
/// "waiting", "runnable", "running", "syscall", "dead", ... ("status N" for others).
std::string to_string(GoStatus s);

/// One goroutine, read and symbolized.
struct Goroutine {
    uint64_t goid = 0;
    uint64_t g = 0;                   ///< its runtime.g's address (reused by later goroutines)
    GoStatus status = GoStatus::Waiting;
    std::string wait_reason;          ///< Go's own words ("chan receive"); "" unless waiting
    uint64_t wait_reason_index = 0;
    int64_t waitsince_ns = 0;         ///< runtime.g.waitsince: set by GC stack scans only; 0: unknown
    std::optional<uint64_t> parent_goid;  ///< Go 1.21+
    /// The `go` statement (gopc) and the start function (startpc); shared by
    /// the goroutines of one snapshot with the same pc. Never null.
    std::shared_ptr<const Frame> created_by = std::make_shared<const Frame>();
    std::shared_ptr<const Frame> start_function = std::make_shared<const Frame>();
    uint64_t sched_pc = 0;            ///< where it was switched out: same pc in two snapshots = still there
    /// Innermost first, from its saved frame pointer; runtime.goexit left out.
    /// Shared by the goroutines of one snapshot with the same pcs (100,000
    /// leaked goroutines are mostly a few stacks). Never null.
    std::shared_ptr<const Stack> frames = std::make_shared<const Stack>();
};

/// Every goroutine of one process at one moment.
struct GoroutineSnapshot {
    int pid = 0;
    std::string exe;
    std::string go_version;           ///< "go1.19.8"
    uint64_t time_ns = 0;             ///< CLOCK_MONOTONIC when read (Go's nanotime clock)
    std::vector<Goroutine> goroutines;///< not dead, in allgs order
    uint64_t unreadable = 0;          ///< gs that could not be read (torn, or freed meanwhile)
    /// The standard library's source prefix ("/usr/lib/go-1.19/src/"), from
    /// runtime.main's file; "" when built with -trimpath.
    std::string goroot_src;
};

}  // namespace threadleak
