// Value types of a decoded syscall: what a blocked thread sat in, as typed
// facts (numbers and enums). Display strings are made by the formats stage
// (formats/syscall_text.h); the one string here is the syscall's name, which
// is its identity.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace threadleak {

/// What an argument register holds, which fixes how wide it is and how the
/// formats show it.
enum class ArgType {
    Int,        ///< C int: low 32 bits, sign-extended
    UInt,       ///< C unsigned int: low 32 bits
    Long,       ///< long, size_t, ssize_t: all 64 bits, signed
    Address,    ///< a user pointer
    Flags,      ///< a flag word or bit mask (all 64 bits)
    Bitset,     ///< futex val3 of the *_BITSET ops: a 32-bit wake/wait mask
    Hex32,      ///< another 32-bit futex word (val3 of the requeue and wake_op ops)
    Mode,       ///< file mode bits (open's mode)
    Fd,         ///< int file descriptor; DecodedSyscall::fd describes the first one
    TimeoutMs,  ///< int milliseconds, negative = forever (poll, epoll_wait)
    Timeout,    ///< pointer to a timespec/timeval; DecodedSyscall::timeout says what it held
    FutexOp,    ///< futex op word: command | FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME
    ClockId,    ///< clockid_t (int)
    SleepFlags, ///< clock_nanosleep flags: TIMER_ABSTIME (1) or not
    FlockOp,    ///< flock operation: LOCK_SH/LOCK_EX/LOCK_UN | LOCK_NB
    FcntlCmd,   ///< fcntl command (int)
    Raw,        ///< a register of a syscall without a signature
};

/// One decoded argument. `raw` is the register as the syscall got it; `type`
/// says which bits of it count.
struct SyscallArg {
    std::string name;  ///< the kernel's parameter name; "arg0".."arg5" for Raw
    ArgType type = ArgType::Raw;
    uint64_t raw = 0;
    bool operator==(const SyscallArg&) const = default;
};

/// What the file behind a descriptor is, from its inode type, or for an
/// anonymous inode (no type bits) from the name anon_inode_getfile() gave it.
enum class FdKind {
    Pipe, Socket, File, Directory, CharDevice, BlockDevice, Symlink,
    Eventfd, Timerfd, Epoll, Signalfd, IoUring, Inotify, Fanotify, Pidfd, Userfaultfd,
    PerfEvent, BpfMap, BpfProgram, BpfLink,
    OtherAnon,  ///< an anonymous inode of a kind not listed: FdFact::anon_name names it
    Unknown,    ///< nothing captured, or a type this list lacks
};

/// The descriptor in the syscall's first argument (the only one the capture
/// looks behind).
struct FdFact {
    int number = -1;
    FdKind kind = FdKind::Unknown;
    /// For OtherAnon: the dentry name, brackets kept ("[vfio-device]").
    std::string anon_name{};
    bool operator==(const FdFact&) const = default;
};

/// The futex command: the op word without FUTEX_PRIVATE_FLAG and
/// FUTEX_CLOCK_REALTIME (values from include/uapi/linux/futex.h).
enum class FutexCmd {
    Wait = 0, Wake = 1, Fd = 2, Requeue = 3, CmpRequeue = 4, WakeOp = 5, LockPi = 6,
    UnlockPi = 7, TrylockPi = 8, WaitBitset = 9, WakeBitset = 10, WaitRequeuePi = 11,
    CmpRequeuePi = 12, LockPi2 = 13,
};

/// A futex(2) call. Optional fields are set when the command uses them.
struct FutexFact {
    uint64_t uaddr = 0;
    uint64_t op = 0;                  ///< the op word as passed
    std::optional<FutexCmd> cmd{};    ///< nullopt: a command the kernel does not define
    bool is_private = false;          ///< FUTEX_PRIVATE_FLAG: uaddr is process-private
    bool clock_realtime = false;      ///< FUTEX_CLOCK_REALTIME
    std::optional<int32_t> val{};     ///< the expected *uaddr (waits), or how many to wake
    std::optional<int32_t> val2{};    ///< how many to requeue (from the timeout slot)
    std::optional<uint64_t> uaddr2{}; ///< the requeue target
    std::optional<uint32_t> val3{};   ///< the bitset (*_BITSET), compare value or wake_op
    bool operator==(const FutexFact&) const = default;
};

enum class TimeoutForm {
    None,        ///< waits forever: a null pointer, or a negative TimeoutMs
    Relative,    ///< relative_ns holds it
    Absolute,    ///< a deadline: deadline_sec/deadline_nsec on clock_id
    Unread,      ///< non-null pointer whose value was not captured
    Invalid,     ///< a relative value the kernel rejects (EINVAL): value_sec/value_subsec
    Overwritten, ///< an interruption wrote the time left over the request: remaining_ns
};

/// The timeout of a call that has one. An absolute timeout is not turned into
/// time left: that needs the clock's value at capture time, which the capture
/// does not carry (and CLOCK_REALTIME cannot be recovered later).
struct TimeoutFact {
    TimeoutForm form = TimeoutForm::None;
    bool absolute = false;  ///< the call takes a deadline (also for None and Unread)
    /// The deadline's clock; for clock_nanosleep also the clock of a relative sleep.
    std::optional<int64_t> clock_id{};
    int64_t relative_ns = 0;    ///< Relative
    int64_t deadline_sec = 0;   ///< Absolute
    int64_t deadline_nsec = 0;  ///< Absolute
    uint64_t pointer = 0;       ///< where the value lives (0 for None and TimeoutMs)
    int64_t value_sec = 0;      ///< Invalid: tv_sec as read
    int64_t value_subsec = 0;   ///< Invalid: tv_nsec, or tv_usec of a timeval, as read
    std::optional<int64_t> remaining_ns{};  ///< Overwritten: the time left; nullopt if invalid
    bool operator==(const TimeoutFact&) const = default;
};

/// A syscall with its arguments decoded.
struct DecodedSyscall {
    int64_t nr = -1;
    std::string syscall;  ///< "futex", "read", ... or "syscall_<nr>"
    /// The arguments that mean something for this call, in parameter order
    /// (a futex op skips the slots it ignores; a clock id that only qualifies a
    /// deadline lives in `timeout`).
    std::vector<SyscallArg> args;
    std::optional<FdFact> fd{};            ///< set when args[0] is an Fd
    std::optional<FutexFact> futex{};      ///< set for futex(2)
    std::optional<TimeoutFact> timeout{};  ///< set for calls that take a timeout
    std::optional<int64_t> timeout_ns{};   ///< a known relative timeout; nullopt = none known
};

}  // namespace threadleak
