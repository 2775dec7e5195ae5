// Value types of what the kernel (or /proc) captured about a thread: its
// registers and stack copy, the syscall it sat in, the mappings of its
// address space. Plain data; the stages above read them.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace threadleak {

/// One executable file mapping of an address space.
struct Mapping {
    uint64_t start = 0;
    uint64_t end = 0;
    uint64_t pgoff = 0;     ///< file offset of `start`
    uint64_t ino = 0;       ///< 0 if unknown
    uint32_t dev = 0;       ///< kernel dev_t, 0 if unknown
    std::string path;       ///< as seen from the process's root
};

/// Registers + stack copy of one thread. regs in DWARF order (0 rax .. 16 rip);
/// `stack` holds memory from regs[7] (sp) upward.
struct StackSnapshot {
    std::array<uint64_t, 17> regs{};
    std::vector<uint8_t> stack;
};

/// One open end of a pipe in some process.
struct PipeEnd {
    int pid = 0;
    int fd = -1;
    bool writes = false;  ///< opened for writing (its write end)
    bool operator==(const PipeEnd&) const = default;
};

/// The two ends of a socket, as the kernel holds them.
struct SocketEnds {
    uint16_t family = 0;                  ///< AF_INET, AF_INET6, AF_UNIX, ...
    uint16_t type = 0;                    ///< SOCK_STREAM, SOCK_DGRAM, ...
    uint16_t state = 0;                   ///< TCP_ESTABLISHED (1), TCP_LISTEN (10), ...
    std::array<uint8_t, 16> local{};      ///< network order; IPv4 in the first 4 bytes
    std::array<uint8_t, 16> remote{};
    uint16_t local_port = 0;              ///< host order
    uint16_t remote_port = 0;
    bool operator==(const SocketEnds&) const = default;
};

/// What the capture read about the object a blocked call waits on, beside
/// the call itself: the target's memory at a futex, the kernel's pipe counts.
struct WaitObjectFacts {
    /// futex(2): the 16 bytes at uaddr as two words (a glibc mutex keeps its
    /// lock word at +0 and its owner's tid at +8); nullopt if not read.
    std::optional<std::array<uint64_t, 2>> futex_words;
    uint64_t fd_ino = 0;                  ///< inode number of the file behind args[0], 0 if unknown
    std::optional<uint32_t> pipe_readers; ///< a pipe: read ends open in any process
    std::optional<uint32_t> pipe_writers; ///< a pipe: write ends open in any process
    std::optional<bool> epoll_empty;      ///< an epoll fd: it watches no descriptor at all
    std::optional<uint32_t> epoll_watched;///< how many it watches (/proc/PID/fdinfo, live threads only)
    std::optional<uint64_t> timer_interval_ns;  ///< a timerfd: its it_interval (0: one-shot)
    std::optional<SocketEnds> socket;     ///< a socket: its ends (live threads: TCP only, from /proc/PID/net)
    /// A pipe, read while every process lived (--timeout): all its open ends
    /// (capture/pipe_holders). Empty: not read then.
    std::vector<PipeEnd> pipe_ends;
    /// How many times the sampler saw the thread fall asleep again at this
    /// same place (syscall, pc, sp) before this sleep, and over what span: a
    /// loop woken by a timer or timeout that waits again. 0: never seen.
    uint32_t same_sleeps = 0;
    uint64_t same_sleeps_span_ns = 0;
    /// --track-wakes, futex(2): wakes sent to uaddr since this wait began, and
    /// the last sender (0: none); nullopt when not tracked.
    std::optional<uint64_t> wakes_sent;
    int last_waker_tid = 0;
};

/// Raw facts about a syscall in progress, as captured in the kernel.
struct RawSyscall {
    int64_t nr = -1;                    ///< -1: not in a syscall (running user code)
    std::array<uint64_t, 6> args{};
    bool timeout_valid = false;         ///< `timeout` holds the timespec args point to
    std::array<int64_t, 2> timeout{};   ///< tv_sec, tv_nsec
    /// Captured after a signal interrupted the call (at exit): some calls have
    /// written the time left over their timeout buffer by then.
    bool captured_after_interruption = false;
    uint32_t fd_mode = 0;               ///< i_mode of the file behind args[0], 0 if none
    std::string fd_name;                ///< dentry name of that file
    WaitObjectFacts object;             ///< what it waits on, where that was read
};

/// How long a thread had been blocked when it was captured. Never more than
/// the truth: when the start of its sleep is not known, the time since it was
/// first seen asleep, a lower bound.
struct BlockedFor {
    uint64_t ns = 0;
    bool exact = true;  ///< false: blocked for at least `ns`
};

/// A traced thread's sleep as the kernel's sampler last saw it (bpf/sleep_clock.h).
struct SleepSample {
    uint64_t switches = 0;  ///< voluntary context switches then: unchanged while asleep = same sleep
    uint64_t since_ns = 0;  ///< CLOCK_MONOTONIC when the sleep began, or a later time
    uint64_t uncertainty_ns = UINT64_MAX;  ///< it began up to this much earlier (MAX: unknown)
    /// Where it sleeps: its saved user registers (DWARF order) and syscall
    /// when the sleep was first seen, and its name then.
    std::array<uint64_t, 17> regs{};
    int64_t syscall_nr = -1;
    std::array<uint64_t, 6> args{};
    bool ia32 = false;
    uint32_t same_sleeps = 0;     ///< sleeps seen at this same place before this one, in a row
    uint64_t first_same_ns = 0;   ///< CLOCK_MONOTONIC when the first of them was seen
    std::string comm;
};

/// A thread's registers, stack copy and syscall.
struct CapturedStack {
    StackSnapshot snapshot;
    RawSyscall syscall;
    /// The thread ran 32-bit (ia32) code: registers, syscall number and
    /// arguments follow the ia32 ABI, which threadleak does not decode.
    bool ia32 = false;
};

}  // namespace threadleak
