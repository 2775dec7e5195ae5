// The decode entry point: the hand-decoded calls, then the signature table,
// then raw registers.
#include "syscalls/syscall_decode.h"

#include <string>

#include "syscalls/fd_kind.h"
#include "syscalls/futex.h"
#include "syscalls/syscall_names.h"
#include "syscalls/syscall_signatures.h"
#include "syscalls/timeouts.h"

namespace threadleak {
namespace {

constexpr int64_t kClockRealtime = 0;
constexpr uint64_t kTimerAbstime = 1;

int32_t as_int(uint64_t v) { return static_cast<int32_t>(static_cast<uint32_t>(v)); }

ArgType arg_type(Param p) {
    switch (p) {
    case Param::Int: return ArgType::Int;
    case Param::UInt: return ArgType::UInt;
    case Param::Long: return ArgType::Long;
    case Param::Addr: return ArgType::Address;
    case Param::Flags: return ArgType::Flags;
    case Param::Mode: return ArgType::Mode;
    case Param::Fd: return ArgType::Fd;
    case Param::TimeoutMs: return ArgType::TimeoutMs;
    case Param::RelTs:
    case Param::RelTv:
    case Param::AbsRealTs: return ArgType::Timeout;
    case Param::FlockOp: return ArgType::FlockOp;
    case Param::FcntlCmd: return ArgType::FcntlCmd;
    }
    return ArgType::Raw;
}

void decode_param(const RawSyscall& raw, size_t i, const ParamSpec& spec, DecodedSyscall& out) {
    const uint64_t v = raw.args[i];
    out.args.push_back({spec.name, arg_type(spec.param), v});
    switch (spec.param) {
    case Param::Fd:
        // fd_mode/fd_name describe the file behind args[0] only.
        if (i == 0) out.fd = classify_fd(as_int(v), raw.fd_mode, raw.fd_name);
        break;
    case Param::TimeoutMs: set_timeout(out, millisecond_timeout(as_int(v))); break;
    case Param::RelTs: set_timeout(out, relative_timeout(raw, v, 1)); break;
    case Param::RelTv: set_timeout(out, relative_timeout(raw, v, 1'000)); break;
    case Param::AbsRealTs: set_timeout(out, deadline_timeout(raw, v, kClockRealtime)); break;
    default: break;
    }
}

// clock_nanosleep(clockid, flags, request, remain): TIMER_ABSTIME makes
// `request` a deadline on `clockid`.
void decode_clock_nanosleep(const RawSyscall& raw, DecodedSyscall& out) {
    const auto& a = raw.args;
    const int64_t clock = as_int(a[0]);
    out.args = {{"clockid", ArgType::ClockId, a[0]},
                {"flags", ArgType::SleepFlags, a[1]},
                {"request", ArgType::Timeout, a[2]}};
    TimeoutFact t = (a[1] & kTimerAbstime) ? deadline_timeout(raw, a[2], clock)
                                           : relative_timeout(raw, a[2], 1);
    t.clock_id = clock;
    set_timeout(out, t);
}

}  // namespace

DecodedSyscall decode_syscall(const RawSyscall& raw) {
    DecodedSyscall out;
    out.nr = raw.nr;
    out.syscall = syscall_name(raw.nr);
    if (out.syscall == "futex") {
        decode_futex(raw, out);
    } else if (out.syscall == "clock_nanosleep") {
        decode_clock_nanosleep(raw, out);
    } else if (out.syscall == "futex_waitv") {
        decode_futex_waitv(raw, out);
    } else if (out.syscall == "futex_wait") {
        decode_futex_wait(raw, out);
    } else if (const Signature* sig = find_signature(out.syscall)) {
        for (size_t i = 0; i < 6 && sig->params[i].name; ++i)
            decode_param(raw, i, sig->params[i], out);
    } else {
        for (size_t i = 0; i < raw.args.size(); ++i)
            out.args.push_back({"arg" + std::to_string(i), ArgType::Raw, raw.args[i]});
    }
    return out;
}

}  // namespace threadleak
