// Which futex arguments mean what, and which clock an absolute timeout uses,
// follows kernel/futex/syscalls.c: FUTEX_WAIT is relative; WAIT_BITSET,
// WAIT_REQUEUE_PI and LOCK_PI2 are absolute on CLOCK_MONOTONIC unless
// FUTEX_CLOCK_REALTIME; LOCK_PI is absolute on CLOCK_REALTIME always.
#include "syscalls/futex.h"

#include "syscalls/timeouts.h"

namespace threadleak {
namespace {

constexpr int64_t kClockRealtime = 0, kClockMonotonic = 1;
constexpr uint64_t kLastCmd = static_cast<uint64_t>(FutexCmd::LockPi2);

int32_t as_int(uint64_t v) { return static_cast<int32_t>(static_cast<uint32_t>(v)); }

}  // namespace

FutexOpParts split_futex_op(uint64_t op) {
    FutexOpParts p;
    const uint64_t cmd = op & ~(kFutexPrivateFlag | kFutexClockRealtime);
    if (cmd <= kLastCmd) p.cmd = static_cast<FutexCmd>(cmd);
    p.is_private = op & kFutexPrivateFlag;
    p.clock_realtime = op & kFutexClockRealtime;
    return p;
}

void decode_futex(const RawSyscall& raw, DecodedSyscall& out) {
    using enum ArgType;
    const auto& a = raw.args;
    const FutexOpParts parts = split_futex_op(a[1]);
    FutexFact f;
    f.uaddr = a[0];
    f.op = a[1];
    f.cmd = parts.cmd;
    f.is_private = parts.is_private;
    f.clock_realtime = parts.clock_realtime;
    const int64_t abs_clock = parts.clock_realtime ? kClockRealtime : kClockMonotonic;

    auto& args = out.args;
    args.push_back({"uaddr", Address, a[0]});
    args.push_back({"op", FutexOp, a[1]});
    auto val = [&] {
        args.push_back({"val", Int, a[2]});
        f.val = as_int(a[2]);
    };
    auto deadline = [&](int64_t clock) {
        args.push_back({"timeout", Timeout, a[3]});
        set_timeout(out, deadline_timeout(raw, a[3], clock));
    };
    if (!parts.cmd) {  // undefined: keep val, which all but the PI commands read
        val();
        out.futex = f;
        return;
    }
    switch (*parts.cmd) {
    case FutexCmd::Wait:
        val();
        args.push_back({"timeout", Timeout, a[3]});
        set_timeout(out, relative_timeout(raw, a[3], 1));
        break;
    case FutexCmd::WaitBitset:
        val();
        deadline(abs_clock);
        args.push_back({"bitset", Bitset, a[5]});
        f.val3 = static_cast<uint32_t>(a[5]);
        break;
    case FutexCmd::WaitRequeuePi:
        val();
        deadline(abs_clock);
        args.push_back({"uaddr2", Address, a[4]});
        f.uaddr2 = a[4];
        break;
    case FutexCmd::LockPi:
        deadline(kClockRealtime);
        break;
    case FutexCmd::LockPi2:
        deadline(abs_clock);
        break;
    case FutexCmd::UnlockPi:
    case FutexCmd::TrylockPi:
        break;
    case FutexCmd::Wake:
    case FutexCmd::WakeBitset:
    case FutexCmd::Fd:
        val();
        break;
    case FutexCmd::Requeue:
    case FutexCmd::CmpRequeue:
    case FutexCmd::WakeOp:
    case FutexCmd::CmpRequeuePi:
        val();
        args.push_back({"val2", Int, a[3]});
        f.val2 = as_int(a[3]);
        args.push_back({"uaddr2", Address, a[4]});
        f.uaddr2 = a[4];
        args.push_back({"val3", Hex32, a[5]});
        f.val3 = static_cast<uint32_t>(a[5]);
        break;
    }
    out.futex = f;
}

void decode_futex_wait(const RawSyscall& raw, DecodedSyscall& out) {
    using enum ArgType;
    const auto& a = raw.args;
    out.args = {{"uaddr", Address, a[0]}, {"val", Long, a[1]}, {"mask", Flags, a[2]},
                {"flags", Flags, a[3]}, {"timeout", Timeout, a[4]}};
    set_timeout(out, deadline_timeout(raw, a[4], as_int(a[5])));
}

void decode_futex_waitv(const RawSyscall& raw, DecodedSyscall& out) {
    using enum ArgType;
    const auto& a = raw.args;
    out.args = {{"waiters", Address, a[0]}, {"nr_futexes", UInt, a[1]}, {"flags", Flags, a[2]},
                {"timeout", Timeout, a[3]}};
    set_timeout(out, deadline_timeout(raw, a[3], as_int(a[4])));
}

}  // namespace threadleak
