#include "analyze/leak_resolver.h"

#include "analyze/go_frame_names.h"
#include "syscalls/syscall_decode.h"

namespace threadleak {
namespace {

constexpr int64_t kNrClone = 56, kNrExecve = 59, kNrExecveat = 322, kNrClone3 = 435;

}  // namespace

ThreadState state_of(const CapturedStack& captured) {
    if (captured.ia32) return ThreadState::Ia32;
    const int64_t nr = captured.syscall.nr;
    if (nr < 0) return ThreadState::Running;
    // A new thread that never ran still holds the registers clone() gave it:
    // its creator's syscall with the child's return value, 0, in rax.
    if ((nr == kNrClone || nr == kNrClone3) && captured.snapshot.regs[0] == 0) return ThreadState::Starting;
    if (nr == kNrExecve || nr == kNrExecveat) return ThreadState::Execing;
    return ThreadState::Blocked;
}

Stack resolve(const PendingStack& pending) {
    // ia32 registers and frames would be unwound as x86_64 ones: garbage.
    if (!pending.image || pending.stack.ia32) return {};
    Stack frames = pending.image->resolve_stack(pending.stack.snapshot);
    name_go_frames(frames);  // stripped Go binaries: their own table names them
    return frames;
}

LeakedThread resolve_leak(const PendingLeak& leak, bool with_stacks) {
    LeakedThread t;
    t.kind = leak.kind;
    t.thread = leak.thread;
    t.created_before_attach = leak.created_before_attach;
    if (leak.creation && with_stacks)
        t.created_by = resolve(*leak.creation);
    const CapturedStack& at_exit = leak.at_exit.stack;
    const RawSyscall& sc = at_exit.syscall;
    t.state = state_of(at_exit);
    // Starting: its stack is its creator's, not its own. Ia32: not decoded.
    if (t.state == ThreadState::Starting || t.state == ThreadState::Ia32) return t;
    Stack frames = with_stacks ? resolve(leak.at_exit) : Stack{};
    if (t.state == ThreadState::Running) {
        t.running_frames = std::move(frames);
    } else {
        BlockedIn b;
        static_cast<DecodedSyscall&>(b) = decode_syscall(sc);
        b.blocked_for = leak.blocked_for;
        b.frames = std::move(frames);
        b.object = sc.object;
        t.blocked_in = std::move(b);
    }
    return t;
}

size_t stack_count(const std::vector<PendingLeak>& leaks) {
    size_t n = 0;
    for (const PendingLeak& l : leaks) n += 1 + (l.creation ? 1 : 0);
    return n;
}

std::vector<LeakedThread> resolve_leaks(const std::vector<PendingLeak>& leaks,
                                        const std::function<bool()>& stop, uint64_t* unsymbolized) {
    std::vector<LeakedThread> out;
    out.reserve(leaks.size());
    bool stopped = false;
    for (const PendingLeak& l : leaks) {
        stopped = stopped || (stop && stop());
        out.push_back(resolve_leak(l, !stopped));
        if (stopped && unsymbolized) *unsymbolized += 1 + (l.creation ? 1 : 0);
    }
    return out;
}

}  // namespace threadleak
