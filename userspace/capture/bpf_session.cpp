#include "capture/bpf_session.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/capability.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "capture/kernel_features.h"
#include "common/errors.h"
#include "threadleak.skel.h"

extern "C" {
#include "events.h"
}

namespace threadleak {
namespace {

int g_verbose = 0;

int libbpf_print(enum libbpf_print_level level, const char* fmt, va_list args) {
    if (level == LIBBPF_DEBUG && g_verbose < 2) return 0;
    if (level == LIBBPF_INFO && g_verbose < 1) return 0;
    return vfprintf(stderr, fmt, args);
}

bool has_capability(int cap) {
    __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct data[2]{};
    if (syscall(SYS_capget, &header, data) != 0) return false;
    return data[cap / 32].effective & (1u << (cap % 32));
}

/// The capabilities loading and attaching our programs needs that this
/// process lacks ("" if none): CAP_SYS_ADMIN covers both CAP_BPF and CAP_PERFMON.
std::string missing_capabilities() {
    if (has_capability(CAP_SYS_ADMIN)) return "";
    std::string missing;
    if (!has_capability(CAP_BPF)) missing = "CAP_BPF";
    if (!has_capability(CAP_PERFMON)) missing += missing.empty() ? "CAP_PERFMON" : " and CAP_PERFMON";
    return missing;
}

[[noreturn]] void fail_load(const char* what, int err) {
    err = err < 0 ? -err : err;
    // As root, EACCES/EPERM at load time is the verifier's refusal, not a permission problem.
    if ((err == EPERM || err == EACCES) && geteuid() != 0)
        throw UserError(exit_code::kNoPermission,
                        std::string("cannot ") + what + ": " + strerror(err) +
                            "; run as root (sudo threadleak ...) or grant CAP_BPF and CAP_PERFMON");
    if (err == EPERM || err == EACCES)
        throw UserError(exit_code::kUnavailable, std::string("cannot ") + what +
                                                     ": the kernel's BPF verifier rejected them; "
                                                     "run with -vv for the verifier log and report it");
    throw UserError(exit_code::kUnavailable, std::string("cannot ") + what + ": " + strerror(err) +
                                                 "; this kernel lacks a BPF feature threadleak needs "
                                                 "(tp_btf, iter/task, ring buffer, bpf_loop, bpf_find_vma: Linux >= 6.1); "
                                                 "run with -vv for the verifier log");
}

}  // namespace

/// True if this process is in a user namespace other than the initial one: its
/// uid_map is not the identity over every uid. Capabilities held there (root
/// after `unshare -U -r`, a rootless container) do not let it load BPF.
bool in_child_user_namespace() {
    std::ifstream in("/proc/self/uid_map");
    uint64_t inside = 0, outside = 0, count = 0;
    if (!(in >> inside >> outside >> count)) return false;  // unknown: let the load decide
    return !(inside == 0 && outside == 0 && count == 4294967295ull);
}

void check_bpf_prerequisites() {
    if (in_child_user_namespace())
        throw UserError(exit_code::kNoPermission,
                        "threadleak runs in a user namespace (a rootless container or unshare -U), "
                        "where root's capabilities do not extend to loading BPF programs; run it as "
                        "root in the host's user namespace");
    // Root is not enough: a default container drops CAP_SYS_ADMIN and CAP_PERFMON,
    // and the kernel then refuses the programs with EPERM, like a verifier error.
    const std::string missing = missing_capabilities();
    if (!missing.empty() && geteuid() != 0)
        throw UserError(exit_code::kNoPermission,
                        "threadleak needs root (or CAP_BPF and CAP_PERFMON) to load BPF programs; "
                        "run it with sudo");
    if (!missing.empty())
        throw UserError(exit_code::kNoPermission,
                        "threadleak runs as root but without " + missing +
                            " (needed to load BPF programs, or CAP_SYS_ADMIN on kernels before 5.8); "
                            "grant them (e.g. docker run --cap-add BPF --cap-add PERFMON, or --privileged)");
    // BPF sees host pids; in a container's pid namespace every pid threadleak
    // knows would be wrong. PROC_PID_INIT_INO is the initial namespace's inode.
    struct stat ns {};
    if (stat("/proc/self/ns/pid", &ns) == 0 && ns.st_ino != 0xEFFFFFFCu)
        throw UserError(exit_code::kUnavailable,
                        "threadleak runs in a container's pid namespace, where BPF's pids do not "
                        "match; run it in the host's pid namespace (e.g. docker run --pid=host)");
    if (access("/sys/kernel/btf/vmlinux", R_OK) != 0)
        throw UserError(exit_code::kUnavailable,
                        "this kernel has no BTF (/sys/kernel/btf/vmlinux is missing); "
                        "use a kernel built with CONFIG_DEBUG_INFO_BTF=y");
}

namespace {

/// Mounts tracefs at /sys/kernel/tracing for as long as it lives, if it is not
/// there (a fresh machine has none): libbpf reads a tracepoint's id from it.
class TracefsMount {
public:
    TracefsMount() {
        if (access("/sys/kernel/tracing/events", F_OK) == 0 || access("/sys/kernel/debug/tracing/events", F_OK) == 0)
            return;
        if (mount("tracefs", "/sys/kernel/tracing", "tracefs", 0, nullptr) != 0)
            throw UserError(exit_code::kUnavailable,
                            std::string("--track-wakes needs tracefs, and mounting it at /sys/kernel/tracing failed (") +
                                strerror(errno) + "); mount it (mount -t tracefs tracefs /sys/kernel/tracing) "
                                "or run without --track-wakes");
        mounted_ = true;
        if (access("/sys/kernel/tracing/events/syscalls/sys_enter_futex", F_OK) != 0) {
            umount2("/sys/kernel/tracing", MNT_DETACH);
            throw UserError(exit_code::kUnavailable,
                            "this kernel has no syscall tracepoints (CONFIG_FTRACE_SYSCALLS); "
                            "run without --track-wakes");
        }
    }
    ~TracefsMount() {
        if (mounted_) umount2("/sys/kernel/tracing", MNT_DETACH);
    }
    TracefsMount(const TracefsMount&) = delete;
    TracefsMount& operator=(const TracefsMount&) = delete;

private:
    bool mounted_ = false;
};

}  // namespace

BpfSession::BpfSession(const BpfOptions& options, RecordHandler handler)
    : handler_(std::move(handler)) {
    g_verbose = options.verbose;
    libbpf_set_print(libbpf_print);

    // Owned here until construction succeeds: a throwing constructor runs no destructor.
    std::unique_ptr<threadleak_bpf, decltype(&threadleak_bpf__destroy)> skel(threadleak_bpf__open(),
                                                                           &threadleak_bpf__destroy);
    if (!skel) fail_load("open the BPF object", errno);
    skel->rodata->stack_size = std::min<uint32_t>(options.stack_size, TL_MAX_STACK_BYTES);
    bpf_map__set_max_entries(skel->maps.events, options.ringbuf_bytes);
    bpf_map__set_max_entries(skel->maps.traced, options.max_processes);
    const int cpus = std::max(1, libbpf_num_possible_cpus());
    bpf_map__set_max_entries(skel->maps.scratch, cpus);
    bpf_map__set_max_entries(skel->maps.cpu_clocks, cpus);
    // One variant of the fork and exit programs is loaded: the other would be
    // rejected (a kfunc the kernel lacks) or would duplicate every record.
    const KernelFeatures features = probe_kernel_features();
    mappings_from_proc_ = !features.vma_iter;
    bpf_program__set_autoload(skel->progs.on_fork, features.vma_iter);
    bpf_program__set_autoload(skel->progs.on_exit, features.vma_iter);
    bpf_program__set_autoload(skel->progs.on_kill, features.vma_iter);
    bpf_program__set_autoload(skel->progs.on_fork_procfs, !features.vma_iter);
    bpf_program__set_autoload(skel->progs.on_exit_procfs, !features.vma_iter);
    bpf_program__set_autoload(skel->progs.on_kill_procfs, !features.vma_iter);
    bpf_program__set_autoload(skel->progs.on_timerfd_created, features.vma_iter);
    bpf_program__set_autoload(skel->progs.on_timerfd_created_procfs, !features.vma_iter);
    timer_program_ = features.vma_iter ? skel->progs.on_timerfd_created : skel->progs.on_timerfd_created_procfs;
    bpf_program__set_autoload(skel->progs.on_futex, options.track_wakes);
    skel->rodata->track_wakes = options.track_wakes;
    track_wakes_ = options.track_wakes;
    // The futex tracepoint is found through tracefs: mounted only for the
    // attach (a perf event, which needs tracefs no more), then unmounted.
    std::optional<TracefsMount> tracefs;
    if (options.track_wakes) tracefs.emplace();

    if (int err = threadleak_bpf__load(skel.get())) fail_load("load the BPF programs", err);
    if (int err = threadleak_bpf__attach(skel.get())) fail_load("attach the BPF programs", err);
    tracefs.reset();
    ring_ = ring_buffer__new(bpf_map__fd(skel->maps.events), &BpfSession::on_record, this, nullptr);
    if (!ring_) fail_load("create the ring buffer reader", errno);
    skel_ = skel.release();
    if (options.verbose) {
        fprintf(stderr, "threadleak: BPF attached (tp_btf fork/exec/signal_deliver/exit, iter/task), stack copy %u bytes\n",
                skel_->rodata->stack_size);
        fprintf(stderr, "threadleak: %s\n", describe_mapping_path(features).c_str());
    }
}

BpfSession::~BpfSession() {
    for (bpf_link* link : test_links_) bpf_link__destroy(link);
    if (ring_) ring_buffer__free(ring_);
    if (skel_) threadleak_bpf__destroy(skel_);  // detaches every link
}

int BpfSession::on_record(void* ctx, void* data, size_t size) {
    auto* self = static_cast<BpfSession*>(ctx);
    self->handler_(std::span<const uint8_t>(static_cast<const uint8_t*>(data), size));
    return 0;
}

void BpfSession::trace_process(int pid) {
    uint32_t key = static_cast<uint32_t>(pid);
    uint8_t one = 1;
    if (bpf_map__update_elem(skel_->maps.traced, &key, sizeof(key), &one, sizeof(one), BPF_ANY))
        throw UserError(exit_code::kInternal,
                        std::string("cannot add pid to the traced map: ") + strerror(errno));
}

bool BpfSession::is_traced(int pid) const {
    uint32_t key = static_cast<uint32_t>(pid);
    uint8_t value = 0;
    return bpf_map__lookup_elem(skel_->maps.traced, &key, sizeof(key), &value, sizeof(value), 0) == 0;
}

size_t BpfSession::attach_timer_probes(const std::vector<std::string>& libraries) {
    size_t attached = 0;
    for (const std::string& library : libraries) {
        if (!timer_libraries_.insert(library).second) continue;  // probed already
        LIBBPF_OPTS(bpf_uprobe_opts, opts, .retprobe = true, .func_name = "timerfd_create");
        bpf_link* link = bpf_program__attach_uprobe_opts(timer_program_, -1, library.c_str(), 0, &opts);
        if (!link) {
            if (g_verbose)
                fprintf(stderr, "threadleak: cannot probe timerfd_create in %s: %s; its timers are not followed\n",
                        library.c_str(), strerror(errno));
            continue;
        }
        test_links_.push_back(link);
        attached++;
        if (g_verbose) fprintf(stderr, "threadleak: timerfd_create probed in %s\n", library.c_str());
    }
    return attached;
}

bool BpfSession::attach_go_exit_probe(const std::string& path, uint64_t file_offset) {
    // Once per file, however it is named (/proc/PID/exe, a path, a hard link).
    struct stat st{};
    if (::stat(path.c_str(), &st) != 0) return false;
    const std::pair<uint64_t, uint64_t> file{st.st_dev, st.st_ino};
    if (go_exit_files_.count(file)) return true;
    // By file offset, not by name: stripped Go binaries have no .symtab.
    bpf_link* link = bpf_program__attach_uprobe(skel_->progs.on_go_exit, false, -1, path.c_str(), file_offset);
    if (!link) {
        // A process gone meanwhile (its /proc/PID/exe with it) is no failure to report.
        if (errno != ENOENT || g_verbose)
            fprintf(stderr, "threadleak: cannot probe runtime.exit in %s: %s; its goroutines are not reported\n",
                    path.c_str(), strerror(errno));
        return false;
    }
    test_links_.push_back(link);
    go_exit_files_.insert(file);
    if (g_verbose) fprintf(stderr, "threadleak: runtime.exit probed in %s at file offset 0x%llx\n", path.c_str(),
                           static_cast<unsigned long long>(file_offset));
    return true;
}

size_t BpfSession::attach_test_probes(const std::vector<TestProbeSite>& sites) {
    size_t attached = 0;
    for (const TestProbeSite& site : sites) {
        bool ok = true;
        for (bool ret : {false, true}) {
            LIBBPF_OPTS(bpf_uprobe_opts, opts, .bpf_cookie = site.kind, .retprobe = ret);
            bpf_program* prog = ret ? skel_->progs.on_test_end : skel_->progs.on_test_begin;
            // pid -1: every process mapping the file; the program keeps the traced ones.
            bpf_link* link = bpf_program__attach_uprobe_opts(prog, -1, site.file.c_str(), site.offset, &opts);
            if (!link) {
                fprintf(stderr, "threadleak: warning: cannot probe %s in %s: %s; its tests are told apart by "
                                "their frames only\n",
                        site.function.c_str(), site.file.c_str(), strerror(errno));
                ok = false;
                break;
            }
            test_links_.push_back(link);
        }
        attached += ok;
    }
    return attached;
}

void BpfSession::drain() { ring_buffer__consume(ring_); }

void BpfSession::wait_for_wakeup(std::chrono::milliseconds timeout) {
    // Only records submitted with a wake-up end the wait early (and are
    // delivered here); the others stay queued for the next drain().
    ring_buffer__poll(ring_, static_cast<int>(timeout.count()));
}

void BpfSession::sample_sleepers() {
    // An iterator runs its program over every task when read; the output is empty.
    bpf_link* link = skel_->links.sample_sleepers;
    if (!link) return;
    int fd = bpf_iter_create(bpf_link__fd(link));
    if (fd < 0) return;
    char buf[64];
    while (read(fd, buf, sizeof(buf)) > 0) {
    }
    close(fd);
}

namespace {

SleepSample to_sample(const tl_sleep_sample& s) {
    SleepSample out;
    out.switches = s.switches;
    out.since_ns = s.since.since_ns;
    out.uncertainty_ns = s.since.uncertainty_ns;
    std::copy(std::begin(s.regs), std::end(s.regs), out.regs.begin());
    out.syscall_nr = s.syscall_nr;
    std::copy(std::begin(s.args), std::end(s.args), out.args.begin());
    out.ia32 = s.ia32 != 0;
    out.same_sleeps = s.same_sleeps;
    out.first_same_ns = s.first_same_ns;
    out.comm.assign(s.comm, strnlen(s.comm, sizeof s.comm));
    return out;
}

}  // namespace

std::optional<SleepSample> BpfSession::sleep_sample(int tid) const {
    const uint32_t key = static_cast<uint32_t>(tid);
    tl_sleep_sample s{};
    if (bpf_map__lookup_elem(skel_->maps.sleep_samples, &key, sizeof(key), &s, sizeof(s), 0)) return std::nullopt;
    return to_sample(s);
}

std::unordered_map<int, SleepSample> BpfSession::sleep_samples() const {
    // In batches: one syscall per 1024 threads, not one per thread.
    constexpr uint32_t kBatch = 1024;
    std::unordered_map<int, SleepSample> out;
    const int fd = bpf_map__fd(skel_->maps.sleep_samples);
    std::vector<uint32_t> keys(kBatch);
    std::vector<tl_sleep_sample> values(kBatch);
    uint32_t token = 0;
    for (bool first = true;; first = false) {
        uint32_t count = kBatch;
        const int err = bpf_map_lookup_batch(fd, first ? nullptr : &token, &token, keys.data(), values.data(),
                                             &count, nullptr);
        for (uint32_t i = 0; i < count && (err == 0 || errno == ENOENT); i++)
            out.emplace(static_cast<int>(keys[i]), to_sample(values[i]));
        if (err) break;  // ENOENT: that was the last batch
    }
    return out;
}

uint64_t BpfSession::stat(uint32_t index) const {
    int ncpus = libbpf_num_possible_cpus();
    if (ncpus <= 0) return 0;
    std::vector<uint64_t> values(ncpus);
    if (bpf_map__lookup_elem(skel_->maps.stats, &index, sizeof(index), values.data(),
                             values.size() * sizeof(uint64_t), 0))
        return 0;
    uint64_t sum = 0;
    for (uint64_t v : values) sum += v;
    return sum;
}

uint32_t min_ringbuf_bytes(uint32_t stack_size) {
    // libbpf's ring buffer adds an 8-byte header to every record, rounded to 8.
    constexpr size_t kRecordHeader = 8;
    const size_t exit_record = offsetof(tl_thread_exit_event, s.stack) + stack_size;
    const size_t create_record = offsetof(tl_thread_create_event, s.stack) + stack_size;
    const size_t largest = std::max({exit_record, create_record, sizeof(tl_modules_event)}) + kRecordHeader;
    uint32_t bytes = kMinRingbufBytes;
    while (bytes < 4 * largest) bytes <<= 1;
    return bytes;
}

uint64_t BpfSession::ringbuf_drops() const { return stat(TL_STAT_RB_LOST); }
uint64_t BpfSession::traced_map_full() const { return stat(TL_STAT_TRACED_FULL); }
uint64_t BpfSession::stack_copy_failures() const { return stat(TL_STAT_STACK_READ_FAIL); }
uint64_t BpfSession::futex_waits_not_kept() const { return stat(TL_STAT_FUTEX_WAITS_FULL); }

void BpfSession::add_wake_facts(int pid, int tid, int64_t nr, uint64_t uaddr, WaitObjectFacts* object) const {
    constexpr int64_t kNrFutex = 202;
    if (nr != kNrFutex) return;
    if (const std::optional<FutexWakes> w = futex_wakes(pid, tid, uaddr)) {
        object->wakes_sent = w->sent;
        object->last_waker_tid = w->last_waker_tid;
    }
}

std::optional<FutexWakes> BpfSession::futex_wakes(int pid, int tid, uint64_t uaddr) const {
    if (!track_wakes_) return std::nullopt;
    const uint32_t key = static_cast<uint32_t>(tid);
    tl_futex_wait wait{};
    if (bpf_map__lookup_elem(skel_->maps.futex_waits, &key, sizeof(key), &wait, sizeof(wait), 0) != 0 ||
        wait.uaddr != uaddr)
        return std::nullopt;
    tl_futex_key address{};
    address.tgid = static_cast<uint32_t>(pid);
    address.uaddr = uaddr;
    tl_futex_wakes count{};
    if (bpf_map__lookup_elem(skel_->maps.futex_wakes, &address, sizeof(address), &count, sizeof(count), 0) != 0)
        count = {};
    if (count.wakes < wait.wakes_before) return std::nullopt;  // evicted and counted again: not known
    FutexWakes out;
    out.sent = count.wakes - wait.wakes_before;
    if (out.sent) out.last_waker_tid = static_cast<int>(count.last_waker);
    return out;
}

}  // namespace threadleak
