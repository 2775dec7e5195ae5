#include "analyze/leak_resolver.h"

#include "syscalls/syscall_decode.h"

namespace threadleak {

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
    Stack frames = resolve(leak.at_exit, tid);
    const RawSyscall& sc = leak.at_exit.stack.syscall;
    if (sc.nr < 0) {
        t.state = ThreadState::Running;
        t.running_frames = std::move(frames);
    } else {
        t.state = ThreadState::Blocked;
        BlockedIn b;
        static_cast<DecodedSyscall&>(b) = decode_syscall(sc);
        b.blocked_for_ns = leak.blocked_for_ns;
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
