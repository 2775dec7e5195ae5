// Decodes the syscall a captured thread sat in (x86_64) into typed facts.
#pragma once

#include "capture/capture_types.h"
#include "syscalls/syscall_types.h"

namespace threadleak {

/// Names the syscall and types its arguments; knows futex ops, fd kinds,
/// poll/epoll/select timeouts, sleeps. A syscall without a signature keeps its
/// six registers as Raw "arg0".."arg5".
DecodedSyscall decode_syscall(const RawSyscall& raw);

}  // namespace threadleak
