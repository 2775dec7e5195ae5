// attach: the threads of every creation site over the observation. Fed with
// each thread's creation and exit as the records arrive, and with a point in
// time per interval (how many of each site's threads are alive and parked);
// turned into the report's CreationSites, each with its growth verdict.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "analyze/growth_verdict.h"
#include "analyze/lifetime_histogram.h"
#include "report/report.h"
#include "capture/capture_types.h"
#include "stacks/process_image.h"

namespace threadleak {

class SiteCensus {
public:
    /// `start_ns`: CLOCK_MONOTONIC (bpf_ktime_get_ns) when the observation began;
    /// the series' times are relative to it.
    SiteCensus(GrowthRule rule, uint64_t start_ns);

    /// Names a process's sites (its comm and exe may change at exec).
    void name_process(int pid, const std::string& comm, const std::string& exe);
    /// Thread `tid` of `pid` was alive at attach: the process's "created before attach" site.
    void thread_existed(int pid, int tid);
    /// A thread created during the observation; its site is found by
    /// unwinding `creation` (a few frames) in its address space.
    void thread_created(int pid, int tid, uint64_t time_ns, const CapturedStack& creation,
                        const ProcessImage* image);
    /// Threads that this census does not know are ignored (--baseline's, main threads).
    void thread_exited(int pid, int tid, uint64_t time_ns);

    /// A snapshot of process `pid`'s goroutines (goid and `go` statement of
    /// each, runtime goroutines left out) at `time_ns`: goids not seen before
    /// were created (or, in the process's first snapshot, existed at attach),
    /// goids seen before and gone now exited. A goroutine's site is its `go`
    /// statement, known even for those older than the attach.
    void goroutines_seen(int pid, uint64_t time_ns, const std::vector<std::pair<uint64_t, const Frame*>>& goroutines);
    /// Process `pid` ended: its goroutines are gone with it (not counted as exits).
    void goroutines_gone(int pid);

    /// Adds one point at `time_ns` to every site with threads (or with points
    /// already). `is_parked(pid, tid)` tells which alive threads are parked,
    /// `is_goroutine_parked(pid, goid)` which goroutines.
    void add_point(uint64_t time_ns, const std::function<bool(int pid, int tid)>& is_parked,
                   const std::function<bool(int pid, uint64_t goid)>& is_goroutine_parked = {});

    /// Every alive thread the census knows, as (pid, tid).
    std::vector<std::pair<int, int>> alive_threads() const;

    /// The sites, judged: leaking first, then parked, then by alive threads.
    std::vector<CreationSite> sites() const;

    /// A series longer than this is thinned so a long observation keeps
    /// bounded memory: every other point is dropped, and from then on only
    /// every other point is kept, so the points stay evenly spaced over the
    /// whole observation (the latest always last).
    static constexpr size_t kMaxPoints = 1024;

private:
    struct Site {
        CreationSite info;             ///< counts and series kept here; verdict filled in sites()
        LifetimeHistogram lifetimes;
        uint64_t points_offered = 0;   ///< add_point calls that reached this site
        uint64_t stride = 1;           ///< every stride-th offered point is kept
        bool tail_provisional = false; ///< the series' last point is the latest, off the stride
    };
    static void append_point(Site& s, const SitePoint& p);
    struct ThreadEntry {
        size_t site = 0;
        std::optional<uint64_t> created_ns;  ///< nullopt: alive at attach
    };
    /// The site keyed `key`, made (and filled by `fill`) the first time.
    size_t find_or_add_site(const std::string& key, int pid, const std::function<void(CreationSite&)>& fill);
    size_t site_of(int pid, bool before_attach, const Stack& frames);
    size_t goroutine_site_of(int pid, const Frame& go_statement);
    void ended(ThreadEntry entry, uint64_t time_ns);

    GrowthRule rule_;
    uint64_t start_ns_;
    std::vector<Site> sites_;
    std::unordered_map<std::string, size_t> by_key_;
    std::map<std::pair<int, int>, ThreadEntry> threads_;
    std::map<std::pair<int, uint64_t>, ThreadEntry> goroutines_;  ///< (pid, goid)
    std::set<int> go_processes_;                                 ///< pids with a first snapshot taken
    std::map<int, std::pair<std::string, std::string>> names_;  ///< pid -> comm, exe
};

}  // namespace threadleak
