// Names and decodes the syscall a captured thread sat in (x86_64).
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "capture/capture_types.h"
#include "syscalls/syscall_types.h"

namespace threadleak {

/// "futex", "read", ...; "syscall_<nr>" for numbers it does not know.
std::string syscall_name(int64_t nr);

/// Decodes the arguments.
/// Knows futex ops, fd kinds, poll/epoll/select timeouts, sleeps.
DecodedSyscall decode_syscall(const RawSyscall& raw);

/// True if an interrupted call of this kind writes the time left back into
/// the buffer its timeout was read from: select, pselect6 and ppoll always;
/// nanosleep and relative clock_nanosleep when `remain` is the request buffer
/// (as libstdc++'s sleep_for passes it).
bool interruption_rewrites_timeout(const RawSyscall& raw);

/// "pipe", "socket", "eventfd", "timerfd", "epoll", "file", "char device", ...
std::string describe_fd_kind(uint32_t i_mode, const std::string& dentry_name);

}  // namespace threadleak
