// The one report model every mode produces and every output format renders:
// a session header, health counters, the processes seen and the leaks found.
// Plain values; knows nothing about BPF, /proc or libdwfl. Built in one place
// (analyze/report_pipeline.h).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "capture/capture_types.h"
#include "stacks/stack_types.h"
#include "syscalls/syscall_types.h"

namespace threadleak {

/// Who a thread is. Every leak struct, pending or resolved, carries this one.
struct ThreadIdentity {
    int pid = 0;
    std::string exe;                    ///< its process's executable
    int tid = 0;
    std::string name;                   ///< comm
    std::optional<int> creator_tid;     ///< nullopt if created before tracing began
    /// attach: when a thread created before attach started (from /proc), ns since the epoch.
    /// (Initialized, so brace initializers that stop at creator_tid stay warning-free.)
    std::optional<int64_t> start_unix_ns = std::nullopt;
};

/// What a thread sat in when it was captured.
struct BlockedIn : DecodedSyscall {
    std::optional<BlockedFor> blocked_for;  ///< nullopt = not measured
    Stack frames;
    WaitObjectFacts object;                 ///< what the capture read about what it waits on
};

/// What a blocked thread waits for, from its call, its arguments and its
/// frames (analyze/wait_classification.h).
enum class WaitKind {
    Condvar, Mutex, Rwlock, Semaphore, Barrier, Join, Once, Sleep,
    Read, Write, Accept, Epoll, Poll, Signal, Child, Timerfd, Unknown,
};

/// The facts about one thread's wait. Optional fields are set when known.
struct WaitFacts {
    WaitKind kind = WaitKind::Unknown;
    bool timed = false;                  ///< the call has a timeout (or is a sleep)
    std::optional<int64_t> timeout_ns;   ///< that timeout, when relative and known
    std::optional<uint64_t> object;      ///< the futex address of a sync object
    std::optional<bool> for_write;       ///< rwlock: waits to write (true) or to read
    std::optional<int> owner_tid;        ///< mutex, rwlock writer: the holder, from the target's memory
    std::optional<int> joins_tid;        ///< join: the thread it waits to end
    std::optional<int> fd;               ///< read, write, accept, epoll, timerfd: the descriptor
    std::optional<FdKind> fd_kind;
    std::optional<uint64_t> fd_ino;      ///< its inode number (pipe:[N], socket:[N])
    std::optional<uint32_t> pipe_writers;///< read on a pipe: write ends open in any process
    std::vector<PipeEnd> pipe_peers;     ///< a pipe: the processes holding its other end, when the report was made
    std::optional<bool> epoll_empty;     ///< epoll: the set watches no descriptor (it can never return)
    std::optional<uint32_t> epoll_watched;///< epoll: how many it watches, when /proc told
    std::optional<uint64_t> timer_interval_ns;  ///< timerfd: its interval (0: one-shot)
    std::optional<SocketEnds> socket;    ///< read, write, accept on a socket: its two ends
    /// Ticking: how often it wakes and waits again (its timeout, its timer's
    /// interval, else the sampled span per sleep), and how many such sleeps the
    /// sampler saw. Set when the wait comes back, or is a periodic timer.
    std::optional<uint64_t> period_ns;
    uint32_t sleeps_seen = 0;
    std::optional<uint64_t> wakes_sent;  ///< futex wakes sent to `object` since it began waiting; nullopt: not tracked
    std::optional<int> last_waker_tid;
};

/// The thread a waiter waits for (a mutex's holder, a joined thread), as
/// found among the threads the report holds.
struct WaitsFor {
    int tid = 0;
    std::string name;                    ///< its comm; "" if it is not among them
    bool found = false;                  ///< false: not among the process's reported threads (it exited)
    std::optional<WaitKind> waits_in;    ///< what it waits for itself
};

/// One edge of a deadlock cycle: `tid` waits for `object`, which `held_by` holds.
struct DeadlockEdge {
    int tid = 0;
    std::string name;
    WaitKind kind = WaitKind::Mutex;
    std::optional<uint64_t> object;
    int held_by = 0;
};

/// Threads of one process that wait for each other in a cycle: none can go on.
struct Deadlock {
    int pid = 0;
    std::vector<int> cycle;              ///< tids in wait order: cycle[i] waits for cycle[i+1]
    std::vector<DeadlockEdge> edges;     ///< one per member, in the same order
};

/// How the thread came to be reported.
enum class LeakKind {
    Unjoined,      ///< alive, never joined, when its process exited
    Hung,          ///< alive when --timeout expired
    KilledByExec,  ///< alive, never joined, when another thread of its process called execve
    AliveAtCrash,  ///< alive when a signal killed its process: context, not a leak
    LeftRunning,   ///< a thread of a process still running when the command exited (LeakedProcess)
    OutlivedTest,  ///< --per-test: alive when the test that created it ended (+ --settle), gone by exit
    Parked,        ///< in a wait with no timeout that nothing will end (attach: not woken
                   ///< once for at least --threshold; at exit: an untimed wait)
    Deadlock,      ///< at exit: a member of a wait-for cycle (Report::deadlocks)
    Ticking,       ///< at exit: woken by a timer or timeout again and again, each time back in the same wait
    Busy,          ///< at exit: running user code, never waiting
    Goroutine,     ///< a goroutine of a Go program that never ended: alive at exit, or
                   ///< (attach) parked in the same wait for at least --threshold
};
/// True for the kinds that count as leaks (and set the exit code).
bool is_leak(LeakKind k);

enum class ThreadState {
    Blocked,   ///< in a syscall (blocked_in)
    Running,   ///< in user code (running_frames)
    Starting,  ///< created but never ran: its registers are still its creator's
    Execing,   ///< inside execve (blocked_in holds the call and its stack)
    Ia32,      ///< in 32-bit (ia32) code: not supported, syscall and stacks not decoded
    Goroutine, ///< a goroutine, not a thread: what it does is in LeakFindings::goroutine
};

/// What a group of leaked goroutines shares (read from the Go runtime's own
/// memory: golang/goroutine_reader). Go's words, not ours.
struct GoroutineFacts {
    std::vector<uint64_t> goids;        ///< ascending
    std::string status;                 ///< "waiting", "syscall", "runnable", "running"
    std::string wait_reason;            ///< "chan receive", "select", ...; "" unless waiting
    std::optional<uint64_t> waiting_ns; ///< how long it has waited, when known (the group's longest)
    bool waiting_exact = false;         ///< false: waiting_ns is a lower bound
    Frame start_function;               ///< the function the `go` statement started
    /// True: still there when its process exited. False: read in a live
    /// process (attach: parked for at least --threshold; run: at --timeout).
    bool at_exit = true;
    std::optional<Frame> blocked_frame; ///< the innermost frame outside the Go runtime and standard library
    Stack frames;                       ///< innermost first, runtime frames included
};

/// A leak entry of goroutines (LeakFindings::goroutine) stands for all of its
/// goids; each thread identity of a LeakGroup for one goroutine.

/// What a leaked thread was found doing: the part that the members of a group share.
struct LeakFindings {
    LeakKind kind = LeakKind::Unjoined;
    Stack created_by;                   ///< innermost first; empty if unknown
    ThreadState state = ThreadState::Blocked;
    std::optional<BlockedIn> blocked_in;///< set when state == Blocked
    Stack running_frames;               ///< set when state == Running
    /// --per-test: the test that created it ("Suite.Name", Boost "suite/case");
    /// nullopt when created outside any test or without --per-test.
    std::optional<std::string> test;
    /// attach: the thread existed before threadleak attached, so its creation
    /// was not seen (created_by is empty).
    bool created_before_attach = false;
    std::optional<WaitFacts> wait;      ///< set when state == Blocked
    std::optional<WaitsFor> waits_for;  ///< the thread whose action it waits for
    std::optional<size_t> deadlock;     ///< its cycle: an index into Report::deadlocks
    /// state == Goroutine: the goroutine(s); created_by is then the `go`
    /// statement's frame, and the thread identity's tid is 0.
    std::optional<GoroutineFacts> goroutine;
};

/// One leaked thread, resolved (stacks symbolized, syscall decoded).
struct LeakedThread : LeakFindings {
    ThreadIdentity thread;
};

/// Identical leaked threads (same creation stack, same state and blocking stack).
/// The findings are the lowest tid's, but blocked_for is the group's longest.
struct LeakGroup : LeakFindings {
    std::vector<ThreadIdentity> threads; ///< ascending tid; never empty once built

