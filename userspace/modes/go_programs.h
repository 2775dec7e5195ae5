// The Go programs among the traced processes: each Go executable gets the
// runtime.exit probe (bpf/go_exit.bpf.c) once; when a traced Go process
// reaches it, stopped by the kernel side, its goroutines are read
// (golang/goroutine_reader) and it is let go (SIGCONT). The goroutines still
// there become leaks of kind Goroutine in the report.
#pragma once

#include <chrono>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "analyze/site_census.h"
#include "capture/bpf_session.h"
#include "capture/trace_events.h"
#include "golang/goroutine_reader.h"
#include "report/report.h"

namespace threadleak {

class GoPrograms {
public:
    GoPrograms(BpfSession& session, int verbose) : session_(session), verbose_(verbose) {}
    /// Probes executable `path` if it is a Go program (before it runs: no race).
    void probe_executable(const std::string& path);
    /// Reads the goroutines of the stopped process, then sends it SIGCONT.
    void on_exit(const GoExitEvent& e);
    /// --timeout: the goroutines of stopped process `pid`, if it runs Go, as
    /// leaks (its main goroutine too: it is part of the hang).
    void read_hung(int pid);
    /// The goroutines left at each Go process's exit, one entry each.
    std::vector<LeakedThread> take_leaks() { return std::move(leaks_); }

    /// Follows `pid` if it runs Go: its executable is probed for its exit, and
    /// snapshot_watched() reads it. Called for each process at attach and at
    /// each exec (a program that exits before the probe is in place is missed).
    /// True if it runs Go.
    bool watch(int pid);
    /// Reads every followed process now (never stopping it); feeds `census`
    /// (attach; null in run) their goroutines. Also how run learns how long
    /// the goroutines it finds at exit have waited.
    void snapshot_watched(SiteCensus* census);
    /// In the same wait (same reason, same place) for at least `threshold`,
    /// as far as the snapshots (and the runtime's own waitsince) tell.
    bool is_parked(int pid, uint64_t goid) const;
    /// The parked goroutines of the latest snapshots, one entry each, their
    /// waiting_ns at least how long they have been seen in that wait.
    std::vector<LeakedThread> parked_leaks(const std::function<bool(int)>& reported) const;
    /// The goroutines left at each Go process's exit so far (attach reports them every time).
    const std::vector<LeakedThread>& exit_leaks() const { return leaks_; }
    void set_threshold(std::chrono::nanoseconds t) { threshold_ns_ = static_cast<uint64_t>(t.count()); }
    /// Go processes whose goroutines could not all be read.
    uint64_t unread() const { return unread_; }

private:
    void probe(const std::string& path, const std::string& shown_as);
    /// A goroutine's wait as the snapshots saw it.
    struct SeenWait {
        uint64_t reason = 0;
        uint64_t pc = 0;
        uint64_t since_ns = 0;  ///< first snapshot that saw it in this wait
    };
    struct Watched {
        std::optional<GoroutineSnapshot> latest;
        std::string comm;
        std::map<uint64_t, SeenWait> waits;  ///< goid -> its current wait
        std::set<uint64_t> parked;           ///< goids parked at the latest snapshot
    };
    /// How long `g` has waited at `now`, as far as the reads (and g.waitsince) tell; 0: unknown.
    uint64_t waited_ns(const Watched& w, const Goroutine& g, uint64_t now) const;
    std::map<int, Watched> watched_;
    std::vector<int> exited_;  ///< watched processes whose exit was read: the census forgets them next
    uint64_t threshold_ns_ = 0;

    BpfSession& session_;
    int verbose_;
    GoroutineReader reader_;
    std::vector<LeakedThread> leaks_;
    uint64_t unread_ = 0;
};

/// /proc/PID/comm without its newline; "" when gone.
std::string process_comm(int pid);

}  // namespace threadleak
