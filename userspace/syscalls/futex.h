// futex(2), futex_wait(2) and futex_waitv(2): which arguments each op uses,
// and what kind of timeout it takes.
#pragma once

#include <cstdint>
#include <optional>

#include "capture/capture_types.h"
#include "syscalls/syscall_types.h"

namespace threadleak {

constexpr uint64_t kFutexPrivateFlag = 128;
constexpr uint64_t kFutexClockRealtime = 256;

/// The parts of a futex op word.
struct FutexOpParts {
    std::optional<FutexCmd> cmd;  ///< nullopt: not a command the kernel defines
    bool is_private = false;
    bool clock_realtime = false;
};
FutexOpParts split_futex_op(uint64_t op);

/// futex(uaddr, op, val, timeout_or_val2, uaddr2, val3): sets out.args (the
/// arguments the op uses), out.futex and, for waits, out.timeout.
void decode_futex(const RawSyscall& raw, DecodedSyscall& out);

/// futex_wait(uaddr, val, mask, flags, timeout, clockid): absolute timeout.
void decode_futex_wait(const RawSyscall& raw, DecodedSyscall& out);

/// futex_waitv(waiters, nr_futexes, flags, timeout, clockid): absolute timeout.
void decode_futex_waitv(const RawSyscall& raw, DecodedSyscall& out);

}  // namespace threadleak
