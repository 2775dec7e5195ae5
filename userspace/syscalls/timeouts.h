// Timeouts of blocking calls, from the pointer argument and the value the
// capture read behind it (RawSyscall::timeout).
//
// - A null pointer, or a negative TimeoutMs, waits forever: TimeoutForm::None.
// - A relative timeout that was read and is valid: Relative; it is also the
//   call's DecodedSyscall::timeout_ns (the JSON key timeout_ns).
// - An absolute one (FUTEX_WAIT_BITSET, FUTEX_LOCK_PI, FUTEX_WAIT_REQUEUE_PI,
//   clock_nanosleep with TIMER_ABSTIME, futex_waitv, mq_timed*): Absolute,
//   with its clock; timeout_ns stays nullopt (see TimeoutFact).
// - A non-null pointer whose value was not read: Unread.
#pragma once

#include <cstdint>

#include "capture/capture_types.h"
#include "syscalls/syscall_types.h"

namespace threadleak {

/// A relative timeout passed by pointer: a timespec (subsec_unit_ns = 1) or a
/// timeval (1000). Overwritten when the capture came after an interruption
/// that wrote the time left over it (interruption_rewrites_timeout).
TimeoutFact relative_timeout(const RawSyscall& raw, uint64_t ptr, int64_t subsec_unit_ns);

/// An absolute timespec passed by pointer, measured against `clock_id`. The
/// value is kept as read: the kernel validates a deadline only when it arms it.
TimeoutFact deadline_timeout(const RawSyscall& raw, uint64_t ptr, int64_t clock_id);

/// An int millisecond timeout (poll, epoll_wait): negative waits forever.
TimeoutFact millisecond_timeout(int32_t ms);

/// Sets out.timeout, and out.timeout_ns when it is Relative.
void set_timeout(DecodedSyscall& out, const TimeoutFact& t);

/// True if an interrupted call of this kind writes the time left back into
/// the buffer its timeout was read from: select, pselect6 and ppoll always;
/// nanosleep and relative clock_nanosleep when `remain` is the request buffer
/// (as libstdc++'s sleep_for passes it).
bool interruption_rewrites_timeout(const RawSyscall& raw);

}  // namespace threadleak
