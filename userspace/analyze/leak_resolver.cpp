#include "analyze/leak_resolver.h"

#include "syscalls/syscall_decode.h"

namespace threadleak {
namespace {

constexpr int64_t kNrClone = 56, kNrExecve = 59, kNrExecveat = 322, kNrClone3 = 435;

}  // namespace

ThreadState state_of(const CapturedStack& captured) {
    const int64_t nr = captured.syscall.nr;
    if (nr < 0) return ThreadState::Running;
    // A new thread that never ran still holds the registers clone() gave it:
    // its creator's syscall with the child's return value, 0, in rax.
    if ((nr == kNrClone || nr == kNrClone3) && captured.snapshot.regs[0] == 0) return ThreadState::Starting;
    if (nr == kNrExecve || nr == kNrExecveat) return ThreadState::Execing;
    return ThreadState::Blocked;
}

Stack resolve(const PendingStack& pending, int tid) {
    if (!pending.image) return {};
    return pending.image->resolve_stack(pending.stack.snapshot, tid);
}

LeakedThread resolve_leak(const PendingLeak& leak) {
    LeakedThread t;
    t.kind = leak.kind;
    t.thread = leak.thread;
    const int tid = leak.thread.tid;
    if (leak.creation) t.created_by = resolve(*leak.creation, leak.thread.creator_tid.value_or(tid));
    const CapturedStack& at_exit = leak.at_exit.stack;
    const RawSyscall& sc = at_exit.syscall;
    t.state = state_of(at_exit);
    if (t.state == ThreadState::Starting) return t;  // its stack is its creator's, not its own
    Stack frames = resolve(leak.at_exit, tid);
    if (t.state == ThreadState::Running) {
        t.running_frames = std::move(frames);
    } else {
        BlockedIn b;
        static_cast<DecodedSyscall&>(b) = decode_syscall(sc);
        b.blocked_for = leak.blocked_for;
        b.frames = std::move(frames);
        t.blocked_in = std::move(b);
    }
    return t;
}

std::vector<LeakedThread> resolve_leaks(const std::vector<PendingLeak>& leaks) {
    std::vector<LeakedThread> out;
    out.reserve(leaks.size());
    for (const PendingLeak& l : leaks) out.push_back(resolve_leak(l));
    return out;
}

}  // namespace threadleak