    const ThreadIdentity& first() const { return threads.front(); }
    std::vector<int> tids() const;
    std::vector<std::string> thread_names() const;
};

struct ProcessInfo {
    int pid = 0;
    int ppid = 0;
    std::string exe;
    std::string comm;
    std::optional<int> exit_code;       ///< set when it exited normally
    std::optional<std::string> signal;  ///< "SIGKILL" etc. when a signal ended it
};

/// A process the command started and never waited for: still running when
/// the command exited (a test that left its server running). Captured, then
/// killed by threadleak. Its zombie children are not leaked processes: it is.
struct LeakedProcess {
    int pid = 0;
    std::string exe;
    std::vector<std::string> cmdline;   ///< /proc/PID/cmdline when captured, at most 4 KiB of it
    bool cmdline_truncated = false;     ///< the command line was longer
    int ppid = 0;                       ///< the traced process that started it (not its reaper)
    std::string parent_exe;             ///< that process's executable
    std::optional<int> creator_tid;     ///< the thread that forked it; nullopt if not seen
    Stack created_by;                   ///< that thread's stack at fork/clone, innermost first
    std::vector<LeakGroup> threads;     ///< what its threads were doing, kind LeftRunning
};

/// Timerfds one creation site of one process left open when it exited (a
/// heartbeat's timer nobody closed), with the thread that made them or not.
struct LeakedTimers {
    int pid = 0;
    std::string exe;
    int creator_tid = 0;                ///< the lowest tid that created one of them
    Stack created_by;                   ///< where timerfd_create returned, innermost first
    std::vector<int> fds;               ///< those still open, ascending
    uint64_t created = 0;               ///< timerfds this site made in that process
    uint64_t closed = 0;                ///< of those, closed before the exit
    uint64_t interval_ns = 0;           ///< the first open one's it_interval (0: one-shot)
    bool armed = false;                 ///< any open one was set to fire
};

enum class Mode { Run, Attach };

/// attach: what the growth rule (analyze/growth_verdict.h, docs/growth-verdict.md)
/// says of one creation site.
enum class SiteVerdict {
    TooEarly,  ///< observed too briefly (or too few points) to tell
    Ok,        ///< neither rising nor holding parked threads
    Parked,    ///< holds parked threads, but their number does not rise (an idle pool)
    Leaking,   ///< its alive or parked count keeps rising while few of its threads exit
};

/// Lifetimes of a site's threads that ended during the observation.
struct Lifetimes {
    uint64_t min_ns = 0;
    uint64_t p50_ns = 0;  ///< p50 and p99 from a log histogram: within 1/16 of the exact value
    uint64_t p99_ns = 0;
    uint64_t max_ns = 0;
};

/// One point of a site's series: counts at `t_ns` after attach.
struct SitePoint {
    uint64_t t_ns = 0;
    uint64_t alive = 0;
    uint64_t parked = 0;
};

/// attach: the threads of one creation site of one process over the observation.
/// A site is the creation stack through its first frame outside the threading
/// library and runtime (frames by module + offset); callers below that frame
/// do not split a site.
struct CreationSite {
    int pid = 0;
    std::string comm;
    std::string exe;
    bool created_before_attach = false; ///< the threads alive at attach, whose creation was not seen
    /// A site of goroutines, not threads: created_by is its `go` statement, and
    /// the counts are goroutines (seen in snapshots, one per point: a goroutine
    /// that lives less than an interval may be missed).
    bool goroutines = false;
    Stack created_by;                   ///< innermost first, through the site's frame; empty if before attach
    /// Readable name: that first frame outside the threading library
    /// ("start_session_reader (server.c:42)"), or "created before attach".
    std::string label;
    SiteVerdict verdict = SiteVerdict::TooEarly;
    uint64_t created = 0;               ///< during the observation
    uint64_t exited = 0;                ///< during the observation
    uint64_t alive = 0;                 ///< now
    uint64_t parked = 0;                ///< now
    std::optional<Lifetimes> lifetime_ns;  ///< nullopt: none of its threads ended
    std::optional<double> slope_per_min;   ///< least squares over the series (alive, or parked if that rises faster)
    std::optional<double> projected_24h;   ///< the count the slope reaches 24 h from now
    std::vector<SitePoint> series;      ///< one point per interval, oldest first
};

/// What was observed and how it ended: the header of a report.
struct SessionInfo {
    Mode mode = Mode::Run;
    std::vector<std::string> command;   ///< run: the traced command line
    std::vector<int> pids;              ///< attach: the processes attached to
    std::optional<int> exit_code;       ///< run: the command's exit code
    std::optional<std::string> signal;  ///< run: the signal that ended the command
    bool timed_out = false;             ///< run: --timeout expired
    std::string threadleak_version;     ///< of the threadleak that observed it; "" if not said
    std::optional<int64_t> start_unix_ns;  ///< wall clock when tracing began, ns since the epoch
    std::optional<uint64_t> duration_ns;   ///< run: how long it was traced, from the command's start
                                           ///< to its exit (--wait-descendants: theirs; or the --timeout);
                                           ///< attach: how long it has observed so far
    std::optional<uint64_t> parked_threshold_ns;  ///< attach: --threshold
    std::optional<uint64_t> min_observation_ns;   ///< attach: --min-observation (GrowthRule::min_observation)
    bool wakes_tracked = false;         ///< --track-wakes: futex waits say whether a wake was sent
};

/// What could not be observed, kept apart by cause so each names its own fix.
struct Health {
    uint64_t ringbuf_drops = 0;         ///< records dropped: ring buffer full (--ringbuf-size)
    uint64_t traced_map_full = 0;       ///< processes not followed: map full (--max-processes)
    uint64_t malformed_records = 0;     ///< records that failed validation (a bug)
    uint64_t stack_copy_failures = 0;   ///< user stacks that could not be copied (frames missing)
    uint64_t unreadable_memory = 0;     ///< live threads whose /proc state or memory could not be read
    uint64_t stacks_not_symbolized = 0; ///< stacks left out: the user stopped symbolization (Ctrl-C twice)
    uint64_t unreadable_maps = 0;       ///< address spaces whose /proc/PID/maps was gone before it was read
                                        ///< (kernels without the BPF VMA iterator): symbols missing
    uint64_t futex_waits_not_kept = 0;  ///< --track-wakes: futex waits whose start the full map could not keep
    uint64_t goroutines_unread = 0;     ///< Go processes whose goroutines could not be read (or some of them)

