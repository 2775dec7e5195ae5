// x86_64 syscall names and argument decoding for the syscall a leaked thread
// sat in.
//
// Timeouts (see docs/json-schema.md):
// - timeout_ns is set only for a *relative* timeout that is known: poll-style
//   int milliseconds, or a relative timespec/timeval the kernel side read.
// - A null timeout pointer, or -1 ms, waits forever: arg timeout="none" (or
//   timeout_ms=-1) and timeout_ns = nullopt.
// - An absolute timeout (FUTEX_WAIT_BITSET, FUTEX_LOCK_PI, FUTEX_WAIT_REQUEUE_PI,
//   clock_nanosleep with TIMER_ABSTIME, futex_waitv, mq_timed*) becomes an arg
//   "deadline" = "<sec>.<nsec> (<clock>)" and timeout_ns stays nullopt: turning
//   a deadline into time left needs the clock's value at capture time, which
//   RawSyscall does not carry (and CLOCK_REALTIME cannot be recovered later).
// - A non-null pointer whose timespec was not read: arg timeout="<ptr> (unread)".
//
// Numbers are the x86_64 ABI; a 32-bit (ia32) process uses another numbering
// that RawSyscall cannot tell apart.
#include "syscalls/syscall_decode.h"

#include <cinttypes>
#include <cstdio>
#include <limits>
#include <string_view>
#include <unordered_map>

