// Which goroutines of a snapshot are leaks, as LeakedThread entries of kind
// Goroutine (one per goroutine; analyze/leak_grouping folds them by `go`
// statement, wait reason and blocked frame).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "golang/go_types.h"
#include "report/report.h"

namespace threadleak {

/// The runtime's own goroutines (start function in runtime.* other than
/// runtime.main: GC workers, the scavenger, the finalizer), the main
/// goroutine (it is the program), and os/signal's watcher are never leaks:
/// pprof and goleak leave them out too.
bool is_runtime_goroutine(const Goroutine& g);

/// At exit (run): every goroutine still there, except the runtime's and the
/// one calling exit (`exiting_g`, its runtime.g address). `comm`: the process's.
std::vector<LeakedThread> goroutines_alive_at_exit(const GoroutineSnapshot& s, const std::string& comm,
                                                   std::optional<uint64_t> exiting_g);

/// One goroutine as a leak entry (kind Goroutine), for any mode.
LeakedThread goroutine_leak(const GoroutineSnapshot& s, const Goroutine& g, const std::string& comm);
/// How long it has waited as far as the runtime says (g.waitsince: a lower bound); nullopt: unknown.
std::optional<uint64_t> goroutine_leak_waiting(const GoroutineSnapshot& s, const Goroutine& g);

/// Folds goroutines into one leak entry per (go statement, status, wait
/// reason, blocked frame), holding all their goids: 100,000 leaked
/// goroutines become a few entries, not 100,000.
class GoroutineFolder {
public:
    /// `waiting_ns`: how long it has waited, when the caller knows better than g.waitsince.
    void add(const GoroutineSnapshot& s, const Goroutine& g, const std::string& comm,
             std::optional<uint64_t> waiting_ns = std::nullopt);
    std::vector<LeakedThread> take();

private:
    using Key = std::tuple<int, std::string, uint64_t, uint32_t, std::string, uint64_t, const Stack*>;
    std::map<Key, size_t> index_;
    std::vector<LeakedThread> entries_;
};

/// The innermost frame outside the Go runtime and standard library (files
/// under `goroot_src`); else outside runtime.*; nullopt if none.
std::optional<Frame> blocked_user_frame(const Stack& frames, const std::string& goroot_src);

}  // namespace threadleak