    /// Events lost on the way: any of these can hide a leak.
    uint64_t lost_events() const { return ringbuf_drops + traced_map_full + malformed_records; }
};

/// How many leaked threads one suppression rule silenced.
struct SuppressedCount {
    std::string rule;                   ///< its text form (analyze/suppressions.h)
    std::string source;                 ///< "default", "flag" or "FILE:LINE"
    size_t count = 0;                   ///< threads
    size_t timers = 0;                  ///< timerfd sites (Report::timers entries)
    size_t goroutines = 0;              ///< goroutines
};

struct Report {
    SessionInfo session;
    Health health;
    std::vector<ProcessInfo> processes;
    std::vector<LeakGroup> leaks;           ///< only kinds for which is_leak()
    std::vector<LeakGroup> alive_at_crash;  ///< threads a signal killed with their process
    std::vector<LeakedProcess> leaked_processes;  ///< descendants still running when the command exited
    std::vector<SuppressedCount> suppressed;///< leaks silenced, per rule; not in `leaks`
    std::vector<CreationSite> sites;        ///< attach: per creation site, leaking first
    std::vector<Deadlock> deadlocks;        ///< wait-for cycles among the reported threads
    std::vector<LeakedTimers> timers;       ///< timerfds left open at a process's exit, per creation site
    // Findings of later analyses (creation sites, deadlocks, timers, goroutines,
    // what was suppressed) are added here as lists of their own types.

    /// Total leaked threads over all groups (threads of leaked processes and goroutines not included).
    size_t leaked_thread_count() const;
    /// Total leaked goroutines over all groups.
    size_t leaked_goroutine_count() const;
    /// True when anything leaked: a thread or a process (the exit code's test).
    bool has_leaks() const {
        return !leaks.empty() || !leaked_processes.empty() || !timers.empty() || leaking_site_count() > 0;
    }
    /// attach: sites whose verdict is Leaking.
    size_t leaking_site_count() const;
};

const char* to_string(LeakKind k);
const char* to_string(ThreadState s);
const char* to_string(Mode m);
const char* to_string(SiteVerdict v);  ///< "too_early", "ok", "parked", "leaking"
const char* to_string(WaitKind k);     ///< "condvar", "mutex", ... as in the JSON

}  // namespace threadleak