namespace threadleak {
namespace {

// Generated once from /usr/include/x86_64-linux-gnu/asm/unistd_64.h (Linux 6.1
// headers, 0..450), plus 335 uretprobe (6.11) and 451..462 (6.6..6.10) from
// arch/x86/entry/syscalls/syscall_64.tbl. Numbers 336..423 are unused on x86_64.
constexpr const char* kNamesLow[] = {  // 0..335
    /*   0 */ "read", "write", "open", "close", "stat", "fstat", "lstat", "poll", "lseek", "mmap",
    /*  10 */ "mprotect", "munmap", "brk", "rt_sigaction", "rt_sigprocmask", "rt_sigreturn",
    /*  16 */ "ioctl", "pread64", "pwrite64", "readv", "writev", "access", "pipe", "select",
    /*  24 */ "sched_yield", "mremap", "msync", "mincore", "madvise", "shmget", "shmat", "shmctl",
    /*  32 */ "dup", "dup2", "pause", "nanosleep", "getitimer", "alarm", "setitimer", "getpid",
    /*  40 */ "sendfile", "socket", "connect", "accept", "sendto", "recvfrom", "sendmsg", "recvmsg",
    /*  48 */ "shutdown", "bind", "listen", "getsockname", "getpeername", "socketpair",
    /*  54 */ "setsockopt", "getsockopt", "clone", "fork", "vfork", "execve", "exit", "wait4",
    /*  62 */ "kill", "uname", "semget", "semop", "semctl", "shmdt", "msgget", "msgsnd", "msgrcv",
    /*  71 */ "msgctl", "fcntl", "flock", "fsync", "fdatasync", "truncate", "ftruncate", "getdents",
    /*  79 */ "getcwd", "chdir", "fchdir", "rename", "mkdir", "rmdir", "creat", "link", "unlink",
    /*  88 */ "symlink", "readlink", "chmod", "fchmod", "chown", "fchown", "lchown", "umask",
    /*  96 */ "gettimeofday", "getrlimit", "getrusage", "sysinfo", "times", "ptrace", "getuid",
    /* 103 */ "syslog", "getgid", "setuid", "setgid", "geteuid", "getegid", "setpgid", "getppid",
    /* 111 */ "getpgrp", "setsid", "setreuid", "setregid", "getgroups", "setgroups", "setresuid",
    /* 118 */ "getresuid", "setresgid", "getresgid", "getpgid", "setfsuid", "setfsgid", "getsid",
    /* 125 */ "capget", "capset", "rt_sigpending", "rt_sigtimedwait", "rt_sigqueueinfo",
    /* 130 */ "rt_sigsuspend", "sigaltstack", "utime", "mknod", "uselib", "personality", "ustat",
    /* 137 */ "statfs", "fstatfs", "sysfs", "getpriority", "setpriority", "sched_setparam",
    /* 143 */ "sched_getparam", "sched_setscheduler", "sched_getscheduler",
    /* 146 */ "sched_get_priority_max", "sched_get_priority_min", "sched_rr_get_interval", "mlock",
    /* 150 */ "munlock", "mlockall", "munlockall", "vhangup", "modify_ldt", "pivot_root", "_sysctl",
    /* 157 */ "prctl", "arch_prctl", "adjtimex", "setrlimit", "chroot", "sync", "acct",
    /* 164 */ "settimeofday", "mount", "umount2", "swapon", "swapoff", "reboot", "sethostname",
    /* 171 */ "setdomainname", "iopl", "ioperm", "create_module", "init_module", "delete_module",
    /* 177 */ "get_kernel_syms", "query_module", "quotactl", "nfsservctl", "getpmsg", "putpmsg",
    /* 183 */ "afs_syscall", "tuxcall", "security", "gettid", "readahead", "setxattr", "lsetxattr",
    /* 190 */ "fsetxattr", "getxattr", "lgetxattr", "fgetxattr", "listxattr", "llistxattr",
    /* 196 */ "flistxattr", "removexattr", "lremovexattr", "fremovexattr", "tkill", "time", "futex",
    /* 203 */ "sched_setaffinity", "sched_getaffinity", "set_thread_area", "io_setup", "io_destroy",
    /* 208 */ "io_getevents", "io_submit", "io_cancel", "get_thread_area", "lookup_dcookie",
    /* 213 */ "epoll_create", "epoll_ctl_old", "epoll_wait_old", "remap_file_pages", "getdents64",
    /* 218 */ "set_tid_address", "restart_syscall", "semtimedop", "fadvise64", "timer_create",
    /* 223 */ "timer_settime", "timer_gettime", "timer_getoverrun", "timer_delete", "clock_settime",
    /* 228 */ "clock_gettime", "clock_getres", "clock_nanosleep", "exit_group", "epoll_wait",
    /* 233 */ "epoll_ctl", "tgkill", "utimes", "vserver", "mbind", "set_mempolicy", "get_mempolicy",
    /* 240 */ "mq_open", "mq_unlink", "mq_timedsend", "mq_timedreceive", "mq_notify",
    /* 245 */ "mq_getsetattr", "kexec_load", "waitid", "add_key", "request_key", "keyctl",
    /* 251 */ "ioprio_set", "ioprio_get", "inotify_init", "inotify_add_watch", "inotify_rm_watch",
    /* 256 */ "migrate_pages", "openat", "mkdirat", "mknodat", "fchownat", "futimesat",
    /* 262 */ "newfstatat", "unlinkat", "renameat", "linkat", "symlinkat", "readlinkat", "fchmodat",
    /* 269 */ "faccessat", "pselect6", "ppoll", "unshare", "set_robust_list", "get_robust_list",
    /* 275 */ "splice", "tee", "sync_file_range", "vmsplice", "move_pages", "utimensat",
    /* 281 */ "epoll_pwait", "signalfd", "timerfd_create", "eventfd", "fallocate",
    /* 286 */ "timerfd_settime", "timerfd_gettime", "accept4", "signalfd4", "eventfd2",
    /* 291 */ "epoll_create1", "dup3", "pipe2", "inotify_init1", "preadv", "pwritev",
    /* 297 */ "rt_tgsigqueueinfo", "perf_event_open", "recvmmsg", "fanotify_init", "fanotify_mark",
    /* 302 */ "prlimit64", "name_to_handle_at", "open_by_handle_at", "clock_adjtime", "syncfs",
    /* 307 */ "sendmmsg", "setns", "getcpu", "process_vm_readv", "process_vm_writev", "kcmp",
    /* 313 */ "finit_module", "sched_setattr", "sched_getattr", "renameat2", "seccomp", "getrandom",
    /* 319 */ "memfd_create", "kexec_file_load", "bpf", "execveat", "userfaultfd", "membarrier",
    /* 325 */ "mlock2", "copy_file_range", "preadv2", "pwritev2", "pkey_mprotect", "pkey_alloc",
    /* 331 */ "pkey_free", "statx", "io_pgetevents", "rseq", "uretprobe",
};
constexpr int64_t kHighBase = 424;
constexpr const char* kNamesHigh[] = {  // 424..462
    /* 424 */ "pidfd_send_signal", "io_uring_setup", "io_uring_enter", "io_uring_register",
    /* 428 */ "open_tree", "move_mount", "fsopen", "fsconfig", "fsmount", "fspick", "pidfd_open",
    /* 435 */ "clone3", "close_range", "openat2", "pidfd_getfd", "faccessat2", "process_madvise",
    /* 441 */ "epoll_pwait2", "mount_setattr", "quotactl_fd", "landlock_create_ruleset",
    /* 445 */ "landlock_add_rule", "landlock_restrict_self", "memfd_secret", "process_mrelease",
    /* 449 */ "futex_waitv", "set_mempolicy_home_node", "cachestat", "fchmodat2",
    /* 453 */ "map_shadow_stack", "futex_wake", "futex_wait", "futex_requeue", "statmount",
    /* 458 */ "listmount", "lsm_get_self_attr", "lsm_set_self_attr", "lsm_list_modules", "mseal",
};
constexpr int64_t kLowCount = sizeof(kNamesLow) / sizeof(kNamesLow[0]);
constexpr int64_t kHighCount = sizeof(kNamesHigh) / sizeof(kNamesHigh[0]);
static_assert(kLowCount == 336 && kHighCount == 39);

/// How one argument register is shown.
enum class Kind {
    Int,       ///< C int: low 32 bits, sign-extended
    UInt,      ///< C unsigned int: low 32 bits
    Long,      ///< long, size_t: all 64 bits as int64
    Hex,       ///< address or flag word: "0x..."
    Oct,       ///< file mode: "0644"
    Fd,        ///< int fd (must be args[0]); followed by "fd_kind"
    TimeoutMs, ///< int milliseconds, -1 = forever
    RelTs,     ///< pointer to a relative struct timespec
    RelTv,     ///< pointer to a relative struct timeval
    AbsRealTs, ///< pointer to an absolute CLOCK_REALTIME timespec
    FlockOp,   ///< LOCK_SH|LOCK_NB ...
    FcntlCmd,  ///< F_SETLKW ...
};
using enum Kind;

struct ArgSpec {
    const char* name = nullptr;  ///< nullptr ends the list
    Kind kind = Hex;
};
struct Signature {
    const char* syscall;
    ArgSpec args[6];
};

// The syscalls threads commonly block in (and a few they end or start in).
// futex, futex_wait, futex_waitv and clock_nanosleep are decoded by hand below.
// Others fall back to raw "arg0".."arg5".
constexpr Signature kSignatures[] = {
    {"read", {{"fd", Fd}, {"buf", Hex}, {"count", Long}}},
    {"write", {{"fd", Fd}, {"buf", Hex}, {"count", Long}}},
    {"readv", {{"fd", Fd}, {"iov", Hex}, {"iovcnt", Int}}},
    {"writev", {{"fd", Fd}, {"iov", Hex}, {"iovcnt", Int}}},
    {"pread64", {{"fd", Fd}, {"buf", Hex}, {"count", Long}, {"offset", Long}}},
    {"pwrite64", {{"fd", Fd}, {"buf", Hex}, {"count", Long}, {"offset", Long}}},
    {"preadv", {{"fd", Fd}, {"iov", Hex}, {"iovcnt", Int}, {"offset", Long}}},
    {"pwritev", {{"fd", Fd}, {"iov", Hex}, {"iovcnt", Int}, {"offset", Long}}},
    {"recvfrom", {{"fd", Fd}, {"buf", Hex}, {"len", Long}, {"flags", Hex}, {"src_addr", Hex},
                  {"addrlen", Hex}}},
    {"recvmsg", {{"fd", Fd}, {"msg", Hex}, {"flags", Hex}}},
    {"recvmmsg", {{"fd", Fd}, {"msgvec", Hex}, {"vlen", UInt}, {"flags", Hex}, {"timeout", RelTs}}},
    {"sendto", {{"fd", Fd}, {"buf", Hex}, {"len", Long}, {"flags", Hex}, {"dest_addr", Hex},
                {"addrlen", Int}}},
    {"sendmsg", {{"fd", Fd}, {"msg", Hex}, {"flags", Hex}}},
    {"sendmmsg", {{"fd", Fd}, {"msgvec", Hex}, {"vlen", UInt}, {"flags", Hex}}},
    {"accept", {{"fd", Fd}, {"addr", Hex}, {"addrlen", Hex}}},
    {"accept4", {{"fd", Fd}, {"addr", Hex}, {"addrlen", Hex}, {"flags", Hex}}},
    {"connect", {{"fd", Fd}, {"addr", Hex}, {"addrlen", Int}}},
    {"poll", {{"fds", Hex}, {"nfds", Long}, {"timeout_ms", TimeoutMs}}},
    {"ppoll", {{"fds", Hex}, {"nfds", Long}, {"timeout", RelTs}, {"sigmask", Hex}}},
    {"select", {{"nfds", Int}, {"readfds", Hex}, {"writefds", Hex}, {"exceptfds", Hex},
                {"timeout", RelTv}}},
    {"pselect6", {{"nfds", Int}, {"readfds", Hex}, {"writefds", Hex}, {"exceptfds", Hex},
                  {"timeout", RelTs}, {"sigmask", Hex}}},
    {"epoll_wait", {{"fd", Fd}, {"events", Hex}, {"maxevents", Int}, {"timeout_ms", TimeoutMs}}},
    {"epoll_pwait", {{"fd", Fd}, {"events", Hex}, {"maxevents", Int}, {"timeout_ms", TimeoutMs},
                     {"sigmask", Hex}}},
    {"epoll_pwait2", {{"fd", Fd}, {"events", Hex}, {"maxevents", Int}, {"timeout", RelTs},
                      {"sigmask", Hex}}},
    {"nanosleep", {{"timeout", RelTs}}},
    {"wait4", {{"pid", Int}, {"wstatus", Hex}, {"options", Hex}, {"rusage", Hex}}},
    {"waitid", {{"idtype", Int}, {"id", Int}, {"infop", Hex}, {"options", Hex}}},
    {"pause", {}},
    {"sched_yield", {}},
    {"rt_sigsuspend", {{"mask", Hex}, {"sigsetsize", Long}}},
    {"rt_sigtimedwait", {{"set", Hex}, {"info", Hex}, {"timeout", RelTs}, {"sigsetsize", Long}}},
    {"msgrcv", {{"msqid", Int}, {"msgp", Hex}, {"msgsz", Long}, {"msgtyp", Long}, {"msgflg", Hex}}},
    {"msgsnd", {{"msqid", Int}, {"msgp", Hex}, {"msgsz", Long}, {"msgflg", Hex}}},
    {"semop", {{"semid", Int}, {"sops", Hex}, {"nsops", Long}}},
    {"semtimedop", {{"semid", Int}, {"sops", Hex}, {"nsops", Long}, {"timeout", RelTs}}},
    {"io_getevents", {{"ctx_id", Hex}, {"min_nr", Long}, {"nr", Long}, {"events", Hex},
                      {"timeout", RelTs}}},
    {"io_pgetevents", {{"ctx_id", Hex}, {"min_nr", Long}, {"nr", Long}, {"events", Hex},
                       {"timeout", RelTs}, {"usig", Hex}}},
    {"io_uring_enter", {{"fd", Fd}, {"to_submit", UInt}, {"min_complete", UInt}, {"flags", Hex},
                        {"argp", Hex}, {"argsz", Long}}},
    {"mq_timedreceive", {{"fd", Fd}, {"msg_ptr", Hex}, {"msg_len", Long}, {"msg_prio", Hex},
                         {"deadline", AbsRealTs}}},
    {"mq_timedsend", {{"fd", Fd}, {"msg_ptr", Hex}, {"msg_len", Long}, {"msg_prio", UInt},
                      {"deadline", AbsRealTs}}},
    {"flock", {{"fd", Fd}, {"operation", FlockOp}}},
    {"fcntl", {{"fd", Fd}, {"cmd", FcntlCmd}, {"arg", Hex}}},
    {"ioctl", {{"fd", Fd}, {"request", Hex}, {"arg", Hex}}},
    {"fsync", {{"fd", Fd}}},
    {"fdatasync", {{"fd", Fd}}},
    {"syncfs", {{"fd", Fd}}},
    {"close", {{"fd", Fd}}},
    {"sendfile", {{"out_fd", Fd}, {"in_fd", Int}, {"offset", Hex}, {"count", Long}}},
    {"splice", {{"fd_in", Fd}, {"off_in", Hex}, {"fd_out", Int}, {"off_out", Hex}, {"len", Long},
                {"flags", Hex}}},
    {"tee", {{"fd_in", Fd}, {"fd_out", Int}, {"len", Long}, {"flags", Hex}}},
    {"open", {{"pathname", Hex}, {"flags", Hex}, {"mode", Oct}}},
    {"openat", {{"dirfd", Int}, {"pathname", Hex}, {"flags", Hex}, {"mode", Oct}}},
    {"exit", {{"status", Int}}},
    {"exit_group", {{"status", Int}}},
    {"clone", {{"flags", Hex}, {"stack", Hex}, {"parent_tid", Hex}, {"child_tid", Hex},
               {"tls", Hex}}},
    {"clone3", {{"cl_args", Hex}, {"size", Long}}},
    {"getrandom", {{"buf", Hex}, {"buflen", Long}, {"flags", Hex}}},
};

const Signature* find_signature(std::string_view name) {
    static const std::unordered_map<std::string_view, const Signature*> index = [] {
        std::unordered_map<std::string_view, const Signature*> m;
        for (const auto& s : kSignatures) m.emplace(s.syscall, &s);
        return m;
    }();
    auto it = index.find(name);
    return it == index.end() ? nullptr : it->second;
}

std::string hex(uint64_t v) {
    char buf[24];
    std::snprintf(buf, sizeof buf, "0x%" PRIx64, v);
    return buf;
}

int64_t as_int(uint64_t v) { return static_cast<int32_t>(static_cast<uint32_t>(v)); }

std::string clock_name(int64_t id) {
    static constexpr const char* kClocks[] = {
        "CLOCK_REALTIME", "CLOCK_MONOTONIC", "CLOCK_PROCESS_CPUTIME_ID",
        "CLOCK_THREAD_CPUTIME_ID", "CLOCK_MONOTONIC_RAW", "CLOCK_REALTIME_COARSE",
        "CLOCK_MONOTONIC_COARSE", "CLOCK_BOOTTIME", "CLOCK_REALTIME_ALARM",
        "CLOCK_BOOTTIME_ALARM", nullptr, "CLOCK_TAI"};
    if (id >= 0 && id < static_cast<int64_t>(std::size(kClocks)) && kClocks[id]) return kClocks[id];
    return "clock_" + std::to_string(id);  // negative ids are per-process/thread CPU clocks
}

constexpr int64_t kNsPerSec = 1'000'000'000;

/// Nanoseconds of a (sec, subsec) pair, subsec in units of `unit_ns`;
/// nullopt when the kernel would reject it (EINVAL).
std::optional<int64_t> to_ns(int64_t sec, int64_t subsec, int64_t unit_ns) {
    if (sec < 0 || subsec < 0 || subsec >= kNsPerSec / unit_ns) return std::nullopt;
    if (sec > std::numeric_limits<int64_t>::max() / kNsPerSec - 1)
        return std::numeric_limits<int64_t>::max();
    return sec * kNsPerSec + subsec * unit_ns;
}

/// "2s", "1.5s", "100ms", "250us", "7ns".
std::string format_duration(int64_t ns) {
    struct Unit { int64_t ns; const char* suffix; };
    static constexpr Unit kUnits[] = {{kNsPerSec, "s"}, {1'000'000, "ms"}, {1'000, "us"}};
    for (const auto& u : kUnits) {
        if (ns < u.ns) continue;
        std::string s = std::to_string(ns / u.ns);
        if (int64_t frac = ns % u.ns; frac != 0) {
            std::string digits = std::to_string(frac);
            digits.insert(0, std::to_string(u.ns).size() - 1 - digits.size(), '0');
            while (digits.back() == '0') digits.pop_back();
            s += "." + digits;
        }
        return s + u.suffix;
    }
    return std::to_string(ns) + "ns";
}

std::string format_timespec(const std::array<int64_t, 2>& ts) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "{tv_sec=%" PRId64 ", tv_nsec=%" PRId64 "}", ts[0], ts[1]);
    return buf;
}

/// A relative timeout passed by pointer: the timespec (or timeval, in usec) at
/// raw.timeout when it was read.
void add_relative_timeout(const RawSyscall& raw, uint64_t ptr, int64_t subsec_unit_ns,
                          DecodedSyscall& out) {
    if (ptr == 0) {
        out.args.push_back({"timeout", std::string("none")});
    } else if (raw.timeout_valid && raw.captured_after_interruption && interruption_rewrites_timeout(raw)) {
        // The requested duration is gone: only what was left of it is known.
        out.args.push_back({"timeout", std::string("unknown")});
        if (auto ns = to_ns(raw.timeout[0], raw.timeout[1], subsec_unit_ns))
            out.args.push_back({"remaining", format_duration(*ns)});
    } else if (!raw.timeout_valid) {
        out.args.push_back({"timeout", hex(ptr) + " (unread)"});
    } else if (auto ns = to_ns(raw.timeout[0], raw.timeout[1], subsec_unit_ns)) {
        out.args.push_back({"timeout", format_duration(*ns)});
        out.timeout_ns = *ns;
    } else {
        out.args.push_back({"timeout", "invalid " + format_timespec(raw.timeout)});
    }
}

/// An absolute timeout passed by pointer, measured against `clock`.
void add_deadline(const RawSyscall& raw, uint64_t ptr, int64_t clock, DecodedSyscall& out) {
    if (ptr == 0) {
        out.args.push_back({"timeout", std::string("none")});
    } else if (!raw.timeout_valid) {
        out.args.push_back({"deadline", hex(ptr) + " (unread)"});
    } else {
        char buf[96];
        std::snprintf(buf, sizeof buf, "%" PRId64 ".%09" PRId64 " (%s)", raw.timeout[0],
                      raw.timeout[1], clock_name(clock).c_str());
        out.args.push_back({"deadline", std::string(buf)});
    }
}

std::string flock_op(uint64_t op) {
    const uint64_t base = op & ~uint64_t{4};  // without LOCK_NB
    std::string s = base == 1 ? "LOCK_SH" : base == 2 ? "LOCK_EX" : base == 8 ? "LOCK_UN" : hex(base);
    if (op & 4) s += "|LOCK_NB";
    return s;
}

std::string fcntl_cmd(uint64_t cmd) {
    switch (as_int(cmd)) {
    case 0: return "F_DUPFD";
    case 1: return "F_GETFD";
    case 2: return "F_SETFD";
    case 3: return "F_GETFL";
    case 4: return "F_SETFL";
    case 5: return "F_GETLK";
    case 6: return "F_SETLK";
    case 7: return "F_SETLKW";
    case 36: return "F_OFD_GETLK";
    case 37: return "F_OFD_SETLK";
    case 38: return "F_OFD_SETLKW";
    case 1030: return "F_DUPFD_CLOEXEC";
    default: return std::to_string(as_int(cmd));
    }
}

void decode_arg(const RawSyscall& raw, size_t i, const ArgSpec& spec, DecodedSyscall& out) {
    const uint64_t v = raw.args[i];
    auto& args = out.args;
    switch (spec.kind) {
    case Int: args.push_back({spec.name, as_int(v)}); break;
    case UInt: args.push_back({spec.name, static_cast<int64_t>(static_cast<uint32_t>(v))}); break;
    case Long: args.push_back({spec.name, static_cast<int64_t>(v)}); break;
    case Hex: args.push_back({spec.name, hex(v)}); break;
    case Oct: {
        char buf[32];
        std::snprintf(buf, sizeof buf, "0%" PRIo64, v);
        args.push_back({spec.name, std::string(buf)});
        break;
    }
    case Fd:
        args.push_back({spec.name, as_int(v)});
        // fd_mode/fd_name describe the file behind args[0] only.
        if (i == 0) args.push_back({"fd_kind", describe_fd_kind(raw.fd_mode, raw.fd_name)});
        break;
    case TimeoutMs: {
        const int64_t ms = as_int(v);
        args.push_back({spec.name, ms});
        if (ms >= 0) out.timeout_ns = ms * 1'000'000;  // any negative value waits forever
        break;
    }
    case RelTs: add_relative_timeout(raw, v, 1, out); break;
    case RelTv: add_relative_timeout(raw, v, 1'000, out); break;
    case AbsRealTs: add_deadline(raw, v, 0, out); break;
    case FlockOp: args.push_back({spec.name, flock_op(v)}); break;
    case FcntlCmd: args.push_back({spec.name, fcntl_cmd(v)}); break;
    }
}

void decode_raw(const RawSyscall& raw, DecodedSyscall& out) {
    for (size_t i = 0; i < raw.args.size(); ++i)
        out.args.push_back({"arg" + std::to_string(i), hex(raw.args[i])});
}

constexpr uint64_t kFutexPrivate = 128;
constexpr uint64_t kFutexClockRealtime = 256;

std::string futex_op_name(uint64_t op) {
    static constexpr const char* kCmds[] = {
        "FUTEX_WAIT", "FUTEX_WAKE", "FUTEX_FD", "FUTEX_REQUEUE", "FUTEX_CMP_REQUEUE",
        "FUTEX_WAKE_OP", "FUTEX_LOCK_PI", "FUTEX_UNLOCK_PI", "FUTEX_TRYLOCK_PI",
        "FUTEX_WAIT_BITSET", "FUTEX_WAKE_BITSET", "FUTEX_WAIT_REQUEUE_PI",
        "FUTEX_CMP_REQUEUE_PI", "FUTEX_LOCK_PI2"};
    const uint64_t cmd = op & ~(kFutexPrivate | kFutexClockRealtime);
    if (cmd >= std::size(kCmds)) return hex(op);
    std::string s = kCmds[cmd];
    if (op & kFutexPrivate) s += "_PRIVATE";
    if (op & kFutexClockRealtime) s += "|FUTEX_CLOCK_REALTIME";
    return s;
}

// futex(uaddr, op, val, timeout_or_val2, uaddr2, val3). Which arguments mean
// what, and which clock an absolute timeout uses, follows kernel/futex/syscalls.c:
// FUTEX_WAIT is relative; WAIT_BITSET, WAIT_REQUEUE_PI and LOCK_PI2 are
// absolute on CLOCK_MONOTONIC unless FUTEX_CLOCK_REALTIME; LOCK_PI is absolute
// on CLOCK_REALTIME always.
void decode_futex(const RawSyscall& raw, DecodedSyscall& out) {
    const auto& a = raw.args;
    const uint64_t op = a[1];
    const int64_t abs_clock = (op & kFutexClockRealtime) ? 0 : 1;
    out.args.push_back({"uaddr", hex(a[0])});
    out.args.push_back({"op", futex_op_name(op)});
    switch (op & ~(kFutexPrivate | kFutexClockRealtime)) {
    case 0:  // WAIT
        out.args.push_back({"val", as_int(a[2])});
        add_relative_timeout(raw, a[3], 1, out);
        break;
    case 9:  // WAIT_BITSET
        out.args.push_back({"val", as_int(a[2])});
        add_deadline(raw, a[3], abs_clock, out);
        out.args.push_back({"bitset", hex(static_cast<uint32_t>(a[5]))});
        break;
    case 11:  // WAIT_REQUEUE_PI
        out.args.push_back({"val", as_int(a[2])});
        add_deadline(raw, a[3], abs_clock, out);
        out.args.push_back({"uaddr2", hex(a[4])});
        break;
    case 6:  // LOCK_PI
        add_deadline(raw, a[3], 0, out);
        break;
    case 13:  // LOCK_PI2
        add_deadline(raw, a[3], abs_clock, out);
        break;
    case 7: case 8:  // UNLOCK_PI, TRYLOCK_PI
        break;
    case 1: case 10:  // WAKE, WAKE_BITSET
        out.args.push_back({"val", as_int(a[2])});
        break;
    case 3: case 4: case 5: case 12:  // REQUEUE, CMP_REQUEUE, WAKE_OP, CMP_REQUEUE_PI
        out.args.push_back({"val", as_int(a[2])});
        out.args.push_back({"val2", as_int(a[3])});
        out.args.push_back({"uaddr2", hex(a[4])});
        out.args.push_back({"val3", hex(static_cast<uint32_t>(a[5]))});
        break;
    default:
        out.args.push_back({"val", as_int(a[2])});
        break;
    }
}

// clock_nanosleep(clockid, flags, request, remain): TIMER_ABSTIME (1) makes
// `request` a deadline on `clockid`.
void decode_clock_nanosleep(const RawSyscall& raw, DecodedSyscall& out) {
    const int64_t clock = as_int(raw.args[0]);
    const bool absolute = raw.args[1] & 1;
    out.args.push_back({"clockid", clock_name(clock)});
    out.args.push_back({"flags", std::string(absolute ? "TIMER_ABSTIME" : "0")});
    if (absolute)
        add_deadline(raw, raw.args[2], clock, out);
    else
        add_relative_timeout(raw, raw.args[2], 1, out);
}

// futex_waitv(waiters, nr_futexes, flags, timeout, clockid): absolute timeout.
void decode_futex_waitv(const RawSyscall& raw, DecodedSyscall& out) {
    out.args.push_back({"waiters", hex(raw.args[0])});
    out.args.push_back({"nr_futexes", static_cast<int64_t>(static_cast<uint32_t>(raw.args[1]))});
    out.args.push_back({"flags", hex(raw.args[2])});
    add_deadline(raw, raw.args[3], as_int(raw.args[4]), out);
}

// futex_wait(uaddr, val, mask, flags, timeout, clockid): absolute timeout.
void decode_futex_wait2(const RawSyscall& raw, DecodedSyscall& out) {
    out.args.push_back({"uaddr", hex(raw.args[0])});
    out.args.push_back({"val", static_cast<int64_t>(raw.args[1])});
    out.args.push_back({"mask", hex(raw.args[2])});
    out.args.push_back({"flags", hex(raw.args[3])});
    add_deadline(raw, raw.args[4], as_int(raw.args[5]), out);
}

struct AnonKind { std::string_view dentry; const char* kind; };
// Dentry names given to anon_inode_getfile() and friends across the kernel.
constexpr AnonKind kAnonKinds[] = {
    {"[eventfd]", "eventfd"},   {"[timerfd]", "timerfd"},         {"[eventpoll]", "epoll"},
    {"[signalfd]", "signalfd"}, {"[io_uring]", "io_uring"},       {"inotify", "inotify"},
    {"[fanotify]", "fanotify"}, {"[pidfd]", "pidfd"},             {"[userfaultfd]", "userfaultfd"},
    {"[perf_event]", "perf_event"}, {"bpf-map", "bpf map"},       {"bpf-prog", "bpf program"},
    {"bpf_link", "bpf link"},
};

}  // namespace

bool interruption_rewrites_timeout(const RawSyscall& raw) {
    const auto& a = raw.args;
    switch (raw.nr) {
    case 23:   // select
    case 270:  // pselect6
    case 271:  // ppoll
        return true;
    case 35:  // nanosleep(req, rem)
        return a[1] != 0 && a[1] == a[0];
    case 230:  // clock_nanosleep(clock, flags, req, rem); absolute sleeps write nothing
        return (a[1] & 1) == 0 && a[3] != 0 && a[3] == a[2];
    }
    return false;
}

std::string syscall_name(int64_t nr) {
    if (nr >= 0 && nr < kLowCount) return kNamesLow[nr];
    if (nr >= kHighBase && nr < kHighBase + kHighCount) return kNamesHigh[nr - kHighBase];
    return "syscall_" + std::to_string(nr);
}

std::string describe_fd_kind(uint32_t i_mode, const std::string& dentry_name) {
    const uint32_t type = i_mode & 0170000;
    // Anonymous-inode files carry no file type bits (or S_IFREG on kernels where
    // anon inodes and pidfs got a "proper" mode); their dentry name says what
    // they are.
    if (type == 0 || type == 0100000) {
        for (const auto& a : kAnonKinds)
            if (dentry_name == a.dentry) return a.kind;
        if (type == 0 && dentry_name.size() > 2 && dentry_name.front() == '[' &&
            dentry_name.back() == ']')
            return dentry_name.substr(1, dentry_name.size() - 2);
    }
    switch (type) {
    case 0010000: return "pipe";
    case 0140000: return "socket";
    case 0020000: return "char device";
    case 0100000: return "file";
    case 0040000: return "directory";
    case 0060000: return "block device";
    case 0120000: return "symlink";
    default: return "unknown";
    }
}

DecodedSyscall decode_syscall(const RawSyscall& raw) {
    DecodedSyscall out;
    out.syscall = syscall_name(raw.nr);
    if (out.syscall == "futex") {
        decode_futex(raw, out);
    } else if (out.syscall == "clock_nanosleep") {
        decode_clock_nanosleep(raw, out);
    } else if (out.syscall == "futex_waitv") {
        decode_futex_waitv(raw, out);
    } else if (out.syscall == "futex_wait") {
        decode_futex_wait2(raw, out);
    } else if (const Signature* sig = find_signature(out.syscall)) {
        for (size_t i = 0; i < 6 && sig->args[i].name; ++i) decode_arg(raw, i, sig->args[i], out);
    } else {
        decode_raw(raw, out);
    }
    return out;
}

}  // namespace threadleak
