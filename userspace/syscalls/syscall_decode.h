// Names and decodes the syscall a captured thread sat in (x86_64).
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "report/report.h"

namespace threadleak {

/// Raw facts about a syscall in progress, as captured in the kernel.
struct RawSyscall {
    int64_t nr = -1;                    ///< -1: not in a syscall (running user code)
    std::array<uint64_t, 6> args{};
    bool timeout_valid = false;         ///< `timeout` holds the timespec args point to
    std::array<int64_t, 2> timeout{};   ///< tv_sec, tv_nsec
    /// The kernel had already written the time left into the timeout buffer:
    /// set for syscalls captured after a signal interrupted them (at exit).
    bool timeout_is_remaining = false;
    uint32_t fd_mode = 0;               ///< i_mode of the file behind args[0], 0 if none
    std::string fd_name;                ///< dentry name of that file
};

/// "futex", "read", ...; "syscall_<nr>" for numbers it does not know.
std::string syscall_name(int64_t nr);

/// Decodes arguments into a BlockedIn (frames and blocked_for left empty).
/// Knows futex ops, fd kinds, poll/epoll/select timeouts, sleeps.
BlockedIn decode_syscall(const RawSyscall& raw);

/// True if an interrupted call of this kind writes the time left back into
/// the buffer its timeout was read from: select, pselect6 and ppoll always;
/// nanosleep and relative clock_nanosleep when `remain` is the request buffer
/// (as libstdc++'s sleep_for passes it).
bool interruption_rewrites_timeout(const RawSyscall& raw);

/// "pipe", "socket", "eventfd", "timerfd", "epoll", "file", "char device", ...
std::string describe_fd_kind(uint32_t i_mode, const std::string& dentry_name);

}  // namespace threadleak
