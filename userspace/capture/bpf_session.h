// Owns everything threadleak holds in the kernel: the loaded BPF object, its
// links and the ring buffer. Destroying it detaches every program.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "capture/capture_types.h"
#include "capture/test_probe_sites.h"

#include "events.h"

struct threadleak_bpf;
struct ring_buffer;
struct bpf_link;
struct bpf_program;

namespace threadleak {

/// Defaults and limits of BpfOptions, stated here only: the command line's
/// checks and its --help text are built from them.
inline constexpr uint32_t kDefaultStackSize = 16384;  ///< deep frames (libgomp's) need more than 8 KiB
inline constexpr uint32_t kMinStackSize = 512;
inline constexpr uint32_t kMaxStackSize = TL_MAX_STACK_BYTES;  ///< the BPF side's copy buffer
inline constexpr uint32_t kDefaultRingbufBytes = 32u << 20;
inline constexpr uint32_t kMinRingbufBytes = 4096;    ///< one page; sizes are powers of two
inline constexpr uint32_t kMaxRingbufBytes = 1u << 30;

/// The smallest ring buffer that holds four of the largest records a stack
/// copy of `stack_size` bytes makes (a power of two). A smaller one would
/// drop every such record while the rest of the run looked clean.
uint32_t min_ringbuf_bytes(uint32_t stack_size);
inline constexpr uint32_t kDefaultMaxProcesses = 4096;
inline constexpr uint32_t kMinMaxProcesses = 1;
inline constexpr uint32_t kMaxMaxProcesses = 1u << 22;

struct BpfOptions {
    uint32_t stack_size = kDefaultStackSize;       ///< bytes of user stack copied per capture
    uint32_t ringbuf_bytes = kDefaultRingbufBytes; ///< power of two
    uint32_t max_processes = kDefaultMaxProcesses; ///< traced-process map capacity
    int verbose = 0;  ///< 1: what was loaded; 2: also libbpf's debug log (verifier)
    bool track_wakes = false;  ///< --track-wakes: the futex tracepoint (bpf/futex_wakes.bpf.c)
};

/// --track-wakes: the futex wakes sent to the address a thread waits on since
/// its wait began.
struct FutexWakes {
    uint64_t sent = 0;
    int last_waker_tid = 0;  ///< 0 if none
};

class BpfSession {
public:
    using RecordHandler = std::function<void(std::span<const uint8_t>)>;

    /// Loads and attaches; throws UserError with the fix on failure.
    BpfSession(const BpfOptions& options, RecordHandler handler);
    ~BpfSession();
    BpfSession(const BpfSession&) = delete;
    BpfSession& operator=(const BpfSession&) = delete;

    /// Start following `pid` (and everything it forks from now on).
    void trace_process(int pid);
    /// True while `pid` is a traced process that has not exited: the kernel
    /// side drops it at its exit, even when the exit record is lost.
    bool is_traced(int pid) const;
    /// Delivers every record queued so far to the handler.
    void drain();
    /// Sleeps up to `timeout`, less if a record that asks for a wake-up
    /// (TL_EV_READ_MAPS: the process must still be alive when it is handled)
    /// arrives: then everything queued is delivered at once.
    void wait_for_wakeup(std::chrono::milliseconds timeout);
    /// True when the kernel cannot list mappings (or the fallback was forced):
    /// TL_EV_READ_MAPS records ask userspace to read /proc/PID/maps instead.
    bool mappings_from_proc() const { return mappings_from_proc_; }
    /// Records when each traced thread that is asleep went to sleep.
    void sample_sleepers();
    /// The last sample of thread `tid` asleep; nullopt if none (never seen asleep, exited).
    std::optional<SleepSample> sleep_sample(int tid) const;
    /// Every sample, by tid, read in a few syscalls (attach reads 10,000 at once).
    std::unordered_map<int, SleepSample> sleep_samples() const;
    /// --per-test: a uprobe and a uretprobe at each site (capture/test_probe_sites),
    /// with the site's kind in its cookie. Returns how many sites
    /// were attached; those that failed are named on stderr.
    size_t attach_test_probes(const std::vector<TestProbeSite>& sites);
    /// A uretprobe on timerfd_create() in each C library (paths from
    /// capture/libc_paths), once per path: timers the traced processes create.
    /// Returns how many were attached now.
    size_t attach_timer_probes(const std::vector<std::string>& libraries);
    /// A uprobe at `file_offset` of Go executable `path` (its runtime.exit),
    /// once per path: a traced process that gets there is stopped and a
    /// GoExitEvent sent; whoever handles it must send SIGCONT. False if the
    /// probe could not be attached (said on stderr).
    bool attach_go_exit_probe(const std::string& path, uint64_t file_offset);
    /// Records dropped because the ring buffer was full.
    uint64_t ringbuf_drops() const;
    /// New processes not followed because the traced-process map was full.
    uint64_t traced_map_full() const;
    /// User stacks that could not be copied.
    uint64_t stack_copy_failures() const;
    /// --track-wakes: futex waits whose start was not kept (map full).
    uint64_t futex_waits_not_kept() const;
    /// --track-wakes: the wakes sent to `uaddr` of process `pid` since thread
    /// `tid`'s wait on it began; nullopt if not tracked (off, or its wait began
    /// before tracking did).
    std::optional<FutexWakes> futex_wakes(int pid, int tid, uint64_t uaddr) const;
    bool tracks_wakes() const { return track_wakes_; }
    /// Sets `object`'s wake facts when syscall `nr` of thread `tid` is a futex
    /// call on `uaddr` (its first argument).
    void add_wake_facts(int pid, int tid, int64_t nr, uint64_t uaddr, WaitObjectFacts* object) const;

private:
    uint64_t stat(uint32_t index) const;
    static int on_record(void* ctx, void* data, size_t size);

    RecordHandler handler_;
    bool track_wakes_ = false;
    bpf_program* timer_program_ = nullptr;
    std::set<std::string> timer_libraries_;
    std::set<std::pair<uint64_t, uint64_t>> go_exit_files_;  ///< (st_dev, st_ino) probed
    threadleak_bpf* skel_ = nullptr;
    ring_buffer* ring_ = nullptr;
    bool mappings_from_proc_ = false;
    std::vector<bpf_link*> test_links_;  ///< destroyed with the session
};

/// Throws UserError unless this process may load BPF and the kernel has BTF.
void check_bpf_prerequisites();

}  // namespace threadleak
