// Names from include/uapi/linux/{futex,time,fcntl}.h and asm-generic/fcntl.h.
#include "formats/syscall_value_names.h"

#include <cinttypes>
#include <cstdio>
#include <iterator>

#include "syscalls/futex.h"

namespace threadleak {

std::string to_hex(uint64_t v) {
    char buf[24];
    std::snprintf(buf, sizeof buf, "0x%" PRIx64, v);
    return buf;
}

std::string futex_op_name(uint64_t op) {
    static constexpr const char* kCmds[] = {
        "FUTEX_WAIT", "FUTEX_WAKE", "FUTEX_FD", "FUTEX_REQUEUE", "FUTEX_CMP_REQUEUE",
        "FUTEX_WAKE_OP", "FUTEX_LOCK_PI", "FUTEX_UNLOCK_PI", "FUTEX_TRYLOCK_PI",
        "FUTEX_WAIT_BITSET", "FUTEX_WAKE_BITSET", "FUTEX_WAIT_REQUEUE_PI",
        "FUTEX_CMP_REQUEUE_PI", "FUTEX_LOCK_PI2"};
    static_assert(std::size(kCmds) == static_cast<size_t>(FutexCmd::LockPi2) + 1);
    const FutexOpParts parts = split_futex_op(op);
    if (!parts.cmd) return to_hex(op);
    std::string s = kCmds[static_cast<size_t>(*parts.cmd)];
    if (parts.is_private) s += "_PRIVATE";
    if (parts.clock_realtime) s += "|FUTEX_CLOCK_REALTIME";
    return s;
}

std::string clock_name(int64_t id) {
    static constexpr const char* kClocks[] = {
        "CLOCK_REALTIME", "CLOCK_MONOTONIC", "CLOCK_PROCESS_CPUTIME_ID",
        "CLOCK_THREAD_CPUTIME_ID", "CLOCK_MONOTONIC_RAW", "CLOCK_REALTIME_COARSE",
        "CLOCK_MONOTONIC_COARSE", "CLOCK_BOOTTIME", "CLOCK_REALTIME_ALARM",
        "CLOCK_BOOTTIME_ALARM", nullptr, "CLOCK_TAI"};
    if (id >= 0 && id < static_cast<int64_t>(std::size(kClocks)) && kClocks[id]) return kClocks[id];
    return "clock_" + std::to_string(id);
}

std::string fd_kind_name(const FdFact& fd) {
    switch (fd.kind) {
    case FdKind::Pipe: return "pipe";
    case FdKind::Socket: return "socket";
    case FdKind::File: return "file";
    case FdKind::Directory: return "directory";
    case FdKind::CharDevice: return "char device";
    case FdKind::BlockDevice: return "block device";
    case FdKind::Symlink: return "symlink";
    case FdKind::Eventfd: return "eventfd";
    case FdKind::Timerfd: return "timerfd";
    case FdKind::Epoll: return "epoll";
    case FdKind::Signalfd: return "signalfd";
    case FdKind::IoUring: return "io_uring";
    case FdKind::Inotify: return "inotify";
    case FdKind::Fanotify: return "fanotify";
    case FdKind::Pidfd: return "pidfd";
    case FdKind::Userfaultfd: return "userfaultfd";
    case FdKind::PerfEvent: return "perf_event";
    case FdKind::BpfMap: return "bpf map";
    case FdKind::BpfProgram: return "bpf program";
    case FdKind::BpfLink: return "bpf link";
    case FdKind::OtherAnon:
        if (fd.anon_name.size() > 2 && fd.anon_name.front() == '[' && fd.anon_name.back() == ']')
            return fd.anon_name.substr(1, fd.anon_name.size() - 2);
        return fd.anon_name;
    case FdKind::Unknown: return "unknown";
    }
    return "unknown";
}

std::string flock_op_name(uint64_t op) {
    constexpr uint64_t kLockNb = 4;
    const uint64_t base = op & ~kLockNb;
    std::string s = base == 1   ? "LOCK_SH"
                    : base == 2 ? "LOCK_EX"
                    : base == 8 ? "LOCK_UN"
                                : to_hex(base);
    if (op & kLockNb) s += "|LOCK_NB";
    return s;
}

std::string fcntl_cmd_name(int32_t cmd) {
    switch (cmd) {
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
    default: return std::to_string(cmd);
    }
}

}  // namespace threadleak
